/*
 * worker_ws.c: the WebSocket endpoints, /ws and /streams/{id}/ws.
 *
 * lws callbacks only: nothing here calls PostgreSQL code that can raise an
 * error.  A connection to /streams/{id}/ws is subscribed on connect
 * (?from_sequence=N replays from N on) and each text message publishes to
 * that stream; /ws takes actions (subscribe, unsubscribe, publish).  Text
 * messages are reassembled from fragments up to streamflow.max_message_bytes
 * (beyond: close 1009) and handed to the main loop (live_commands.c); binary
 * messages are refused (1003).  Writes follow lws's writable callbacks, one
 * WebSocket message per callback: control messages (acks, errors) first,
 * then a subscription's queue: one pushed message (seed 000's structure) per
 * WebSocket message, or, when the stream sets batching with batch_size > 1,
 * a JSON array of up to batch_size of them.
 *
 * Keep-alive: lws pings every WebSocket streamflow.ws_ping_interval seconds
 * after the last sign of life (the handshake or a pong) and closes the
 * connection when no pong came streamflow.ws_ping_timeout seconds later, so
 * idle clients stay open through proxies and dead peers are freed (the
 * vhost's retry_and_idle_policy; lws applies it to WebSocket connections
 * only, never to HTTP ones such as SSE).
 */
#include "postgres.h"

#include <libwebsockets.h>

#include "utils/guc.h"

#include "auth.h"
#include "hub.h"
#include "worker.h"

/* Pushed messages written in one writable callback at most. */
#define WS_WRITES_PER_CALLBACK 64

static int	WsEstablished(struct lws *wsi, LiveClient **slot);
static int	WsReceive(struct lws *wsi, LiveClient *client, void *in, size_t len);
static int	WsWrite(struct lws *wsi, LiveClient *client);
static int	WsRefuse(struct lws *wsi, int code, const char *reason);
static int	WsCloseLater(struct lws *wsi, LiveClient *client, int code, const char *reason);

static int	ws_ping_interval = 30;
static int	ws_ping_timeout = 10;

/*
 * The vhost's idle policy.  lws reads it whenever it (re)arms a connection's
 * timer, so a reload reaches the open connections at their next ping.
 */
static lws_retry_bo_t ws_keepalive = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 40
};

/* GUC assign hook: the ping interval into the policy (hang-up stays after it). */
static void
WsAssignPingInterval(int newval, void *extra)
{
	ws_keepalive.secs_since_valid_ping = newval;
	ws_keepalive.secs_since_valid_hangup = newval + ws_ping_timeout;
}

/* GUC assign hook: the pong timeout into the policy. */
static void
WsAssignPingTimeout(int newval, void *extra)
{
	ws_keepalive.secs_since_valid_hangup = ws_ping_interval + newval;
}

/* Defines the WebSocket keep-alive GUCs. */
void
WsKeepAliveInit(void)
{
	DefineCustomIntVariable("streamflow.ws_ping_interval",
							gettext_noop("Seconds after a WebSocket's last pong (or handshake) before the worker pings it."),
							NULL, &ws_ping_interval, 30, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, WsAssignPingInterval, NULL);
	DefineCustomIntVariable("streamflow.ws_ping_timeout",
							gettext_noop("Seconds a WebSocket has to answer a ping before the worker closes it."),
							NULL, &ws_ping_timeout, 10, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, WsAssignPingTimeout, NULL);
}

/* The keep-alive policy for the listener's vhost (retry_and_idle_policy). */
const lws_retry_bo_t *
WsKeepAlivePolicy(void)
{
	return &ws_keepalive;
}

/* The WebSocket callback reasons of both protocols, called from worker.c. */
int
WsCallback(struct lws *wsi, int reason, LiveClient **slot, void *in, size_t len)
{
	LiveClient *client = slot ? *slot : NULL;

	switch (reason)
	{
		case LWS_CALLBACK_ESTABLISHED:
			return WsEstablished(wsi, slot);
		case LWS_CALLBACK_RECEIVE:
			return client ? WsReceive(wsi, client, in, len) : -1;
		case LWS_CALLBACK_SERVER_WRITEABLE:
			return client ? WsWrite(wsi, client) : 0;
		case LWS_CALLBACK_CLOSED:
			if (client != NULL)
				LiveClientClosed(client);
			*slot = NULL;
			return 0;
		default:
			return 0;
	}
}

/*
 * Closes a connection with code and a JSON reason from a callback that runs
 * before the connection is established (returning -1 there sends the close
 * frame).
 */
static int
WsRefuse(struct lws *wsi, int code, const char *reason)
{
	lws_close_reason(wsi, (enum lws_close_status) code,
					 (unsigned char *) reason, strlen(reason));
	return -1;
}

/*
 * A new WebSocket: /ws, or /streams/{id}/ws subscribed at once (after an
 * optional from_sequence replay).
 */
static int
WsEstablished(struct lws *wsi, LiveClient **slot)
{
	char		path[256];
	char		arg[48];
	const char *value;
	LiveClient *client;
	int64		after = -1;
	int			n = lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
	const char *id = path + 9;
	size_t		idlen;

	if (n <= 0)
		return WsRefuse(wsi, 1008, "{\"error\":\"unknown WebSocket path\"}");
	if (strcmp(path, "/ws") != 0 &&
		(strncmp(path, "/streams/", 9) != 0 ||
		 (idlen = strlen(id)) <= 3 || strcmp(id + idlen - 3, "/ws") != 0 ||
		 memchr(id, '/', idlen - 3) != NULL))
		return WsRefuse(wsi, 1008, "{\"error\":\"unknown WebSocket path\"}");
	if ((value = lws_get_urlarg_by_name(wsi, "from_sequence=", arg, sizeof(arg))) != NULL)
	{
		char	   *end;
		long long	first = strtoll(value, &end, 10);

		if (*end != '\0' || end == value || first < 0)
			return WsRefuse(wsi, 1008, "{\"error\":\"from_sequence must be a non-negative integer\"}");
		after = first > 0 ? first - 1 : 0;
	}
	client = LiveClientCreate(wsi, LIVE_WS);
	if (client == NULL)
		return WsRefuse(wsi, 1011, "{\"error\":\"out of memory\"}");
	*slot = client;
	client->token = AuthTokenFromRequest(wsi);
	if (strcmp(path, "/ws") == 0)
		return 0;
	client->stream = strndup(id, strlen(id) - 3);
	if (client->stream == NULL || !LiveQueueCommand(client, CMD_SUBSCRIBE, after, NULL, 0))
		return WsRefuse(wsi, 1011, "{\"error\":\"out of memory\"}");
	return 0;
}

/*
 * Stops reading the connection and has the main loop close it with code and
 * reason.  (Returning -1 from an established connection's callback would
 * drop the close frame: Debian's debug build of lws closes such a connection
 * twice, the second time without ceremony.)
 */
static int
WsCloseLater(struct lws *wsi, LiveClient *client, int code, const char *reason)
{
	client->close_code = code;
	strlcpy(client->close_reason, reason, sizeof(client->close_reason));
	lws_rx_flow_control(wsi, 0);
	LiveRequestClose();
	return 0;
}

/* Part of a message arrived: reassemble, and queue it once complete. */
static int
WsReceive(struct lws *wsi, LiveClient *client, void *in, size_t len)
{
	char	   *grown;

	if (client->close_code != 0)
		return 0;				/* closing: ignore the rest */
	if (lws_frame_is_binary(wsi))
		return WsCloseLater(wsi, client, 1003,
							"{\"error\":\"binary messages are not accepted: send JSON text\"}");
	if (client->rx_len + len > (size_t) worker_max_message_bytes)
	{
		char		reason[124];

		snprintf(reason, sizeof(reason),
				 "{\"error\":\"message too big\",\"max_message_bytes\":%d}",
				 worker_max_message_bytes);
		free(client->rx);
		client->rx = NULL;
		client->rx_len = 0;
		return WsCloseLater(wsi, client, 1009, reason);
	}
	grown = realloc(client->rx, client->rx_len + len + 1);
	if (grown == NULL)
		return WsRefuse(wsi, 1011, "{\"error\":\"out of memory\"}");
	client->rx = grown;
	memcpy(client->rx + client->rx_len, in, len);
	client->rx_len += len;
	client->rx[client->rx_len] = '\0';
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
		return 0;

	if (!LiveQueueCommand(client, CMD_MESSAGE, -1, client->rx, client->rx_len))
		return WsRefuse(wsi, 1011, "{\"error\":\"out of memory\"}");
	client->rx = NULL;
	client->rx_len = 0;
	if (client->pending_commands >= LIVE_RX_PAUSE && !client->rx_paused)
	{
		/* the main loop is behind this publisher: stop reading it for now */
		client->rx_paused = true;
		lws_rx_flow_control(wsi, 0);
	}
	return 0;
}

/* Whether the client has anything left to write. */
static bool
WsHasOutput(LiveClient *client)
{
	dlist_iter	it;

	if (!dlist_is_empty(&client->control))
		return true;
	dlist_foreach(it, &client->subs)
		if (dlist_container(Subscription, client_node, it.cur)->count > 0)
		return true;
	return false;
}

/* Writes one WebSocket message: a close, a control message or a push. */
static int
WsWrite(struct lws *wsi, LiveClient *client)
{
	Subscription *sub;
	int			take;
	long		wait_ms;

	if (client->close_code != 0)
		return 0;				/* the main loop closes it */
	if (!dlist_is_empty(&client->control))
	{
		ControlMessage *msg = dlist_container(ControlMessage, node,
											  dlist_pop_head_node(&client->control));
		int			rc;

		client->ncontrol--;
		if (!LiveEnsureOut(client, msg->len))
		{
			free(msg);
			return -1;
		}
		memcpy(client->out + LWS_PRE, msg->data, msg->len);
		rc = lws_write(wsi, client->out + LWS_PRE, msg->len, LWS_WRITE_TEXT);
		free(msg);
		if (rc < 0)
			return -1;
	}
	else if ((sub = HubReadySubscription(client, &take, &wait_ms)) != NULL)
	{
		int			rc = 0;

		if (sub->stream->batch_size <= 1)
		{
			int			i;

			/* single messages: as many as the socket takes without buffering */
			for (i = 0; i < Min(take, WS_WRITES_PER_CALLBACK); i++)
			{
				HubMessage *msg = HubPeek(sub, i);

				if (i > 0 && lws_send_pipe_choked(wsi))
					break;
				rc = lws_write(wsi, (unsigned char *) msg->data, msg->len, LWS_WRITE_TEXT);
				if (rc < 0)
					return -1;
			}
			take = i;
		}
		else
		{
			size_t		len = 1;
			int			i;
			unsigned char *p;

			for (i = 0; i < take; i++)
				len += HubPeek(sub, i)->len + 1;
			if (!LiveEnsureOut(client, len))
				return -1;
			p = client->out + LWS_PRE;
			*p++ = '[';
			for (i = 0; i < take; i++)
			{
				HubMessage *msg = HubPeek(sub, i);

				memcpy(p, msg->data, msg->len);
				p += msg->len;
				*p++ = i + 1 < take ? ',' : ']';
			}
			rc = lws_write(wsi, client->out + LWS_PRE, p - (client->out + LWS_PRE),
						   LWS_WRITE_TEXT);
		}
		if (rc < 0)
			return -1;
		HubConsumed(sub, take);
	}
	else
	{
		if (wait_ms >= 0)
			lws_set_timer_usecs(wsi, (lws_usec_t) Max(wait_ms, 1) * 1000);
		return 0;
	}
	if (WsHasOutput(client))
		lws_callback_on_writable(wsi);
	return 0;
}
