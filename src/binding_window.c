/*
 * binding_window.c: trailing windows for bindings with aggregation_window_ms.
 *
 * A binding such as {"transform": "sum", "aggregation_window_ms": 60000}
 * stores, in every frame, the sum over the stream's frames of the last
 * minute.  Rather than scanning frames, each transaction's contribution is one
 * row of binding_window_entries (at = the transaction's now(), like the
 * frames' created_at) and binding_window_totals keeps the running total.  An
 * ingest first expires the entries that fell out of each window, subtracting
 * them from the totals, then adds its own.  The caller holds the stream's
 * head lock, so ingests of one stream take turns here.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "binding_window.h"
#include "spi_util.h"

static SPIPlanPtr load_plan;
static SPIPlanPtr save_entries_plan;
static SPIPlanPtr save_totals_plan;

/* into += add (or -= with subtract); a NULL sum counts as 0. */
void
AddToWindow(WindowAggregate *into, const WindowAggregate *add, bool subtract)
{
	if (add->sum != NULL)
	{
		Numeric		base = into->sum ? into->sum : int64_to_numeric(0);

		into->sum = DatumGetNumeric(DirectFunctionCall2(subtract ? numeric_sub : numeric_add,
														NumericGetDatum(base),
														NumericGetDatum(add->sum)));
	}
	into->count += subtract ? -add->count : add->count;
}

/*
 * The aggregate of each windowed binding over its trailing window, after
 * expiring what fell out of it.  Indexed like the bindings; zero for the
 * others.
 */
WindowAggregate *
LoadWindows(const char *stream_id, const BindingSet *set)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(stream_id)};
	SPIPlanPtr	plan = KeptPlan(&load_plan,
								  "WITH gone AS ("
								  "  DELETE FROM streamflow.binding_window_entries e"
								  "  USING streamflow.binding_window_totals t"
								  "  WHERE e.stream_id = $1 AND t.stream_id = $1 AND t.binding = e.binding"
								  "  AND e.at <= now() - t.window_ms * interval '1 millisecond'"
								  "  RETURNING e.binding, e.sum, e.count),"
								  " expired AS (SELECT binding, sum(sum) AS sum, sum(count) AS count"
								  "  FROM gone GROUP BY binding),"
								  " updated AS (UPDATE streamflow.binding_window_totals t"
								  "  SET sum = t.sum - x.sum, count = t.count - x.count"
								  "  FROM expired x WHERE t.stream_id = $1 AND t.binding = x.binding"
								  "  RETURNING t.binding, t.sum, t.count)"
								  " SELECT t.binding, coalesce(u.sum, t.sum), coalesce(u.count, t.count)"
								  " FROM streamflow.binding_window_totals t"
								  " LEFT JOIN updated u ON u.binding = t.binding"
								  " WHERE t.stream_id = $1",
								  1, argtypes);
	int			n = BindingCount(set);
	WindowAggregate *windows = palloc0(sizeof(WindowAggregate) * n);
	uint64		row;

	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the binding windows of stream \"%s\"", stream_id);
	for (row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		int			binding = DatumGetInt32(SPIValue(row, 1, &isnull));

		if (binding < 0 || binding >= n || BindingWindowMs(set, binding) == 0)
			continue;
		windows[binding].sum = DatumGetNumericCopy(SPIValue(row, 2, &isnull));
		windows[binding].count = DatumGetInt64(SPIValue(row, 3, &isnull));
	}
	return windows;
}

/* Adds this transaction's contributions to the entries and the totals. */
void
SaveWindows(const char *stream_id, const BindingSet *set, WindowAggregate *added)
{
	int			n = BindingCount(set);
	Datum	   *bindings = palloc(sizeof(Datum) * n);
	Datum	   *windows = palloc(sizeof(Datum) * n);
	Datum	   *sums = palloc(sizeof(Datum) * n);
	Datum	   *counts = palloc(sizeof(Datum) * n);
	int			k = 0;
	int			i;
	Oid			argtypes[5] = {TEXTOID, INT4ARRAYOID, INT4ARRAYOID, NUMERICARRAYOID, INT8ARRAYOID};
	Datum		args[5];

	for (i = 0; i < n; i++)
	{
		if (BindingWindowMs(set, i) == 0 || (added[i].count == 0 && added[i].sum == NULL))
			continue;
		bindings[k] = Int32GetDatum(i);
		windows[k] = Int32GetDatum(BindingWindowMs(set, i));
		sums[k] = NumericGetDatum(added[i].sum ? added[i].sum : int64_to_numeric(0));
		counts[k] = Int64GetDatum(added[i].count);
		k++;
	}
	if (k == 0)
		return;
	args[0] = CStringGetTextDatum(stream_id);
	args[1] = SPIArray(bindings, NULL, k, INT4OID);
	args[2] = SPIArray(windows, NULL, k, INT4OID);
	args[3] = SPIArray(sums, NULL, k, NUMERICOID);
	args[4] = SPIArray(counts, NULL, k, INT8OID);
	if (SPI_execute_plan(KeptPlan(&save_entries_plan,
								  "INSERT INTO streamflow.binding_window_entries AS e"
								  " (stream_id, binding, at, sum, count)"
								  " SELECT $1, b, now(), s, c FROM unnest($2::int[], $4::numeric[], $5::bigint[]) AS x(b, s, c)"
								  " ON CONFLICT (stream_id, binding, at) DO UPDATE"
								  " SET sum = e.sum + excluded.sum, count = e.count + excluded.count",
								  5, argtypes),
						 args, NULL, false, 0) != SPI_OK_INSERT ||
		SPI_execute_plan(KeptPlan(&save_totals_plan,
								  "INSERT INTO streamflow.binding_window_totals AS t"
								  " (stream_id, binding, window_ms, sum, count)"
								  " SELECT $1, b, w, s, c FROM unnest($2::int[], $3::int[], $4::numeric[], $5::bigint[]) AS x(b, w, s, c)"
								  " ON CONFLICT (stream_id, binding) DO UPDATE"
								  " SET window_ms = excluded.window_ms, sum = t.sum + excluded.sum,"
								  " count = t.count + excluded.count",
								  5, argtypes),
						 args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not save the binding windows of stream \"%s\"", stream_id);
}
