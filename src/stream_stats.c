/*
 * stream_stats.c: per-stream counters in shared memory.
 *
 * A shared hash keyed by stream id (streamflow.max_streams_tracked entries)
 * holds what happened to each stream since the server started: frames
 * received, duplicates and rejections counted by ingest as it runs (so also
 * frames of transactions that later rolled back), and what the worker did:
 * frames read from the commit ring, messages sent and dropped, transport
 * errors, subscribers, queue use and a histogram of commit-to-socket
 * latency.  One LWLock guards the hash; every call is short and never
 * raises an error.  Streams beyond the hash's capacity are not tracked and
 * only counted (StatsUntracked).  Without shared_preload_libraries every
 * call is a no-op.
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "stream_stats.h"

#define STATS_TRANCHE "streamflow stream stats"

const double StatsLatencyBounds[STATS_LATENCY_BUCKETS - 1] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

typedef struct StatsShared
{
	LWLock	   *lock;
	pg_atomic_uint64 untracked; /* counts refused because the hash was full */
} StatsShared;

static int	max_streams_tracked = 1024;
static StatsShared *stats = NULL;
static HTAB *stats_hash = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void StatsShmemRequest(void);
static void StatsShmemStartup(void);

PG_FUNCTION_INFO_V1(streamflow_stream_counters);
PG_FUNCTION_INFO_V1(streamflow_forget_stream_counters);

/* Defines the stats GUC and, when preloaded, requests the shared hash. */
void
StatsInit(void)
{
	DefineCustomIntVariable("streamflow.max_streams_tracked",
							gettext_noop("Streams whose counters (streamflow.stream_stats, /metrics) are kept in shared memory."),
							gettext_noop("Streams beyond this number are not counted until the server restarts."),
							&max_streams_tracked, 1024, 16, INT_MAX / 2,
							process_shared_preload_libraries_in_progress ? PGC_POSTMASTER : PGC_SIGHUP,
							0, NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = StatsShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = StatsShmemStartup;
}

/* Asks for the counters' shared memory and lock. */
static void
StatsShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(add_size(MAXALIGN(sizeof(StatsShared)),
									hash_estimate_size(max_streams_tracked, sizeof(StreamCounters))));
	RequestNamedLWLockTranche(STATS_TRANCHE, 1);
}

/* Finds (or creates) the counters in shared memory. */
static void
StatsShmemStartup(void)
{
	HASHCTL		info;
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	stats = ShmemInitStruct("streamflow stream stats", sizeof(StatsShared), &found);
	if (!found)
	{
		stats->lock = &(GetNamedLWLockTranche(STATS_TRANCHE))->lock;
		pg_atomic_init_u64(&stats->untracked, 0);
	}
	memset(&info, 0, sizeof(info));
	info.keysize = NAMEDATALEN;
	info.entrysize = sizeof(StreamCounters);
	stats_hash = ShmemInitHash("streamflow stream stats hash", max_streams_tracked,
							   max_streams_tracked, &info, HASH_ELEM | HASH_STRINGS);
	LWLockRelease(AddinShmemInitLock);
}

/* Whether counters are kept (streamflow is preloaded). */
bool
StatsEnabled(void)
{
	return stats != NULL;
}

/* The hash key of a stream id: the id, zero-padded to NAMEDATALEN. */
static void
MakeKey(char *key, const char *stream_id)
{
	memset(key, 0, NAMEDATALEN);
	strlcpy(key, stream_id, NAMEDATALEN);
}

/*
 * Locks the counters and returns the stream's entry, created when new; NULL
 * (with the lock released) when not preloaded or the hash is full.
 */
static StreamCounters *
LockCounters(const char *stream_id)
{
	char		key[NAMEDATALEN];
	StreamCounters *c;
	bool		found;

	if (stats == NULL || stream_id == NULL)
		return NULL;
	MakeKey(key, stream_id);
	LWLockAcquire(stats->lock, LW_EXCLUSIVE);
	c = hash_search(stats_hash, key, HASH_FIND, &found);
	if (c == NULL && hash_get_num_entries(stats_hash) < max_streams_tracked)
		c = hash_search(stats_hash, key, HASH_ENTER_NULL, &found);
	if (c == NULL)
	{
		LWLockRelease(stats->lock);
		pg_atomic_fetch_add_u64(&stats->untracked, 1);
		return NULL;
	}
	if (!found)
		memset((char *) c + NAMEDATALEN, 0, sizeof(StreamCounters) - NAMEDATALEN);
	return c;
}

/* Releases the lock LockCounters took. */
static void
UnlockCounters(void)
{
	LWLockRelease(stats->lock);
}

/* Counts frames one ingest call received (stored), found duplicate and rejected. */
void
StatsCountIngest(const char *stream_id, int64 received, int64 duplicates, int64 rejected)
{
	StreamCounters *c = LockCounters(stream_id);

	if (c == NULL)
		return;
	c->received += received;
	c->duplicates += duplicates;
	c->rejected += rejected;
	if (received > 0)
		c->last_data_received_at = GetCurrentTimestamp();
	UnlockCounters();
}

/* Counts messages the worker wrote to subscribers. */
void
StatsCountSent(const char *stream_id, int64 n)
{
	StreamCounters *c = LockCounters(stream_id);

	if (c == NULL)
		return;
	c->sent += n;
	UnlockCounters();
}

/* Counts messages dropped by backpressure. */
void
StatsCountDropped(const char *stream_id, int64 n)
{
	StreamCounters *c = LockCounters(stream_id);

	if (c == NULL)
		return;
	c->dropped += n;
	UnlockCounters();
}

/* Counts frames a window dropped because their earliest window had closed. */
void
StatsCountDroppedLate(const char *stream_id, int64 n)
{
	StreamCounters *c = LockCounters(stream_id);

	if (c == NULL)
		return;
	c->dropped_late += n;
	UnlockCounters();
}

/* Adds delta (negative when leaving) to the stream's subscriber count. */
void
StatsAddSubscribers(const char *stream_id, int delta)
{
	StreamCounters *c = LockCounters(stream_id);

	if (c == NULL)
		return;
	c->subscribers = Max(c->subscribers + delta, 0);
	UnlockCounters();
}

/* Sets the fill of the stream's fullest subscriber queue. */
void
StatsSetQueue(const char *stream_id, int64 used, int64 capacity)
{
	StreamCounters *c = LockCounters(stream_id);

	if (c == NULL)
		return;
	c->queue_used = used;
	c->queue_capacity = capacity;
	UnlockCounters();
}

/* Records one commit-to-socket latency in the stream's histogram. */
void
StatsRecordLatency(const char *stream_id, double ms)
{
	StreamCounters *c = LockCounters(stream_id);
	int			b = 0;

	if (c == NULL)
		return;
	if (ms < 0 || isnan(ms))
		ms = 0;
	while (b < STATS_LATENCY_BUCKETS - 1 && ms > StatsLatencyBounds[b])
		b++;
	c->latency_buckets[b]++;
	c->latency_count++;
	c->latency_sum_ms += ms;
	UnlockCounters();
}

/* Counts a transport-level error (bad message, failed write) on the stream. */
void
StatsCountError(const char *stream_id)
{
	StreamCounters *c = LockCounters(stream_id);

	if (c == NULL)
		return;
	c->errors++;
	UnlockCounters();
}

/* Counts a frame the worker read from the commit ring. */
void
StatsCountRingFrame(const char *stream_id, int64 sequence)
{
	StreamCounters *c = LockCounters(stream_id);

	if (c == NULL)
		return;
	c->ring_frames++;
	c->ring_last_sequence = sequence;
	UnlockCounters();
}

/* Drops the stream's counters (a new stream with its id starts from zero). */
void
StatsForget(const char *stream_id)
{
	char		key[NAMEDATALEN];

	if (stats == NULL)
		return;
	MakeKey(key, stream_id);
	LWLockAcquire(stats->lock, LW_EXCLUSIVE);
	(void) hash_search(stats_hash, key, HASH_REMOVE, NULL);
	LWLockRelease(stats->lock);
}

/* SQL: forget_stream_counters(stream_id text) */
Datum
streamflow_forget_stream_counters(PG_FUNCTION_ARGS)
{
	StatsForget(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

/* Counts refused because max_streams_tracked streams were already tracked. */
int64
StatsUntracked(void)
{
	return stats ? (int64) pg_atomic_read_u64(&stats->untracked) : 0;
}

/* A palloc'd copy of every tracked stream's counters; *n is their number. */
StreamCounters *
StatsSnapshot(int *n)
{
	StreamCounters *copy;
	StreamCounters *c;
	HASH_SEQ_STATUS seq;
	int			i = 0;

	*n = 0;
	if (stats == NULL)
		return NULL;
	copy = palloc(sizeof(StreamCounters) * Max(max_streams_tracked, 1));
	LWLockAcquire(stats->lock, LW_SHARED);
	hash_seq_init(&seq, stats_hash);
	while ((c = hash_seq_search(&seq)) != NULL)
	{
		if (i < max_streams_tracked)
			copy[i++] = *c;
	}
	LWLockRelease(stats->lock);
	*n = i;
	return copy;
}

/*
 * The q-quantile of the latency histogram, interpolated linearly inside its
 * bucket (as Prometheus's histogram_quantile); NaN when there are no samples.
 */
double
StatsLatencyQuantile(const StreamCounters *c, double q)
{
	double		rank = q * c->latency_count;
	int64		below = 0;
	int			b;

	if (c->latency_count == 0)
		return NAN;
	for (b = 0; b < STATS_LATENCY_BUCKETS; b++)
	{
		double		lower = b == 0 ? 0 : StatsLatencyBounds[b - 1];

		if (below + c->latency_buckets[b] >= rank && c->latency_buckets[b] > 0)
		{
			if (b == STATS_LATENCY_BUCKETS - 1)
				return lower;	/* the +Inf bucket: its lower bound */
			return lower + (StatsLatencyBounds[b] - lower) *
				(rank - below) / c->latency_buckets[b];
		}
		below += c->latency_buckets[b];
	}
	return StatsLatencyBounds[STATS_LATENCY_BUCKETS - 2];
}

/*
 * SQL: stream_counters() returns the shared-memory counters of every tracked
 * stream (nothing when streamflow is not preloaded).
 */
Datum
streamflow_stream_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	StreamCounters *all;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	all = StatsSnapshot(&n);
	for (i = 0; i < n; i++)
	{
		StreamCounters *c = &all[i];
		Datum		values[18];
		bool		nulls[18];
		double		quantiles[3] = {
			c->latency_count ? c->latency_sum_ms / c->latency_count : NAN,
			StatsLatencyQuantile(c, 0.95),
			StatsLatencyQuantile(c, 0.99)
		};
		int			j;

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(c->stream_id);
		values[1] = Int64GetDatum(c->received);
		values[2] = Int64GetDatum(c->duplicates);
		values[3] = Int64GetDatum(c->rejected);
		values[4] = Int64GetDatum(c->errors);
		values[5] = Int64GetDatum(c->sent);
		values[6] = Int64GetDatum(c->dropped);
		values[7] = Int64GetDatum(c->ring_frames);
		values[8] = Int64GetDatum(c->ring_last_sequence);
		values[9] = Int32GetDatum(c->subscribers);
		values[10] = Int64GetDatum(c->queue_used);
		values[11] = Int64GetDatum(c->queue_capacity);
		values[12] = TimestampTzGetDatum(c->last_data_received_at);
		nulls[12] = c->last_data_received_at == 0;
		values[13] = Int64GetDatum(c->latency_count);
		for (j = 0; j < 3; j++)
		{
			values[14 + j] = Float8GetDatum(quantiles[j]);
			nulls[14 + j] = isnan(quantiles[j]);
		}
		values[17] = Int64GetDatum(c->dropped_late);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
