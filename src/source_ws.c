/*
 * source_ws.c: the WebSocket client of a ws:// or wss:// source.
 *
 * One connection per source, opened with the stream's auth_headers as
 * handshake headers.  Every message (its fragments joined, at most
 * streamflow.max_message_bytes, else the connection is closed with 1009) is
 * copied into the source's queue; source.c ingests the queue in batches.
 * Heartbeat: lws's idle policy (lws_retry_bo_t) sends a PING after
 * streamflow.source_heartbeat seconds without a PONG and hangs up when
 * streamflow.source_heartbeat_timeout more seconds pass without one, so a
 * peer that stopped answering is found and the connection closed.  When
 * the queue holds SourceQueueCap messages the connection stops reading
 * (lws_rx_flow_control) until they are stored, so a database that falls
 * behind holds the server back through TCP instead of growing memory.  Every
 * close or failed connection is a failure of the source (source.c waits by
 * retry_policy before connecting again).  A connection that does not open
 * within streamflow.source_timeout is given up.
 */
#include "postgres.h"

#include <time.h>

#include <libwebsockets.h>

#include "utils/timestamp.h"

#include "client_url.h"
#include "source.h"

typedef struct SourceWs
{
	Source	   *src;
	struct lws *wsi;			/* NULL once lws closed it */
	ClientUrl	url;
	lws_retry_bo_t policy;		/* the heartbeat, read by lws while the connection lives */
	TimestampTz deadline;		/* the connection must open by then */
	bool		established;
	bool		throttled;		/* not reading: the source's queue is full */
	time_t		last_heard;		/* the last message or pong from the server */
	bool		closed;			/* lws is done with it */
	char	   *partial;		/* fragments of the message being received */
	size_t		partial_len;
	char		error[SOURCE_ERROR_LEN];
} SourceWs;

/* Opens src's connection; false (with src failed) when it could not start. */
bool
SourceWsConnect(struct lws_context *context, struct lws_vhost *vhost, Source *src)
{
	struct lws_client_connect_info i;
	SourceWs   *ws = calloc(1, sizeof(SourceWs));

	if (ws == NULL)
	{
		SourceFailed(src, "out of memory");
		return false;
	}
	if (!ClientUrlParse(src->url, CLIENT_URL_WS, "source_url", &ws->url, ws->error,
						sizeof(ws->error)))
	{
		SourceFailed(src, "%s", ws->error);
		free(ws);
		return false;
	}
	ws->src = src;
	ws->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), source_timeout_ms);
	ws->policy.secs_since_valid_ping = (uint16_t) source_heartbeat_s;
	ws->policy.secs_since_valid_hangup = (uint16_t) (source_heartbeat_s + source_heartbeat_timeout_s);
	src->ws = ws;

	memset(&i, 0, sizeof(i));
	i.context = context;
	i.vhost = vhost;
	ClientUrlConnectInfo(&ws->url, &i);
	/* binds our callback; no subprotocol is asked of the server */
	i.local_protocol_name = "streamflow-source-ws";
	i.retry_and_idle_policy = &ws->policy;
	i.opaque_user_data = ws;
	ws->wsi = lws_client_connect_via_info(&i);
	if (ws->wsi == NULL && !ws->closed)
	{
		ClientUrlConnectError(&ws->url, NULL, ws->error, sizeof(ws->error));
		ws->closed = true;
	}
	return true;
}

/* Frees ws (lws is done with it). */
static void
WsFree(SourceWs *ws)
{
	ClientUrlFree(&ws->url);
	free(ws->partial);
	free(ws);
}

/*
 * The main loop's look at src's connection: gives up a connection that
 * does not open in time, and fails src once its connection closed.
 */
void
SourceWsCheck(Source *src, TimestampTz now)
{
	SourceWs   *ws = src->ws;

	if (ws == NULL)
		return;
	if (!ws->closed && !ws->established && now >= ws->deadline)
	{
		SourceWsStop(src);
		SourceFailed(src, "the connection did not open within streamflow.source_timeout (%d ms)",
					 source_timeout_ms);
		return;
	}
	if (!ws->closed)
		return;
	src->ws = NULL;
	SourceFailed(src, "%s", ws->error[0] ? ws->error : "the connection closed");
	WsFree(ws);
}

/* Closes src's connection now (stopping, or given up) and frees it. */
void
SourceWsStop(Source *src)
{
	SourceWs   *ws = src->ws;

	if (ws == NULL)
		return;
	if (ws->wsi != NULL)
	{
		struct lws *wsi = ws->wsi;

		/* the callbacks forget ws first: it is freed below */
		lws_set_opaque_user_data(wsi, NULL);
		ws->wsi = NULL;
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
	}
	src->ws = NULL;
	WsFree(ws);
}

/* Marks ws closed (once), keeping the first error; lws forgets ws. */
static void
Closed(SourceWs *ws, struct lws *wsi, const char *error)
{
	if (ws->closed)
		return;
	if (error != NULL && ws->error[0] == '\0')
		snprintf(ws->error, sizeof(ws->error), "%s", error);
	ws->closed = true;
	ws->wsi = NULL;
	lws_set_opaque_user_data(wsi, NULL);
}

/* Stops reading while the source's queue is full (backpressure on the server). */
static void
Throttle(SourceWs *ws, struct lws *wsi)
{
	if (!ws->throttled && ws->src->nqueued >= SourceQueueCap(ws->src))
	{
		ws->throttled = true;
		lws_rx_flow_control(wsi, 0);
	}
}

/* Reads again once the main loop stored enough of the queue. */
void
SourceWsResume(Source *src)
{
	SourceWs   *ws = src->ws;

	if (ws != NULL && ws->throttled && ws->wsi != NULL && src->nqueued < SourceQueueCap(src))
	{
		ws->throttled = false;
		lws_rx_flow_control(ws->wsi, 1);
	}
}

/*
 * Adds a received fragment; a whole message goes to the source's queue.
 * False when the message is over streamflow.max_message_bytes.
 */
static bool
Receive(SourceWs *ws, struct lws *wsi, const char *in, size_t len)
{
	size_t		max = (size_t) SourceMaxMessageBytes();
	char	   *grown;

	if (ws->partial_len + len > max)
	{
		snprintf(ws->error, sizeof(ws->error),
				 "a message is larger than streamflow.max_message_bytes (%zu bytes)", max);
		return false;
	}
	if (lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi) && ws->partial_len == 0)
	{
		SourceQueueMessage(ws->src, in, len);
		Throttle(ws, wsi);
		return true;
	}
	grown = realloc(ws->partial, ws->partial_len + len + 1);
	if (grown == NULL)
	{
		snprintf(ws->error, sizeof(ws->error), "out of memory");
		return false;
	}
	ws->partial = grown;
	memcpy(ws->partial + ws->partial_len, in, len);
	ws->partial_len += len;
	if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
	{
		SourceQueueMessage(ws->src, ws->partial, ws->partial_len);
		ws->partial_len = 0;
		Throttle(ws, wsi);
	}
	return true;
}

/*
 * Did lws close the connection because the server stopped answering pings
 * (nothing heard for the heartbeat and its timeout)?
 */
static bool
Silent(const SourceWs *ws)
{
	return ws->established &&
		time(NULL) - ws->last_heard >= source_heartbeat_s + source_heartbeat_timeout_s;
}

/* lws's callback for source connections: copies messages, notes closes. */
int
SourceWsCallback(struct lws *wsi, enum lws_callback_reasons reason,
				 void *user, void *in, size_t len)
{
	SourceWs   *ws = wsi ? (SourceWs *) lws_get_opaque_user_data(wsi) : NULL;

	switch (reason)
	{
		case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
			if (ws)
			{
				char		why[SOURCE_ERROR_LEN];

				ClientUrlConnectError(&ws->url, in ? (const char *) in : "connection failed",
									  why, sizeof(why));
				Closed(ws, wsi, why);
			}
			return 0;
		case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
			if (ws == NULL)
				return -1;
			return SourceAppendHeaders(ws->src, wsi, (unsigned char **) in,
									   *(unsigned char **) in + len);
		case LWS_CALLBACK_CLIENT_ESTABLISHED:
			if (ws)
			{
				ws->established = true;
				ws->last_heard = time(NULL);
				ws->src->failures = 0;
			}
			return 0;
		case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
			if (ws)
				ws->last_heard = time(NULL);
			return 0;
		case LWS_CALLBACK_CLIENT_RECEIVE:
			if (ws)
				ws->last_heard = time(NULL);
			if (ws && !Receive(ws, wsi, (const char *) in, len))
			{
				lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
								 (unsigned char *) "message too large", 17);
				return -1;
			}
			return 0;
		case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
			if (ws && len >= 2)
			{
				const unsigned char *code = in;

				snprintf(ws->error, sizeof(ws->error), "the server closed the connection (%d)",
						 (code[0] << 8) | code[1]);
			}
			return 0;
		case LWS_CALLBACK_CLIENT_CLOSED:
			if (ws)
				Closed(ws, wsi, Silent(ws)
					   ? "no answer to the heartbeat ping (streamflow.source_heartbeat_timeout)"
					   : "the connection closed");
			return 0;
		default:
			break;
	}
	return 0;
}
