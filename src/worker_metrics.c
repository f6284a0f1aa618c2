/*
 * worker_metrics.c: GET /metrics in Prometheus text format 0.0.4.
 *
 * Per-stream counters from shared memory (stream_stats.c), labelled with
 * stream_id: frames received, duplicates, rejected, transport errors,
 * messages sent and dropped, frames the worker read from the commit ring
 * and the last sequence read, subscribers, queue use, and the
 * commit-to-socket latency histogram.  Then the worker's gauges: commit
 * ring size, positions (bytes written by committers and read by the
 * worker) and overflows.  Every counter restarts at zero with the server.
 */
#include "postgres.h"

#include <math.h>

#include "utils/timestamp.h"

#include "commit_ring.h"
#include "hub.h"
#include "stream_stats.h"
#include "worker.h"
#include "worker_metrics.h"
#include "worker_ring.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* How one per-stream metric reads its value. */
typedef struct StreamMetric
{
	const char *name;
	const char *type;
	const char *help;
	size_t		offset;			/* of an int64 (or the int32 subscribers) in StreamCounters */
	bool		is_int32;
} StreamMetric;

#define COUNTER(name, field, help) {name, "counter", help, offsetof(StreamCounters, field), false}
#define GAUGE(name, field, help) {name, "gauge", help, offsetof(StreamCounters, field), false}

static const StreamMetric stream_metrics[] = {
	COUNTER("streamflow_stream_received_total", received, "Frames stored by ingest (also in transactions that rolled back)."),
	COUNTER("streamflow_stream_duplicates_total", duplicates, "Frames repeating a stored sequence (idempotent, not stored again)."),
	COUNTER("streamflow_stream_rejected_total", rejected, "Frames rejected by the stream's rules, bindings or schema."),
	COUNTER("streamflow_stream_errors_total", errors, "Transport-level errors (bad messages, failed writes)."),
	COUNTER("streamflow_stream_sent_total", sent, "Messages written to subscribers."),
	COUNTER("streamflow_stream_dropped_total", dropped, "Messages dropped by backpressure."),
	COUNTER("streamflow_stream_dropped_late_total", dropped_late, "Frames dropped by a window because their earliest window had closed."),
	COUNTER("streamflow_stream_ring_frames_total", ring_frames, "Committed frames the worker read from the commit ring."),
	GAUGE("streamflow_stream_ring_last_sequence", ring_last_sequence, "Sequence of the last frame the worker read from the commit ring."),
	{"streamflow_stream_subscribers", "gauge", "Subscribers connected to the stream.", offsetof(StreamCounters, subscribers), true},
	GAUGE("streamflow_stream_queue_used", queue_used, "Messages waiting in the stream's fullest subscriber queue."),
	GAUGE("streamflow_stream_queue_capacity", queue_capacity, "Capacity of that queue (max_queue_size)."),
};

static int	CompareCounters(const void *a, const void *b);
static void AppendLabel(StringInfo buf, const char *stream_id);
static void AppendFamily(StringInfo buf, const char *name, const char *type, const char *help);
static void AppendStreams(StringInfo buf, StreamCounters *all, int n);
static void AppendLatency(StringInfo buf, StreamCounters *all, int n);
static void AppendWorker(StringInfo buf);

/* GET /metrics: every metric, streams sorted by id. */
void
MetricsHandler(Request *req, Response *resp)
{
	int			n;
	StreamCounters *all = StatsSnapshot(&n);

	if (n > 1)
		qsort(all, n, sizeof(StreamCounters), CompareCounters);
	AppendStreams(&resp->body, all, n);
	AppendLatency(&resp->body, all, n);
	AppendWorker(&resp->body);
	resp->status = 200;
	resp->content_type = METRICS_CONTENT_TYPE;
}

/* Orders counters by stream id. */
static int
CompareCounters(const void *a, const void *b)
{
	return strcmp(((const StreamCounters *) a)->stream_id, ((const StreamCounters *) b)->stream_id);
}

/* Appends stream_id="..." with the format's escapes. */
static void
AppendLabel(StringInfo buf, const char *stream_id)
{
	const char *p;

	appendStringInfoString(buf, "stream_id=\"");
	for (p = stream_id; *p; p++)
	{
		if (*p == '\\' || *p == '"')
			appendStringInfoChar(buf, '\\');
		if (*p == '\n')
			appendStringInfoString(buf, "\\n");
		else
			appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

/* Appends a family's # HELP and # TYPE lines. */
static void
AppendFamily(StringInfo buf, const char *name, const char *type, const char *help)
{
	appendStringInfo(buf, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends every per-stream counter and gauge. */
static void
AppendStreams(StringInfo buf, StreamCounters *all, int n)
{
	int			m;
	int			i;

	for (m = 0; m < (int) lengthof(stream_metrics); m++)
	{
		const StreamMetric *sm = &stream_metrics[m];

		AppendFamily(buf, sm->name, sm->type, sm->help);
		for (i = 0; i < n; i++)
		{
			const char *field = (const char *) &all[i] + sm->offset;
			int64		value = sm->is_int32 ? *(const int32 *) field : *(const int64 *) field;

			appendStringInfo(buf, "%s{", sm->name);
			AppendLabel(buf, all[i].stream_id);
			appendStringInfo(buf, "} " INT64_FORMAT "\n", value);
		}
	}
	AppendFamily(buf, "streamflow_stream_last_data_received_timestamp_seconds", "gauge",
				 "Unix time of the last stored frame (absent before the first since the restart).");
	for (i = 0; i < n; i++)
	{
		if (all[i].last_data_received_at == 0)
			continue;
		appendStringInfoString(buf, "streamflow_stream_last_data_received_timestamp_seconds{");
		AppendLabel(buf, all[i].stream_id);
		appendStringInfo(buf, "} %.3f\n",
						 (double) (all[i].last_data_received_at - SetEpochTimestamp()) / USECS_PER_SEC);
	}
}

/* Appends the commit-to-socket latency histogram of every stream. */
static void
AppendLatency(StringInfo buf, StreamCounters *all, int n)
{
	const char *name = "streamflow_stream_delivery_latency_ms";
	int			i;
	int			b;

	AppendFamily(buf, name, "histogram", "Milliseconds from commit to the write of the message to a subscriber's socket.");
	for (i = 0; i < n; i++)
	{
		int64		cumulative = 0;

		for (b = 0; b < STATS_LATENCY_BUCKETS; b++)
		{
			cumulative += all[i].latency_buckets[b];
			appendStringInfo(buf, "%s_bucket{", name);
			AppendLabel(buf, all[i].stream_id);
			if (b < STATS_LATENCY_BUCKETS - 1)
				appendStringInfo(buf, ",le=\"%g\"} " INT64_FORMAT "\n", StatsLatencyBounds[b], cumulative);
			else
				appendStringInfo(buf, ",le=\"+Inf\"} " INT64_FORMAT "\n", cumulative);
		}
		appendStringInfo(buf, "%s_sum{", name);
		AppendLabel(buf, all[i].stream_id);
		appendStringInfo(buf, "} %.3f\n%s_count{", all[i].latency_sum_ms, name);
		AppendLabel(buf, all[i].stream_id);
		appendStringInfo(buf, "} " INT64_FORMAT "\n", all[i].latency_count);
	}
}

/* Appends the worker's gauges: the commit ring and stream tracking. */
static void
AppendWorker(StringInfo buf)
{
	uint64		written = CommitRingHead();
	uint64		read = WorkerRingCursor();

	AppendFamily(buf, "streamflow_ring_size_bytes", "gauge", "Size of the commit ring (streamflow.ring_size).");
	appendStringInfo(buf, "streamflow_ring_size_bytes " UINT64_FORMAT "\n", CommitRingSize());
	AppendFamily(buf, "streamflow_ring_written_bytes_total", "counter", "Bytes committers wrote to the commit ring (its head position).");
	appendStringInfo(buf, "streamflow_ring_written_bytes_total " UINT64_FORMAT "\n", written);
	AppendFamily(buf, "streamflow_ring_read_bytes_total", "counter", "The worker's position in the commit ring.");
	appendStringInfo(buf, "streamflow_ring_read_bytes_total " UINT64_FORMAT "\n", read);
	AppendFamily(buf, "streamflow_ring_lag_bytes", "gauge", "Bytes committed to the ring that the worker has not read yet.");
	appendStringInfo(buf, "streamflow_ring_lag_bytes " UINT64_FORMAT "\n", written > read ? written - read : 0);
	AppendFamily(buf, "streamflow_ring_overflows_total", "counter",
				 "Times committers lapped the worker (frames then read from streamflow.frames).");
	appendStringInfo(buf, "streamflow_ring_overflows_total " UINT64_FORMAT "\n", CommitRingLaps());
	AppendFamily(buf, "streamflow_worker_ring_catch_ups_total", "counter",
				 "Catch-ups from streamflow.frames since this worker started.");
	appendStringInfo(buf, "streamflow_worker_ring_catch_ups_total " INT64_FORMAT "\n", WorkerRingCatchUps());
	AppendFamily(buf, "streamflow_streams_untracked_total", "counter",
				 "Counts not kept because streamflow.max_streams_tracked streams were already tracked.");
	appendStringInfo(buf, "streamflow_streams_untracked_total " INT64_FORMAT "\n", StatsUntracked());
	AppendFamily(buf, "streamflow_live_streams", "gauge", "Streams with WebSocket or SSE subscribers in the worker's hub.");
	appendStringInfo(buf, "streamflow_live_streams %ld\n", HubStreamCount());
}
