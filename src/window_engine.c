/*
 * window_engine.c: the worker's incremental windowed aggregation: loading
 * the windows, the per-frame path and the main loop's turn.
 *
 * The worker holds every window of streamflow.windows (reread once a second)
 * as panes (window_panes.c).  Each committed frame of a stream with windows
 * reaches WindowsRingFrame from the commit ring; its data is parsed once for
 * all the stream's windows and added to one pane per window.  Frames the
 * ring cannot give are read from streamflow.frames (window_replay.c).  Each
 * turn, WindowsProcess answers window_current and, when due, runs one
 * transaction that rereads the windows, resyncs, and closes every window
 * whose end + grace has passed (window_close.c).
 */
#include "postgres.h"

#include "access/xact.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "jsonb_util.h"
#include "spi_util.h"
#include "window_current.h"
#include "window_engine.h"
#include "window_state.h"
#include "worker.h"
#include "worker_xact.h"

/* How often streamflow.windows is reread. */
#define WINDOWS_RELOAD_MS 1000

/* The windows of one stream: the per-frame path's lookup. */
typedef struct StreamWindows
{
	const char *stream_id;		/* the hash key (the first window's stream_id) */
	Window	   *first;			/* linked by next_of_stream */
} StreamWindows;

static MemoryContext engine_cxt = NULL;
static HTAB *stream_index = NULL;	/* stream_id -> StreamWindows */
MemoryContext window_frame_cxt = NULL;
static Window *windows = NULL;
static bool started = false;
static bool windows_loaded = false;	/* the first reload (worker start) is done */
static TimestampTz next_reload_at = 0;
static TimestampTz pause_until = 0;
/* window_current of an unknown window: 1 waits for a reload, 2 reloaded */
static int	current_reload = 0;

static bool ParseRingMessage(const RingEntry *entry, Jsonb **message, Jsonb **payload,
							 TimestampTz *created_at);
static void WindowsTransaction(bool reload);
static CloseBatch *TransactionWork(bool reload, MemoryContext cxt, int *nbatches);
static void ReloadWindows(void);
static Window *LoadWindow(HeapTuple tuple, TupleDesc desc);
static void FreeWindow(Window *w);
static void IndexStreams(void);
static uint32 StreamHash(const void *key, Size keysize);
static int	StreamMatch(const void *a, const void *b, Size keysize);
static WindowCurrentOutcome RenderCurrent(const char *name, StringInfo out);

/* Starts the engine: the windows are loaded (and replayed) on the first turn. */
void
WindowsStart(void)
{
	engine_cxt = AllocSetContextCreate(TopMemoryContext, "streamflow windows",
									   ALLOCSET_DEFAULT_SIZES);
	window_frame_cxt = AllocSetContextCreate(engine_cxt, "streamflow window frame",
											 ALLOCSET_DEFAULT_SIZES);
	WindowCurrentAttachWorker();
	started = true;
	next_reload_at = 0;
}

/*
 * The windows of the entry's stream take this committed frame (worker, main
 * loop): parsed once for all of them, in window_frame_cxt, reset after.
 */
void
WindowsRingFrame(const RingEntry *entry)
{
	Jsonb	   *message = NULL;
	Jsonb	   *payload = NULL;
	TimestampTz created_at = 0;
	StreamWindows *sw;
	MemoryContext old;

	if (stream_index == NULL ||
		(sw = hash_search(stream_index, &entry->stream_id, HASH_FIND, NULL)) == NULL)
		return;
	old = MemoryContextSwitchTo(window_frame_cxt);
	for (Window *w = sw->first; w; w = w->next_of_stream)
	{
		if (w->resync || entry->sequence <= w->last_seq)
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
		WindowApplyFrame(w, entry->sequence, payload, created_at, true);
		w->last_seq = entry->sequence;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(window_frame_cxt);
}

/*
 * Parses a ring entry's message (in window_frame_cxt): its data and timestamp
 * (the frame's created_at).  False, with the error logged, when it cannot.
 */
static bool
ParseRingMessage(const RingEntry *entry, Jsonb **message, Jsonb **payload,
				 TimestampTz *created_at)
{
	MemoryContext old = MemoryContextSwitchTo(window_frame_cxt);
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
		MemoryContextSwitchTo(window_frame_cxt);
		EmitErrorReport();
		FlushErrorState();
		*message = NULL;
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	if (!ok)
		MemoryContextReset(window_frame_cxt);
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
		work = w->resync || WindowCloseDue(w, now, &through);
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

/* What one windows transaction was asked and what it closed. */
typedef struct WindowsWork
{
	bool		reload;
	MemoryContext cxt;
	CloseBatch *batches;
	int			nbatches;
} WindowsWork;

/* WorkerTransaction's work: TransactionWork with its answers kept. */
static void
WindowsWorkRun(void *arg)
{
	WindowsWork *work = arg;

	work->batches = TransactionWork(work->reload, work->cxt, &work->nbatches);
}

/*
 * One transaction: the windows reread (when due), resyncs, then every due
 * close in a subtransaction of its own.  A failure is logged and retried
 * after a pause; what the closes computed applies only after the commit.
 */
static void
WindowsTransaction(bool reload)
{
	WindowsWork work = {reload, CurrentMemoryContext, NULL, 0};

	if (reload)
		next_reload_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WINDOWS_RELOAD_MS);
	if (!WorkerTransaction("streamflow windows", "update its windows", WINDOWS_ERROR_PAUSE_MS,
						   WindowsWorkRun, &work))
	{
		pause_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WINDOWS_ERROR_PAUSE_MS);
		return;
	}
	for (int i = 0; i < work.nbatches; i++)
		if (work.batches[i].done)
			WindowApplyClose(&work.batches[i]);
}

/*
 * Inside the transaction: rereads the windows (when reload), resyncs, then
 * closes every window due; the closes' batches (in cxt) and their number.
 */
static CloseBatch *
TransactionWork(bool reload, MemoryContext cxt, int *nbatches)
{
	CloseBatch *batches;
	TimestampTz now;
	TimestampTz through;
	int			n = 0;

	if (reload)
		ReloadWindows();
	for (Window *w = windows; w; w = w->next)
	{
		if (w->resync)
			WindowResync(w);
		n++;
	}
	batches = MemoryContextAllocZero(cxt, sizeof(CloseBatch) * Max(n, 1));
	*nbatches = 0;
	now = GetCurrentTimestamp();
	for (Window *w = windows; w; w = w->next)
		if (WindowCloseDue(w, now, &through))
			WindowClose(w, through, &batches[(*nbatches)++]);
	return batches;
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
	if (SPI_execute("SELECT name, stream_id, derived_stream_id, config, closed_through, created_at,"
					" replay_after_sequence FROM streamflow.windows", true, 0) != SPI_OK_SELECT)
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
	IndexStreams();
}

/* Rebuilds stream_index from the windows' list. */
static void
IndexStreams(void)
{
	HASHCTL		ctl;

	if (stream_index != NULL)
		hash_destroy(stream_index);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(StreamWindows);
	ctl.hash = StreamHash;
	ctl.match = StreamMatch;
	ctl.hcxt = engine_cxt;
	stream_index = hash_create("streamflow windows by stream", 64, &ctl,
							   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	for (Window *w = windows; w; w = w->next)
	{
		bool		found;
		StreamWindows *sw = hash_search(stream_index, &w->stream_id, HASH_ENTER, &found);

		if (!found)
		{
			sw->stream_id = w->stream_id;
			sw->first = NULL;
		}
		w->next_of_stream = sw->first;
		sw->first = w;
	}
}

/* Hash of a stream id (a pointer to its text). */
static uint32
StreamHash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return string_hash(s, strlen(s) + 1);
}

/* Equality of two stream ids; 0 when equal. */
static int
StreamMatch(const void *a, const void *b, Size keysize)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* A window from its streamflow.windows row; replayed in this transaction. */
static Window *
LoadWindow(HeapTuple tuple, TupleDesc desc)
{
	MemoryContext cxt = AllocSetContextCreate(engine_cxt, "streamflow window",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Window	   *w = palloc0(sizeof(Window));
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
	w->replay_after = DatumGetInt64(SPI_getbinval(tuple, desc, 7, &isnull));
	w->groups = WindowGroupsCreate(cxt);
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

/* window_current's answer for window name: every open window with frames. */
static WindowCurrentOutcome
RenderCurrent(const char *name, StringInfo out)
{
	Window	   *w;

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
	WindowRenderOpen(w, out);
	return WINDOW_CURRENT_ANSWER;
}
