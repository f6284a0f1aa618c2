/*
 * worker_xact.h: one transaction (or subtransaction) of the worker's own
 * work, run so that an error never leaves the main loop.
 */
#ifndef STREAMFLOW_WORKER_XACT_H
#define STREAMFLOW_WORKER_XACT_H

#include "postgres.h"

#include "utils/elog.h"

typedef void (*WorkerXactWork) (void *arg);

/* NULL when work(arg) ran and its subtransaction was released; else the error. */
extern ErrorData *WorkerSubTransaction(WorkerXactWork work, void *arg);
extern bool WorkerTransaction(const char *activity, const char *doing, int retry_ms,
							  WorkerXactWork work, void *arg);

#endif
