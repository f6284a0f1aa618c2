/*
 * outbound_http.h: one webhook POST over lws's HTTP client.
 *
 * The main loop (outbound.c) fills a Delivery with what to send and starts
 * it; lws callbacks only record the outcome in it (plain memory, no
 * PostgreSQL calls); the main loop reads the outcome once finished is set.
 * A Delivery with keep_alive goes over the kept connection to its host and
 * port when there is one, and leaves it open for the next.
 */
#ifndef STREAMFLOW_OUTBOUND_HTTP_H
#define STREAMFLOW_OUTBOUND_HTTP_H

#include "postgres.h"

#include <libwebsockets.h>

#include "datatype/timestamp.h"
#include "client_url.h"
#include "lib/ilist.h"

#define DELIVERY_ERROR_LEN 256

struct Destination;

/* One delivery in flight; malloc'd, freed by outbound.c once finished. */
typedef struct Delivery
{
	dlist_node	node;			/* in outbound.c's list of deliveries in flight */
	struct Destination *dest;	/* where it goes */
	int64		id;				/* streamflow.deliveries.id */
	char	   *stream_id;
	int64		sequence;
	int			attempts;		/* attempts before this one */
	TimestampTz frame_created_at;
	/* the stream's retry_policy when it was claimed */
	int			max_retries;
	int			backoff_ms;
	int			max_backoff_ms;
	bool		exponential;
	bool		jitter;
	char	   *body;			/* LWS_PRE bytes of headroom, then the JSON body */
	size_t		body_len;
	char		signature[80];	/* "sha256=<hex>", or "" when the stream has no secret */
	TimestampTz deadline;		/* the request times out then */
	ClientUrl	url;			/* the URL cut up, kept while connecting */
	struct lws *wsi;			/* NULL once lws closed it */
	bool		keep_alive;		/* may go over a kept connection and keep it */
	bool		resent;			/* already sent again after a kept connection closed */
	bool		body_sent;		/* the body went out */
	bool		completed;		/* the whole answer arrived */
	bool		seen;			/* main loop: noticed it finished */
	bool		recorded;		/* main loop: outcome written in the open transaction */
	/* the outcome, written by the lws callbacks */
	bool		finished;		/* lws is done with it */
	bool		timed_out;		/* the main loop gave up waiting */
	int			status;			/* HTTP status; 0 when there was no answer */
	bool		closed_unanswered;	/* the connection closed before any answer */
	char		error[DELIVERY_ERROR_LEN];	/* why it failed; "" when it did not */
} Delivery;

extern bool OutboundHttpStart(struct lws_context *context);
extern bool OutboundHttpSend(Delivery *d, const char *url);
extern void OutboundHttpAbort(Delivery *d);
extern void OutboundHttpReset(Delivery *d);
extern bool OutboundUrlSupported(const char *url, char *why, size_t whylen);
extern char *OutboundHostKey(const char *url);

#endif
