/*
 * worker.h: the transport background worker (HTTP on a libuv loop driven by
 * a PostgreSQL WaitEventSet).
 */
#ifndef STREAMFLOW_WORKER_H
#define STREAMFLOW_WORKER_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* GUCs, read by the worker and its request handlers. */
extern char *worker_database;
extern char *worker_listen_address;
extern int	worker_port;
extern int	worker_max_connections;
extern int	worker_max_message_bytes;
extern int	worker_statement_timeout;
extern TimestampTz worker_started_at;

extern void WorkerInit(void);
extern PGDLLEXPORT void StreamflowWorkerMain(Datum main_arg);

/* Bounds every transaction the worker runs (streamflow.worker_statement_timeout). */
extern void WorkerStatementTimeoutStart(void);
extern void WorkerStatementTimeoutStop(void);

/* worker_launcher.c: starts the worker in streamflow.database, and again when it exits. */
extern void LauncherRegister(void);
extern PGDLLEXPORT void StreamflowLauncherMain(Datum main_arg);

#endif
