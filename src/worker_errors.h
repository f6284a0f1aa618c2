/*
 * worker_errors.h: HTTP error answers, {"error", "detail"?, ...} in JSON.
 */
#ifndef STREAMFLOW_WORKER_ERRORS_H
#define STREAMFLOW_WORKER_ERRORS_H

#include "worker_requests.h"

extern int	HttpStatusForError(int sqlerrcode);
extern void ResponseError(Response *resp, int status, const char *error,
						  const char *detail);
extern void ResponseErrorWith(Response *resp, int status, const char *error,
							  const char *detail, const char *key, const char *json);
extern void ResponseFromError(Response *resp, int status, ErrorData *edata);

#endif
