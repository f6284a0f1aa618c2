/*
 * worker_xact.c: one transaction of the worker's own work.
 *
 * The worker's modules (outbound deliveries, sources, windows) each run
 * their database work in a transaction of its own from the main loop:
 * statement timeout, snapshot, SPI, activity shown in pg_stat_activity,
 * statistics flushed after the commit.  An error is caught here, logged as
 * a WARNING and the transaction aborted, so the caller only decides what
 * to undo in memory and when to try again.  Inside one, a piece that may
 * fail alone (one stream's frames, one window's close) runs in a
 * subtransaction of its own, WorkerSubTransaction.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "worker.h"
#include "worker_xact.h"

/*
 * Runs work(arg) in a transaction with SPI connected; true once it
 * committed.  On an error: a WARNING "streamflow worker could not <doing>"
 * saying it tries again in retry_ms, the transaction aborted, false.  The
 * caller's memory context is current again on return either way.
 */
bool
WorkerTransaction(const char *activity, const char *doing, int retry_ms,
				  WorkerXactWork work, void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		WorkerStatementTimeoutStart();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, activity);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		work(arg);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		WorkerStatementTimeoutStop();
		/* the work's reads and writes reach pg_stat (and autovacuum) */
		pgstat_report_stat(false);
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		WorkerStatementTimeoutStop();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("streamflow worker could not %s: %s", doing, edata->message),
				 errdetail("It tries again in %d ms.", retry_ms)));
		FreeErrorData(edata);
		MemoryContextSwitchTo(cxt);
		return false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return true;
}

/*
 * Runs work(arg) in a subtransaction: NULL once it was released, else the
 * error (copied into the caller's memory context, for the caller to report
 * and free) after the subtransaction was rolled back.  The caller's memory
 * context and resource owner are current again on return either way.
 */
ErrorData *
WorkerSubTransaction(WorkerXactWork work, void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		work(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return edata;
}
