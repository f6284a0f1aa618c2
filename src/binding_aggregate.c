/*
 * binding_aggregate.c: sum, average and count.  A frame contributes the sum
 * of its numbers and the count of its values; an array holds the values, a
 * JSON null holds none, any other value is one.  sum and average need every
 * value to be a number; count takes anything.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "binding_aggregate.h"
#include "jsonb_util.h"
#include "violations.h"

/* Adds one value to the frame's aggregate; index is -1 for a lone value. */
static bool
AggregateItem(const Transform *t, const JsonbValue *item, const char *path, int index,
			  WindowAggregate *agg, List **violations)
{
	bool		overflow = false;

	if (t->kind != TRANSFORM_COUNT && item->type != jbvNumeric)
	{
		if (index < 0)
			AddViolation(violations, path, t->name, "%s needs numbers; the value is %s",
						 t->name, JsonbValueTypeName(item));
		else
			AddViolation(violations, psprintf("%s[%d]", path, index), t->name,
						 "%s needs numbers; item %d is %s", t->name, index,
						 JsonbValueTypeName(item));
		return false;
	}
	if (t->kind != TRANSFORM_COUNT)
		agg->sum = agg->sum == NULL ? item->val.numeric
			: numeric_add_opt_error(agg->sum, item->val.numeric, &overflow);
	if (overflow)
	{
		AddViolation(violations, path, t->name, "%s overflows the range of numeric", t->name);
		return false;
	}
	agg->count++;
	return true;
}

/* What the frame's value v adds to the aggregate; false with a violation when it cannot. */
bool
AggregateFrame(const Transform *t, const JsonbValue *v, const char *path,
			   WindowAggregate *out, List **violations)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	item;
	int			index = 0;

	out->sum = NULL;
	out->count = 0;
	if (v->type == jbvNull)
		return true;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		return AggregateItem(t, v, path, -1, out, violations);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		if (tok == WJB_ELEM && !AggregateItem(t, &item, path, index++, out, violations))
			return false;
	}
	return true;
}

/* Adds one aggregate to another; false with a violation when the sum overflows. */
bool
AggregateMerge(const Transform *t, WindowAggregate *into, const WindowAggregate *add,
			   const char *path, List **violations)
{
	Numeric		sum = into->sum;
	bool		overflow = false;

	if (add->sum != NULL)
		sum = sum == NULL ? add->sum : numeric_add_opt_error(sum, add->sum, &overflow);
	if (overflow)
	{
		AddViolation(violations, path, t->name, "%s over the window overflows the range of numeric",
					 t->name);
		return false;
	}
	into->sum = sum;
	into->count += add->count;
	return true;
}

/* n without trailing fractional zeros: 20.000 -> 20. */
static Numeric
TrimScale(Numeric n)
{
	return DatumGetNumeric(DirectFunctionCall1(numeric_trim_scale, NumericGetDatum(n)));
}

/* The transform's result for an aggregate: the sum, the average or the count. */
void
AggregateResult(const Transform *t, const WindowAggregate *agg, JsonbValue *out)
{
	Numeric		sum = agg->sum ? agg->sum : int64_to_numeric(0);

	out->type = jbvNumeric;
	if (t->kind == TRANSFORM_COUNT)
		out->val.numeric = int64_to_numeric(agg->count);
	else if (t->kind == TRANSFORM_SUM)
		out->val.numeric = TrimScale(sum);
	else if (agg->count == 0)
		out->type = jbvNull;
	else
		out->val.numeric = TrimScale(numeric_div_opt_error(sum, int64_to_numeric(agg->count),
														   NULL));
}
