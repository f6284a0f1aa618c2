/*
 * stream_stats.h: per-stream counters in shared memory (memory only: a
 * server restart resets them), read by streamflow.stream_stats,
 * streamflow.health() and the worker's GET /metrics.
 */
#ifndef STREAMFLOW_STREAM_STATS_H
#define STREAMFLOW_STREAM_STATS_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* Upper bounds (ms) of the latency histogram's buckets; one more for +Inf. */
#define STATS_LATENCY_BUCKETS 14
extern const double StatsLatencyBounds[STATS_LATENCY_BUCKETS - 1];

/* A copy of one stream's counters. */
typedef struct StreamCounters
{
	char		stream_id[NAMEDATALEN];
	int64		received;
	int64		duplicates;
	int64		rejected;
	int64		errors;			/* transport-level */
	int64		sent;
	int64		dropped;
	int64		dropped_late;	/* frames too late for every window they fall in */
	int64		ring_frames;	/* frames the worker read from the commit ring */
	int64		ring_last_sequence;
	int32		subscribers;
	int64		queue_used;
	int64		queue_capacity;
	TimestampTz last_data_received_at;	/* 0 when none */
	int64		latency_buckets[STATS_LATENCY_BUCKETS]; /* not cumulative */
	int64		latency_count;
	double		latency_sum_ms;
} StreamCounters;

extern void StatsInit(void);

/* Any backend (ingest) and the worker's main loop; no-ops when not preloaded. */
extern void StatsCountIngest(const char *stream_id, int64 received, int64 duplicates, int64 rejected);
extern void StatsCountSent(const char *stream_id, int64 n);
extern void StatsCountDropped(const char *stream_id, int64 n);
extern void StatsCountDroppedLate(const char *stream_id, int64 n);
extern void StatsAddSubscribers(const char *stream_id, int delta);
extern void StatsSetQueue(const char *stream_id, int64 used, int64 capacity);
extern void StatsRecordLatency(const char *stream_id, double ms);
extern void StatsCountError(const char *stream_id);
extern void StatsCountRingFrame(const char *stream_id, int64 sequence);
extern void StatsForget(const char *stream_id);

/* Readers. */
extern bool StatsEnabled(void);
extern StreamCounters *StatsSnapshot(int *n);
extern int64 StatsUntracked(void);
extern double StatsLatencyQuantile(const StreamCounters *c, double q);

#endif
