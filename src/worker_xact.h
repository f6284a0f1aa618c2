/*
 * worker_xact.h: one transaction of the worker's own work (outbound,
 * sources, windows), run so that an error never leaves the main loop.
 */
#ifndef STREAMFLOW_WORKER_XACT_H
#define STREAMFLOW_WORKER_XACT_H

#include "postgres.h"

typedef void (*WorkerXactWork) (void *arg);

extern bool WorkerTransaction(const char *activity, const char *doing, int retry_ms,
							  WorkerXactWork work, void *arg);

#endif
