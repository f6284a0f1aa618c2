/*
 * worker_ring.c: the worker's side of the commit ring.
 *
 * The worker attaches to the ring when it starts (from then on every commit
 * that stored frames sets its latch) and, in its main loop, reads every
 * entry committed since the last read.  Each entry goes to WorkerRingEntry,
 * which counts it in the stream's stats; transports that deliver frames add
 * their call there.  When writers lapped the worker, the loss is counted
 * (here and in the ring's overflow counter) and WorkerRingCatchUp runs.
 */
#include "postgres.h"

#include "commit_ring.h"
#include "hub.h"
#include "outbound.h"
#include "stream_stats.h"
#include "window_engine.h"
#include "worker_ring.h"

static uint64 ring_cursor = 0;
static int64 ring_catch_ups = 0;

static void WorkerRingEntry(const RingEntry *entry, void *arg);
static void WorkerRingCatchUp(void);

/* Attaches the worker to the ring; it reads what is committed from now on. */
void
WorkerRingStart(void)
{
	CommitRingAttachWorker();
	ring_cursor = CommitRingHead();
}

/* Consumes every entry committed since the last call (main loop only). */
void
WorkerDrainRing(void)
{
	if (!CommitRingRead(&ring_cursor, WorkerRingEntry, NULL))
		WorkerRingCatchUp();
}

/* One committed frame, in commit order (per stream, in sequence order). */
static void
WorkerRingEntry(const RingEntry *entry, void *arg)
{
	StatsCountRingFrame(entry->stream_id, entry->sequence);
	OutboundRingFrame(entry->stream_id);
	HubDispatch(entry->stream_id, entry->sequence, entry->message, entry->message_len,
				entry->committed_at);
	WindowsRingFrame(entry);
}

/*
 * Entries were lost because writers lapped the worker: counted here; a
 * transport delivering frames must reread streamflow.frames from what each
 * subscriber last received.
 */
static void
WorkerRingCatchUp(void)
{
	ring_catch_ups++;
	OutboundRingLapped();
	WindowsRingLapped();
	ereport(LOG,
			(errmsg("streamflow worker fell behind the commit ring; frames committed meanwhile are read from streamflow.frames"),
			 errhint("Raise streamflow.ring_size if this happens often.")));
	HubCatchUpAll();
}

/* The worker's position in the ring. */
uint64
WorkerRingCursor(void)
{
	return ring_cursor;
}

/* How many times the worker had to catch up since it started. */
int64
WorkerRingCatchUps(void)
{
	return ring_catch_ups;
}
