/*
 * window_agg.c: accumulating a window's aggregates frame by frame, merging
 * panes into windows, and the aggregates' values.
 *
 * Every aggregate keeps n, sum, min and max: adding a frame costs O(number of
 * aggregates), whatever the window's size, and combining two accumulators is
 * exact, so a sliding window merged from its panes equals one accumulated
 * frame by frame.  count without path counts frames; count with path counts
 * frames whose value is present and not null; the others take numbers only.
 * A frame an aggregate does not take is "skipped" (README "Windows").
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "jsonb_util.h"
#include "window_agg.h"

/* Empties the accumulators; see window_agg.h. */
void
WindowAccInit(const WindowConfig *config, WindowAcc *accs)
{
	memset(accs, 0, sizeof(WindowAcc) * config->naggs);
}

/* Takes one number into an accumulator. */
static void
TakeNumber(WindowAcc *acc, double x)
{
	if (acc->n == 0 || x < acc->min)
		acc->min = x;
	if (acc->n == 0 || x > acc->max)
		acc->max = x;
	acc->n++;
	acc->sum += x;
}

/* Adds one frame's payload; see window_agg.h. */
int
WindowAccAdd(const WindowConfig *config, WindowAcc *accs, Jsonb *payload)
{
	int			skipped = 0;
	int			i;

	for (i = 0; i < config->naggs; i++)
	{
		const WindowAggregate *agg = &config->aggs[i];
		JsonbValue	v;
		double		x;

		if (!agg->has_path)
			accs[i].n++;
		else if (!ReadPath(payload, &agg->path, &v))
			skipped++;
		else if (agg->fn == WINDOW_FN_COUNT)
		{
			if (v.type == jbvNull)
				skipped++;
			else
				accs[i].n++;
		}
		else if (WindowJsonNumber(&v, &x))
			TakeNumber(&accs[i], x);
		else
			skipped++;
	}
	return skipped;
}

/* into += from; see window_agg.h. */
void
WindowAccCombine(const WindowConfig *config, WindowAcc *into, const WindowAcc *from)
{
	int			i;

	for (i = 0; i < config->naggs; i++)
	{
		if (from[i].n == 0)
			continue;
		if (into[i].n == 0 || from[i].min < into[i].min)
			into[i].min = from[i].min;
		if (into[i].n == 0 || from[i].max > into[i].max)
			into[i].max = from[i].max;
		into[i].n += from[i].n;
		into[i].sum += from[i].sum;
	}
}

/* The value of one aggregate; see window_agg.h. */
bool
WindowAccValue(const WindowConfig *config, const WindowAggregate *agg, const WindowAcc *acc,
			   double *out)
{
	double		seconds = config->size_ms / 1000.0;

	switch (agg->fn)
	{
		case WINDOW_FN_COUNT:
			*out = (double) acc->n;
			return true;
		case WINDOW_FN_SUM:
			*out = acc->sum;
			return true;
		case WINDOW_FN_AVG:
			*out = acc->n > 0 ? acc->sum / acc->n : 0;
			return acc->n > 0;
		case WINDOW_FN_MIN:
			*out = acc->min;
			return acc->n > 0;
		case WINDOW_FN_MAX:
			*out = acc->max;
			return acc->n > 0;
		case WINDOW_FN_RATE:
			*out = (agg->has_path ? acc->sum : (double) acc->n) / seconds;
			return true;
	}
	return false;
}

/* The aggregates object; see window_agg.h. */
Jsonb *
WindowAccValues(const WindowConfig *config, const WindowAcc *accs)
{
	JsonbParseState *state = NULL;
	int			i;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < config->naggs; i++)
	{
		const WindowAggregate *agg = &config->aggs[i];
		JsonbValue	v;
		double		x;

		v.type = jbvNull;
		if (agg->fn == WINDOW_FN_COUNT)
		{
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(accs[i].n);
		}
		else if (WindowAccValue(config, agg, &accs[i], &x) && isfinite(x))
		{
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(x)));
		}
		JsonbPushValuePair(&state, agg->output, &v);
	}
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}
