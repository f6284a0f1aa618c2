/*
 * window_current.c: window_current(name), the partial values of a window's
 * open windows, which only the worker holds (window_engine.c).
 *
 * One request slot in shared memory serves every backend in turn: a backend
 * waits on the slot's ConditionVariable until it is free, writes the window
 * name, sets the worker's latch and waits (with a timeout, interruptible)
 * for the answer.  The worker looks at the slot once per loop turn, renders
 * the answer from memory and copies it into the slot's response buffer of
 * streamflow.window_current_bytes; it never waits for a backend.  A backend
 * that gives up (cancel, timeout) frees the slot; a late answer is dropped.
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "jsonb_util.h"
#include "window_current.h"

#define WINDOW_CURRENT_TRANCHE "streamflow window_current"
/* Longest a backend waits for the slot and then for the worker's answer. */
#define WINDOW_CURRENT_TIMEOUT_MS 10000
/* Longest window name a request carries. */
#define WINDOW_NAME_MAX 256

typedef enum SlotState
{
	SLOT_FREE,
	SLOT_REQUESTED,
	SLOT_ANSWERED
} SlotState;

typedef enum AnswerStatus
{
	ANSWER_OK,
	ANSWER_NOT_FOUND,
	ANSWER_TOO_LARGE,
	ANSWER_WRONG_DATABASE,
	ANSWER_FAILED
} AnswerStatus;

typedef struct CurrentSlot
{
	LWLock	   *lock;			/* guards everything below but the atomics */
	ConditionVariable cv;		/* signalled whenever state changes */
	pg_atomic_uint32 worker_pid;	/* 0 while no worker is attached */
	pg_atomic_uint32 requested; /* a request waits (the worker's cheap check) */
	Latch	   *worker_latch;
	SlotState	state;
	uint64		request_id;
	Oid			database;
	char		name[WINDOW_NAME_MAX];
	AnswerStatus status;
	Size		needed;			/* ANSWER_TOO_LARGE: the answer's size */
	Size		len;
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* window_current_bytes */
} CurrentSlot;

static int	window_current_bytes = 1024 * 1024;
static CurrentSlot *slot = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void CurrentShmemRequest(void);
static void CurrentShmemStartup(void);
static void WorkerDetach(int code, Datum arg);
static uint64 TakeSlot(const char *name, TimestampTz deadline);
static char *AwaitAnswer(uint64 id, TimestampTz deadline, AnswerStatus *status, Size *needed);
static void GiveUpSlot(uint64 id);
static bool WaitSlot(TimestampTz deadline);
static void NotRunning(void);
static void CheckWindowExists(const char *name);
static void ReturnRows(FunctionCallInfo fcinfo, const char *json);

PG_FUNCTION_INFO_V1(streamflow_window_current);

/* Defines streamflow.window_current_bytes and, when preloaded, requests the slot. */
void
WindowCurrentInit(void)
{
	DefineCustomIntVariable("streamflow.window_current_bytes",
							gettext_noop("Size of the buffer through which the worker answers window_current()."),
							gettext_noop("An answer larger than this is refused; a change takes a server restart."),
							&window_current_bytes, 1024 * 1024, 1024, MaxAllocSize / 2,
							PGC_POSTMASTER, GUC_UNIT_BYTE, NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = CurrentShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = CurrentShmemStartup;
}

/* Asks for the slot's shared memory and lock. */
static void
CurrentShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(add_size(offsetof(CurrentSlot, data), window_current_bytes));
	RequestNamedLWLockTranche(WINDOW_CURRENT_TRANCHE, 1);
}

/* Finds (or creates) the slot in shared memory. */
static void
CurrentShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	slot = ShmemInitStruct("streamflow window_current",
						   add_size(offsetof(CurrentSlot, data), window_current_bytes), &found);
	if (!found)
	{
		slot->lock = &(GetNamedLWLockTranche(WINDOW_CURRENT_TRANCHE))->lock;
		ConditionVariableInit(&slot->cv);
		pg_atomic_init_u32(&slot->worker_pid, 0);
		pg_atomic_init_u32(&slot->requested, 0);
		slot->worker_latch = NULL;
		slot->state = SLOT_FREE;
		slot->request_id = 0;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* The worker will answer from now on (until it exits). */
void
WindowCurrentAttachWorker(void)
{
	if (slot == NULL)
		return;
	LWLockAcquire(slot->lock, LW_EXCLUSIVE);
	slot->worker_latch = MyLatch;
	pg_atomic_write_u32(&slot->worker_pid, MyProcPid);
	LWLockRelease(slot->lock);
	on_shmem_exit(WorkerDetach, (Datum) 0);
}

/* At the worker's exit: waiting backends learn there is no one to answer. */
static void
WorkerDetach(int code, Datum arg)
{
	if (pg_atomic_read_u32(&slot->worker_pid) != (uint32) MyProcPid)
		return;
	pg_atomic_write_u32(&slot->worker_pid, 0);
	slot->worker_latch = NULL;
	ConditionVariableBroadcast(&slot->cv);
}

/* Whether a backend waits for an answer (worker, every loop turn). */
bool
WindowCurrentPending(void)
{
	return slot != NULL && pg_atomic_read_u32(&slot->requested) != 0;
}

/*
 * Answers the waiting request, if any, with what render makes of it; a
 * request render defers stays for a later turn.  Never raises an error.
 */
void
WindowCurrentServe(WindowCurrentRender render)
{
	char		name[WINDOW_NAME_MAX];
	uint64		id;
	Oid			database;
	StringInfoData out;
	volatile AnswerStatus status = ANSWER_OK;
	volatile WindowCurrentOutcome outcome = WINDOW_CURRENT_ANSWER;
	MemoryContext cxt = CurrentMemoryContext;

	if (!WindowCurrentPending())
		return;
	LWLockAcquire(slot->lock, LW_EXCLUSIVE);
	id = slot->request_id;
	database = slot->database;
	memcpy(name, slot->name, sizeof(name));
	if (slot->state != SLOT_REQUESTED)
	{
		/* given up meanwhile */
		pg_atomic_write_u32(&slot->requested, 0);
		LWLockRelease(slot->lock);
		return;
	}
	LWLockRelease(slot->lock);

	initStringInfo(&out);
	if (database != MyDatabaseId)
		status = ANSWER_WRONG_DATABASE;
	else
	{
		PG_TRY();
		{
			outcome = render(name, &out);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			EmitErrorReport();
			FlushErrorState();
			status = ANSWER_FAILED;
		}
		PG_END_TRY();
		if (outcome == WINDOW_CURRENT_LATER)
			return;
		if (outcome == WINDOW_CURRENT_NOT_FOUND)
			status = ANSWER_NOT_FOUND;
	}

	LWLockAcquire(slot->lock, LW_EXCLUSIVE);
	if (slot->state == SLOT_REQUESTED && slot->request_id == id)
	{
		slot->status = status;
		slot->len = 0;
		if (status == ANSWER_OK && (Size) out.len > (Size) window_current_bytes)
		{
			slot->status = ANSWER_TOO_LARGE;
			slot->needed = out.len;
		}
		else if (status == ANSWER_OK)
		{
			memcpy(slot->data, out.data, out.len);
			slot->len = out.len;
		}
		slot->state = SLOT_ANSWERED;
	}
	pg_atomic_write_u32(&slot->requested, 0);
	LWLockRelease(slot->lock);
	ConditionVariableBroadcast(&slot->cv);
}

/*
 * SQL: window_current(name text) returns table(group_key jsonb, window_start
 * timestamptz, window_end timestamptz, aggregates jsonb, frame_count bigint).
 */
Datum
streamflow_window_current(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TimestampTz deadline;
	AnswerStatus status;
	Size		needed = 0;
	uint64		id;
	char	   *json;

	CheckWindowExists(name);
	if (slot == NULL || pg_atomic_read_u32(&slot->worker_pid) == 0)
		NotRunning();
	if (strlen(name) >= WINDOW_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("window name \"%s\" is too long for window_current", name),
				 errdetail("window_current asks the worker for names of at most %d bytes.",
						   WINDOW_NAME_MAX - 1)));
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WINDOW_CURRENT_TIMEOUT_MS);
	id = TakeSlot(name, deadline);
	json = AwaitAnswer(id, deadline, &status, &needed);
	switch (status)
	{
		case ANSWER_OK:
			break;
		case ANSWER_NOT_FOUND:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the streamflow worker has not loaded window \"%s\"", name),
					 errhint("The worker rereads streamflow.windows every second; try again.")));
			break;
		case ANSWER_TOO_LARGE:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the open windows of \"%s\" do not fit in the answer buffer", name),
					 errdetail("The answer takes %zu bytes; the buffer holds %d.", needed,
							   window_current_bytes),
					 errhint("Raise streamflow.window_current_bytes (it takes a server restart), or read closed windows from streamflow.window_results.")));
			break;
		case ANSWER_WRONG_DATABASE:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the streamflow worker runs in another database"),
					 errhint("window_current answers in the database named by streamflow.database.")));
			break;
		case ANSWER_FAILED:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("the streamflow worker could not compute the open windows of \"%s\"", name),
					 errhint("The server log holds the worker's error.")));
			break;
	}
	ReturnRows(fcinfo, json);
	return (Datum) 0;
}

/* 42704 unless streamflow.windows has a window of that name. */
static void
CheckWindowExists(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args("SELECT 1 FROM streamflow.windows WHERE name = $1",
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read streamflow.windows");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("window \"%s\" does not exist", name),
				 errhint("streamflow.windows lists the windows; create_window makes one.")));
	SPI_finish();
}

/* 55000: no worker to ask. */
static void
NotRunning(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the streamflow worker is not running"),
			 errdetail("Only the worker holds the open windows' partial values."),
			 slot == NULL
			 ? errhint("Add streamflow to the shared_preload_libraries configuration variable in postgresql.conf and restart the server.")
			 : errhint("The launcher starts the worker again within seconds; the server log says why it stopped.")));
}

/* Waits for the free slot and puts the request in it; its id. */
static uint64
TakeSlot(const char *name, TimestampTz deadline)
{
	uint64		id = 0;
	Latch	   *latch = NULL;

	ConditionVariablePrepareToSleep(&slot->cv);
	for (;;)
	{
		LWLockAcquire(slot->lock, LW_EXCLUSIVE);
		if (slot->state == SLOT_FREE)
		{
			slot->state = SLOT_REQUESTED;
			id = ++slot->request_id;
			slot->database = MyDatabaseId;
			strlcpy(slot->name, name, sizeof(slot->name));
			pg_atomic_write_u32(&slot->requested, 1);
			latch = slot->worker_latch;
		}
		LWLockRelease(slot->lock);
		if (id != 0)
			break;
		if (!WaitSlot(deadline))
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("window_current waited too long for other sessions' requests"),
					 errhint("Try again.")));
		}
	}
	ConditionVariableCancelSleep();
	if (latch != NULL)
		SetLatch(latch);
	return id;
}

/*
 * Waits for the worker's answer to request id; a palloc'd copy of it.  Frees
 * the slot on every way out, errors included.
 */
static char *
AwaitAnswer(uint64 id, TimestampTz deadline, AnswerStatus *status, Size *needed)
{
	char	   *volatile json = NULL;
	volatile bool done = false;

	PG_TRY();
	{
		ConditionVariablePrepareToSleep(&slot->cv);
		while (!done)
		{
			LWLockAcquire(slot->lock, LW_EXCLUSIVE);
			if (slot->request_id == id && slot->state == SLOT_ANSWERED)
			{
				*status = slot->status;
				*needed = slot->needed;
				json = palloc(slot->len + 1);
				memcpy(json, slot->data, slot->len);
				json[slot->len] = '\0';
				slot->state = SLOT_FREE;
				done = true;
			}
			LWLockRelease(slot->lock);
			if (done)
				break;
			if (pg_atomic_read_u32(&slot->worker_pid) == 0)
				NotRunning();
			if (!WaitSlot(deadline))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("the streamflow worker did not answer window_current within %d ms",
								WINDOW_CURRENT_TIMEOUT_MS),
						 errhint("The worker may be busy closing windows or replaying frames; try again.")));
		}
		ConditionVariableCancelSleep();
	}
	PG_CATCH();
	{
		ConditionVariableCancelSleep();
		GiveUpSlot(id);
		PG_RE_THROW();
	}
	PG_END_TRY();
	ConditionVariableBroadcast(&slot->cv);
	return json;
}

/* Frees the slot when request id still holds it. */
static void
GiveUpSlot(uint64 id)
{
	LWLockAcquire(slot->lock, LW_EXCLUSIVE);
	if (slot->request_id == id && slot->state != SLOT_FREE)
	{
		slot->state = SLOT_FREE;
		pg_atomic_write_u32(&slot->requested, 0);
	}
	LWLockRelease(slot->lock);
	ConditionVariableBroadcast(&slot->cv);
}

/* Sleeps on the slot's CV for at most 100 ms; false once deadline passed. */
static bool
WaitSlot(TimestampTz deadline)
{
	if (GetCurrentTimestamp() >= deadline)
		return false;
	(void) ConditionVariableTimedSleep(&slot->cv, 100, PG_WAIT_EXTENSION);
	return true;
}

/* Turns the worker's JSON array into the function's rows. */
static void
ReturnRows(FunctionCallInfo fcinfo, const char *json)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *rows = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	JsonbValue *items;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	items = JsonbArrayItems(&rows->root, &n);
	for (i = 0; i < n; i++)
	{
		JsonbContainer *row = items[i].val.binary.data;
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		int64		v;

		values[0] = JsonbPGetDatum(JsonbValueToJsonb(JsonbObjectGet(row, "group_key")));
		(void) JsonbValueGetInt64(JsonbObjectGet(row, "window_start"), &v);
		values[1] = TimestampTzGetDatum((TimestampTz) v);
		(void) JsonbValueGetInt64(JsonbObjectGet(row, "window_end"), &v);
		values[2] = TimestampTzGetDatum((TimestampTz) v);
		values[3] = JsonbPGetDatum(JsonbValueToJsonb(JsonbObjectGet(row, "aggregates")));
		(void) JsonbValueGetInt64(JsonbObjectGet(row, "frame_count"), &v);
		values[4] = Int64GetDatum(v);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}
