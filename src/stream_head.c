/*
 * stream_head.c: finding a stream by id or name, and the per-stream head row.
 *
 * Sequence numbers are assigned under a row lock on streamflow.stream_state,
 * held until the ingesting transaction ends.  Two sessions ingesting into one
 * stream therefore take turns: no sequence is assigned twice, and sequences
 * assigned by the server grow in commit order.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "spi_util.h"
#include "stream_head.h"

PG_FUNCTION_INFO_V1(streamflow_stream_id);

static SPIPlanPtr resolve_plan;
static SPIPlanPtr lock_plan;
static SPIPlanPtr reserve_plan;
static SPIPlanPtr update_plan;
static SPIPlanPtr activate_plan;

/* Raises 42704 for a stream that does not exist. */
static void
NoSuchStream(const char *stream)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("stream \"%s\" does not exist", stream),
			 errhint("List streams with SELECT id, name FROM streamflow.streams.")));
}

/* The id of the stream whose id or name is stream (caller is connected to SPI). */
char *
ResolveStreamId(const char *stream)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(stream)};
	SPIPlanPtr	plan = KeptPlan(&resolve_plan,
								  "SELECT id FROM streamflow.streams WHERE id = $1 OR name = $1",
								  1, argtypes);

	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up stream \"%s\"", stream);
	if (SPI_processed == 0)
		NoSuchStream(stream);
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/* SQL: stream_id(stream text) returns text */
Datum
streamflow_stream_id(PG_FUNCTION_ARGS)
{
	char	   *stream = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext caller = CurrentMemoryContext;
	char	   *id;
	text	   *result;

	SPI_connect();
	id = ResolveStreamId(stream);
	/* SPI calls leave SPI's own context current; the result must outlive it */
	MemoryContextSwitchTo(caller);
	result = cstring_to_text(id);
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}

/* Fills head from the lock statement's row; raises 42704 when none, 55000 when paused. */
static void
ReadStreamHead(const char *stream, int64 reserved, StreamHead *head)
{
	bool		isnull;

	if (SPI_processed == 0)
		NoSuchStream(stream);
	head->reserved = reserved;
	head->id = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	head->status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	head->sla_ms = DatumGetInt32(SPIValue(0, 3, &isnull));
	head->last_sequence = DatumGetInt64(SPIValue(0, 4, &isnull));
	head->config_version = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);
	if (strcmp(head->status, "paused") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stream \"%s\" is paused", head->id),
				 errdetail("Frames are not accepted while a stream is paused."),
				 errhint("Resume it with SELECT streamflow.update_stream('%s', '{\"status\": \"active\"}').",
						 head->id)));
}

/*
 * Finds the stream (by id or name), locks its head row until the transaction
 * ends, and fills head.  Raises 42704 when missing, 55000 when paused.
 */
void
LockStreamHead(const char *stream, StreamHead *head)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(stream)};
	SPIPlanPtr	plan = KeptPlan(&lock_plan,
								  "SELECT s.id, s.status, s.sla_ms, h.last_sequence,"
								  " s.xmin::text || '/' || s.ctid::text"
								  " FROM streamflow.streams s"
								  " JOIN streamflow.stream_state h ON h.stream_id = s.id"
								  " WHERE s.id = $1 OR s.name = $1"
								  " FOR NO KEY UPDATE OF h",
								  1, argtypes);

	if (SPI_execute_plan(plan, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not lock stream \"%s\"", stream);
	ReadStreamHead(stream, 0, head);
}

/*
 * LockStreamHead for a call that stores all n frames or fails (on_error
 * raise, every sequence assigned by the server): the same statement writes
 * the head as if the n frames were stored (sequences, frames_received, last
 * data time), so UpdateStreamHead has nothing left to write when they are:
 * one statement instead of two.  head->last_sequence is the value before the
 * n frames.  A stream with fewer than n sequences left is locked as
 * LockStreamHead does (AssignFrame then refuses what does not fit).
 */
void
LockStreamHeadReserving(const char *stream, int64 n, StreamHead *head)
{
	Oid			argtypes[2] = {TEXTOID, INT8OID};
	Datum		args[2] = {CStringGetTextDatum(stream), Int64GetDatum(n)};
	SPIPlanPtr	plan = KeptPlan(&reserve_plan,
								  "UPDATE streamflow.stream_state h SET"
								  " last_sequence = h.last_sequence + $2,"
								  " frames_received = h.frames_received + $2,"
								  " last_data_received_at = now()"
								  " FROM streamflow.streams s"
								  " WHERE h.stream_id = s.id AND (s.id = $1 OR s.name = $1)"
								  " AND h.last_sequence <= 9223372036854775807 - $2"
								  " RETURNING s.id, s.status, s.sla_ms, h.last_sequence - $2,"
								  " s.xmin::text || '/' || s.ctid::text",
								  2, argtypes);

	Assert(n > 0);
	if (SPI_execute_plan(plan, args, NULL, false, 1) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not lock stream \"%s\"", stream);
	if (SPI_processed == 0)
	{
		/* no such stream, or too few sequences left: the plain lock says which */
		LockStreamHead(stream, head);
		return;
	}
	ReadStreamHead(stream, n, head);
}

/*
 * Writes the head back: the new last sequence and the counters of this call
 * (less what LockStreamHeadReserving counted already: nothing is left to
 * write when the call stored the frames it reserved).  The first stored frame
 * turns an inactive stream active.
 */
void
UpdateStreamHead(StreamHead *head, int64 received, int64 duplicates, int64 rejected)
{
	Oid			argtypes[5] = {TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID};
	Datum		args[5];
	SPIPlanPtr	plan = KeptPlan(&update_plan,
								  "UPDATE streamflow.stream_state SET"
								  " last_sequence = greatest(last_sequence, $2),"
								  " frames_received = frames_received + $3,"
								  " duplicates = duplicates + $4,"
								  " rejected = rejected + $5,"
								  " last_data_received_at = CASE WHEN $3 > 0 THEN now()"
								  " ELSE last_data_received_at END"
								  " WHERE stream_id = $1",
								  5, argtypes);

	args[0] = CStringGetTextDatum(head->id);
	args[1] = Int64GetDatum(head->last_sequence);
	args[2] = Int64GetDatum(received - head->reserved);
	args[3] = Int64GetDatum(duplicates);
	args[4] = Int64GetDatum(rejected);
	if ((received != head->reserved || duplicates != 0 || rejected != 0) &&
		SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update the head of stream \"%s\"", head->id);

	if (received > 0 && strcmp(head->status, "inactive") == 0)
	{
		plan = KeptPlan(&activate_plan,
						  "UPDATE streamflow.streams SET status = 'active', updated_at = now()"
						  " WHERE id = $1 AND status = 'inactive'",
						  1, argtypes);
		if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not activate stream \"%s\"", head->id);
		head->status = "active";
	}
}
