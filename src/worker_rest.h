/*
 * worker_rest.h: the REST and polling routes of the worker.
 */
#ifndef STREAMFLOW_WORKER_REST_H
#define STREAMFLOW_WORKER_REST_H

#include "frame.h"
#include "worker_requests.h"

/* Default next_poll_after_ms for a stream without polling_interval_ms. */
#define REST_DEFAULT_POLL_INTERVAL_MS 1000
/* Default and largest ?limit= of the frame listings. */
#define REST_DEFAULT_LIMIT 100
#define REST_MAX_LIMIT 1000

extern void RestListStreams(Request *req, Response *resp);
extern void RestGetStream(Request *req, Response *resp);
extern void RestListFrames(Request *req, Response *resp);
extern void RestPostFrame(Request *req, Response *resp);
extern void RestLatestFrame(Request *req, Response *resp);
extern void RestPoll(Request *req, Response *resp);

extern void RestLockStream(Request *req, const char *stream, StreamHead *head);
extern bool RestIngestFrame(StreamHead *head, Frame *frame, const char *source,
							const char *rejected_error, Response *resp);

#endif
