/*
 * bindings.c: the attribute binding engine (DESIGN.md, "apply_bindings"):
 * compiles a stream's attribute_bindings once, then maps each payload to a
 * new object through them, keeping windowed aggregates, and the SQL function
 * apply_bindings().
 *
 * The rules, beyond seed 000's table:
 * - The output holds only what the bindings write, in binding order; a later
 *   binding to the same destination (or to a parent of it) wins, and writing
 *   below an object written earlier updates that object.
 * - A missing source writes nothing, or is a "required" violation; JSON null
 *   is present.
 * - sum, average and count read an array's items, a lone value as one item
 *   and null as no items: sum [] and null give 0, average null, count 0.
 *   sum and average need every item to be a number (the first other item is
 *   the violation); count counts items of any type, null items included.
 * - aggregation_window_ms only matters for sum, average and count; for any
 *   other transform BindingWindowMs() is 0.  For every windowed binding,
 *   windows[i] after the call is windows[i] before plus added[i], even when
 *   the frame is rejected (a failed binding adds nothing).
 * - lowercase and uppercase need a string (null included: a violation).
 * - filter needs an array; map and json_stringify take anything; flatten
 *   needs an array; json_parse needs a string holding JSON text.
 * - A source or destination that is no path (empty segment, bad "[n]"), or a
 *   destination starting with "[n]" or above [65535], is a violation at apply
 *   time.  A jsonpath using $variables is refused with the config already
 *   (stream_config.c); the engine still reports one as a violation.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "binding_aggregate.h"
#include "binding_path.h"
#include "binding_transform.h"
#include "bindings.h"
#include "jsonb_util.h"
#include "stream_config.h"
#include "violations.h"

PG_FUNCTION_INFO_V1(streamflow_apply_bindings);

typedef struct Binding
{
	char	   *source_text;	/* source_attribute as given */
	BindingPath source;
	BindingPath destination;
	Transform	transform;
	bool		required;
	int32		window_ms;		/* 0 unless an aggregate with aggregation_window_ms */
} Binding;

struct BindingSet
{
	int			n;
	Binding    *items;
};

/* apply_bindings' cache: the last bindings argument and its compiled set. */
typedef struct ApplyCache
{
	MemoryContext cxt;
	Jsonb	   *key;
	BindingSet *set;
} ApplyCache;

/* A string member of a normalized binding; NULL when absent. */
static char *
BindingText(JsonbContainer *binding, const char *key, bool required)
{
	JsonbValue *v = JsonbObjectGet(binding, key);

	if (v == NULL || v->type == jbvNull)
	{
		if (required)
			elog(ERROR, "attribute binding without \"%s\"", key);
		return NULL;
	}
	if (v->type != jbvString)
		elog(ERROR, "attribute binding \"%s\" is not a string", key);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Compiles one normalized binding: its paths, its transform and its window. */
static void
CompileBinding(JsonbContainer *obj, Binding *b)
{
	char	   *transform = BindingText(obj, "transform", false);
	JsonbValue *required = JsonbObjectGet(obj, "required");
	JsonbValue *window = JsonbObjectGet(obj, "aggregation_window_ms");
	int64		window_ms = 0;

	b->source_text = BindingText(obj, "source_attribute", true);
	ParseBindingPath(b->source_text, false, &b->source);
	ParseBindingPath(BindingText(obj, "destination_attribute", true), true, &b->destination);
	CompileTransform(&b->transform, transform ? transform : "passthrough",
					 BindingText(obj, "jsonpath", false));
	b->required = required != NULL && required->type == jbvBool && required->val.boolean;
	if (window != NULL && window->type != jbvNull && !JsonbValueGetInt64(window, &window_ms))
		elog(ERROR, "attribute binding \"aggregation_window_ms\" is not an integer");
	if (TransformIsAggregate(&b->transform) && window_ms > 0 && window_ms <= PG_INT32_MAX)
		b->window_ms = (int32) window_ms;
}

/* Compiles a normalized attribute_bindings array; NULL when there are none. */
BindingSet *
CompileBindings(Jsonb *bindings)
{
	BindingSet *set;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	elem;

	if (bindings == NULL || !JB_ROOT_IS_ARRAY(bindings) || JB_ROOT_IS_SCALAR(bindings) ||
		JB_ROOT_COUNT(bindings) == 0)
		return NULL;
	set = palloc(sizeof(BindingSet));
	set->n = 0;
	set->items = palloc0(sizeof(Binding) * JB_ROOT_COUNT(bindings));
	it = JsonbIteratorInit(&bindings->root);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvBinary || !JsonContainerIsObject(elem.val.binary.data))
			elog(ERROR, "attribute binding is not an object");
		CompileBinding(elem.val.binary.data, &set->items[set->n++]);
	}
	return set;
}

/* How many bindings the set holds. */
int
BindingCount(const BindingSet *set)
{
	return set ? set->n : 0;
}

/* The aggregation window of binding i in ms; 0 when it has none (or is no aggregate). */
int32
BindingWindowMs(const BindingSet *set, int i)
{
	Assert(set != NULL && i >= 0 && i < set->n);
	return set->items[i].window_ms;
}

/*
 * The aggregate a sum/average/count binding writes: this frame's alone, or,
 * with a window, the window after adding this frame (reported in *added).
 */
static bool
Aggregate(const Binding *b, const JsonbValue *v, WindowAggregate *window,
		  WindowAggregate *added, JsonbValue *result, List **violations)
{
	WindowAggregate frame;

	if (!AggregateFrame(&b->transform, v, b->source.rendered, &frame, violations))
		return false;
	if (window == NULL)
	{
		AggregateResult(&b->transform, &frame, result);
		return true;
	}
	if (!AggregateMerge(&b->transform, window, &frame, b->source.rendered, violations))
		return false;
	if (added)
		*added = frame;
	AggregateResult(&b->transform, window, result);
	return true;
}

/* Reports a path that did not parse; true when there was one. */
static bool
PathProblems(const Binding *b, List **violations)
{
	if (b->source.problem)
		AddViolation(violations, "$", "source_attribute", "%s", b->source.problem);
	if (b->destination.problem)
		AddViolation(violations, "$", "destination_attribute", "%s", b->destination.problem);
	return b->source.problem || b->destination.problem;
}

/* Runs one binding: reads its source, transforms it, writes its destination. */
static void
ApplyBinding(const Binding *b, Jsonb *data, WindowAggregate *window, WindowAggregate *added,
			 OutputNode *out, List **violations)
{
	JsonbValue	v;
	JsonbValue	result;

	if (added)
	{
		added->sum = NULL;
		added->count = 0;
	}
	if (PathProblems(b, violations))
		return;
	if (!ReadPath(data, &b->source, &v))
	{
		if (b->required)
			AddViolation(violations, b->source.rendered, "required",
						 "required attribute \"%s\" is missing", b->source_text);
		return;
	}
	if (TransformIsAggregate(&b->transform))
	{
		if (!Aggregate(b, &v, window, added, &result, violations))
			return;
	}
	else if (!ApplyTransform(&b->transform, &v, b->source.rendered, &result, violations))
		return;
	WritePath(out, &b->destination, &result);
}

/* Maps data through the bindings; see bindings.h. */
Jsonb *
ApplyBindings(const BindingSet *set, Jsonb *data, WindowAggregate *windows,
			  WindowAggregate *added, List **violations)
{
	OutputNode *out;
	int			before = list_length(*violations);
	int			i;

	if (set == NULL)
		return data;
	out = NewOutput();
	for (i = 0; i < set->n; i++)
	{
		bool		windowed = windows != NULL && set->items[i].window_ms > 0;

		ApplyBinding(&set->items[i], data, windowed ? &windows[i] : NULL,
					 windowed && added ? &added[i] : NULL, out, violations);
	}
	if (list_length(*violations) > before)
		return NULL;
	return OutputToJsonb(out);
}

/* The compiled set for apply_bindings' argument, reused while the argument repeats. */
static BindingSet *
CachedBindings(FmgrInfo *flinfo, Jsonb *bindings)
{
	ApplyCache *cache = flinfo->fn_extra;
	Jsonb	   *normalized;
	MemoryContext old;

	if (cache && cache->key && VARSIZE(cache->key) == VARSIZE(bindings) &&
		memcmp(cache->key, bindings, VARSIZE(bindings)) == 0)
		return cache->set;
	normalized = NormalizeBindings(bindings);
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(ApplyCache));
		cache->cxt = AllocSetContextCreate(flinfo->fn_mcxt, "streamflow apply_bindings",
										   ALLOCSET_SMALL_SIZES);
		flinfo->fn_extra = cache;
	}
	MemoryContextReset(cache->cxt);
	cache->key = NULL;
	old = MemoryContextSwitchTo(cache->cxt);
	cache->set = CompileBindings(normalized);
	cache->key = palloc(VARSIZE(bindings));
	memcpy(cache->key, bindings, VARSIZE(bindings));
	MemoryContextSwitchTo(old);
	return cache->set;
}

/* SQL: apply_bindings(bindings jsonb, data jsonb) returns jsonb */
Datum
streamflow_apply_bindings(PG_FUNCTION_ARGS)
{
	Jsonb	   *bindings = PG_GETARG_JSONB_P(0);
	Jsonb	   *data = PG_GETARG_JSONB_P(1);
	BindingSet *set = CachedBindings(fcinfo->flinfo, bindings);
	List	   *violations = NIL;
	Jsonb	   *result = ApplyBindings(set, data, NULL, NULL, &violations);

	if (violations != NIL)
		RaiseViolations(violations, "attribute bindings rejected the data");
	PG_RETURN_JSONB_P(result);
}
