/*
 * worker_requests.h: HTTP requests handed from lws callbacks to the worker's
 * main loop, answered there (in a transaction when the route needs one) and
 * written back when lws says the connection is writable.
 */
#ifndef STREAMFLOW_WORKER_REQUESTS_H
#define STREAMFLOW_WORKER_REQUESTS_H

#include "postgres.h"

#include "lib/ilist.h"
#include "lib/stringinfo.h"

struct lws;

typedef enum RequestState
{
	REQUEST_QUEUED,				/* waiting for the main loop */
	REQUEST_READY,				/* answered; headers not yet written */
	REQUEST_HEADERS_SENT		/* headers written; body next */
} RequestState;

/*
 * One HTTP request.  Allocated with malloc in lws callbacks (where palloc's
 * ereport must not happen), freed by whoever owns it last: the queue if the
 * connection closed while queued, else the connection.
 */
typedef struct Request
{
	dlist_node	node;			/* in the queue while REQUEST_QUEUED */
	struct lws *wsi;			/* NULL once the connection closed */
	RequestState state;
	char		method[8];
	char	   *path;			/* malloc'd, NUL-terminated */
	char	   *query;			/* malloc'd, "" when none */
	int			status;			/* response */
	const char *content_type;	/* static string; NULL: application/json */
	unsigned char *body;		/* malloc'd, LWS_PRE bytes of headroom first */
	size_t		body_len;
} Request;

/* What a route handler fills in; body is in the per-iteration context. */
typedef struct Response
{
	int			status;
	const char *content_type;	/* static string; NULL: application/json */
	StringInfoData body;
} Response;

typedef void (*RouteHandler) (Request *req, Response *resp);

typedef struct Route
{
	const char *method;
	const char *path;			/* exact match */
	bool		needs_transaction;
	RouteHandler handler;
	const char *label;			/* shown in pg_stat_activity.query */
} Route;

/* Called from lws callbacks: never ereport, never palloc. */
extern Request *RequestCreate(struct lws *wsi, const char *method,
							  const char *path, size_t path_len,
							  const char *query);
extern void RequestConnectionClosed(Request *req);
extern void RequestFree(Request *req);
extern bool RequestsPending(void);

/* Called from the main loop. */
extern int	RequestsProcess(const Route *routes, MemoryContext loop_context);
extern void RequestsDiscardAll(void);

/* JSON helpers for handlers. */
extern void ResponseJsonError(Response *resp, int status, const char *error,
							  const char *path);

#endif
