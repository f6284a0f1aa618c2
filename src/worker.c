/*
 * worker.c: the transport background worker.
 *
 * One worker per cluster, connected to streamflow.database, serves HTTP on
 * streamflow.listen_address:streamflow.port with libwebsockets running on a
 * libuv loop that the worker owns (a "foreign" loop to lws).  The worker never
 * lets libuv block: it sleeps in a PostgreSQL WaitEventSet on its latch,
 * postmaster death and the libuv backend (epoll) fd, for at most the time
 * libuv's next timer needs, then runs the loop once without waiting.  So
 * signals, ProcSignalBarriers (DROP DATABASE elsewhere) and config reloads
 * are handled promptly, and nothing PostgreSQL raises ever unwinds through an
 * lws or libuv frame: lws callbacks only queue requests (worker_requests.c);
 * database work happens in the main loop.
 */
#include "postgres.h"

#include <limits.h>

#include <libwebsockets.h>
#include <uv.h>

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "hub.h"
#include "outbound.h"
#include "window_engine.h"
#include "source.h"
#include "worker.h"
#include "worker_args.h"
#include "worker_requests.h"
#include "worker_ring.h"
#include "worker_routes.h"

/* The answer to a body over streamflow.max_message_bytes. */
#define BODY_TOO_LARGE_JSON \
	"{\"error\":\"payload too large\",\"detail\":\"The request body exceeds streamflow.max_message_bytes.\"}"
/* Milliseconds between attempts to listen when the port is taken. */
#define WORKER_LISTEN_RETRY_MS 10000
/* Longest the worker waits for lws and libuv to close at exit. */
#define WORKER_SHUTDOWN_MS 1000

char	   *worker_database = NULL;
char	   *worker_listen_address = NULL;
int			worker_port = 8787;
int			worker_max_connections = 1024;
int			worker_max_message_bytes = 1024 * 1024;
int			worker_statement_timeout = 5000;
int			worker_request_timeout = 10;
TimestampTz worker_started_at = 0;

/* Per-connection state lws allocates for us (zeroed). */
typedef struct Session
{
	Request    *req;			/* the request in flight, or NULL */
	LiveClient *live;			/* a WebSocket or SSE subscriber (hub.h), or NULL */
} Session;

static uv_loop_t uv_loop;
static bool uv_loop_ready = false;
static struct lws_context *lws_ctx = NULL;
static struct lws_vhost *lws_vh = NULL;
static int	open_connections = 0;

/* What the worker started with; a reload changing them restarts it. */
static char *started_database;
static char *started_listen_address;
static int	started_port;
static char *started_tls_cert;
static char *started_tls_key;

/* GUCs streamflow.tls_cert_file / tls_key_file: both set serves https and wss. */
static char *worker_tls_cert_file = NULL;
static char *worker_tls_key_file = NULL;

static void WorkerCreateContext(void);
static bool WorkerListen(void);
static bool WorkerTlsOptions(struct lws_context_creation_info *info);
static void WorkerReload(void);
static char *WorkerDatabaseName(void);
static void WorkerShutdown(int code, Datum arg);
static void WorkerLwsLog(int level, const char *line);
static int	HttpCallback(struct lws *wsi, enum lws_callback_reasons reason,
						 void *user, void *in, size_t len);
static int	HttpAccept(struct lws *wsi, Session *session, const char *path, size_t len);
static int	HttpWrite(struct lws *wsi, Session *session);
static int	HttpAnswered(struct lws *wsi, Session *session);
static int	HttpBodyStart(struct lws *wsi, Session *session);
static int	HttpRefuse(struct lws *wsi, Session *session, int status, const char *json);
static int	HttpBody(struct lws *wsi, Session *session, const char *in, size_t len);
static int	HttpBodyComplete(struct lws *wsi, Session *session);
static int	HttpPreflight(struct lws *wsi);
static void SessionRelease(Session *session);

static const struct lws_protocols protocols[] = {
	{"http", HttpCallback, sizeof(Session), 0, 0, NULL, 0},
	/* WebSocket clients may ask for subprotocol "streamflow"; others get "http" */
	{"streamflow", HttpCallback, sizeof(Session), 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

/* Defines the worker GUCs and, when preloaded, registers the worker. */
void
WorkerInit(void)
{
	DefineCustomStringVariable("streamflow.database",
							   gettext_noop("Database the streamflow worker connects to."),
							   NULL, &worker_database, "postgres", PGC_SIGHUP, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("streamflow.listen_address",
							   gettext_noop("Address the streamflow worker's HTTP listener binds to."),
							   gettext_noop("An IPv4 or IPv6 address; * listens on every address."),
							   &worker_listen_address, "127.0.0.1", PGC_SIGHUP, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.port",
							gettext_noop("TCP port of the streamflow worker's HTTP listener."),
							gettext_noop("0 runs the worker without a listener. A change restarts the worker."),
							&worker_port, 8787, 0, 65535, PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.max_connections",
							gettext_noop("HTTP connections the streamflow worker serves at once; more are answered 503."),
							NULL, &worker_max_connections, 1024, 1, INT_MAX / 2, PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.max_message_bytes",
							gettext_noop("Largest request body the streamflow worker accepts; larger ones are answered 413."),
							NULL, &worker_max_message_bytes, 1024 * 1024, 1024, MaxAllocSize,
							PGC_SIGHUP, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.worker_statement_timeout",
							gettext_noop("Longest a transaction of the streamflow worker may run; the request is then answered 503."),
							gettext_noop("0 turns the limit off."),
							&worker_statement_timeout, 5000, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.request_timeout",
							gettext_noop("Time a client has to send a whole HTTP request; slower ones are closed."),
							gettext_noop("Bounds the request headers, each pause in a body and the whole body. The headers and pauses take a new value when the worker restarts."),
							&worker_request_timeout, 10, 1, 3600, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomStringVariable("streamflow.tls_cert_file",
							   gettext_noop("PEM certificate (chain) the worker serves https and wss with."),
							   gettext_noop("Empty serves plain http and ws. Needs streamflow.tls_key_file; a change restarts the worker."),
							   &worker_tls_cert_file, "", PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("streamflow.tls_key_file",
							   gettext_noop("PEM private key of streamflow.tls_cert_file."),
							   NULL, &worker_tls_key_file, "", PGC_SIGHUP, 0, NULL, NULL, NULL);

	LiveInit();

	if (process_shared_preload_libraries_in_progress)
		LauncherRegister();
	else
		ereport(LOG,
				(errmsg("streamflow's HTTP worker is not running"),
				 errdetail("streamflow was loaded without shared_preload_libraries; its SQL functions work, its HTTP, WebSocket and SSE endpoints do not."),
				 errhint("Add streamflow to the shared_preload_libraries configuration variable in postgresql.conf.")));
}

/* The worker's entry point: connect, listen, and serve until told to stop. */
void
StreamflowWorkerMain(Datum main_arg)
{
	MemoryContext loop_context;
	WaitEventSet *events;
	TimestampTz next_listen_attempt = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* the launcher (worker_launcher.c) looked the database up */
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), InvalidOid, 0);
	pgstat_report_appname("streamflow http");
	started_database = WorkerDatabaseName();
	started_listen_address = MemoryContextStrdup(TopMemoryContext, worker_listen_address);
	started_port = worker_port;
	started_tls_cert = MemoryContextStrdup(TopMemoryContext, worker_tls_cert_file);
	started_tls_key = MemoryContextStrdup(TopMemoryContext, worker_tls_key_file);
	worker_started_at = GetCurrentTimestamp();
	WorkerRingStart();

	loop_context = AllocSetContextCreate(TopMemoryContext, "streamflow worker loop",
										 ALLOCSET_DEFAULT_SIZES);

	before_shmem_exit(WorkerShutdown, (Datum) 0);
	LiveWorkerStart();
	WorkerCreateContext();
	OutboundStart(lws_ctx);
	WindowsStart();
	SseWatchStart(&uv_loop);
	SourcesStart(lws_ctx);

	events = CreateWaitEventSet(TopMemoryContext, 3);
	AddWaitEventToSet(events, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(events, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	AddWaitEventToSet(events, WL_SOCKET_READABLE, uv_backend_fd(&uv_loop), NULL, NULL);

	ereport(LOG,
			(errmsg("streamflow worker started in database \"%s\"", started_database)));
	/* streamflow.database changed between the launcher's look-up and now */
	if (strcmp(started_database, worker_database) != 0)
		ConfigReloadPending = true;

	for (;;)
	{
		WaitEvent	event;
		long		timeout;

		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);

		/* (re)try the listener when it is not up yet */
		if (lws_vh == NULL && worker_port != 0 &&
			GetCurrentTimestamp() >= next_listen_attempt && !WorkerListen())
			next_listen_attempt = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															  WORKER_LISTEN_RETRY_MS);

		/*
		 * Answer what the callbacks queued, then run the loop once without
		 * waiting: that both serves ready sockets and applies the watcher
		 * changes (lws_callback_on_writable) libuv only makes inside uv_run.
		 */
		WorkerDrainRing();
		RequestsProcess(WorkerRoutes, loop_context);
		OutboundProcess();
		WindowsProcess();
		SourcesProcess();
		HubProcess(loop_context);
		uv_run(&uv_loop, UV_RUN_NOWAIT);
		if (RequestsPending() || HubPending())
			continue;

		timeout = HubWaitTimeout(SourcesTimeout(WindowsTimeout(OutboundTimeout(uv_backend_timeout(&uv_loop)))));
		if (lws_vh == NULL && worker_port != 0)
			timeout = (timeout < 0 || timeout > WORKER_LISTEN_RETRY_MS)
				? WORKER_LISTEN_RETRY_MS : timeout;
		(void) WaitEventSetWait(events, timeout, &event, 1, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);

		/*
		 * A cancel (a statement timeout that fired as its request ended, or
		 * pg_cancel_backend between requests) has no statement to cancel
		 * here: drop it rather than raise an error outside any request.
		 */
		QueryCancelPending = false;
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
			WorkerReload();

		/* serve what woke us (sockets, lws timers) */
		uv_run(&uv_loop, UV_RUN_NOWAIT);
	}
}

/*
 * Rereads the configuration.  A new database, address or port takes a new
 * process: the worker exits and the launcher starts it again.
 */
static void
WorkerReload(void)
{
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	if (strcmp(started_database, worker_database) != 0 ||
		strcmp(started_listen_address, worker_listen_address) != 0 ||
		started_port != worker_port ||
		strcmp(started_tls_cert, worker_tls_cert_file) != 0 ||
		strcmp(started_tls_key, worker_tls_key_file) != 0)
	{
		ereport(LOG,
				(errmsg("streamflow worker restarting to apply new streamflow.database, listen_address, port or TLS files")));
		proc_exit(1);
	}
}

/* The name of the database the worker is connected to, in TopMemoryContext. */
static char *
WorkerDatabaseName(void)
{
	char	   *name;

	StartTransactionCommand();
	name = get_database_name(MyDatabaseId);
	name = MemoryContextStrdup(TopMemoryContext, name ? name : "");
	CommitTransactionCommand();
	return name;
}

/* Arms the statement timeout for a transaction the worker is about to run. */
void
WorkerStatementTimeoutStart(void)
{
	if (worker_statement_timeout > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, worker_statement_timeout);
}

/*
 * Disarms it once the transaction ended (committed or aborted); a cancel that
 * came too late to stop anything is forgotten, not left for the next one.
 */
void
WorkerStatementTimeoutStop(void)
{
	disable_timeout(STATEMENT_TIMEOUT, false);
	QueryCancelPending = false;
}

/* Creates the libuv loop and the lws context on it; vhosts come later. */
static void
WorkerCreateContext(void)
{
	struct lws_context_creation_info info;
	void	   *foreign_loops[1];
	int			rc;

	rc = uv_loop_init(&uv_loop);
	if (rc != 0)
		ereport(FATAL,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not create the streamflow worker's event loop: %s", uv_strerror(rc))));
	uv_loop_ready = true;

	lws_set_log_level(LLL_ERR | LLL_WARN, WorkerLwsLog);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
	foreign_loops[0] = &uv_loop;
	info.foreign_loops = foreign_loops;
	info.pcontext = &lws_ctx;
	info.port = CONTEXT_PORT_NO_LISTEN;
	/* a pause in a request body longer than this closes the connection */
	info.timeout_secs = worker_request_timeout;
	lws_ctx = lws_create_context(&info);
	if (lws_ctx == NULL)
		ereport(FATAL,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not create the streamflow worker's libwebsockets context")));
}

/* Starts the HTTP listener; false (with a warning) when it cannot bind. */
static bool
WorkerListen(void)
{
	struct lws_context_creation_info info;
	const char *address = worker_listen_address;

	memset(&info, 0, sizeof(info));
	info.port = worker_port;
	info.protocols = protocols;
	info.vhost_name = "streamflow";
	if (address == NULL || address[0] == '\0' || strcmp(address, "*") == 0)
		info.iface = NULL;
	else
	{
		info.iface = address;
		if (strchr(address, ':') == NULL)
			info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	}
	info.keepalive_timeout = 5;
	info.retry_and_idle_policy = WsKeepAlivePolicy();
	/* headers not complete by then: the connection is closed */
	info.timeout_secs_ah_idle = worker_request_timeout;
	if (!WorkerTlsOptions(&info))
		return false;

	lws_vh = lws_create_vhost(lws_ctx, &info);
	if (lws_vh == NULL)
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("streamflow worker could not listen on %s:%d",
						address ? address : "*", worker_port),
				 info.ssl_cert_filepath
				 ? errdetail("The address may be in use, or the TLS certificate or key could not be loaded (the libwebsockets lines above say which).")
				 : errdetail("The address may be in use by another program or another cluster."),
				 errhint("Set streamflow.port to a free port and restart the server; the worker retries every %d seconds.",
						 WORKER_LISTEN_RETRY_MS / 1000)));
		return false;
	}
	ereport(LOG,
			(errmsg("streamflow worker listening on %s:%d (%s)", address ? address : "*", worker_port,
					info.ssl_cert_filepath ? "https and wss" : "http and ws")));
	return true;
}

/*
 * Sets the listener's TLS certificate and key when both GUCs are set; false
 * (with a warning, so the worker does not listen in clear text instead) when
 * only one is.
 */
static bool
WorkerTlsOptions(struct lws_context_creation_info *info)
{
	bool		cert = worker_tls_cert_file[0] != '\0';
	bool		key = worker_tls_key_file[0] != '\0';

	if (!cert && !key)
		return true;
	if (cert != key)
	{
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("streamflow worker does not listen: streamflow.%s is set but streamflow.%s is not",
						cert ? "tls_cert_file" : "tls_key_file", cert ? "tls_key_file" : "tls_cert_file"),
				 errhint("Set both to serve https and wss, or neither to serve http and ws, then reload.")));
		return false;
	}
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->ssl_cert_filepath = worker_tls_cert_file;
	info->ssl_private_key_filepath = worker_tls_key_file;
	return true;
}

/*
 * At exit (SIGTERM, FATAL, postmaster death): closes every connection and
 * the listener, and lets libuv finish closing its handles, for at most
 * WORKER_SHUTDOWN_MS.
 */
static void
WorkerShutdown(int code, Datum arg)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WORKER_SHUTDOWN_MS);

	if (lws_ctx != NULL)
		lws_context_destroy(lws_ctx);
	if (!uv_loop_ready)
		return;
	while (uv_loop_alive(&uv_loop) && GetCurrentTimestamp() < deadline)
	{
		if (uv_run(&uv_loop, UV_RUN_NOWAIT) == 0)
			break;
		pg_usleep(1000);
	}
	/* a foreign-loop context finishes destroying once its handles closed */
	if (lws_ctx != NULL)
		lws_context_destroy(lws_ctx);
	uv_run(&uv_loop, UV_RUN_NOWAIT);
	RequestsDiscardAll();
	if (uv_loop_close(&uv_loop) != 0)
		elog(LOG, "streamflow worker exited with libuv handles still open");
	uv_loop_ready = false;
}

/* Routes lws's own errors and warnings to the server log. */
static void
WorkerLwsLog(int level, const char *line)
{
	int			len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	/* LOG never raises an error, so this cannot unwind through lws */
	ereport(LOG, (errmsg_internal("libwebsockets: %.*s", len, line)));
}

/*
 * lws's HTTP callback.  Never calls anything that can raise a PostgreSQL
 * error: requests are queued for the main loop and written when answered.
 */
static int
HttpCallback(struct lws *wsi, enum lws_callback_reasons reason,
			 void *user, void *in, size_t len)
{
	Session    *session = (Session *) user;

	switch (reason)
	{
		case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
			open_connections++;
			break;
		case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
			open_connections--;
			if (session)
				SessionRelease(session);
			break;
		case LWS_CALLBACK_CLOSED_HTTP:
			if (session)
				SessionRelease(session);
			break;
		case LWS_CALLBACK_HTTP:
			return HttpAccept(wsi, session, (const char *) in, len);
		case LWS_CALLBACK_HTTP_BODY:
			return HttpBody(wsi, session, (const char *) in, len);
		case LWS_CALLBACK_HTTP_BODY_COMPLETION:
			return HttpBodyComplete(wsi, session);
		case LWS_CALLBACK_HTTP_WRITEABLE:
			if (session && session->live)
				return SseWrite(wsi, session->live);
			return HttpWrite(wsi, session);
		case LWS_CALLBACK_ESTABLISHED:
		case LWS_CALLBACK_RECEIVE:
		case LWS_CALLBACK_SERVER_WRITEABLE:
		case LWS_CALLBACK_CLOSED:
			return session ? WsCallback(wsi, reason, &session->live, in, len) : -1;
		case LWS_CALLBACK_TIMER:
			lws_callback_on_writable(wsi);
			return 0;
		default:
			break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* A new request on wsi: refuse it at once, or queue it for the main loop. */
static int
HttpAccept(struct lws *wsi, Session *session, const char *path, size_t len)
{
	static const struct
	{
		const char *name;
		enum lws_token_indexes token;
	}			methods[] = {
		{"GET", WSI_TOKEN_GET_URI}, {"POST", WSI_TOKEN_POST_URI},
		{"PUT", WSI_TOKEN_PUT_URI}, {"PATCH", WSI_TOKEN_PATCH_URI},
		{"DELETE", WSI_TOKEN_DELETE_URI}, {"OPTIONS", WSI_TOKEN_OPTIONS_URI},
		{"HEAD", WSI_TOKEN_HEAD_URI}
	};
	const char *method = NULL;
	char		query[1024];
	Request    *req;
	int			status = 0;
	int			i;

	for (i = 0; i < (int) lengthof(methods); i++)
		if (lws_hdr_total_length(wsi, methods[i].token) > 0)
		{
			method = methods[i].name;
			break;
		}
	if (open_connections > worker_max_connections)
		status = HTTP_STATUS_SERVICE_UNAVAILABLE;
	if (method == NULL)
		status = HTTP_STATUS_METHOD_NOT_ALLOWED;
	if (lws_hdr_copy(wsi, query, sizeof(query), WSI_TOKEN_HTTP_URI_ARGS) < 0)
		query[0] = '\0';
	if (status == 0 && strcmp(method, "OPTIONS") == 0)
		return HttpPreflight(wsi);

	if (status == 0 && strcmp(method, "GET") == 0 && SsePath(path))
	{
		/* an earlier answer on this keep-alive connection is finished with */
		SessionRelease(session);
		return SseAccept(wsi, &session->live, path);
	}
	if (status == 0)
	{
		req = RequestNew(wsi, method, path, len, query);
		if (req != NULL && !RequestCopyHeaders(req, wsi))
		{
			RequestFree(req);
			req = NULL;
		}
		if (req == NULL)
			status = HTTP_STATUS_SERVICE_UNAVAILABLE;
		else
		{
			SessionRelease(session);
			session->req = req;
			if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
				strcmp(method, "PATCH") == 0)
				return HttpBodyStart(wsi, session);
			RequestQueue(req);
			return 0;
		}
	}
	/* refused before queueing: a JSON answer, the connection closed after */
	req = RequestNew(wsi, method ? method : "", path, len, "");
	if (req != NULL)
	{
		SessionRelease(session);
		session->req = req;
		return HttpRefuse(wsi, session, status, status == HTTP_STATUS_METHOD_NOT_ALLOWED
						  ? "{\"error\":\"method not allowed\",\"detail\":\"The worker serves GET and POST.\"}"
						  : "{\"error\":\"service unavailable\",\"detail\":\"The worker serves streamflow.max_connections connections at most.\"}");
	}
	/* out of memory: lws's plain answer */
	if (lws_return_http_status(wsi, status, NULL))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * lws says wsi can write: the answered request's headers, then its body.  An
 * answer that closes the connection (a refused body) is written in one piece,
 * and the connection then drains what the client still sends until its body
 * ends or streamflow.request_timeout passes, so the client reads the answer
 * instead of a reset.
 */
static int
HttpWrite(struct lws *wsi, Session *session)
{
	Request    *req = session ? session->req : NULL;
	unsigned char headers[LWS_PRE + 1024];
	unsigned char *start = headers + LWS_PRE;
	unsigned char *p = start;
	unsigned char *end = headers + sizeof(headers) - 1;

	if (req == NULL || req->state == REQUEST_QUEUED || req->state == REQUEST_RECEIVING ||
		req->written)
		return 0;

	if (req->state == REQUEST_READY)
	{
		if (lws_add_http_common_headers(wsi, req->status,
										req->content_type ? req->content_type : "application/json",
										req->body_len, &p, end) ||
			lws_add_http_header_by_name(wsi, (const unsigned char *) "cache-control:",
										(const unsigned char *) "no-store", 8, &p, end) ||
			lws_add_http_header_by_name(wsi, (const unsigned char *) "access-control-allow-origin:",
										(const unsigned char *) "*", 1, &p, end) ||
			(req->close_after &&
			 lws_add_http_header_by_name(wsi, (const unsigned char *) "connection:",
										 (const unsigned char *) "close", 5, &p, end)))
			return -1;
		if (req->close_after && req->body_len < (size_t) (end - p) - 4)
		{
			/* headers and body together, in one write */
			if (lws_finalize_http_header(wsi, &p, end))
				return -1;
			memcpy(p, req->body + LWS_PRE, req->body_len);
			p += req->body_len;
			if (lws_write(wsi, start, p - start, LWS_WRITE_HTTP_FINAL) != (int) (p - start))
				return -1;
			return HttpAnswered(wsi, session);
		}
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		req->state = REQUEST_HEADERS_SENT;
		if (req->body_len > 0)
		{
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	else if (lws_write(wsi, req->body + LWS_PRE, req->body_len, LWS_WRITE_HTTP_FINAL) !=
			 (int) req->body_len)
		return -1;
	return HttpAnswered(wsi, session);
}

/* The answer is written: next request, or close (at once or once drained). */
static int
HttpAnswered(struct lws *wsi, Session *session)
{
	Request    *req = session->req;

	if (req->close_after)
	{
		req->written = true;
		return req->body_open ? 0 : -1;
	}
	SessionRelease(session);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * A request with a body: checks its framing and size before reading it.
 * Chunked bodies are decoded by worker_body.c; a body of unknown length is
 * refused (411), one announced larger than streamflow.max_message_bytes at
 * once (413).
 */
static int
HttpBodyStart(struct lws *wsi, Session *session)
{
	Request    *req = session->req;
	char		value[64];
	bool		chunked = false;
	bool		has_length = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;

	if (lws_hdr_copy(wsi, value, sizeof(value), WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
		chunked = strcasestr(value, "chunked") != NULL;
	req->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												worker_request_timeout * 1000);
	BodyStart(&req->content, worker_max_message_bytes, chunked);
	/* a body that cannot be delimited is not drained: the answer closes */
	req->body_open = has_length || chunked;
	if (chunked && has_length)
	{
		req->body_open = false;
		return HttpRefuse(wsi, session, HTTP_STATUS_BAD_REQUEST,
						  "{\"error\":\"bad request\",\"detail\":\"A request must not have both Content-Length and Transfer-Encoding: chunked.\"}");
	}
	else if (!chunked && !has_length)
		return HttpRefuse(wsi, session, HTTP_STATUS_LENGTH_REQUIRED,
						  "{\"error\":\"length required\",\"detail\":\"Send a Content-Length header or a chunked body.\"}");
	else if (has_length &&
			 lws_hdr_copy(wsi, value, sizeof(value), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
			 strtoll(value, NULL, 10) > worker_max_message_bytes)
		return HttpRefuse(wsi, session, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, BODY_TOO_LARGE_JSON);
	return 0;
}

/*
 * Answers the session's request from the callback it is in and writes the
 * answer at once: a client that stops sending (or half-closes) still reads
 * it.  The connection closes after it, once any announced body is drained.
 */
static int
HttpRefuse(struct lws *wsi, Session *session, int status, const char *json)
{
	RequestAnswerNow(session->req, status, json);
	return HttpWrite(wsi, session);
}

/* Bytes of a request body arrived: keeps them, or answers 413, 400 or 408. */
static int
HttpBody(struct lws *wsi, Session *session, const char *in, size_t len)
{
	Request    *req = session ? session->req : NULL;

	/* answered already (refused, or a body on a GET): the rest is drained */
	if (req == NULL)
		return 0;
	if (req->state != REQUEST_RECEIVING)
		return req->written && GetCurrentTimestamp() > req->deadline ? -1 : 0;
	switch (BodyAppend(&req->content, in, len))
	{
		case BODY_TOO_LARGE:
			return HttpRefuse(wsi, session, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, BODY_TOO_LARGE_JSON);
		case BODY_MALFORMED:
			return HttpRefuse(wsi, session, HTTP_STATUS_BAD_REQUEST,
							  "{\"error\":\"bad request\",\"detail\":\"The chunked body is malformed.\"}");
		case BODY_DONE:
			return HttpBodyComplete(wsi, session);
		case BODY_MORE:
			if (GetCurrentTimestamp() > req->deadline)
				return HttpRefuse(wsi, session, 408,
								  "{\"error\":\"request timeout\",\"detail\":\"The request body did not arrive within streamflow.request_timeout.\"}");
			break;
	}
	return 0;
}

/* The whole body is here: the request goes to the main loop. */
static int
HttpBodyComplete(struct lws *wsi, Session *session)
{
	Request    *req = session ? session->req : NULL;

	if (req == NULL)
		return 0;
	if (req->state != REQUEST_RECEIVING)
	{
		/* a refused body ended: close once its answer is out */
		req->body_open = false;
		return req->written ? -1 : 0;
	}
	req->body_open = false;
	if (!BodyFinish(&req->content))
		return HttpRefuse(wsi, session, HTTP_STATUS_BAD_REQUEST,
						  "{\"error\":\"bad request\",\"detail\":\"The body ended before its last chunk.\"}");
	/* lws cannot find the end of a chunked body: the connection ends with it */
	if (req->content.chunked)
		req->close_after = true;
	RequestQueue(req);
	return 0;
}

/*
 * Answers a CORS preflight (any OPTIONS request) at once: 204, any origin.
 * Any origin is safe here because nothing is granted by ambient credentials:
 * streams need a token the page itself must hold.
 */
static int
HttpPreflight(struct lws *wsi)
{
	static const char *const headers[][2] = {
		{"access-control-allow-origin:", "*"},
		{"access-control-allow-methods:", "GET, POST"},
		{"access-control-allow-headers:", "authorization, content-type, last-event-id, x-streamflow-signature"},
		{"access-control-max-age:", "600"},
	};
	unsigned char buf[LWS_PRE + 512];
	unsigned char *start = buf + LWS_PRE;
	unsigned char *p = start;
	unsigned char *end = buf + sizeof(buf) - 1;
	int			i;

	if (lws_add_http_header_status(wsi, HTTP_STATUS_NO_CONTENT, &p, end))
		return -1;
	for (i = 0; i < (int) lengthof(headers); i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *) headers[i][0],
										(const unsigned char *) headers[i][1],
										strlen(headers[i][1]), &p, end))
			return -1;
	if (lws_add_http_header_content_length(wsi, 0, &p, end) ||
		lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Forgets the session's request, freeing it unless the queue still owns it. */
static void
SessionRelease(Session *session)
{
	if (session->req != NULL)
		RequestConnectionClosed(session->req);
	session->req = NULL;
	if (session->live != NULL)
		LiveClientClosed(session->live);
	session->live = NULL;
}
