/*
 * source.c: the worker runs a client for every stream with a source_url.
 *
 * Which streams have one is reread at most once a second (and the clients
 * started, stopped or restarted to match, without restarting the worker):
 * a stream that is not paused and has a source_url runs a poller
 * (http(s)://, source_poll.c) or a WebSocket client (ws(s)://,
 * source_ws.c); pausing or dropping the stream stops it, resuming starts it,
 * and changing source_url, auth_headers, polling_interval_ms, retry_policy
 * or batching restarts it with the new settings.
 *
 * What the clients received is ingested by the main loop, all sources in
 * one transaction, each in a subtransaction of its own (source_ingest.c).
 * WebSocket messages are ingested in batches of batching.batch_size or
 * after batching.batch_timeout_ms.
 *
 * Failures (no connection, DNS, TLS, non-2xx, invalid JSON, a body too
 * large or endless, a closed connection) are recorded in stream_errors
 * (violation keyword "source") and counted in the stream's error_count;
 * the source then waits by the stream's retry_policy: backoff_ms, doubled
 * per failure in a row when exponential, at most max_backoff_ms, with
 * jitter.  A poller goes back to its polling interval after max_retries
 * failed retries; a WebSocket client keeps retrying at max_backoff_ms.
 * A source never stops by itself: pause the stream to stop it.
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "source.h"
#include "spi_util.h"
#include "stream_stats.h"
#include "worker.h"
#include "worker_xact.h"

/* Defaults when a stream leaves polling_interval_ms or batching out. */
#define SOURCE_DEFAULT_INTERVAL_MS 5000
#define SOURCE_DEFAULT_BATCH_SIZE 100
#define SOURCE_DEFAULT_BATCH_TIMEOUT_MS 100
/* The shortest wait before a failed source tries again. */
#define SOURCE_MIN_RETRY_MS 100
/* How often the streams with a source_url are reread. */
#define SOURCE_RELOAD_MS 1000
/* The pause after a transaction failed. */
#define SOURCE_ERROR_PAUSE_MS 1000
/* Batches a WebSocket source may hold before it stops reading, and at least. */
#define SOURCE_QUEUE_BATCHES 10
#define SOURCE_MIN_QUEUE 1000

int			source_timeout_ms = 10000;
int			source_max_body_bytes = 16 * 1024 * 1024;
int			source_heartbeat_s = 30;
int			source_heartbeat_timeout_s = 10;

static struct lws_context *source_context = NULL;
static struct lws_vhost *source_vhost = NULL;
static Source *sources = NULL;
static TimestampTz next_reload_at = 0;
static TimestampTz pause_until = 0;
static SPIPlanPtr streams_plan = NULL;

static const struct lws_protocols source_protocols[] = {
	{"streamflow-source-poll", SourcePollCallback, 0, 0, 0, NULL, 0},
	{"streamflow-source-ws", SourceWsCallback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

/* What one source's part of a transaction changed, to undo on abort. */
typedef struct SourceSaved
{
	int			failures;
	TimestampTz next_at;
	int			nerrors;
} SourceSaved;

static void SourcesTransaction(bool reload);
static void SourcesWorkRun(void *arg);
static void ReloadSources(void);
static void SourceCommitted(Source *src, int taken, char *since, int next_ms);
static void SourceStopClient(Source *src);
static void SourceFree(Source *src);
static bool SourceReady(Source *src, TimestampTz now);
static void SourceStartClient(Source *src, TimestampTz now);

/* Defines the sources' GUCs. */
void
SourcesInit(void)
{
	DefineCustomIntVariable("streamflow.source_timeout",
							gettext_noop("Time a source has to answer a poll, or to open its WebSocket connection."),
							NULL, &source_timeout_ms, 10000, 100, INT_MAX / 2,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.source_max_body",
							gettext_noop("Largest answer to a poll of a source; a larger one fails the poll."),
							NULL, &source_max_body_bytes, 16 * 1024 * 1024, 1024, INT_MAX / 2,
							PGC_SIGHUP, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.source_heartbeat",
							gettext_noop("Seconds a WebSocket source may stay quiet before it is pinged."),
							NULL, &source_heartbeat_s, 30, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.source_heartbeat_timeout",
							gettext_noop("Seconds a pinged WebSocket source has to answer before the connection is closed."),
							NULL, &source_heartbeat_timeout_s, 10, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
}

/* Creates the vhost the source clients connect from. */
void
SourcesStart(struct lws_context *context)
{
	struct lws_context_creation_info info;

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = source_protocols;
	info.vhost_name = "streamflow-sources";
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	source_context = context;
	source_vhost = lws_create_vhost(context, &info);
	if (source_vhost == NULL)
		ereport(WARNING,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("streamflow worker cannot run sources: libwebsockets refused their client vhost")));
}

/* The main loop's turn: collects what the clients did, ingests, starts clients. */
void
SourcesProcess(void)
{
	TimestampTz now;
	bool		work = false;
	Source	   *src;

	if (source_vhost == NULL)
		return;
	now = GetCurrentTimestamp();
	for (src = sources; src; src = src->next)
	{
		char	   *body;
		size_t		len;

		if (SourcePollCheck(src, now, &body, &len))
		{
			SourceQueueMessage(src, body, len);
			free(body);
		}
		SourceWsCheck(src, now);
		work |= SourceReady(src, now);
	}
	if (now >= pause_until && (work || now >= next_reload_at))
		SourcesTransaction(now >= next_reload_at);
	now = GetCurrentTimestamp();
	for (src = sources; src; src = src->next)
		SourceStartClient(src, now);
}

/*
 * The wait the main loop may take, shortened to what the sources need:
 * a poll's deadline, an idle client's next attempt, and (not before a pause
 * after a failed transaction ends) the next reload or batch to write.
 */
long
SourcesTimeout(long timeout)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz due = PG_INT64_MAX;
	TimestampTz write_due = next_reload_at;
	long		ms;

	if (source_vhost == NULL)
		return timeout;
	for (Source *src = sources; src; src = src->next)
	{
		TimestampTz deadline = SourcePollDeadline(src);

		if (deadline != 0)
			due = Min(due, deadline);
		if (src->nerrors > 0 || (src->nqueued > 0 && !src->websocket))
			write_due = Min(write_due, now);
		else if (src->nqueued > 0)
			write_due = Min(write_due, TimestampTzPlusMilliseconds(src->first_queued_at,
																   src->batch_timeout_ms));
		else if (src->poll == NULL && src->ws == NULL)
			due = Min(due, src->next_at);
	}
	due = Min(due, Max(write_due, pause_until));
	ms = due <= now ? 0 : (long) Min((due - now + 999) / 1000, LONG_MAX);
	return (timeout < 0 || ms < timeout) ? ms : timeout;
}

/* Does src have messages or failures to write now? */
static bool
SourceReady(Source *src, TimestampTz now)
{
	if (src->nerrors > 0)
		return true;
	if (src->nqueued == 0)
		return false;
	return !src->websocket || src->nqueued >= src->batch_size ||
		now >= TimestampTzPlusMilliseconds(src->first_queued_at, src->batch_timeout_ms);
}

/* Starts src's poll or connection when it is idle and due. */
static void
SourceStartClient(Source *src, TimestampTz now)
{
	if (src->poll != NULL || src->ws != NULL || src->nqueued > 0 || now < src->next_at)
		return;
	if (src->websocket)
		(void) SourceWsConnect(source_context, source_vhost, src);
	else
		(void) SourcePollStart(source_context, source_vhost, src);
}

/* Copies a message into src's queue (lws callbacks and the main loop). */
void
SourceQueueMessage(Source *src, const char *text, size_t len)
{
	SourceMessage *m = malloc(offsetof(SourceMessage, text) + len + 1);

	if (m == NULL)
	{
		SourceFailed(src, "out of memory: a message of %zu bytes was dropped", len);
		return;
	}
	m->next = NULL;
	m->len = len;
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	if (src->last)
		src->last->next = m;
	else
	{
		src->first = m;
		src->first_queued_at = GetCurrentTimestamp();
	}
	src->last = m;
	src->nqueued++;
}

/*
 * Messages a WebSocket source may hold before its connection stops reading
 * (TCP then holds the server back) until the queue is stored.
 */
int
SourceQueueCap(Source *src)
{
	return Max(src->batch_size * SOURCE_QUEUE_BATCHES, SOURCE_MIN_QUEUE);
}

/*
 * Notes a failure of src (lws callbacks and the main loop): it is recorded
 * by the next transaction, and the next attempt waits by retry_policy.
 */
void
SourceFailed(Source *src, const char *fmt,...)
{
	va_list		args;
	int64		delay;

	if (src->nerrors < SOURCE_MAX_ERRORS)
	{
		va_start(args, fmt);
		vsnprintf(src->errors[src->nerrors++], SOURCE_ERROR_LEN, fmt, args);
		va_end(args);
	}
	else
		src->errors_lost++;
	src->failures++;
	if (!src->websocket && src->failures > src->retry.max_retries)
	{
		/* retries used up: back to the polling interval, retries anew after it */
		src->failures = 0;
		delay = src->interval_ms;
	}
	else
		delay = RetryPolicyDelayMs(&src->retry, src->failures);
	/* a backoff_ms of 0 must not turn a dead source into a busy loop */
	delay = Max(delay, SOURCE_MIN_RETRY_MS);
	src->next_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay);
}

/* Appends the stream's auth_headers to a request or handshake. */
int
SourceAppendHeaders(Source *src, struct lws *wsi, unsigned char **p, unsigned char *end)
{
	for (int i = 0; i < src->nheaders; i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *) src->header_names[i],
										(const unsigned char *) src->header_values[i],
										strlen(src->header_values[i]), p, end))
			return -1;
	return 0;
}

/* The largest WebSocket message a source may send. */
int
SourceMaxMessageBytes(void)
{
	return worker_max_message_bytes;
}

/* One sources transaction: what it was asked, and each source's outcome. */
typedef struct SourcesWork
{
	bool		reload;
	int			n;				/* sources before the reload */
	Source	  **done;			/* the sources ingested, NULL-terminated */
	int		   *taken;
	char	  **since;
	int		   *next_ms;
	SourceSaved *saved;			/* their state before, for a rollback */
} SourcesWork;

/*
 * One transaction: on a reload the streams with a source_url, then each
 * source's messages and failures.  A failure is logged and everything is
 * tried again after a pause; nothing is taken from the queues until commit.
 */
static void
SourcesTransaction(bool reload)
{
	SourcesWork work = {reload};
	Source	   *src;

	for (src = sources; src; src = src->next)
		work.n++;
	/* sources added by the reload are not ingested in this transaction */
	work.done = palloc0(sizeof(Source *) * (work.n + 1));
	work.taken = palloc0(sizeof(int) * (work.n + 1));
	work.since = palloc0(sizeof(char *) * (work.n + 1));
	work.next_ms = palloc0(sizeof(int) * (work.n + 1));
	work.saved = palloc0(sizeof(SourceSaved) * (work.n + 1));
	if (reload)
		next_reload_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), SOURCE_RELOAD_MS);
	if (!WorkerTransaction("streamflow sources", "store what its sources received",
						   SOURCE_ERROR_PAUSE_MS, SourcesWorkRun, &work))
	{
		pause_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), SOURCE_ERROR_PAUSE_MS);
		/* the failures noted while parsing are noted again next time */
		for (int i = 0; work.done[i] != NULL; i++)
		{
			work.done[i]->failures = work.saved[i].failures;
			work.done[i]->next_at = work.saved[i].next_at;
			work.done[i]->nerrors = work.saved[i].nerrors;
		}
		return;
	}
	for (int i = 0; work.done[i] != NULL; i++)
		SourceCommitted(work.done[i], work.taken[i], work.since[i], work.next_ms[i]);
}

/* Inside the transaction: the reload, then each ready source's messages and failures. */
static void
SourcesWorkRun(void *arg)
{
	SourcesWork *work = arg;
	TimestampTz now;
	int			i = 0;

	if (work->reload)
		ReloadSources();
	now = GetCurrentTimestamp();
	for (Source *src = sources; src && i < work->n; src = src->next)
	{
		if (!SourceReady(src, now))
			continue;
		work->done[i] = src;
		work->saved[i].failures = src->failures;
		work->saved[i].next_at = src->next_at;
		work->saved[i].nerrors = src->nerrors;
		work->next_ms[i] = -1;
		SourceIngest(src, &work->taken[i], &work->since[i], &work->next_ms[i]);
		SourceRecordErrors(src);
		i++;
	}
}

/*
 * After commit: the ingested messages leave the queue, the failures count
 * in the stream's stats, a poll that succeeded sets the next one.
 */
static void
SourceCommitted(Source *src, int taken, char *since, int next_ms)
{
	for (int i = 0; i < src->nerrors + src->errors_lost; i++)
		StatsCountError(src->stream_id);
	src->nerrors = 0;
	src->errors_lost = 0;
	for (int i = 0; i < taken && src->first; i++)
	{
		SourceMessage *m = src->first;

		src->first = m->next;
		free(m);
		src->nqueued--;
	}
	if (src->first == NULL)
		src->last = NULL;
	else
		src->first_queued_at = GetCurrentTimestamp();
	SourceWsResume(src);
	if (since != NULL)
	{
		free(src->since);
		src->since = strdup(since);
	}
	if (next_ms >= 0)
	{
		src->failures = 0;
		src->next_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), next_ms);
	}
}

/* A malloc'd copy of a string, NULL-safe. */
static char *
Strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Reads a stream's auth_headers (an object of strings) into src. */
static void
SetHeaders(Source *src, Jsonb *headers)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	if (headers == NULL || !JB_ROOT_IS_OBJECT(headers))
		return;
	src->header_names = calloc(JB_ROOT_COUNT(headers) + 1, sizeof(char *));
	src->header_values = calloc(JB_ROOT_COUNT(headers) + 1, sizeof(char *));
	if (src->header_names == NULL || src->header_values == NULL)
		return;
	it = JsonbIteratorInit(&headers->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			src->header_names[n] = strdup(psprintf("%.*s:", v.val.string.len, v.val.string.val));
		else if (tok == WJB_VALUE && v.type == jbvString)
			src->header_values[n++] = strdup(pnstrdup(v.val.string.val, v.val.string.len));
		else if (tok == WJB_VALUE)
			free(src->header_names[n]);
	}
	src->nheaders = n;
}

/* Frees src's settings (not its queue or client). */
static void
ClearSettings(Source *src)
{
	for (int i = 0; i < src->nheaders; i++)
	{
		free(src->header_names[i]);
		free(src->header_values[i]);
	}
	free(src->header_names);
	free(src->header_values);
	src->header_names = src->header_values = NULL;
	src->nheaders = 0;
	free(src->url);
	free(src->config);
	src->url = src->config = NULL;
}

/* Sets src from the streams row SPI's result holds at row. */
static void
SetSettings(Source *src, uint64 row)
{
	bool		isnull;
	bool		no_headers;
	Datum		headers = SPIValue(row, 3, &no_headers);

	src->url = Strdup(TextDatumGetCString(SPIValue(row, 2, &isnull)));
	src->websocket = pg_strncasecmp(src->url, "ws", 2) == 0;
	SetHeaders(src, no_headers ? NULL : DatumGetJsonbP(headers));
	src->interval_ms = DatumGetInt32(SPIValue(row, 4, &isnull));
	src->retry.max_retries = DatumGetInt32(SPIValue(row, 5, &isnull));
	src->retry.backoff_ms = DatumGetInt32(SPIValue(row, 6, &isnull));
	src->retry.max_backoff_ms = DatumGetInt32(SPIValue(row, 7, &isnull));
	src->retry.exponential = DatumGetBool(SPIValue(row, 8, &isnull));
	src->retry.jitter = DatumGetBool(SPIValue(row, 9, &isnull));
	src->batch_size = DatumGetInt32(SPIValue(row, 10, &isnull));
	src->batch_timeout_ms = DatumGetInt32(SPIValue(row, 11, &isnull));
	src->config = Strdup(TextDatumGetCString(SPIValue(row, 12, &isnull)));
}

/* The source of stream_id, or NULL. */
static Source *
FindSource(const char *stream_id)
{
	for (Source *src = sources; src; src = src->next)
		if (strcmp(src->stream_id, stream_id) == 0)
			return src;
	return NULL;
}

/*
 * Rereads the streams with a source_url that are not paused: new ones get
 * a source, changed ones restart with their new settings, the others stop.
 */
static void
ReloadSources(void)
{
	Source	  **link;

	if (SPI_execute_plan(KeptPlan(&streams_plan,
								  "SELECT id, source_url, auth_headers,"
								  "  coalesce(polling_interval_ms, " CppAsString2(SOURCE_DEFAULT_INTERVAL_MS) "),"
								  "  coalesce((retry_policy->>'max_retries')::int, "
								  CppAsString2(RETRY_DEFAULT_MAX_RETRIES) "),"
								  "  coalesce((retry_policy->>'backoff_ms')::int, "
								  CppAsString2(RETRY_DEFAULT_BACKOFF_MS) "),"
								  "  coalesce((retry_policy->>'max_backoff_ms')::int, "
								  CppAsString2(RETRY_DEFAULT_MAX_BACKOFF_MS) "),"
								  "  coalesce((retry_policy->>'exponential')::boolean, true),"
								  "  coalesce((retry_policy->>'jitter')::boolean, true),"
								  "  coalesce((batching->>'batch_size')::int, "
								  CppAsString2(SOURCE_DEFAULT_BATCH_SIZE) "),"
								  "  coalesce((batching->>'batch_timeout_ms')::int, "
								  CppAsString2(SOURCE_DEFAULT_BATCH_TIMEOUT_MS) "),"
								  "  (source_url, auth_headers, polling_interval_ms, retry_policy,"
								  "   batching)::text"
								  " FROM streamflow.streams"
								  " WHERE source_url IS NOT NULL AND status <> 'paused'",
								  0, NULL),
						 NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the streams with a source_url");
	for (Source *src = sources; src; src = src->next)
		src->seen = false;
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		char	   *id = TextDatumGetCString(SPIValue(row, 1, &isnull));
		char	   *config = TextDatumGetCString(SPIValue(row, 12, &isnull));
		Source	   *src = FindSource(id);

		if (src != NULL && strcmp(src->config, config) == 0)
		{
			src->seen = true;
			continue;
		}
		if (src == NULL)
		{
			src = calloc(1, sizeof(Source));
			if (src == NULL || (src->stream_id = strdup(id)) == NULL)
			{
				free(src);
				continue;
			}
			src->next = sources;
			sources = src;
		}
		else
		{
			/* a new configuration: the client starts again with it */
			SourceStopClient(src);
			free(src->since);
			src->since = NULL;
			ClearSettings(src);
		}
		SetSettings(src, row);
		src->seen = true;
		src->failures = 0;
		src->next_at = 0;
	}
	for (link = &sources; *link;)
	{
		Source	   *src = *link;

		if (src->seen)
		{
			link = &src->next;
			continue;
		}
		*link = src->next;
		SourceFree(src);
	}
}

/* Stops src's poll or connection. */
static void
SourceStopClient(Source *src)
{
	SourcePollStop(src);
	SourceWsStop(src);
}

/* Stops and frees a source whose stream was paused, dropped or lost its source_url. */
static void
SourceFree(Source *src)
{
	SourceStopClient(src);
	if (src->nqueued > 0)
		ereport(LOG,
				(errmsg("streamflow source of stream \"%s\" stopped with %d message(s) not stored",
						src->stream_id, src->nqueued)));
	while (src->first)
	{
		SourceMessage *m = src->first;

		src->first = m->next;
		free(m);
	}
	ClearSettings(src);
	free(src->since);
	free(src->stream_id);
	free(src);
}
