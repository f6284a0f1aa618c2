/*
 * window_replay.c: a window rebuilt or resynced from streamflow.frames.
 *
 * Frames the commit ring cannot give (a reference entry, a lapped ring, a
 * window the worker has just loaded) are read from the table: the window
 * reads its stream's frames after the highest sequence it applied, up to the
 * stream's head at the time of the read; ring entries up to that sequence
 * are then skipped.  A window created while the worker runs reads the
 * frames created since the window was.  When the worker starts, each window
 * replays the stored frames with created_at >= closed_through - size - grace
 * (frames then late are not counted again): so a crash loses no frame of an
 * open window, except frames whose transaction began more than size + grace
 * before the last closed window's end (event times far ahead of ingest, or
 * very long transactions).
 *
 * Either read starts after windows.replay_after_sequence too, so that it
 * walks only the open windows' part of a long stream, not the whole stream
 * (which could outlast streamflow.worker_statement_timeout on every retry).
 * Every frame at or below that sequence is in a closed window or was
 * dropped: create_window sets it to the stream's last sequence, and each
 * close moves it (never back) to one below the lowest sequence a pane of an
 * open window holds, or to the last sequence applied when none holds one
 * (WindowReplayAfter).  That is safe because a stream's sequences commit in
 * order (the stream head's row lock is held to the commit) and the window
 * applies them in order: every frame above the bound is in an open pane or
 * was not yet applied, and both are read again.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "spi_util.h"
#include "window_state.h"

/* Frames read from streamflow.frames per fetch. */
#define WINDOWS_REPLAY_BATCH 1000

static SPIPlanPtr replay_plan = NULL;
static SPIPlanPtr max_seq_plan = NULL;

static int64 StreamHeadSequence(const char *stream_id);
static TimestampTz ReplayFrom(Window *w);
static void ApplyFetched(Window *w);

/*
 * Reads the frames of w's stream after w->last_seq and w->replay_after from
 * the table (on the first load only those created since closed_through -
 * size - grace) and applies them; ring entries up to the highest sequence
 * seen are skipped.
 */
void
WindowResync(Window *w)
{
	Oid			types[4] = {TEXTOID, INT8OID, INT8OID, TIMESTAMPTZOID};
	Datum		args[4];
	int64		upto;
	Portal		portal;

	/* first the head, then the frames up to it: later ones come by the ring */
	upto = StreamHeadSequence(w->stream_id);
	args[0] = CStringGetTextDatum(w->stream_id);
	args[1] = Int64GetDatum(Max(w->last_seq, w->replay_after));
	args[2] = Int64GetDatum(upto);
	args[3] = TimestampTzGetDatum(ReplayFrom(w));
	portal = SPI_cursor_open(NULL,
							 KeptPlan(&replay_plan,
									  "SELECT sequence, payload, created_at FROM streamflow.frames"
									  " WHERE stream_id = $1 AND sequence > $2 AND sequence <= $3 AND created_at >= $4"
									  " ORDER BY sequence",
									  4, types),
							 args, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, WINDOWS_REPLAY_BATCH);
		if (SPI_processed == 0)
			break;
		ApplyFetched(w);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	w->last_seq = Max(w->last_seq, upto);
	w->resync = false;
	w->replaying = false;
}

/* The highest sequence stored for stream_id (0 when none). */
static int64
StreamHeadSequence(const char *stream_id)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(stream_id)};
	bool		isnull;

	if (SPI_execute_plan(KeptPlan(&max_seq_plan,
								  "SELECT coalesce(max(sequence), 0) FROM streamflow.frames WHERE stream_id = $1",
								  1, types), args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the frames of stream \"%s\"", stream_id);
	return DatumGetInt64(SPIValue(0, 1, &isnull));
}

/*
 * The oldest created_at w reads: any after a sequence already applied;
 * closed_through - size - grace on the worker's first load (a crash
 * rebuild); the window's creation for a window created meanwhile.
 */
static TimestampTz
ReplayFrom(Window *w)
{
	if (w->last_seq > 0)
		return DT_NOBEGIN;
	if (w->replaying)
		return w->closed_through - (w->config.size_ms + w->config.grace_ms) * 1000;
	return w->created_at;
}

/* Applies the fetched rows (sequence, payload, created_at) to w, in order. */
static void
ApplyFetched(Window *w)
{
	bool		isnull;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		int64		seq = DatumGetInt64(SPIValue(i, 1, &isnull));
		MemoryContext old = MemoryContextSwitchTo(window_frame_cxt);

		WindowApplyFrame(w, seq, DatumGetJsonbP(SPIValue(i, 2, &isnull)),
						 DatumGetTimestampTz(SPIValue(i, 3, &isnull)), !w->replaying);
		MemoryContextSwitchTo(old);
		MemoryContextReset(window_frame_cxt);
		w->last_seq = Max(w->last_seq, seq);
	}
}
