/*
 * hub.h: live delivery in the worker.  Streams with subscribers, each
 * subscriber's bounded queue of shared messages, the connections (WebSocket
 * or SSE) they belong to, and the commands connections hand to the main loop.
 *
 * Memory: everything here is malloc'd, because lws callbacks (writes, closes,
 * timers) touch it and must never palloc or ereport.  Only the main loop
 * creates subscriptions and runs database work; callbacks only pop queues,
 * mark connections closed and queue commands.
 */
#ifndef STREAMFLOW_HUB_H
#define STREAMFLOW_HUB_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "lib/ilist.h"

struct lws;
struct uv_loop_s;

#define HUB_ID_LEN 64
#define HUB_LATENCY_SAMPLES 256
#define LIVE_RX_PAUSE 256		/* queued commands before a client's socket is not read */			/* stream ids are at most 51 bytes */

/*
 * A rendered message shared by every subscriber it was queued for.  data is
 * NUL-terminated JSON preceded by LWS_PRE bytes of headroom, where lws_write
 * puts the WebSocket header (written at once, so sharing is safe).
 */
typedef struct HubMessage
{
	int			refcount;
	int64		sequence;
	TimestampTz read_at;		/* when committed (copied into the ring); 0 for a replay */
	int			len;
	char	   *data;
	char		buf[FLEXIBLE_ARRAY_MEMBER];
} HubMessage;

typedef enum BpStrategy
{
	BP_DROP_OLDEST,
	BP_DROP_NEWEST,
	BP_BLOCK,
	BP_SAMPLE
} BpStrategy;

typedef enum SubState
{
	SUB_LIVE,					/* takes messages from the commit ring */
	SUB_CATCHUP,				/* reads streamflow.frames until it is current */
	SUB_BLOCKED					/* block strategy, queue full: waits to drain */
} SubState;

struct HubStream;
struct LiveClient;

/* One connection's subscription to one stream. */
typedef struct Subscription
{
	dlist_node	stream_node;	/* in HubStream.subs */
	dlist_node	client_node;	/* in LiveClient.subs */
	struct HubStream *stream;
	struct LiveClient *client;
	SubState	state;
	int64		last_seq;		/* last sequence queued or deliberately dropped */
	HubMessage **queue;			/* circular, stream->max_queue slots */
	int			capacity;
	int			head;
	int			count;
	int64		arrivals_when_full; /* for the sample strategy */
	TimestampTz full_since;		/* 0 while the queue has room */
	TimestampTz batch_since;	/* when the oldest queued message arrived */
} Subscription;

/* A stream with subscribers, and its delivery settings. */
typedef struct HubStream
{
	char		id[HUB_ID_LEN]; /* hash key */
	char		config_version[64];
	int			max_queue;
	BpStrategy	strategy;
	int			batch_size;
	int			batch_timeout_ms;
	dlist_head	subs;
	int			nsubs;
	int64		sent;			/* not yet reported to the stats */
	int64		dropped;
	int64		errors;
	int			nlatency;		/* delivery latencies (ms) not yet reported */
	float		latency[HUB_LATENCY_SAMPLES];
} HubStream;

typedef enum LiveKind
{
	LIVE_SSE,
	LIVE_WS
} LiveKind;

/* A control message (ack, error, subscribed) waiting to be written. */
typedef struct ControlMessage
{
	dlist_node	node;
	int			len;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} ControlMessage;

/* One WebSocket or SSE connection. */
typedef struct LiveClient
{
	dlist_node	node;			/* in the hub's list of clients */
	struct lws *wsi;			/* NULL once the connection closed */
	LiveKind	kind;
	char	   *stream;			/* the stream of the path (SSE, /streams/{id}/ws) */
	char	   *token;			/* presented credentials, or NULL */
	struct AuthCache *auth_cache;	/* decisions for token (auth_cache.c), or NULL */
	dlist_head	subs;
	dlist_head	control;
	int			ncontrol;
	int			pending_commands;	/* queued commands that name this client */
	Subscription *next_sub;		/* round robin among subscriptions */
	/* SSE: status/body to answer instead of the stream, or 0 */
	int			http_status;
	char	   *http_body;
	bool		headers_sent;
	bool		accepted;		/* SSE: the subscription exists */
	int			watched_fd;		/* SSE: the socket watched for a hang-up, or -1 */
	TimestampTz last_write;		/* SSE: for heartbeats */
	/* WebSocket: close with this code and reason at the next write */
	int			close_code;
	char		close_reason[124];
	bool		close_sent;
	bool		close_now;		/* main loop: kill without a close frame */
	/* WebSocket: the message being received, reassembled from fragments */
	char	   *rx;
	size_t		rx_len;
	bool		rx_paused;		/* too many commands queued: not reading */
	/* scratch for writes, LWS_PRE bytes of headroom first */
	unsigned char *out;
	size_t		out_size;
} LiveClient;

typedef enum CommandKind
{
	CMD_SUBSCRIBE,				/* the path's stream, from_sequence / Last-Event-ID */
	CMD_MESSAGE					/* a WebSocket text message */
} CommandKind;

/* Work a callback hands to the main loop. */
typedef struct LiveCommand
{
	dlist_node	node;
	LiveClient *client;
	CommandKind kind;
	int64		after;			/* CMD_SUBSCRIBE: replay frames after this; -1 live only */
	char	   *text;			/* CMD_MESSAGE: malloc'd, NUL-terminated */
	size_t		len;
} LiveCommand;

/* GUCs */
extern int	live_sse_heartbeat_ms;
extern int	live_slow_client_ms;

extern void LiveInit(void);
extern void LiveWorkerStart(void);

/* Callback side: malloc only, never ereport. */
extern LiveClient *LiveClientCreate(struct lws *wsi, LiveKind kind);
extern void LiveClientClosed(LiveClient *client);
extern bool LiveQueueCommand(LiveClient *client, CommandKind kind, int64 after,
							 char *text, size_t len);
extern bool LiveQueueControl(LiveClient *client, const char *data, int len);
extern Subscription *HubReadySubscription(LiveClient *client, int *take, long *wait_ms);
extern HubMessage *HubPeek(Subscription *sub, int i);
extern void HubConsumed(Subscription *sub, int n);
extern bool LiveEnsureOut(LiveClient *client, size_t len);
extern bool HubPending(void);
extern bool HubSubscriberStalled(Subscription *sub);
extern void LiveRequestClose(void);
extern void LiveCloseClient(LiveClient *client, int code, const char *reason);
extern int	WsCallback(struct lws *wsi, int reason, LiveClient **slot, void *in, size_t len);
extern void WsKeepAliveInit(void);
extern const struct lws_retry_bo *WsKeepAlivePolicy(void);
extern bool SsePath(const char *path);
extern int	SseAccept(struct lws *wsi, LiveClient **slot, const char *path);
extern int	SseWrite(struct lws *wsi, LiveClient *client);
extern void SseWatchStart(struct uv_loop_s *loop);
extern void SseUnwatch(LiveClient *client);

/* Main loop. */
extern void HubDispatch(const char *stream_id, int64 sequence, const char *message, int len,
						TimestampTz committed_at);
extern void HubCatchUpAll(void);
extern void HubProcess(MemoryContext loop_context);
extern long HubWaitTimeout(long timeout);
extern long HubStreamCount(void);

/* Shared between hub.c, live_commands.c and live_replay.c (main loop). */
extern dlist_head live_commands;
extern dlist_head live_clients;
extern bool hub_catchup_pending;
extern HubStream *HubStreamFor(const char *stream_id, bool create);
extern Subscription *HubSubscribe(LiveClient *client, HubStream *stream, int64 after);
extern void HubUnsubscribe(Subscription *sub);
extern Subscription *HubFindSubscription(LiveClient *client, const char *stream_id);
extern bool HubEnqueue(Subscription *sub, HubMessage *msg);
extern HubMessage *HubMessageCreate(int64 sequence, const char *data, int len);
extern void HubMessageRelease(HubMessage *msg);
extern void HubWake(LiveClient *client);
extern void LiveControlJson(LiveClient *client, const char *json);
extern void LiveCommandsProcess(MemoryContext loop_context);
extern void LiveReplay(MemoryContext loop_context);

#endif
