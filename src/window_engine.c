/*
 * window_engine.c: the worker's incremental windowed aggregation.
 *
 * The worker holds every window of streamflow.windows (reread once a second)
 * as panes: slide-sized, epoch-aligned slices of time, one accumulator set
 * (window_agg.h) per pane and group.  Each committed frame of a stream with
 * windows reaches WindowsRingFrame from the commit ring; its data is parsed
 * once for all the stream's windows and added to one pane per window, so a
 * frame costs O(aggregates) whatever the window's size.  A frame whose
 * earliest window ([P, P + slide) for pane P) has closed is dropped late.
 *
 * Windows close on the wall clock: [s, e) closes once now >= e + grace.
 * WindowsProcess then combines the size / slide panes of each group and, in
 * one transaction for every window due (a subtransaction each, so one
 * failing window does not hold the others back), inserts the results into
 * streamflow.window_results (ON CONFLICT DO NOTHING RETURNING), ingests the
 * inserted ones into the window's derived stream and advances
 * windows.closed_through and the counters.  Memory changes only once the
 * transaction committed.
 *
 * Frames the ring cannot give (a reference entry, a lapped ring, a window
 * the worker has just loaded) are read from streamflow.frames: the window
 * is "resynced" from the highest sequence it applied (ring entries up to
 * what the table gave are then skipped).  A window created while the
 * worker runs reads the frames created since the window was.  When the
 * worker starts, each window replays the stored frames with created_at >=
 * closed_through - size - grace (frames then late are not counted again): so a crash loses no frame of an open window, except frames
 * whose transaction began more than size + grace before the last closed
 * window's end (event times far ahead of ingest, or very long
 * transactions).  Results written before the crash are never written again
 * (closed_through, and the results' primary key).
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "frame_store.h"
#include "ingest.h"
#include "jsonb_util.h"
#include "spi_util.h"
#include "stream_head.h"
#include "stream_stats.h"
#include "window_agg.h"
#include "window_config.h"
#include "window_current.h"
#include "window_engine.h"
#include "worker.h"

/* How often streamflow.windows is reread. */
#define WINDOWS_RELOAD_MS 1000
/* Pause after a failed transaction (or a window's failed close). */
#define WINDOWS_ERROR_PAUSE_MS 1000
/* Longest closed_through may lag in the table when nothing else is written. */
#define WINDOWS_PERSIST_MS 60000
/* At most one stream_errors row and WARNING per window per this time. */
#define WINDOWS_OVER_CAP_REPORT_MS 60000
/* Frames read from streamflow.frames per fetch. */
#define WINDOWS_REPLAY_BATCH 1000

/* One pane of one group: the frames of [start, start + slide). */
typedef struct Pane
{
	TimestampTz start;
	int64		frames;
	int64		skipped;		/* aggregate values skipped */
	WindowAcc	accs[FLEXIBLE_ARRAY_MEMBER];
} Pane;

/* A group's panes, sorted by start. */
typedef struct WindowGroup
{
	char	   *key_text;		/* the hash key: the group key's JSON text */
	Jsonb	   *key;
	int			npanes;
	int			maxpanes;
	Pane	  **panes;
} WindowGroup;

/* One window of streamflow.windows, as the worker holds it. */
typedef struct Window
{
	struct Window *next;
	char	   *name;
	char	   *stream_id;
	char	   *derived_id;
	TimestampTz created_at;		/* with name, tells a re-created window apart */
	WindowConfig config;
	MemoryContext cxt;			/* everything of this window */
	HTAB	   *groups;			/* key_text -> WindowGroup */
	int			ngroups;
	TimestampTz closed_through; /* end of the last closed window */
	TimestampTz stored_through; /* closed_through as the table has it */
	int64		last_seq;		/* highest sequence of the stream applied */
	bool		resync;			/* read frames > last_seq from the table first */
	bool		replaying;		/* the first resync: late frames are not counted */
	bool		seen;			/* found by the latest reload */
	TimestampTz retry_at;		/* after a failed close, not before */
	int64		late_delta;		/* counters not yet in the table */
	int64		over_cap_delta;
	TimestampTz over_cap_reported_at;
	Jsonb	   *over_cap_payload;	/* for the next stream_errors row; NULL none */
} Window;

/* What one close computed, applied once its transaction commits. */
typedef struct CloseBatch
{
	Window	   *window;
	TimestampTz through;
	int64		frames;
	int64		skipped;
	int64		late;
	int64		over_cap;
	bool		done;
} CloseBatch;

static MemoryContext engine_cxt = NULL;
static MemoryContext frame_cxt = NULL;
static Window *windows = NULL;
static bool started = false;
static bool windows_loaded = false;	/* the first reload (worker start) is done */
static TimestampTz next_reload_at = 0;
static TimestampTz pause_until = 0;
/* window_current of an unknown window: 1 waits for a reload, 2 reloaded */
static int	current_reload = 0;

static SPIPlanPtr replay_plan = NULL;
static SPIPlanPtr max_seq_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr update_plan = NULL;
static SPIPlanPtr error_plan = NULL;

static bool ParseRingMessage(const RingEntry *entry, Jsonb **message, Jsonb **payload,
							 TimestampTz *created_at);
static void WindowsTransaction(bool reload);
static void ReloadWindows(void);
static Window *LoadWindow(HeapTuple tuple, TupleDesc desc);
static void FreeWindow(Window *w);
static void Resync(Window *w);
static void ApplyFrame(Window *w, Jsonb *payload, TimestampTz created_at, bool count_late);
static Pane *FindPane(Window *w, WindowGroup *g, TimestampTz start);
static WindowGroup *FindGroup(Window *w, Jsonb *payload, bool *over_cap);
static void OverCap(Window *w, Jsonb *payload);
static bool CloseDue(Window *w, TimestampTz now, TimestampTz *through);
static void CloseWindow(Window *w, TimestampTz through, CloseBatch *batch);
static void CloseWindowRows(Window *w, TimestampTz through, CloseBatch *batch);
static void PublishResults(Window *w, Datum *payloads, int n);
static void ApplyClose(CloseBatch *batch);
static int	CollectEnds(Window *w, TimestampTz after, TimestampTz upto, TimestampTz **ends);
static int64 Combine(Window *w, WindowGroup *g, TimestampTz end, WindowAcc *accs);
static WindowCurrentOutcome RenderCurrent(const char *name, StringInfo out);
static uint32 GroupHash(const void *key, Size keysize);
static int	GroupMatch(const void *a, const void *b, Size keysize);

/* Starts the engine: the windows are loaded (and replayed) on the first turn. */
void
WindowsStart(void)
{
	engine_cxt = AllocSetContextCreate(TopMemoryContext, "streamflow windows",
									   ALLOCSET_DEFAULT_SIZES);
	frame_cxt = AllocSetContextCreate(engine_cxt, "streamflow window frame",
									  ALLOCSET_DEFAULT_SIZES);
	WindowCurrentAttachWorker();
	started = true;
	next_reload_at = 0;
}

/* The windows of stream_id need this committed frame (worker, main loop). */
void
WindowsRingFrame(const RingEntry *entry)
{
	Jsonb	   *message = NULL;
	Jsonb	   *payload = NULL;
	TimestampTz created_at = 0;
	Window	   *w;

	for (w = windows; w; w = w->next)
	{
		if (w->resync || entry->sequence <= w->last_seq ||
			strcmp(w->stream_id, entry->stream_id) != 0)
			continue;
		if (entry->message == NULL)
		{
			/* a reference: the frame is read from the table */
			w->resync = true;
			continue;
		}
		if (message == NULL && !ParseRingMessage(entry, &message, &payload, &created_at))
		{
			/* whatever was wrong, the stored frame is read instead */
			w->resync = true;
			continue;
		}
		ApplyFrame(w, payload, created_at, true);
		w->last_seq = entry->sequence;
	}
	if (message != NULL)
		MemoryContextReset(frame_cxt);
}

/*
 * Parses a ring entry's message (in frame_cxt): its data and timestamp
 * (the frame's created_at).  False, with the error logged, when it cannot.
 */
static bool
ParseRingMessage(const RingEntry *entry, Jsonb **message, Jsonb **payload,
				 TimestampTz *created_at)
{
	MemoryContext old = MemoryContextSwitchTo(frame_cxt);
	volatile bool ok = true;

	PG_TRY();
	{
		JsonbValue *data;
		JsonbValue *ts;

		*message = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													  CStringGetDatum(pnstrdup(entry->message, entry->message_len))));
		data = JsonbObjectGet(&(*message)->root, "data");
		ts = JsonbObjectGet(&(*message)->root, "timestamp");
		if (data == NULL || ts == NULL || ts->type != jbvString)
			elog(ERROR, "a commit ring message has no data or timestamp");
		*payload = JsonbValueToJsonb(data);
		*created_at = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
															  CStringGetDatum(pnstrdup(ts->val.string.val, ts->val.string.len)),
															  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(frame_cxt);
		EmitErrorReport();
		FlushErrorState();
		*message = NULL;
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	if (!ok)
		MemoryContextReset(frame_cxt);
	return ok;
}

/* Writers lapped the worker: every window reads what it missed from the table. */
void
WindowsRingLapped(void)
{
	for (Window *w = windows; w; w = w->next)
		w->resync = true;
}

/*
 * The loop's turn: answers window_current, rereads the windows when due,
 * resyncs, and closes the windows whose end + grace has passed.
 */
void
WindowsProcess(void)
{
	TimestampTz now;
	TimestampTz through;
	bool		reload;
	bool		work = false;

	if (!started)
		return;
	WindowCurrentServe(RenderCurrent);
	now = GetCurrentTimestamp();
	if (now < pause_until)
		return;
	reload = now >= next_reload_at;
	for (Window *w = windows; w && !work; w = w->next)
		work = w->resync || CloseDue(w, now, &through);
	if (reload || work)
		WindowsTransaction(reload);
	if (reload && current_reload == 1)
		current_reload = 2;
	WindowCurrentServe(RenderCurrent);
}

/* The loop's wait, shortened to the next reload, resync or close. */
long
WindowsTimeout(long timeout)
{
	TimestampTz now;
	TimestampTz next;
	long		ms;

	if (!started)
		return timeout;
	now = GetCurrentTimestamp();
	next = next_reload_at;
	for (Window *w = windows; w; w = w->next)
	{
		TimestampTz due = TimestampTzPlusMilliseconds(w->closed_through,
													  w->config.slide_ms + w->config.grace_ms);

		if (w->resync)
			due = now;
		if (due < w->retry_at)
			due = w->retry_at;
		if (due < next)
			next = due;
	}
	if (next < pause_until)
		next = pause_until;
	ms = next <= now ? 0 : (long) ((next - now + 999) / 1000);
	return (timeout < 0 || ms < timeout) ? ms : timeout;
}

/*
 * Whether w has windows to close (or counters to write) now; *through is
 * the end of the last window due.  A window with nothing to write moves on
 * in memory only.
 */
static bool
CloseDue(Window *w, TimestampTz now, TimestampTz *through)
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
			w->over_cap_payload != NULL ||
			last - w->stored_through >= (int64) WINDOWS_PERSIST_MS * 1000)
			return true;
		/* nothing to write: no transaction */
		w->closed_through = last;
		return false;
	}
	return w->late_delta > 0 || w->over_cap_delta > 0 || w->over_cap_payload != NULL;
}

/*
 * One transaction: the windows reread (when due), resyncs, then every due
 * close in a subtransaction of its own.  A failure is logged and retried
 * after a pause; what the closes computed applies only after the commit.
 */
static void
WindowsTransaction(bool reload)
{
	MemoryContext cxt = CurrentMemoryContext;
	CloseBatch *volatile batches = NULL;
	volatile int nbatches = 0;
	int			i;

	if (reload)
		next_reload_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WINDOWS_RELOAD_MS);
	PG_TRY();
	{
		TimestampTz now;
		TimestampTz through;
		int			n = 0;

		SetCurrentStatementStartTimestamp();
		WorkerStatementTimeoutStart();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "streamflow windows");
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (reload)
			ReloadWindows();
		for (Window *w = windows; w; w = w->next)
		{
			if (w->resync)
				Resync(w);
			n++;
		}
		batches = MemoryContextAllocZero(cxt, sizeof(CloseBatch) * Max(n, 1));
		now = GetCurrentTimestamp();
		for (Window *w = windows; w; w = w->next)
			if (CloseDue(w, now, &through))
				CloseWindow(w, through, &batches[nbatches++]);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		WorkerStatementTimeoutStop();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		WorkerStatementTimeoutStop();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("streamflow worker could not update its windows: %s", edata->message),
				 errdetail("It tries again in %d ms.", WINDOWS_ERROR_PAUSE_MS)));
		FreeErrorData(edata);
		pause_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WINDOWS_ERROR_PAUSE_MS);
		MemoryContextSwitchTo(cxt);
		return;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	for (i = 0; i < nbatches; i++)
		if (batches[i].done)
			ApplyClose(&batches[i]);
}

/*
 * Rereads streamflow.windows: new windows are loaded (and replayed), dropped
 * ones forgotten.
 */
static void
ReloadWindows(void)
{
	Window	  **link;
	uint64		i;
	bool		isnull;

	if (SPI_execute("SELECT to_regclass('streamflow.windows') IS NOT NULL", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for streamflow.windows");
	if (!DatumGetBool(SPIValue(0, 1, &isnull)))
		return;
	if (SPI_execute("SELECT name, stream_id, derived_stream_id, config, closed_through, created_at"
					" FROM streamflow.windows", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read streamflow.windows");
	for (Window *w = windows; w; w = w->next)
		w->seen = false;
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *name = SPI_getvalue(tuple, desc, 1);
		bool		isnull;
		TimestampTz created_at = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 6, &isnull));
		Window	   *w;

		for (w = windows; w; w = w->next)
			if (strcmp(w->name, name) == 0 && w->created_at == created_at)
				break;
		if (w == NULL)
		{
			w = LoadWindow(tuple, desc);
			w->next = windows;
			windows = w;
		}
		w->seen = true;
	}
	windows_loaded = true;
	for (link = &windows; *link;)
	{
		Window	   *w = *link;

		if (w->seen)
		{
			link = &w->next;
			continue;
		}
		*link = w->next;
		FreeWindow(w);
	}
}

/* A window from its streamflow.windows row; replayed in this transaction. */
static Window *
LoadWindow(HeapTuple tuple, TupleDesc desc)
{
	MemoryContext cxt = AllocSetContextCreate(engine_cxt, "streamflow window",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Window	   *w = palloc0(sizeof(Window));
	HASHCTL		ctl;
	bool		isnull;
	Datum		closed;

	w->cxt = cxt;
	w->name = SPI_getvalue(tuple, desc, 1);
	w->stream_id = SPI_getvalue(tuple, desc, 2);
	w->derived_id = SPI_getvalue(tuple, desc, 3);
	ParseWindowConfig(DatumGetJsonbPCopy(SPI_getbinval(tuple, desc, 4, &isnull)), &w->config);
	closed = SPI_getbinval(tuple, desc, 5, &isnull);
	w->closed_through = isnull ? WindowPaneStart(&w->config, GetCurrentTimestamp())
		: DatumGetTimestampTz(closed);
	w->stored_through = w->closed_through;
	w->created_at = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 6, &isnull));
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(WindowGroup);
	ctl.hash = GroupHash;
	ctl.match = GroupMatch;
	ctl.hcxt = cxt;
	w->groups = hash_create("streamflow window groups", 64, &ctl,
							HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	w->resync = true;
	/* at worker start a crash rebuild: frames already judged are not counted again */
	w->replaying = !windows_loaded;
	MemoryContextSwitchTo(old);
	return w;
}

/* Forgets a dropped window. */
static void
FreeWindow(Window *w)
{
	MemoryContextDelete(w->cxt);
}

/*
 * Reads the frames of w's stream after w->last_seq from the table (on the
 * first load only those created since closed_through - size - grace) and
 * applies them; ring entries up to the highest sequence seen are skipped.
 */
static void
Resync(Window *w)
{
	Oid			max_types[1] = {TEXTOID};
	Oid			types[4] = {TEXTOID, INT8OID, INT8OID, TIMESTAMPTZOID};
	Datum		args[4];
	bool		isnull;
	int64		upto;
	Portal		portal;
	MemoryContext old;

	args[0] = CStringGetTextDatum(w->stream_id);
	/* first the head, then the frames up to it: later ones come by the ring */
	if (SPI_execute_plan(KeptPlan(&max_seq_plan,
								  "SELECT coalesce(max(sequence), 0) FROM streamflow.frames WHERE stream_id = $1",
								  1, max_types), args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the frames of stream \"%s\"", w->stream_id);
	upto = DatumGetInt64(SPIValue(0, 1, &isnull));
	args[1] = Int64GetDatum(w->last_seq);
	args[2] = Int64GetDatum(upto);
	args[3] = TimestampTzGetDatum(w->last_seq > 0 ? DT_NOBEGIN
								  : w->replaying
								  ? w->closed_through - (w->config.size_ms + w->config.grace_ms) * 1000
								  : w->created_at);
	portal = SPI_cursor_open(NULL,
							 KeptPlan(&replay_plan,
									  "SELECT sequence, payload, created_at FROM streamflow.frames"
									  " WHERE stream_id = $1 AND sequence > $2 AND sequence <= $3 AND created_at >= $4"
									  " ORDER BY sequence",
									  4, types),
							 args, NULL, true);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, WINDOWS_REPLAY_BATCH);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			int64		seq = DatumGetInt64(SPIValue(i, 1, &isnull));

			old = MemoryContextSwitchTo(frame_cxt);
			ApplyFrame(w, DatumGetJsonbP(SPIValue(i, 2, &isnull)),
					   DatumGetTimestampTz(SPIValue(i, 3, &isnull)), !w->replaying);
			MemoryContextSwitchTo(old);
			MemoryContextReset(frame_cxt);
			w->last_seq = Max(w->last_seq, seq);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	w->last_seq = Max(w->last_seq, upto);
	w->resync = false;
	w->replaying = false;
}

/*
 * Adds one frame to its pane of w, or counts it late (its earliest window
 * has closed), unreadable (no time: a skipped value) or over the group cap.
 */
static void
ApplyFrame(Window *w, Jsonb *payload, TimestampTz created_at, bool count_late)
{
	TimestampTz t;
	TimestampTz start;
	WindowGroup	   *g;
	Pane	   *p;
	bool		over_cap;

	if (!WindowFrameTime(&w->config, payload, created_at, &t))
	{
		/* counted with the pane of the frame's ingest time */
		t = created_at;
		start = WindowPaneStart(&w->config, t);
		if (start + w->config.slide_ms * 1000 <= w->closed_through)
			return;
		g = FindGroup(w, payload, &over_cap);
		if (g != NULL)
			FindPane(w, g, start)->skipped++;
		return;
	}
	start = WindowPaneStart(&w->config, t);
	if (start + w->config.slide_ms * 1000 <= w->closed_through)
	{
		if (count_late)
		{
			w->late_delta++;
			StatsCountDroppedLate(w->stream_id, 1);
		}
		return;
	}
	g = FindGroup(w, payload, &over_cap);
	if (g == NULL)
	{
		if (over_cap && count_late)
			OverCap(w, payload);
		return;
	}
	p = FindPane(w, g, start);
	p->skipped += WindowAccAdd(&w->config, p->accs, payload);
	p->frames++;
}

/* The group of payload in w, created when new; NULL (over_cap) past max_groups. */
static WindowGroup *
FindGroup(Window *w, Jsonb *payload, bool *over_cap)
{
	Jsonb	   *key = WindowGroupKey(&w->config, payload);
	char	   *text = JsonbToCString(NULL, &key->root, VARSIZE(key));
	WindowGroup	   *g;
	bool		found;

	*over_cap = false;
	g = hash_search(w->groups, &text, HASH_FIND, NULL);
	if (g != NULL)
		return g;
	if (w->ngroups >= w->config.max_groups)
	{
		*over_cap = true;
		return NULL;
	}
	text = MemoryContextStrdup(w->cxt, text);
	g = hash_search(w->groups, &text, HASH_ENTER, &found);
	g->key_text = text;
	g->key = MemoryContextAlloc(w->cxt, VARSIZE(key));
	memcpy(g->key, key, VARSIZE(key));
	g->npanes = 0;
	g->maxpanes = 4;
	g->panes = MemoryContextAlloc(w->cxt, sizeof(Pane *) * g->maxpanes);
	w->ngroups++;
	return g;
}

/* The pane of g starting at start, created (empty) when new. */
static Pane *
FindPane(Window *w, WindowGroup *g, TimestampTz start)
{
	int			i;
	Pane	   *p;

	for (i = g->npanes; i > 0 && g->panes[i - 1]->start >= start; i--)
		if (g->panes[i - 1]->start == start)
			return g->panes[i - 1];
	if (g->npanes == g->maxpanes)
	{
		g->maxpanes *= 2;
		g->panes = repalloc(g->panes, sizeof(Pane *) * g->maxpanes);
	}
	memmove(&g->panes[i + 1], &g->panes[i], sizeof(Pane *) * (g->npanes - i));
	p = MemoryContextAllocZero(w->cxt, offsetof(Pane, accs) + sizeof(WindowAcc) * w->config.naggs);
	p->start = start;
	WindowAccInit(&w->config, p->accs);
	g->panes[i] = p;
	g->npanes++;
	return p;
}

/*
 * A frame of a new group past max_groups: counted; at most once a minute per
 * window a WARNING and (with the next transaction) a stream_errors row.
 */
static void
OverCap(Window *w, Jsonb *payload)
{
	TimestampTz now = GetCurrentTimestamp();

	w->over_cap_delta++;
	if (w->over_cap_reported_at != 0 &&
		now < TimestampTzPlusMilliseconds(w->over_cap_reported_at, WINDOWS_OVER_CAP_REPORT_MS))
		return;
	w->over_cap_reported_at = now;
	ereport(WARNING,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("window \"%s\" has max_groups (%d) open groups; frames of new groups are not counted",
					w->name, w->config.max_groups),
			 errdetail("They are counted in streamflow.windows.groups_over_cap; this is reported once a minute at most."),
			 errhint("Create the window again with a larger max_groups, or group by a key with fewer values.")));
	if (w->over_cap_payload == NULL)
	{
		w->over_cap_payload = MemoryContextAlloc(w->cxt, VARSIZE(payload));
		memcpy(w->over_cap_payload, payload, VARSIZE(payload));
	}
}

/*
 * Closes w's windows ending up to through in a subtransaction; batch says
 * what to apply once the transaction commits (done false when it failed).
 */
static void
CloseWindow(Window *w, TimestampTz through, CloseBatch *batch)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	batch->window = w;
	batch->through = through;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		CloseWindowRows(w, through, batch);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		batch->done = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("streamflow worker could not close window \"%s\": %s", w->name, edata->message),
				 errdetail("It tries again in %d ms.", WINDOWS_ERROR_PAUSE_MS)));
		FreeErrorData(edata);
		w->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WINDOWS_ERROR_PAUSE_MS);
		batch->done = false;
	}
	PG_END_TRY();
}

/*
 * The rows of w's windows ending in (closed_through, through]: inserted into
 * window_results, the new ones published, then the window's row advanced.
 */
static void
CloseWindowRows(Window *w, TimestampTz through, CloseBatch *batch)
{
	TimestampTz *ends;
	int			nends = CollectEnds(w, w->closed_through, through, &ends);
	int			cap = Max(nends * Max(w->ngroups, 1), 1);
	Datum	   *keys = palloc(sizeof(Datum) * cap);
	Datum	   *starts = palloc(sizeof(Datum) * cap);
	Datum	   *stops = palloc(sizeof(Datum) * cap);
	Datum	   *values = palloc(sizeof(Datum) * cap);
	Datum	   *counts = palloc(sizeof(Datum) * cap);
	WindowAcc  *accs = palloc(sizeof(WindowAcc) * Max(w->config.naggs, 1));
	int			n = 0;
	int64		slide_us = w->config.slide_ms * 1000;
	HASH_SEQ_STATUS seq;
	WindowGroup	   *g;
	Datum		args[7];
	Oid			types[6] = {TEXTOID, JSONBARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID,
	JSONBARRAYOID, INT8ARRAYOID};
	Oid			update_types[7] = {TEXTOID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, INT8OID,
	TIMESTAMPTZOID};

	for (int e = 0; e < nends; e++)
	{
		hash_seq_init(&seq, w->groups);
		while ((g = hash_seq_search(&seq)) != NULL)
		{
			int64		frames = Combine(w, g, ends[e], accs);

			if (frames == 0)
				continue;
			keys[n] = JsonbPGetDatum(g->key);
			starts[n] = TimestampTzGetDatum(ends[e] - w->config.size_ms * 1000);
			stops[n] = TimestampTzGetDatum(ends[e]);
			values[n] = JsonbPGetDatum(WindowAccValues(&w->config, accs));
			counts[n] = Int64GetDatum(frames);
			n++;
		}
	}
	/* frames and skipped values count once, when their pane's first window closes */
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

	args[0] = CStringGetTextDatum(w->name);
	if (n > 0)
	{
		args[1] = SPIArray(keys, NULL, n, JSONBOID);
		args[2] = SPIArray(starts, NULL, n, TIMESTAMPTZOID);
		args[3] = SPIArray(stops, NULL, n, TIMESTAMPTZOID);
		args[4] = SPIArray(values, NULL, n, JSONBOID);
		args[5] = SPIArray(counts, NULL, n, INT8OID);
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
		if (SPI_processed > 0)
		{
			int			inserted = SPI_processed;
			Datum	   *payloads = palloc(sizeof(Datum) * inserted);
			bool		isnull;

			for (int i = 0; i < inserted; i++)
				payloads[i] = PointerGetDatum(DatumGetJsonbPCopy(SPIValue(i, 1, &isnull)));
			PublishResults(w, payloads, inserted);
		}
	}
	if (w->over_cap_payload != NULL)
	{
		Oid			etypes[3] = {TEXTOID, JSONBOID, TEXTOID};
		Datum		eargs[3];

		eargs[0] = CStringGetTextDatum(w->stream_id);
		eargs[1] = JsonbPGetDatum(w->over_cap_payload);
		eargs[2] = CStringGetTextDatum(psprintf("window \"%s\" has max_groups (%d) open groups; this frame's group was not counted",
												w->name, w->config.max_groups));
		if (SPI_execute_plan(KeptPlan(&error_plan,
									  "INSERT INTO streamflow.stream_errors (stream_id, source, raw_payload, violations)"
									  " VALUES ($1, 'window', $2, jsonb_build_array(jsonb_build_object("
									  "'path', '$.data', 'keyword', 'max_groups', 'message', $3)))",
									  3, etypes), eargs, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record window \"%s\"'s groups over max_groups", w->name);
	}
	args[1] = TimestampTzGetDatum(through);
	args[2] = Int64GetDatum(batch->frames);
	args[3] = Int64GetDatum(batch->late);
	args[4] = Int64GetDatum(batch->skipped);
	args[5] = Int64GetDatum(batch->over_cap);
	args[6] = TimestampTzGetDatum(w->created_at);
	if (SPI_execute_plan(KeptPlan(&update_plan,
								  "UPDATE streamflow.windows SET closed_through = greatest(closed_through, $2),"
								  " frames = frames + $3, late_frames = late_frames + $4,"
								  " skipped_values = skipped_values + $5, groups_over_cap = groups_over_cap + $6"
								  " WHERE name = $1 AND created_at = $7",
								  7, update_types), args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update window \"%s\"", w->name);
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
	IngestFrames(&head, frames, n, ON_ERROR_SKIP, "window", &result);
	for (int i = 0; i < n; i++)
		if (frames[i]->violations != NIL)
			RecordRejection(head.id, "window", frames[i], false);
}

/* A committed close: memory follows the table (panes of closed windows freed). */
static void
ApplyClose(CloseBatch *batch)
{
	Window	   *w = batch->window;
	HASH_SEQ_STATUS seq;
	WindowGroup	   *g;
	int64		size_us = w->config.size_ms * 1000;

	w->closed_through = Max(w->closed_through, batch->through);
	w->stored_through = w->closed_through;
	w->late_delta -= batch->late;
	w->over_cap_delta -= batch->over_cap;
	if (w->over_cap_payload != NULL)
	{
		pfree(w->over_cap_payload);
		w->over_cap_payload = NULL;
	}
	hash_seq_init(&seq, w->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
	{
		int			keep = 0;

		for (int i = 0; i < g->npanes; i++)
		{
			if (g->panes[i]->start + size_us <= w->closed_through)
				pfree(g->panes[i]);
			else
				g->panes[keep++] = g->panes[i];
		}
		g->npanes = keep;
		if (keep > 0)
			continue;
		pfree(g->panes);
		pfree(g->key);
		(void) hash_search(w->groups, &g->key_text, HASH_REMOVE, NULL);
		w->ngroups--;
	}
}

/*
 * The sorted distinct ends in (after, upto] of windows holding a pane of w;
 * their number.
 */
static int
CollectEnds(Window *w, TimestampTz after, TimestampTz upto, TimestampTz **ends)
{
	int64		slide_us = w->config.slide_ms * 1000;
	int64		per_pane = w->config.size_ms / w->config.slide_ms;
	HTAB	   *seen;
	HASHCTL		ctl = {.keysize = sizeof(TimestampTz), .entrysize = sizeof(TimestampTz),
	.hcxt = CurrentMemoryContext};
	HASH_SEQ_STATUS seq;
	WindowGroup	   *g;
	TimestampTz *e;
	int			n = 0;

	seen = hash_create("streamflow window ends", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	hash_seq_init(&seq, w->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
		for (int i = 0; i < g->npanes; i++)
			for (int64 k = 1; k <= per_pane; k++)
			{
				TimestampTz end = g->panes[i]->start + k * slide_us;

				if (end > after && end <= upto)
					(void) hash_search(seen, &end, HASH_ENTER, NULL);
			}
	*ends = palloc(sizeof(TimestampTz) * Max(hash_get_num_entries(seen), 1));
	hash_seq_init(&seq, seen);
	while ((e = hash_seq_search(&seq)) != NULL)
		(*ends)[n++] = *e;
	/* insertion sort: few ends per close */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && (*ends)[j - 1] > (*ends)[j]; j--)
		{
			TimestampTz t = (*ends)[j];

			(*ends)[j] = (*ends)[j - 1];
			(*ends)[j - 1] = t;
		}
	hash_destroy(seen);
	return n;
}

/* Combines g's panes of the window ending at end into accs; its frame count. */
static int64
Combine(Window *w, WindowGroup *g, TimestampTz end, WindowAcc *accs)
{
	TimestampTz start = end - w->config.size_ms * 1000;
	int64		frames = 0;

	WindowAccInit(&w->config, accs);
	for (int i = 0; i < g->npanes; i++)
	{
		Pane	   *p = g->panes[i];

		if (p->start < start || p->start >= end)
			continue;
		WindowAccCombine(&w->config, accs, p->accs);
		frames += p->frames;
	}
	return frames;
}

/* window_current's answer for window name: every open window with frames. */
static WindowCurrentOutcome
RenderCurrent(const char *name, StringInfo out)
{
	Window	   *w;
	TimestampTz *ends;
	int			nends;
	WindowAcc  *accs;
	bool		first = true;

	for (w = windows; w; w = w->next)
		if (strcmp(w->name, name) == 0)
			break;
	if (w == NULL)
	{
		if (current_reload == 2)
		{
			current_reload = 0;
			return WINDOW_CURRENT_NOT_FOUND;
		}
		/* perhaps just created: answered after the next reload */
		current_reload = 1;
		next_reload_at = 0;
		return WINDOW_CURRENT_LATER;
	}
	current_reload = 0;
	/* a window whose frames are still to be read is answered once they are */
	if (w->resync)
		return WINDOW_CURRENT_LATER;
	nends = CollectEnds(w, w->closed_through, DT_NOEND, &ends);
	accs = palloc(sizeof(WindowAcc) * Max(w->config.naggs, 1));
	appendStringInfoChar(out, '[');
	for (int e = 0; e < nends; e++)
	{
		HASH_SEQ_STATUS seq;
		WindowGroup	   *g;

		hash_seq_init(&seq, w->groups);
		while ((g = hash_seq_search(&seq)) != NULL)
		{
			int64		frames = Combine(w, g, ends[e], accs);
			Jsonb	   *values;

			if (frames == 0)
				continue;
			values = WindowAccValues(&w->config, accs);
			appendStringInfo(out, "%s{\"group_key\":%s,\"window_start\":" INT64_FORMAT
							 ",\"window_end\":" INT64_FORMAT ",\"frame_count\":" INT64_FORMAT
							 ",\"aggregates\":",
							 first ? "" : ",", g->key_text,
							 (int64) (ends[e] - w->config.size_ms * 1000), (int64) ends[e], frames);
			(void) JsonbToCString(out, &values->root, VARSIZE(values));
			appendStringInfoChar(out, '}');
			first = false;
		}
	}
	appendStringInfoChar(out, ']');
	return WINDOW_CURRENT_ANSWER;
}

/* Hash of a group key (a pointer to its text). */
static uint32
GroupHash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return string_hash(s, strlen(s) + 1);
}

/* Equality of two group keys; 0 when equal. */
static int
GroupMatch(const void *a, const void *b, Size keysize)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}
