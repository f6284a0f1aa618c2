/*
 * worker_sse.c: GET /streams/{id}/events, Server-Sent Events.
 *
 * lws callbacks only.  The request becomes a subscription (queued for the
 * main loop, which resolves the stream); the answer is 200 text/event-stream
 * with no length, cache-control no-store and Access-Control-Allow-Origin *
 * (EventSource on another origin), then never ends: each frame is
 *   id: <sequence>\nevent: frame\ndata: <seed 000 message>\n\n
 * several per write when queued together (up to batch_size when the stream
 * batches), and a comment ": heartbeat" after streamflow.sse_heartbeat_ms
 * without writes.  Last-Event-ID (header, or ?last_event_id= since browsers
 * cannot set it on a first connection) replays the frames after it from
 * storage.  An unknown stream is answered 404 JSON, a bad Last-Event-ID 400.
 *
 * Hung-up peers: once its answer started, lws no longer reads an SSE
 * connection (the h1 role ignores input during a transaction), so a peer's
 * hang-up would stay unread, readable, and keep the event loop spinning.
 * Each SSE socket is therefore also watched by an epoll set of our own for
 * EPOLLRDHUP (and input, which an SSE client never sends), itself watched by
 * libuv: a hang-up closes its connection at once, with no polling.  Were
 * that set unavailable, the hub peeks at the sockets once a second.
 */
#include "postgres.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <uv.h>
#include <libwebsockets.h>

#include "storage/ipc.h"
#include "utils/timestamp.h"

#include "auth.h"
#include "hub.h"

#define SSE_MAX_WRITE (256 * 1024)	/* bytes of events per write */

#define SSE_HANGUPS_PER_CALLBACK 64

static int	SseWriteStatus(struct lws *wsi, LiveClient *client);
static int	SseWriteHeaders(struct lws *wsi, LiveClient *client);
static void SseWatch(LiveClient *client, struct lws *wsi);

static int	hangup_epoll = -1;	/* SSE sockets, for EPOLLRDHUP */
static uv_poll_t hangup_poll;	/* libuv's watch on hangup_epoll */

/* libuv: SSE peers hung up (or sent something): close their connections. */
static void
SseHangUps(uv_poll_t *handle, int status, int events)
{
	struct epoll_event ev[SSE_HANGUPS_PER_CALLBACK];
	int			n = epoll_wait(hangup_epoll, ev, lengthof(ev), 0);
	int			i;

	for (i = 0; i < n; i++)
	{
		LiveClient *client = ev[i].data.ptr;

		SseUnwatch(client);
		if (client->wsi != NULL)
			lws_set_timeout(client->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}

/* At exit: stops the watch, so that libuv can close its loop. */
static void
SseWatchStop(int code, Datum arg)
{
	uv_close((uv_handle_t *) &hangup_poll, NULL);
}

/*
 * At worker start, on the worker's libuv loop: the epoll set of SSE
 * sockets, watched by libuv.  Without it (logged) the hub peeks instead.
 */
void
SseWatchStart(struct uv_loop_s *loop)
{
	hangup_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (hangup_epoll < 0 ||
		uv_poll_init(loop, &hangup_poll, hangup_epoll) != 0 ||
		uv_poll_start(&hangup_poll, UV_READABLE, SseHangUps) != 0)
	{
		ereport(LOG,
				(errmsg("streamflow worker will look for hung-up SSE peers once a second: could not watch them: %m")));
		if (hangup_epoll >= 0)
			close(hangup_epoll);
		hangup_epoll = -1;
		return;
	}
	uv_unref((uv_handle_t *) &hangup_poll);
	before_shmem_exit(SseWatchStop, (Datum) 0);
}

/* Watches the client's socket for a hang-up (callback side). */
static void
SseWatch(LiveClient *client, struct lws *wsi)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = client};
	int			fd = lws_get_socket_fd(wsi);

	if (hangup_epoll < 0 || fd < 0 || epoll_ctl(hangup_epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
		return;
	client->watched_fd = fd;
}

/* Stops watching the client's socket (before the client is freed). */
void
SseUnwatch(LiveClient *client)
{
	struct epoll_event ev;

	if (client->watched_fd < 0)
		return;
	epoll_ctl(hangup_epoll, EPOLL_CTL_DEL, client->watched_fd, &ev);
	client->watched_fd = -1;
}

/* Whether path is /streams/{id}/events. */
bool
SsePath(const char *path)
{
	const char *id = path + 9;
	size_t		len;

	if (strncmp(path, "/streams/", 9) != 0)
		return false;
	len = strlen(id);
	return len > 7 && strcmp(id + len - 7, "/events") == 0 &&
		memchr(id, '/', len - 7) == NULL;
}

/* A GET on an SSE path: queue the subscription (0), or -1 to close. */
int
SseAccept(struct lws *wsi, LiveClient **slot, const char *path)
{
	LiveClient *client = LiveClientCreate(wsi, LIVE_SSE);
	char		last[48];
	const char *value = last;
	int64		after = -1;
	int			n;

	if (client == NULL)
		return -1;
	*slot = client;
	client->stream = strndup(path + 9, strlen(path + 9) - 7);
	if (client->stream == NULL)
		return -1;
	client->token = AuthTokenFromRequest(wsi);
	n = lws_hdr_custom_copy(wsi, last, sizeof(last), "last-event-id:", 14);
	if (n <= 0 && (value = lws_get_urlarg_by_name(wsi, "last_event_id=", last, sizeof(last))) != NULL)
		n = strlen(value);
	if (n > 0)
	{
		char	   *end;
		long long	id = strtoll(value, &end, 10);

		if (*end != '\0' || end == value || id < 0)
		{
			client->http_status = 400;
			client->http_body = strdup("{\"error\":\"Last-Event-ID must be a non-negative integer (a frame sequence)\"}");
			lws_callback_on_writable(wsi);
			return 0;
		}
		after = id;
	}
	return LiveQueueCommand(client, CMD_SUBSCRIBE, after, NULL, 0) ? 0 : -1;
}

/* Writes a refusal (status, JSON body) in two callbacks, then ends the transaction. */
static int
SseWriteStatus(struct lws *wsi, LiveClient *client)
{
	const char *body = client->http_body ? client->http_body : "{\"error\":\"internal error\"}";
	size_t		len = strlen(body);

	if (!client->headers_sent)
	{
		unsigned char headers[LWS_PRE + 512];
		unsigned char *start = headers + LWS_PRE;
		unsigned char *p = start;
		unsigned char *end = headers + sizeof(headers) - 1;

		if (lws_add_http_common_headers(wsi, client->http_status, "application/json",
										len, &p, end) ||
			lws_add_http_header_by_name(wsi, (const unsigned char *) "access-control-allow-origin:",
										(const unsigned char *) "*", 1, &p, end) ||
			lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		client->headers_sent = true;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (!LiveEnsureOut(client, len))
		return -1;
	memcpy(client->out + LWS_PRE, body, len);
	if (lws_write(wsi, client->out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) != (int) len)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Starts the never-ending 200 answer. */
static int
SseWriteHeaders(struct lws *wsi, LiveClient *client)
{
	unsigned char headers[LWS_PRE + 512];
	unsigned char *start = headers + LWS_PRE;
	unsigned char *p = start;
	unsigned char *end = headers + sizeof(headers) - 1;

	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/event-stream",
									LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
		lws_add_http_header_by_name(wsi, (const unsigned char *) "cache-control:",
									(const unsigned char *) "no-store", 8, &p, end) ||
		lws_add_http_header_by_name(wsi, (const unsigned char *) "access-control-allow-origin:",
									(const unsigned char *) "*", 1, &p, end) ||
		lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	client->headers_sent = true;
	client->last_write = GetCurrentTimestamp();
	/* a never-ending answer: no idle timeout (lws would close it after keepalive_timeout) */
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	SseWatch(client, wsi);
	lws_set_timer_usecs(wsi, (lws_usec_t) live_sse_heartbeat_ms * 1000);
	lws_callback_on_writable(wsi);
	return 0;
}

/* lws says the SSE connection can write: status, headers, events or a heartbeat. */
int
SseWrite(struct lws *wsi, LiveClient *client)
{
	TimestampTz now = GetCurrentTimestamp();
	Subscription *sub;
	int			take = 0;
	long		wait_ms = -1;
	long		heartbeat_in;
	size_t		len = 0;

	if (client->http_status != 0)
		return SseWriteStatus(wsi, client);
	if (!client->accepted)
		return 0;
	if (!client->headers_sent)
		return SseWriteHeaders(wsi, client);

	sub = HubReadySubscription(client, &take, &wait_ms);
	if (sub != NULL)
	{
		int			i;

		/* events in one write, up to SSE_MAX_WRITE bytes (at least one) */
		for (i = 0; i < take; i++)
		{
			HubMessage *msg = HubPeek(sub, i);
			size_t		need = len + msg->len + 64;

			if (i > 0 && need > SSE_MAX_WRITE)
				break;
			if (!LiveEnsureOut(client, need))
				return -1;
			len += snprintf((char *) client->out + LWS_PRE + len, 64,
							"id: " INT64_FORMAT "\nevent: frame\ndata: ", msg->sequence);
			memcpy(client->out + LWS_PRE + len, msg->data, msg->len);
			len += msg->len;
			memcpy(client->out + LWS_PRE + len, "\n\n", 2);
			len += 2;
		}
		take = i;
	}
	else if (TimestampDifferenceExceeds(client->last_write, now, live_sse_heartbeat_ms - 10))
	{
		if (!LiveEnsureOut(client, 16))
			return -1;
		memcpy(client->out + LWS_PRE, ": heartbeat\n\n", 13);
		len = 13;
	}
	if (len > 0)
	{
		if (lws_write(wsi, client->out + LWS_PRE, len, LWS_WRITE_HTTP) != (int) len)
			return -1;
		client->last_write = now;
		if (sub != NULL)
			HubConsumed(sub, take);
	}
	if (sub != NULL && sub->count > 0)
		lws_callback_on_writable(wsi);
	heartbeat_in = live_sse_heartbeat_ms -
		(long) ((now - client->last_write) / 1000);
	if (wait_ms < 0 || wait_ms > heartbeat_in)
		wait_ms = heartbeat_in;
	lws_set_timer_usecs(wsi, (lws_usec_t) Max(wait_ms, 1) * 1000);
	return 0;
}
