/*
 * window_close.c: closing a window's windows and publishing their results.
 *
 * Windows close on the wall clock: [s, e) closes once now >= e + grace.
 * WindowClose runs, in a subtransaction of the engine's transaction (so one
 * failing window does not hold the others back): the size / slide panes of
 * each group are combined, the results inserted into
 * streamflow.window_results (ON CONFLICT DO NOTHING RETURNING), the inserted
 * ones ingested into the window's derived stream, and windows.closed_through
 * and the counters advanced.  Memory follows (WindowApplyClose) only once the
 * transaction committed.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "frame_store.h"
#include "ingest.h"
#include "spi_util.h"
#include "stream_head.h"
#include "window_state.h"
#include "worker_xact.h"

/* Longest closed_through may lag in the table when nothing else is written. */
#define WINDOWS_PERSIST_MS 60000

/* The result rows of one close, as arrays for one INSERT. */
typedef struct ResultRows
{
	int			n;
	Datum	   *keys;
	Datum	   *starts;
	Datum	   *ends;
	Datum	   *values;
	Datum	   *counts;
} ResultRows;

static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr update_plan = NULL;
static SPIPlanPtr error_plan = NULL;

static void CloseWindowRows(Window *w, TimestampTz through, CloseBatch *batch);
static void CloseWindowWork(void *arg);
static void BuildResults(Window *w, TimestampTz through, ResultRows *rows);
static void CountClosedPanes(Window *w, TimestampTz through, CloseBatch *batch);
static void InsertResults(Window *w, ResultRows *rows);
static void PublishResults(Window *w, Datum *payloads, int n);
static void RecordOverCap(Window *w);
static void AdvanceWindowRow(Window *w, CloseBatch *batch);

/*
 * Whether w has windows to close (or counters to write) now; *through is
 * the end of the last window due.  A window with nothing to write moves on
 * in memory only.
 */
bool
WindowCloseDue(Window *w, TimestampTz now, TimestampTz *through)
{
	TimestampTz last = WindowPaneStart(&w->config,
									   TimestampTzPlusMilliseconds(now, -w->config.grace_ms));

	*through = w->closed_through;
	if (now < w->retry_at || w->resync)
		return false;
	if (last > w->closed_through)
	{
		*through = last;
		if (w->ngroups > 0 || w->late_delta > 0 || w->over_cap_delta > 0 ||
			w->future_delta > 0 || w->over_cap_payload != NULL ||
			last - w->stored_through >= (int64) WINDOWS_PERSIST_MS * 1000)
			return true;
		/* nothing to write: no transaction */
		w->closed_through = last;
		return false;
	}
	return w->late_delta > 0 || w->over_cap_delta > 0 || w->future_delta > 0 ||
		w->over_cap_payload != NULL;
}

/*
 * Closes w's windows ending up to through in a subtransaction; batch says
 * what to apply once the transaction commits (done false when it failed).
 */
void
WindowClose(Window *w, TimestampTz through, CloseBatch *batch)
{
	ErrorData  *edata;

	batch->window = w;
	batch->through = through;
	batch->done = false;
	edata = WorkerSubTransaction(CloseWindowWork, batch);
	if (edata == NULL)
	{
		batch->done = true;
		return;
	}
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("streamflow worker could not close window \"%s\": %s", w->name, edata->message),
			 errdetail("It tries again in %d ms.", WINDOWS_ERROR_PAUSE_MS)));
	FreeErrorData(edata);
	w->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WINDOWS_ERROR_PAUSE_MS);
}

/* WorkerSubTransaction's work: the batch's window closed up to its through. */
static void
CloseWindowWork(void *arg)
{
	CloseBatch *batch = arg;

	CloseWindowRows(batch->window, batch->through, batch);
}

/*
 * The rows of w's windows ending in (closed_through, through]: inserted into
 * window_results, the new ones published, then the window's row advanced.
 */
static void
CloseWindowRows(Window *w, TimestampTz through, CloseBatch *batch)
{
	ResultRows	rows;

	BuildResults(w, through, &rows);
	CountClosedPanes(w, through, batch);
	if (rows.n > 0)
		InsertResults(w, &rows);
	if (w->over_cap_payload != NULL)
		RecordOverCap(w);
	AdvanceWindowRow(w, batch);
}

/* One row per window ending in (closed_through, through] and group with frames. */
static void
BuildResults(Window *w, TimestampTz through, ResultRows *rows)
{
	TimestampTz *ends;
	int			nends = WindowCollectEnds(w, w->closed_through, through, &ends);
	int			cap = Max(nends * Max(w->ngroups, 1), 1);
	WindowAcc  *accs = palloc(sizeof(WindowAcc) * Max(w->config.naggs, 1));

	rows->n = 0;
	rows->keys = palloc(sizeof(Datum) * cap);
	rows->starts = palloc(sizeof(Datum) * cap);
	rows->ends = palloc(sizeof(Datum) * cap);
	rows->values = palloc(sizeof(Datum) * cap);
	rows->counts = palloc(sizeof(Datum) * cap);
	for (int e = 0; e < nends; e++)
	{
		HASH_SEQ_STATUS seq;
		WindowGroup *g;

		hash_seq_init(&seq, w->groups);
		while ((g = hash_seq_search(&seq)) != NULL)
		{
			int64		frames = WindowCombine(w, g, ends[e], accs);
			int			n = rows->n;

			if (frames == 0)
				continue;
			rows->keys[n] = JsonbPGetDatum(g->key);
			rows->starts[n] = TimestampTzGetDatum(ends[e] - w->config.size_ms * 1000);
			rows->ends[n] = TimestampTzGetDatum(ends[e]);
			rows->values[n] = JsonbPGetDatum(WindowAccValues(&w->config, accs));
			rows->counts[n] = Int64GetDatum(frames);
			rows->n++;
		}
	}
}

/* Frames and skipped values count once, when their pane's first window closes. */
static void
CountClosedPanes(Window *w, TimestampTz through, CloseBatch *batch)
{
	int64		slide_us = w->config.slide_ms * 1000;
	HASH_SEQ_STATUS seq;
	WindowGroup *g;

	hash_seq_init(&seq, w->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
		for (int i = 0; i < g->npanes; i++)
			if (g->panes[i]->start + slide_us > w->closed_through &&
				g->panes[i]->start + slide_us <= through)
			{
				batch->frames += g->panes[i]->frames;
				batch->skipped += g->panes[i]->skipped;
			}
	batch->late = w->late_delta;
	batch->over_cap = w->over_cap_delta;
	batch->future = w->future_delta;
}

/* Inserts rows into window_results and publishes the ones that were new. */
static void
InsertResults(Window *w, ResultRows *rows)
{
	Oid			types[6] = {TEXTOID, JSONBARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID,
	JSONBARRAYOID, INT8ARRAYOID};
	Datum		args[6];
	int			inserted;
	Datum	   *payloads;
	bool		isnull;

	args[0] = CStringGetTextDatum(w->name);
	args[1] = SPIArray(rows->keys, NULL, rows->n, JSONBOID);
	args[2] = SPIArray(rows->starts, NULL, rows->n, TIMESTAMPTZOID);
	args[3] = SPIArray(rows->ends, NULL, rows->n, TIMESTAMPTZOID);
	args[4] = SPIArray(rows->values, NULL, rows->n, JSONBOID);
	args[5] = SPIArray(rows->counts, NULL, rows->n, INT8OID);
	if (SPI_execute_plan(KeptPlan(&insert_plan,
								  "INSERT INTO streamflow.window_results"
								  " (window_name, group_key, window_start, window_end, aggregates, frame_count)"
								  " SELECT $1, r.k, r.s, r.e, r.a, r.c"
								  " FROM unnest($2::jsonb[], $3::timestamptz[], $4::timestamptz[], $5::jsonb[], $6::bigint[])"
								  " AS r(k, s, e, a, c)"
								  " ON CONFLICT DO NOTHING"
								  " RETURNING jsonb_build_object('window', window_name, 'group', group_key,"
								  " 'window_start', window_start, 'window_end', window_end,"
								  " 'frame_count', frame_count, 'aggregates', aggregates)",
								  6, types), args, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not insert the results of window \"%s\"", w->name);
	inserted = SPI_processed;
	if (inserted == 0)
		return;
	payloads = palloc(sizeof(Datum) * inserted);
	for (int i = 0; i < inserted; i++)
		payloads[i] = PointerGetDatum(DatumGetJsonbPCopy(SPIValue(i, 1, &isnull)));
	PublishResults(w, payloads, inserted);
}

/* Ingests the inserted results into w's derived stream (rejections recorded). */
static void
PublishResults(Window *w, Datum *payloads, int n)
{
	Frame	  **frames = palloc(sizeof(Frame *) * n);
	StreamHead	head;
	IngestResult result;

	for (int i = 0; i < n; i++)
	{
		frames[i] = palloc0(sizeof(Frame));
		frames[i]->payload = DatumGetJsonbP(payloads[i]);
		frames[i]->index = i;
	}
	LockStreamHead(w->derived_id, &head);
	IngestFrames(&head, frames, n, ON_ERROR_RECORD, "window", &result);
}

/* A stream_errors row (source 'window') for a frame of a group past max_groups. */
static void
RecordOverCap(Window *w)
{
	Oid			types[3] = {TEXTOID, JSONBOID, TEXTOID};
	Datum		args[3];

	args[0] = CStringGetTextDatum(w->stream_id);
	args[1] = JsonbPGetDatum(w->over_cap_payload);
	args[2] = CStringGetTextDatum(psprintf("window \"%s\" has max_groups (%d) open groups; this frame's group was not counted",
										   w->name, w->config.max_groups));
	if (SPI_execute_plan(KeptPlan(&error_plan,
								  "INSERT INTO streamflow.stream_errors (stream_id, source, raw_payload, violations)"
								  " VALUES ($1, 'window', $2, jsonb_build_array(jsonb_build_object("
								  "'path', '$.data', 'keyword', 'max_groups', 'message', $3)))",
								  3, types), args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record window \"%s\"'s groups over max_groups", w->name);
}

/*
 * Moves the window's row to closed_through = batch->through, adding the
 * counters, and its replay bound past the frames of the windows now closed.
 */
static void
AdvanceWindowRow(Window *w, CloseBatch *batch)
{
	Oid			types[9] = {TEXTOID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, INT8OID,
	TIMESTAMPTZOID, INT8OID, INT8OID};
	Datum		args[9];

	args[0] = CStringGetTextDatum(w->name);
	args[1] = TimestampTzGetDatum(batch->through);
	args[2] = Int64GetDatum(batch->frames);
	args[3] = Int64GetDatum(batch->late);
	args[4] = Int64GetDatum(batch->skipped);
	args[5] = Int64GetDatum(batch->over_cap);
	args[6] = TimestampTzGetDatum(w->created_at);
	args[7] = Int64GetDatum(batch->future);
	args[8] = Int64GetDatum(WindowReplayAfter(w, batch->through));
	if (SPI_execute_plan(KeptPlan(&update_plan,
								  "UPDATE streamflow.windows SET closed_through = greatest(closed_through, $2),"
								  " frames = frames + $3, late_frames = late_frames + $4,"
								  " skipped_values = skipped_values + $5, groups_over_cap = groups_over_cap + $6,"
								  " future_frames = future_frames + $8,"
								  " replay_after_sequence = greatest(replay_after_sequence, $9)"
								  " WHERE name = $1 AND created_at = $7",
								  9, types), args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update window \"%s\"", w->name);
}

/* A committed close: memory follows the table (panes of closed windows freed). */
void
WindowApplyClose(CloseBatch *batch)
{
	Window	   *w = batch->window;

	w->closed_through = Max(w->closed_through, batch->through);
	w->stored_through = w->closed_through;
	w->late_delta -= batch->late;
	w->over_cap_delta -= batch->over_cap;
	w->future_delta -= batch->future;
	if (w->over_cap_payload != NULL)
	{
		pfree(w->over_cap_payload);
		w->over_cap_payload = NULL;
	}
	WindowFreeClosedPanes(w);
}
