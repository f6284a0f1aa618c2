/*
 * worker_launcher.c: the process that keeps the transport worker running.
 *
 * The postmaster starts the launcher (a background worker connected to no
 * database, so DROP DATABASE never waits for it).  The launcher looks up
 * streamflow.database in pg_database and starts the HTTP worker
 * (StreamflowWorkerMain, worker.c) as a dynamic background worker connected
 * to it.  When the worker exits (a reload that moves it, pg_terminate_backend,
 * DROP DATABASE ... WITH (FORCE)), the launcher starts it again after
 * LAUNCHER_RESTART_MS; when the database does not exist, it says so once and
 * looks again after 1, 2, 4 ... seconds, then every LAUNCHER_RECHECK_MS, and
 * at once on a reload (SIGHUP).  A missing database thus costs one log line,
 * not a FATAL every second.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "worker.h"

/* Pause between a worker's exit and the next start. */
#define LAUNCHER_RESTART_MS 1000
/* Longest between two looks at a missing database, or a full worker table. */
#define LAUNCHER_RECHECK_MS 60000

/* The HTTP worker this launcher started, or NULL. */
static BackgroundWorkerHandle *handle = NULL;

static Oid	DatabaseOid(const char *name);
static BackgroundWorkerHandle *LaunchWorker(Oid dboid);
static void LauncherShutdown(int code, Datum arg);

/* Asks the postmaster to start the launcher, and to restart it should it exit. */
void
LauncherRegister(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = LAUNCHER_RESTART_MS / 1000;
	strlcpy(worker.bgw_library_name, "streamflow", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "StreamflowLauncherMain", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "streamflow launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "streamflow launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/* The launcher's entry point: keep one HTTP worker running in streamflow.database. */
void
StreamflowLauncherMain(Datum main_arg)
{
	char	   *missing_logged = NULL;
	TimestampTz next_start = 0;
	long		recheck_ms = LAUNCHER_RESTART_MS;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("streamflow launcher");
	before_shmem_exit(LauncherShutdown, (Datum) 0);

	for (;;)
	{
		long		timeout = LAUNCHER_RECHECK_MS;
		TimestampTz now = GetCurrentTimestamp();
		pid_t		pid;

		if (handle != NULL && GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
		{
			pfree(handle);
			handle = NULL;
			next_start = TimestampTzPlusMilliseconds(now, LAUNCHER_RESTART_MS);
		}
		if (handle == NULL && now >= next_start)
		{
			Oid			dboid = DatabaseOid(worker_database);

			if (OidIsValid(dboid))
			{
				handle = LaunchWorker(dboid);
				if (handle == NULL)
					next_start = TimestampTzPlusMilliseconds(now, LAUNCHER_RECHECK_MS);
				recheck_ms = LAUNCHER_RESTART_MS;
				if (missing_logged)
					pfree(missing_logged);
				missing_logged = NULL;
			}
			else
			{
				if (missing_logged == NULL || strcmp(missing_logged, worker_database) != 0)
				{
					ereport(LOG,
							(errmsg("streamflow worker waits for database \"%s\" to exist", worker_database),
							 errhint("Create the database, or set streamflow.database to an existing one and reload the configuration.")));
					if (missing_logged)
						pfree(missing_logged);
					missing_logged = MemoryContextStrdup(TopMemoryContext, worker_database);
				}
				/* soon at first (a script creating it right after start), then rarely */
				next_start = TimestampTzPlusMilliseconds(now, recheck_ms);
				recheck_ms = Min(recheck_ms * 2, LAUNCHER_RECHECK_MS);
			}
		}
		if (handle == NULL)
			timeout = Max(1, TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_start));

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			next_start = 0;
			recheck_ms = LAUNCHER_RESTART_MS;
		}
	}
}

/*
 * The launcher exits (pg_terminate_backend, an error): its worker goes too,
 * so that the launcher the postmaster starts next never finds a second one.
 */
static void
LauncherShutdown(int code, Datum arg)
{
	if (handle != NULL)
		TerminateBackgroundWorker(handle);
}

/*
 * The oid of database name, or InvalidOid when there is none.  A process
 * connected to no database may not use catalog indexes (their relcache
 * entries need pg_class): pg_database is scanned, as autovacuum's launcher
 * does.
 */
static Oid
DatabaseOid(const char *name)
{
	Oid			dboid = InvalidOid;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);

		if (strcmp(NameStr(db->datname), name) == 0)
		{
			dboid = db->oid;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	pgstat_report_stat(false);
	return dboid;
}

/*
 * Starts the HTTP worker in database dboid; the postmaster tells this process
 * (SIGUSR1, which sets the latch) when it stops.  NULL, with a warning, when
 * every background worker slot is taken.
 */
static BackgroundWorkerHandle *
LaunchWorker(Oid dboid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "streamflow", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "StreamflowWorkerMain", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "streamflow http worker", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "streamflow http", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("streamflow could not start its HTTP worker"),
				 errdetail("Every background worker slot is in use."),
				 errhint("Raise max_worker_processes (the launcher tries again on reload, or in %d seconds).",
						 LAUNCHER_RECHECK_MS / 1000)));
		return NULL;
	}
	return handle;
}
