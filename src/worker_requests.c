/*
 * worker_requests.c: the request queue between lws callbacks and the
 * worker's main loop.
 *
 * lws callbacks only record a request (malloc, no PostgreSQL calls that can
 * raise an error) and return.  The main loop, outside any lws or libuv frame,
 * takes each queued request, runs its route (in a short transaction when the
 * route reads the database, with errors caught, logged and answered 500),
 * copies the answer into a malloc'd buffer and asks lws for a writable
 * callback, in which the connection writes it.  The real endpoints reuse
 * this path: add a Route.
 */
#include "postgres.h"

#include <libwebsockets.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "worker.h"
#include "worker_requests.h"

static dlist_head queue = DLIST_STATIC_INIT(queue);

static const Route *FindRoute(const Route *routes, const Request *req, bool *path_known);
static void RunRoute(const Route *route, Request *req, Response *resp,
					 MemoryContext loop_context);
static void Deliver(Request *req, Response *resp);

/* Records a request and queues it for the main loop; NULL when out of memory. */
Request *
RequestCreate(struct lws *wsi, const char *method, const char *path,
			  size_t path_len, const char *query)
{
	Request    *req = calloc(1, sizeof(Request));

	if (req == NULL)
		return NULL;
	req->path = malloc(path_len + 1);
	req->query = strdup(query ? query : "");
	if (req->path == NULL || req->query == NULL)
	{
		RequestFree(req);
		return NULL;
	}
	memcpy(req->path, path, path_len);
	req->path[path_len] = '\0';
	strlcpy(req->method, method, sizeof(req->method));
	req->wsi = wsi;
	req->state = REQUEST_QUEUED;
	dlist_push_tail(&queue, &req->node);
	return req;
}

/*
 * The connection of req closed.  A queued request stays in the queue (the
 * main loop frees it without answering); any other is freed now.
 */
void
RequestConnectionClosed(Request *req)
{
	if (req->state == REQUEST_QUEUED)
		req->wsi = NULL;
	else
		RequestFree(req);
}

/* Frees a request that is not in the queue. */
void
RequestFree(Request *req)
{
	free(req->path);
	free(req->query);
	free(req->body);
	free(req);
}

/* Whether requests are waiting for the main loop. */
bool
RequestsPending(void)
{
	return !dlist_is_empty(&queue);
}

/* Frees every queued request (the worker is exiting). */
void
RequestsDiscardAll(void)
{
	while (!dlist_is_empty(&queue))
	{
		Request    *req = dlist_container(Request, node, dlist_pop_head_node(&queue));

		RequestFree(req);
	}
}

/*
 * Answers every queued request whose connection is still open; returns how
 * many were answered.  Allocations land in loop_context, which the caller
 * resets.
 */
int
RequestsProcess(const Route *routes, MemoryContext loop_context)
{
	int			answered = 0;

	while (!dlist_is_empty(&queue))
	{
		Request    *req = dlist_container(Request, node, dlist_pop_head_node(&queue));
		const Route *route;
		bool		path_known;
		Response	resp;

		if (req->wsi == NULL)
		{
			RequestFree(req);
			continue;
		}
		MemoryContextSwitchTo(loop_context);
		resp.status = 200;
		resp.content_type = NULL;
		initStringInfo(&resp.body);
		route = FindRoute(routes, req, &path_known);
		if (route != NULL)
			RunRoute(route, req, &resp, loop_context);
		else if (path_known)
			ResponseJsonError(&resp, 405, "method not allowed", req->path);
		else
			ResponseJsonError(&resp, 404, "not found", req->path);
		Deliver(req, &resp);
		answered++;
	}
	return answered;
}

/* The route for req, or NULL; *path_known says whether another method has the path. */
static const Route *
FindRoute(const Route *routes, const Request *req, bool *path_known)
{
	const Route *r;

	*path_known = false;
	for (r = routes; r->path != NULL; r++)
	{
		if (strcmp(r->path, req->path) != 0)
			continue;
		if (strcmp(r->method, req->method) == 0)
			return r;
		*path_known = true;
	}
	return NULL;
}

/*
 * Runs a route's handler, in its own transaction when it needs one, bounded
 * by streamflow.worker_statement_timeout.  An error is logged, the
 * transaction aborted, and the request answered 500 (503 when it was
 * canceled, e.g. by the timeout): the worker carries on.
 */
static void
RunRoute(const Route *route, Request *req, Response *resp, MemoryContext loop_context)
{
	if (!route->needs_transaction)
	{
		route->handler(req, resp);
		return;
	}

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		WorkerStatementTimeoutStart();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, route->label);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		/* the handler writes resp->body, which lives in loop_context */
		route->handler(req, resp);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		WorkerStatementTimeoutStop();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		WorkerStatementTimeoutStop();
		MemoryContextSwitchTo(loop_context);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("streamflow worker could not answer %s %s: %s",
						req->method, req->path, edata->message)));
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ResponseJsonError(resp, 503, edata->message, req->path);
		else
			ResponseJsonError(resp, 500, "internal error", req->path);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(loop_context);
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Copies the answer into a malloc'd buffer with lws headroom and asks lws to
 * call the connection back when it can write; out of memory answers 500 with
 * no body.
 */
static void
Deliver(Request *req, Response *resp)
{
	req->status = resp->status;
	req->content_type = resp->content_type;
	req->body = malloc(LWS_PRE + resp->body.len + 1);
	if (req->body != NULL)
	{
		memcpy(req->body + LWS_PRE, resp->body.data, resp->body.len);
		req->body_len = resp->body.len;
	}
	else
	{
		req->status = 500;
		req->body_len = 0;
	}
	req->state = REQUEST_READY;
	lws_callback_on_writable(req->wsi);
}

/* Sets an error answer {"error": error, "path": path}. */
void
ResponseJsonError(Response *resp, int status, const char *error, const char *path)
{
	resp->status = status;
	resp->content_type = NULL;
	resetStringInfo(&resp->body);
	appendStringInfoString(&resp->body, "{\"error\":");
	escape_json(&resp->body, error);
	if (path != NULL)
	{
		appendStringInfoString(&resp->body, ",\"path\":");
		escape_json(&resp->body, path);
	}
	appendStringInfoChar(&resp->body, '}');
}
