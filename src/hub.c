/*
 * hub.c: who receives what, live.
 *
 * Streams with subscribers are kept in a hash (main loop only) keyed by
 * stream id.  A committed frame read from the commit ring is rendered once
 * into a refcounted HubMessage shared by the queues of every live subscriber
 * of its stream.  Each subscriber's queue is bounded by the stream's
 * backpressure {max_queue_size, strategy}:
 *   drop_oldest  the oldest queued message makes room (counted as dropped);
 *   drop_newest  the arriving message is dropped (counted);
 *   block        nothing more is queued: the subscriber is paused and, once
 *                its queue drained, reads what it missed from
 *                streamflow.frames (nothing is lost, nothing counted);
 *   sample       1 arriving message in HUB_SAMPLE_EVERY replaces the oldest
 *                queued one, the others are dropped (counted): seed 001's
 *                sampling_rate 0.1, made deterministic.
 * The strategy applies to a subscriber that stopped keeping up (its queue
 * stayed full for HUB_STALL_MS): a burst larger than the queue for a
 * client that is still reading switches it to reading the rest from storage
 * instead.
 * Defaults when the stream sets nothing: max_queue_size = buffer_size or
 * HUB_DEFAULT_QUEUE, strategy drop_oldest, no batching (batch_size 1);
 * batching without batch_timeout_ms waits at most HUB_DEFAULT_BATCH_MS.
 *
 * Every subscriber remembers the last sequence it was given (queued or
 * deliberately dropped) and skips anything at or below it, so replay from
 * storage and live delivery meet with no gap and no repeat.  A subscriber
 * whose queue stays full (or blocked) for streamflow.slow_client_timeout_ms
 * is disconnected; the others never wait for it.
 */
#include "postgres.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "hub.h"
#include "stream_stats.h"

#define HUB_DEFAULT_QUEUE 1000
#define HUB_DEFAULT_BATCH_MS 1000
#define HUB_SAMPLE_EVERY 10
#define HUB_STALL_MS 250
#define HUB_MAX_CONTROL 1024	/* unread acks/errors before a client is closed */

int			live_sse_heartbeat_ms = 15000;
int			live_slow_client_ms = 30000;

dlist_head	live_commands = DLIST_STATIC_INIT(live_commands);
dlist_head	live_clients = DLIST_STATIC_INIT(live_clients);
bool		hub_catchup_pending = false;

static HTAB *hub_streams = NULL;
static bool hub_reap_pending = false;
static bool hub_close_pending = false;
static TimestampTz last_slow_check = 0;

static void HubReap(void);
static void HubCloseSlowClients(void);
static void HubFlushStats(bool with_queues);
static void HubCloseHungUp(void);
static void HubMessageDrop(Subscription *sub);

/* Defines the live-delivery GUCs. */
void
LiveInit(void)
{
	DefineCustomIntVariable("streamflow.sse_heartbeat_ms",
							gettext_noop("Interval of the comment heartbeats on idle Server-Sent Events streams."),
							NULL, &live_sse_heartbeat_ms, 15000, 100, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.slow_client_timeout_ms",
							gettext_noop("How long a subscriber's queue may stay full before the connection is closed."),
							NULL, &live_slow_client_ms, 30000, 100, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	WsKeepAliveInit();
}

/*
 * At worker start, before lws sizes its tables: raises the soft limit on
 * open files to the hard limit, so the worker can hold as many connections
 * as the system lets it (each one is a file descriptor).
 */
void
LiveWorkerStart(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max)
		return;
	lim.rlim_cur = lim.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
		ereport(LOG,
				(errmsg("streamflow worker could not raise its open files limit: %m")));
}

/* A new connection's client state; NULL when out of memory. */
LiveClient *
LiveClientCreate(struct lws *wsi, LiveKind kind)
{
	LiveClient *client = calloc(1, sizeof(LiveClient));

	if (client == NULL)
		return NULL;
	client->wsi = wsi;
	client->kind = kind;
	client->watched_fd = -1;
	dlist_init(&client->subs);
	dlist_init(&client->control);
	dlist_push_tail(&live_clients, &client->node);
	return client;
}

/* The connection closed: the main loop frees the client. */
void
LiveClientClosed(LiveClient *client)
{
	SseUnwatch(client);
	client->wsi = NULL;
	hub_reap_pending = true;
}

/* Queues a command for the main loop (takes text); false when out of memory. */
bool
LiveQueueCommand(LiveClient *client, CommandKind kind, int64 after, char *text, size_t len)
{
	LiveCommand *cmd = calloc(1, sizeof(LiveCommand));

	if (cmd == NULL)
	{
		free(text);
		return false;
	}
	cmd->client = client;
	cmd->kind = kind;
	cmd->after = after;
	cmd->text = text;
	cmd->len = len;
	client->pending_commands++;
	dlist_push_tail(&live_commands, &cmd->node);
	return true;
}

/* Queues a control message (copied) for the client; false when it cannot. */
bool
LiveQueueControl(LiveClient *client, const char *data, int len)
{
	ControlMessage *msg;

	if (client->ncontrol >= HUB_MAX_CONTROL)
	{
		client->close_now = true;
		return false;
	}
	msg = malloc(offsetof(ControlMessage, data) + len + 1);
	if (msg == NULL)
		return false;
	memcpy(msg->data, data, len);
	msg->data[len] = '\0';
	msg->len = len;
	dlist_push_tail(&client->control, &msg->node);
	client->ncontrol++;
	return true;
}

/* Main loop: queues a JSON control message and asks for a write. */
void
LiveControlJson(LiveClient *client, const char *json)
{
	if (client->wsi == NULL)
		return;
	LiveQueueControl(client, json, strlen(json));
	HubWake(client);
}

/* Grows the client's write buffer to hold len bytes after LWS_PRE. */
bool
LiveEnsureOut(LiveClient *client, size_t len)
{
	unsigned char *grown;
	size_t		size = LWS_PRE + len + 1;

	if (client->out_size >= size)
		return true;
	size = Max(size, client->out_size * 2);
	grown = realloc(client->out, size);
	if (grown == NULL)
		return false;
	client->out = grown;
	client->out_size = size;
	return true;
}

/* Callback side: a client set close_code for the main loop to close it. */
void
LiveRequestClose(void)
{
	hub_close_pending = true;
}

/*
 * Main loop: closes a WebSocket with code and reason (a JSON text of at most
 * 123 bytes).  lws sends the close frame and waits for the peer's answer.
 */
void
LiveCloseClient(LiveClient *client, int code, const char *reason)
{
	if (client->wsi == NULL || client->close_sent)
		return;
	client->close_code = code;
	if (reason != client->close_reason)
		strlcpy(client->close_reason, reason, sizeof(client->close_reason));
	client->close_sent = true;
	lws_close_reason(client->wsi, (enum lws_close_status) code,
					 (unsigned char *) client->close_reason, strlen(client->close_reason));
	lws_set_timeout(client->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_SYNC);
}

/* Closes the clients whose callbacks asked for it (main loop). */
static void
HubCloseRequested(void)
{
	dlist_iter	it;

	hub_close_pending = false;
	dlist_foreach(it, &live_clients)
	{
		LiveClient *client = dlist_container(LiveClient, node, it.cur);

		if (client->close_code != 0 && !client->close_sent)
			LiveCloseClient(client, client->close_code, client->close_reason);
	}
}

/*
 * Whether a subscriber stopped reading: its queue has stayed full for
 * HUB_STALL_MS (any write empties a slot and restarts the clock).
 */
bool
HubSubscriberStalled(Subscription *sub)
{
	return sub->full_since != 0 &&
		TimestampDifferenceExceeds(sub->full_since, GetCurrentTimestamp(), HUB_STALL_MS);
}

/* Whether the main loop has hub work waiting. */
bool
HubPending(void)
{
	return !dlist_is_empty(&live_commands) || hub_catchup_pending || hub_reap_pending ||
		hub_close_pending;
}

/* A message holding a copy of data, not yet referenced; NULL when out of memory. */
HubMessage *
HubMessageCreate(int64 sequence, const char *data, int len)
{
	HubMessage *msg = malloc(offsetof(HubMessage, buf) + LWS_PRE + len + 1);

	if (msg == NULL)
		return NULL;
	msg->data = msg->buf + LWS_PRE;
	msg->read_at = 0;
	msg->refcount = 0;
	msg->sequence = sequence;
	msg->len = len;
	memcpy(msg->data, data, len);
	msg->data[len] = '\0';
	return msg;
}

/* Drops one reference to msg, freeing it with the last. */
void
HubMessageRelease(HubMessage *msg)
{
	if (--msg->refcount <= 0)
		free(msg);
}

/* Asks lws to call the client back when its socket can take a write. */
void
HubWake(LiveClient *client)
{
	if (client->wsi != NULL)
		lws_callback_on_writable(client->wsi);
}

/* The hub's entry for a stream; created (main loop) when create is set. */
HubStream *
HubStreamFor(const char *stream_id, bool create)
{
	char		key[HUB_ID_LEN];
	HubStream  *stream;
	bool		found;

	if (hub_streams == NULL)
	{
		HASHCTL		ctl = {.keysize = HUB_ID_LEN, .entrysize = sizeof(HubStream)};

		if (!create)
			return NULL;
		hub_streams = hash_create("streamflow hub streams", 64, &ctl,
								  HASH_ELEM | HASH_STRINGS);
	}
	memset(key, 0, sizeof(key));
	strlcpy(key, stream_id, sizeof(key));
	stream = hash_search(hub_streams, key, create ? HASH_ENTER : HASH_FIND, &found);
	if (stream != NULL && !found)
	{
		stream->config_version[0] = '\0';
		stream->max_queue = HUB_DEFAULT_QUEUE;
		stream->strategy = BP_DROP_OLDEST;
		stream->batch_size = 1;
		stream->batch_timeout_ms = HUB_DEFAULT_BATCH_MS;
		dlist_init(&stream->subs);
		stream->nsubs = 0;
		stream->sent = stream->dropped = stream->errors = 0;
		stream->nlatency = 0;
	}
	return stream;
}

/*
 * Subscribes client to stream (main loop).  after >= 0 replays the frames
 * after that sequence from storage first; -1 starts live.  NULL when out of
 * memory.
 */
Subscription *
HubSubscribe(LiveClient *client, HubStream *stream, int64 after)
{
	Subscription *sub = calloc(1, sizeof(Subscription));

	if (sub == NULL)
		return NULL;
	sub->queue = calloc(stream->max_queue, sizeof(HubMessage *));
	if (sub->queue == NULL)
	{
		free(sub);
		return NULL;
	}
	sub->capacity = stream->max_queue;
	sub->stream = stream;
	sub->client = client;
	sub->state = after >= 0 ? SUB_CATCHUP : SUB_LIVE;
	sub->last_seq = Max(after, 0);
	dlist_push_tail(&stream->subs, &sub->stream_node);
	dlist_push_tail(&client->subs, &sub->client_node);
	stream->nsubs++;
	StatsAddSubscribers(stream->id, 1);
	if (sub->state == SUB_CATCHUP)
		hub_catchup_pending = true;
	return sub;
}

/* Ends a subscription, freeing its queue (main loop). */
void
HubUnsubscribe(Subscription *sub)
{
	while (sub->count > 0)
		HubMessageDrop(sub);
	dlist_delete(&sub->stream_node);
	dlist_delete(&sub->client_node);
	sub->stream->nsubs--;
	StatsAddSubscribers(sub->stream->id, -1);
	free(sub->queue);
	free(sub);
}

/* The client's subscription to stream_id, or NULL. */
Subscription *
HubFindSubscription(LiveClient *client, const char *stream_id)
{
	dlist_iter	it;

	dlist_foreach(it, &client->subs)
	{
		Subscription *sub = dlist_container(Subscription, client_node, it.cur);

		if (strcmp(sub->stream->id, stream_id) == 0)
			return sub;
	}
	return NULL;
}

/* Removes the oldest queued message of sub. */
static void
HubMessageDrop(Subscription *sub)
{
	HubMessageRelease(sub->queue[sub->head]);
	sub->queue[sub->head] = NULL;
	sub->head = (sub->head + 1) % sub->capacity;
	sub->count--;
}

/* Appends msg to sub's queue, which has room. */
static void
HubPush(Subscription *sub, HubMessage *msg)
{
	if (sub->count == 0)
		sub->batch_since = GetCurrentTimestamp();
	sub->queue[(sub->head + sub->count) % sub->capacity] = msg;
	msg->refcount++;
	sub->count++;
	sub->last_seq = msg->sequence;
}

/*
 * Offers msg to sub under its stream's backpressure strategy; true when it
 * was queued (the client should be woken).
 */
bool
HubEnqueue(Subscription *sub, HubMessage *msg)
{
	HubStream  *stream = sub->stream;

	if (sub->count < sub->capacity)
	{
		HubPush(sub, msg);
		if (sub->count == sub->capacity && sub->full_since == 0)
			sub->full_since = GetCurrentTimestamp();
		return true;
	}
	if (sub->full_since == 0)
		sub->full_since = GetCurrentTimestamp();
	if (!HubSubscriberStalled(sub))
	{
		/*
		 * A burst larger than the queue, for a client that is reading: no
		 * backpressure, it reads the rest from storage.
		 */
		sub->state = SUB_CATCHUP;
		hub_catchup_pending = true;
		return false;
	}
	switch (stream->strategy)
	{
		case BP_DROP_OLDEST:
			HubMessageDrop(sub);
			HubPush(sub, msg);
			stream->dropped++;
			return true;
		case BP_DROP_NEWEST:
			sub->last_seq = msg->sequence;
			stream->dropped++;
			return false;
		case BP_BLOCK:
			sub->state = SUB_BLOCKED;
			return false;
		case BP_SAMPLE:
			stream->dropped++;
			if (++sub->arrivals_when_full % HUB_SAMPLE_EVERY == 0)
			{
				HubMessageDrop(sub);
				HubPush(sub, msg);
				return true;
			}
			sub->last_seq = msg->sequence;
			return false;
	}
	return false;
}

/*
 * A frame committed (main loop, from the commit ring): queue it for every
 * live subscriber of its stream that has not seen it.  message NULL is a
 * reference to a frame too large for the ring: those subscribers read it from
 * storage.
 */
void
HubDispatch(const char *stream_id, int64 sequence, const char *message, int len,
			TimestampTz committed_at)
{
	HubStream  *stream = HubStreamFor(stream_id, false);
	HubMessage *msg = NULL;
	dlist_iter	it;

	if (stream == NULL || stream->nsubs == 0)
		return;
	dlist_foreach(it, &stream->subs)
	{
		Subscription *sub = dlist_container(Subscription, stream_node, it.cur);

		if (sub->client->wsi == NULL || sub->state != SUB_LIVE || sequence <= sub->last_seq)
			continue;
		if (message != NULL && msg == NULL)
		{
			msg = HubMessageCreate(sequence, message, len);
			if (msg != NULL)
				msg->read_at = committed_at;
		}
		if (msg == NULL)
		{
			/* a reference, or out of memory: read it from storage */
			sub->state = SUB_CATCHUP;
			hub_catchup_pending = true;
			continue;
		}
		(void) HubEnqueue(sub, msg);
		HubWake(sub->client);
	}
	if (msg != NULL && msg->refcount == 0)
		free(msg);
}

/* The commit ring lost entries: every live subscriber catches up from storage. */
void
HubCatchUpAll(void)
{
	dlist_iter	it;

	dlist_foreach(it, &live_clients)
	{
		LiveClient *client = dlist_container(LiveClient, node, it.cur);
		dlist_iter	s;

		dlist_foreach(s, &client->subs)
		{
			Subscription *sub = dlist_container(Subscription, client_node, s.cur);

			if (sub->state == SUB_LIVE)
				sub->state = SUB_CATCHUP;
		}
	}
	hub_catchup_pending = true;
}

/*
 * Callback side: the client's next subscription with messages ready to
 * write, rotated to the back for round robin; *take is how many (up to the
 * batch size).  NULL when none is ready; *wait_ms is then the time until a
 * partial batch is due, or -1.
 */
Subscription *
HubReadySubscription(LiveClient *client, int *take, long *wait_ms)
{
	dlist_iter	it;
	TimestampTz now = 0;

	*wait_ms = -1;
	dlist_foreach(it, &client->subs)
	{
		Subscription *sub = dlist_container(Subscription, client_node, it.cur);
		HubStream  *stream = sub->stream;
		long		due;

		if (sub->count == 0)
			continue;
		if (stream->batch_size > 1 && sub->count < stream->batch_size && sub->state == SUB_LIVE)
		{
			if (now == 0)
				now = GetCurrentTimestamp();
			due = stream->batch_timeout_ms -
				(long) ((now - sub->batch_since) / 1000);
			if (due > 0)
			{
				if (*wait_ms < 0 || due < *wait_ms)
					*wait_ms = due;
				continue;
			}
		}
		*take = stream->batch_size > 1 ? Min(sub->count, stream->batch_size) : sub->count;
		dlist_move_tail(&client->subs, &sub->client_node);
		return sub;
	}
	return NULL;
}

/* The i-th queued message of sub (0 = oldest). */
HubMessage *
HubPeek(Subscription *sub, int i)
{
	return sub->queue[(sub->head + i) % sub->capacity];
}

/* Callback side: n messages of sub were written. */
void
HubConsumed(Subscription *sub, int n)
{
	HubStream  *stream = sub->stream;
	TimestampTz now = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		HubMessage *msg = sub->queue[sub->head];

		if (msg->read_at != 0 && stream->nlatency < HUB_LATENCY_SAMPLES)
		{
			if (now == 0)
				now = GetCurrentTimestamp();
			stream->latency[stream->nlatency++] = (now - msg->read_at) / 1000.0;
		}
		HubMessageDrop(sub);
	}
	stream->sent += n;
	sub->full_since = 0;
	sub->arrivals_when_full = 0;
	if (sub->count > 0)
		sub->batch_since = GetCurrentTimestamp();
	if (sub->state == SUB_BLOCKED && sub->count == 0)
		sub->state = SUB_CATCHUP;
	if (sub->state == SUB_CATCHUP)
	{
		/* room for more from storage: wake the main loop */
		hub_catchup_pending = true;
		SetLatch(MyLatch);
	}
}

/* Frees the clients whose connections closed (main loop). */
static void
HubReap(void)
{
	dlist_mutable_iter it;

	hub_reap_pending = false;
	dlist_foreach_modify(it, &live_clients)
	{
		LiveClient *client = dlist_container(LiveClient, node, it.cur);

		if (client->wsi != NULL)
			continue;
		if (client->pending_commands > 0)
		{
			hub_reap_pending = true;
			continue;
		}
		while (!dlist_is_empty(&client->subs))
			HubUnsubscribe(dlist_container(Subscription, client_node,
										   dlist_head_node(&client->subs)));
		while (!dlist_is_empty(&client->control))
			free(dlist_container(ControlMessage, node, dlist_pop_head_node(&client->control)));
		dlist_delete(&client->node);
		free(client->stream);
		free(client->token);
		free(client->auth_cache);
		free(client->http_body);
		free(client->rx);
		free(client->out);
		free(client);
	}
}

/*
 * Closes, at most once a second, the connections that stopped reading: a
 * subscription full or blocked for longer than streamflow.slow_client_timeout_ms,
 * or too many unread control messages.
 */
static void
HubCloseSlowClients(void)
{
	TimestampTz now = GetCurrentTimestamp();
	dlist_iter	it;

	if (now - last_slow_check < USECS_PER_SEC)
	{
		HubFlushStats(false);
		return;
	}
	last_slow_check = now;
	HubFlushStats(true);
	HubCloseHungUp();
	dlist_foreach(it, &live_clients)
	{
		LiveClient *client = dlist_container(LiveClient, node, it.cur);
		dlist_iter	s;
		bool		slow = client->close_now;

		dlist_foreach(s, &client->subs)
		{
			Subscription *sub = dlist_container(Subscription, client_node, s.cur);

			if (sub->count > 0)
				HubWake(client);	/* never let a queue wait for a callback */
			if (sub->state == SUB_CATCHUP)
			{
				/* a replay waiting (full queue, or a retry): look at it again */
				hub_catchup_pending = true;
				if (sub->count == sub->capacity && sub->full_since == 0)
					sub->full_since = now;
			}
			if (sub->full_since != 0 &&
				TimestampDifferenceExceeds(sub->full_since, now, live_slow_client_ms))
			{
				sub->stream->errors++;
				slow = true;
			}
		}
		if (slow && client->wsi != NULL)
		{
			ereport(LOG,
					(errmsg("streamflow worker closed a %s subscriber that stopped reading",
							client->kind == LIVE_WS ? "WebSocket" : "SSE")));
			/* its socket is full: no close frame can get through */
			lws_set_timeout(client->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
			client->close_now = false;
		}
	}
}

/*
 * Reports what the subscribers of each stream were sent, dropped and how
 * long delivery took to the shared-memory stats; queue use when with_queues.
 * Then (with_queues, once a second) frees the entries of streams nobody
 * subscribes to any more: dropped streams, unsubscribed ones, and those a
 * refused subscribe or an unsubscribe looked up.
 */
static void
HubFlushStats(bool with_queues)
{
	HASH_SEQ_STATUS seq;
	HubStream  *stream;
	int			i;

	if (hub_streams == NULL)
		return;
	hash_seq_init(&seq, hub_streams);
	while ((stream = hash_seq_search(&seq)) != NULL)
	{
		if (stream->sent > 0)
			StatsCountSent(stream->id, stream->sent);
		if (stream->dropped > 0)
			StatsCountDropped(stream->id, stream->dropped);
		for (i = 0; i < stream->errors; i++)
			StatsCountError(stream->id);
		for (i = 0; i < stream->nlatency; i++)
			StatsRecordLatency(stream->id, stream->latency[i]);
		stream->sent = stream->dropped = stream->errors = 0;
		stream->nlatency = 0;
		if (with_queues && stream->nsubs > 0)
		{
			int64		used = 0;
			int64		capacity = 0;
			dlist_iter	it;

			dlist_foreach(it, &stream->subs)
			{
				Subscription *sub = dlist_container(Subscription, stream_node, it.cur);

				used += sub->count;
				capacity += sub->capacity;
			}
			StatsSetQueue(stream->id, used, capacity);
		}
		else if (with_queues && stream->nsubs == 0)
			hash_search(hub_streams, stream->id, HASH_REMOVE, NULL);
	}
}

/* How many streams the hub holds (for /metrics). */
long
HubStreamCount(void)
{
	return hub_streams == NULL ? 0 : hash_get_num_entries(hub_streams);
}

/*
 * Closes, once a second (from HubCloseSlowClients), the SSE connections
 * whose peer hung up and that worker_sse.c could not watch for it: a peek at
 * the socket tells.  A client that sends anything on an SSE connection is
 * closed too.
 */
static void
HubCloseHungUp(void)
{
	dlist_iter	it;

	dlist_foreach(it, &live_clients)
	{
		LiveClient *client = dlist_container(LiveClient, node, it.cur);
		char		byte;
		int			fd;

		if (client->kind != LIVE_SSE || client->wsi == NULL || !client->accepted ||
			client->watched_fd >= 0)
			continue;
		fd = lws_get_socket_fd(client->wsi);
		if (fd >= 0 && recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
			lws_set_timeout(client->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}

/*
 * The longest the main loop may sleep (timeout from libuv, -1 forever):
 * while clients are connected, at most a second, for the checks of
 * HubCloseSlowClients and the stats.
 */
long
HubWaitTimeout(long timeout)
{
	if (dlist_is_empty(&live_clients))
		return timeout;
	return (timeout < 0 || timeout > 1000) ? 1000 : timeout;
}

/*
 * The hub's turn in the main loop: frees closed clients, runs the commands
 * connections queued, replays from storage, and closes clients that stopped
 * reading.
 */
void
HubProcess(MemoryContext loop_context)
{
	if (hub_close_pending)
		HubCloseRequested();
	if (hub_reap_pending)
		HubReap();
	if (!dlist_is_empty(&live_commands))
		LiveCommandsProcess(loop_context);
	if (hub_catchup_pending)
		LiveReplay(loop_context);
	HubCloseSlowClients();
}
