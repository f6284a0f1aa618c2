/*
 * live_replay.c: subscribers reading streamflow.frames until they are
 * current, then switching to live delivery.
 *
 * A subscription in SUB_CATCHUP (a from_sequence / Last-Event-ID replay, a
 * block subscriber whose queue drained, a frame too large for the commit
 * ring, or everyone after the ring was lapped) reads the frames after its
 * last sequence, a page at a time sized by the room in its queue, in one
 * short transaction per loop iteration shared by every such subscription and
 * bounded (LIVE_REPLAY_BUDGET rows) so a replaying client never starves the
 * others.  A page shorter than asked means it reached the end of what is
 * committed: it goes live.  That leaves no gap: the commit ring is written
 * after a transaction becomes visible, so a frame missing from the page's
 * snapshot is read from the ring after the switch; and no repeat: live
 * messages at or below the last sequence are skipped.  A subscriber that
 * stops reading while it catches up (queue full, socket full) and whose
 * stream does not block gives up the replay: the frames it has not read
 * count as dropped and it goes live from the newest.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "frame_message.h"
#include "hub.h"
#include "spi_util.h"
#include "worker_xact.h"

#define LIVE_REPLAY_PAGE 500
#define LIVE_REPLAY_BUDGET 5000
#define LIVE_REPLAY_RETRY_MS 1000

static SPIPlanPtr page_plan;
static SPIPlanPtr skip_plan;
static TimestampTz retry_at = 0;

static int	ReplayPage(Subscription *sub, int limit, StringInfo buf);
static void SkipAhead(Subscription *sub);
static void LiveReplayWork(void *arg);

/* LiveReplayWork's state: the page budget left, whether more is waiting. */
typedef struct ReplayWork
{
	int			budget;
	bool		more;
} ReplayWork;

/* Advances every catching-up subscription by a page (main loop). */
void
LiveReplay(MemoryContext loop_context)
{
	ReplayWork	work = {LIVE_REPLAY_BUDGET, false};

	if (retry_at != 0 && GetCurrentTimestamp() < retry_at)
	{
		/* HubCloseSlowClients looks again within a second: no spinning */
		hub_catchup_pending = false;
		return;
	}
	retry_at = 0;
	hub_catchup_pending = false;
	if (!WorkerTransaction("streamflow: live replay", "replay frames to its subscribers",
						   LIVE_REPLAY_RETRY_MS, LiveReplayWork, &work))
	{
		retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), LIVE_REPLAY_RETRY_MS);
		work.more = true;
	}
	MemoryContextSwitchTo(loop_context);
	hub_catchup_pending = work.more;
}

/* Inside the transaction: a page for each catching-up subscription, within the budget. */
static void
LiveReplayWork(void *arg)
{
	ReplayWork *work = arg;
	StringInfoData buf;
	dlist_iter	it;

	initStringInfo(&buf);
	dlist_foreach(it, &live_clients)
	{
		LiveClient *client = dlist_container(LiveClient, node, it.cur);
		dlist_iter	s;

		if (client->wsi == NULL)
			continue;
		dlist_foreach(s, &client->subs)
		{
			Subscription *sub = dlist_container(Subscription, client_node, s.cur);
			int			room = sub->capacity - sub->count;
			int			limit = Min(Min(room, LIVE_REPLAY_PAGE), work->budget);
			int			got;

			if (sub->state != SUB_CATCHUP)
				continue;
			if (room == 0)
			{
				/* a client that stopped reading mid-replay */
				if (sub->stream->strategy != BP_BLOCK && HubSubscriberStalled(sub))
					SkipAhead(sub);
				continue;
			}
			if (limit == 0)
			{
				work->more = true;
				continue;
			}
			got = ReplayPage(sub, limit, &buf);
			work->budget -= got;
			if (got < limit)
				sub->state = SUB_LIVE;
			else
				work->more |= sub->count < sub->capacity;
			if (got > 0)
				HubWake(client);
		}
	}
}

/*
 * Queues up to limit stored frames after sub's last sequence, oldest first;
 * returns how many were read.
 */
static int
ReplayPage(Subscription *sub, int limit, StringInfo buf)
{
	Oid			argtypes[3] = {TEXTOID, INT8OID, INT4OID};
	Datum		args[3];
	SPIPlanPtr	plan = KeptPlan(&page_plan,
								  "SELECT * FROM streamflow.frames"
								  " WHERE stream_id = $1 AND sequence > $2"
								  " ORDER BY sequence LIMIT $3",
								  3, argtypes);
	uint64		i;
	int			got;
	FrameColumns cols;

	args[0] = CStringGetTextDatum(sub->stream->id);
	args[1] = Int64GetDatum(sub->last_seq);
	args[2] = Int32GetDatum(limit);
	if (SPI_execute_plan(plan, args, NULL, true, limit) != SPI_OK_SELECT)
		elog(ERROR, "could not read the frames of stream \"%s\"", sub->stream->id);
	got = (int) SPI_processed;
	FrameColumnsOf(SPI_tuptable->tupdesc, &cols);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		bool		isnull;
		int64		seq = DatumGetInt64(SPI_getbinval(tuple, cols.desc, cols.sequence, &isnull));
		HubMessage *msg;

		resetStringInfo(buf);
		RenderFrameRow(buf, tuple, &cols);
		msg = HubMessageCreate(seq, buf->data, buf->len);
		if (msg == NULL)
			elog(ERROR, "out of memory replaying stream \"%s\"", sub->stream->id);
		(void) HubEnqueue(sub, msg);
	}
	SPI_freetuptable(SPI_tuptable);
	return got;
}

/*
 * Drops what sub has not read yet from storage, counting it, and makes it
 * live from the newest stored frame on.
 */
static void
SkipAhead(Subscription *sub)
{
	Oid			argtypes[2] = {TEXTOID, INT8OID};
	Datum		args[2];
	SPIPlanPtr	plan = KeptPlan(&skip_plan,
								  "SELECT count(*), coalesce(max(sequence), 0) FROM streamflow.frames"
								  " WHERE stream_id = $1 AND sequence > $2",
								  2, argtypes);
	bool		isnull;

	args[0] = CStringGetTextDatum(sub->stream->id);
	args[1] = Int64GetDatum(sub->last_seq);
	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not count the frames of stream \"%s\"", sub->stream->id);
	sub->stream->dropped += DatumGetInt64(SPIValue(0, 1, &isnull));
	sub->last_seq = Max(sub->last_seq, DatumGetInt64(SPIValue(0, 2, &isnull)));
	sub->state = SUB_LIVE;
	if (sub->full_since == 0)
		sub->full_since = GetCurrentTimestamp();
}
