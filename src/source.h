/*
 * source.h: streams with a source_url: the worker pulls their frames from
 * an HTTP(S) endpoint it polls (source_poll.c) or a WebSocket it holds open
 * (source_ws.c).  source.c keeps the set of sources in step with the
 * streams table and ingests what the clients received.
 *
 * The lws callbacks of both clients only copy what arrives into the
 * Source (malloc'd) and note failures; the main loop (SourcesProcess) does
 * every database write.
 */
#ifndef STREAMFLOW_SOURCE_H
#define STREAMFLOW_SOURCE_H

#include "postgres.h"

#include <libwebsockets.h>

#include "datatype/timestamp.h"

#include "retry_policy.h"

struct SourcePoll;
struct SourceWs;

/* Failures kept per source until the next transaction records them. */
#define SOURCE_MAX_ERRORS 16
#define SOURCE_ERROR_LEN 256

/* GUCs */
extern int	source_timeout_ms;
extern int	source_max_body_bytes;
extern int	source_heartbeat_s;
extern int	source_heartbeat_timeout_s;

/* One message received, waiting to be ingested. */
typedef struct SourceMessage
{
	struct SourceMessage *next;
	size_t		len;
	char		text[FLEXIBLE_ARRAY_MEMBER];
} SourceMessage;

/* One stream with a source_url (all malloc'd). */
typedef struct Source
{
	struct Source *next;
	char	   *stream_id;
	char	   *config;			/* url, headers, interval, retry, batching as read */
	char	   *url;
	bool		websocket;		/* ws(s)://; otherwise polled over http(s) */
	int			nheaders;
	char	  **header_names;	/* "Name:" as lws wants them */
	char	  **header_values;
	int			interval_ms;	/* polling_interval_ms */
	RetryPolicy retry;
	int			batch_size;		/* batching.batch_size */
	int			batch_timeout_ms;	/* batching.batch_timeout_ms */
	bool		seen;			/* still in the streams table at the last reload */

	int			failures;		/* failed attempts in a row */
	TimestampTz next_at;		/* the next poll or connection attempt */
	char	   *since;			/* cursor for the next poll, or NULL */
	SourceMessage *first;		/* received, not yet ingested */
	SourceMessage *last;
	int			nqueued;
	TimestampTz first_queued_at;
	int			nerrors;		/* failures to record */
	char		errors[SOURCE_MAX_ERRORS][SOURCE_ERROR_LEN];
	int			errors_lost;	/* failures beyond SOURCE_MAX_ERRORS */
	struct SourcePoll *poll;	/* the poll in flight (source_poll.c) */
	struct SourceWs *ws;		/* the connection (source_ws.c) */
} Source;

/* source.c: the worker's side */
extern void SourcesInit(void);
extern void SourcesStart(struct lws_context *context);
extern void SourcesProcess(void);
extern long SourcesTimeout(long timeout);

/* source.c: for the clients */
extern void SourceQueueMessage(Source *src, const char *text, size_t len);
extern void SourceFailed(Source *src, const char *fmt,...) pg_attribute_printf(2, 3);
extern int	SourceAppendHeaders(Source *src, struct lws *wsi, unsigned char **p,
								unsigned char *end);
extern int	SourceMaxMessageBytes(void);
extern int	SourceQueueCap(Source *src);

/* source_ingest.c */
extern void SourceIngest(Source *src, int *taken, char **since, int *next_ms);
extern void SourceRecordErrors(Source *src);

/* source_poll.c */
extern bool SourcePollStart(struct lws_context *context, struct lws_vhost *vhost, Source *src);
extern bool SourcePollCheck(Source *src, TimestampTz now, char **body, size_t *len);
extern void SourcePollStop(Source *src);
extern TimestampTz SourcePollDeadline(Source *src);
extern int	SourcePollCallback(struct lws *wsi, enum lws_callback_reasons reason,
							  void *user, void *in, size_t len);

/* source_ws.c */
extern bool SourceWsConnect(struct lws_context *context, struct lws_vhost *vhost, Source *src);
extern void SourceWsCheck(Source *src, TimestampTz now);
extern void SourceWsStop(Source *src);
extern void SourceWsResume(Source *src);
extern int	SourceWsCallback(struct lws *wsi, enum lws_callback_reasons reason,
							  void *user, void *in, size_t len);

#endif
