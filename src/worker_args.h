/*
 * worker_args.h: what a request carries besides its body: path parameters
 * of route patterns, query arguments and the headers routes read.
 */
#ifndef STREAMFLOW_WORKER_ARGS_H
#define STREAMFLOW_WORKER_ARGS_H

#include "utils/jsonb.h"

#include "worker_requests.h"

struct lws;

/* Called from lws callbacks: malloc only, never ereport. */
extern bool RequestCopyHeaders(Request *req, struct lws *wsi);

/* Pure: no allocation, no error. */
extern bool RouteMatches(const char *pattern, const char *path);

/* Called from the main loop (palloc; errors are 22023, answered 400). */
extern char *RequestParam(const Request *req, const char *name);
extern const char *RequestArg(const Request *req, const char *name);
extern bool RequestRequireJson(const Request *req, Response *resp);
extern Jsonb *RequestJsonBody(const Request *req);
extern int64 RequestArgInt64(const Request *req, const char *name, int64 if_absent,
							 int64 min, int64 max);

#endif
