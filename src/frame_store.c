/*
 * frame_store.c: writing frames and rejections to their tables.
 *
 * All frames of one call are inserted by a single INSERT ... SELECT FROM
 * unnest(...) ON CONFLICT DO NOTHING, so a batch costs one executor run and an
 * already stored (stream, sequence) is skipped rather than failing: the
 * idempotent duplicate of seed 002.  Callers are connected to SPI.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "frame_store.h"
#include "spi_util.h"
#include "violations.h"

static SPIPlanPtr insert_plan;
static SPIPlanPtr insert_row_plan;
static SPIPlanPtr fetch_plan;
static SPIPlanPtr error_plan;
static SPIPlanPtr dead_letter_plan;

/*
 * Inserts frames[0..n-1] (sequences assigned) in one statement and sets each
 * frame's stored flag: false for a (stream, sequence) already stored.
 * Returns how many were stored.  With row set and n == 1, *row is the stored
 * frame as a streamflow.frames row datum in the caller's (upper) context, or
 * 0 when it was a duplicate: ingest() returns it without reading it back.
 */
int
StoreFrames(const char *stream_id, Frame **frames, int n, Datum *row_out)
{
	Oid			argtypes[6] = {TEXTOID, INT8ARRAYOID, JSONBARRAYOID, INT4ARRAYOID,
	TEXTARRAYOID, JSONBARRAYOID};
	Datum		args[6];
	Datum	   *seqs = palloc(sizeof(Datum) * n);
	Datum	   *payloads = palloc(sizeof(Datum) * n);
	Datum	   *latencies = palloc(sizeof(Datum) * n);
	Datum	   *statuses = palloc(sizeof(Datum) * n);
	Datum	   *metas = palloc(sizeof(Datum) * n);
	bool	   *metanulls = palloc(sizeof(bool) * n);
	SPIPlanPtr	plan;
	uint64		row = 0;
	bool		isnull;
	int			seq_col;
	int			i;

	if (row_out)
		*row_out = (Datum) 0;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
	{
		seqs[i] = Int64GetDatum(frames[i]->sequence);
		payloads[i] = JsonbPGetDatum(frames[i]->payload);
		latencies[i] = Int32GetDatum(frames[i]->latency_ms);
		statuses[i] = CStringGetTextDatum(frames[i]->status);
		metas[i] = frames[i]->metadata ? JsonbPGetDatum(frames[i]->metadata) : (Datum) 0;
		metanulls[i] = frames[i]->metadata == NULL;
	}
	args[0] = CStringGetTextDatum(stream_id);
	args[1] = SPIArray(seqs, NULL, n, INT8OID);
	args[2] = SPIArray(payloads, NULL, n, JSONBOID);
	args[3] = SPIArray(latencies, NULL, n, INT4OID);
	args[4] = SPIArray(statuses, NULL, n, TEXTOID);
	args[5] = SPIArray(metas, metanulls, n, JSONBOID);

	if (row_out && n == 1)
		plan = KeptPlan(&insert_row_plan,
						"INSERT INTO streamflow.frames"
						" (stream_id, sequence, payload, latency_ms, status, metadata)"
						" SELECT $1, u.s, u.p, u.l, u.st, u.m"
						" FROM unnest($2, $3, $4, $5, $6) AS u(s, p, l, st, m)"
						" ON CONFLICT (stream_id, sequence) DO NOTHING"
						" RETURNING *",
						6, argtypes);
	else
		plan = KeptPlan(&insert_plan,
						"INSERT INTO streamflow.frames"
						" (stream_id, sequence, payload, latency_ms, status, metadata)"
						" SELECT $1, u.s, u.p, u.l, u.st, u.m"
						" FROM unnest($2, $3, $4, $5, $6) AS u(s, p, l, st, m)"
						" ON CONFLICT (stream_id, sequence) DO NOTHING"
						" RETURNING sequence",
						6, argtypes);
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not store frames of stream \"%s\"", stream_id);
	if (row_out)
		*row_out = n == 1 && SPI_processed == 1 ?
			PointerGetDatum(SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc)) : (Datum) 0;
	seq_col = SPI_fnumber(SPI_tuptable->tupdesc, "sequence");

	/* RETURNING lists stored rows in input order; the first of equal sequences wins */
	for (i = 0; i < n; i++)
	{
		frames[i]->stored = row < SPI_processed &&
			DatumGetInt64(SPIValue(row, seq_col, &isnull)) == frames[i]->sequence;
		if (frames[i]->stored)
			row++;
	}
	return (int) row;
}

/* The stored frame (stream, sequence) as a streamflow.frames tuple, in SPI memory. */
HeapTuple
FetchFrame(const char *stream_id, int64 sequence)
{
	Oid			argtypes[2] = {TEXTOID, INT8OID};
	Datum		args[2] = {CStringGetTextDatum(stream_id), Int64GetDatum(sequence)};
	SPIPlanPtr	plan = KeptPlan(&fetch_plan,
								  "SELECT * FROM streamflow.frames WHERE stream_id = $1 AND sequence = $2",
								  2, argtypes);

	if (SPI_execute_plan(plan, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "frame " INT64_FORMAT " of stream \"%s\" vanished", sequence, stream_id);
	return SPI_tuptable->vals[0];
}

/*
 * Records a rejected frame in streamflow.stream_errors and, for on_error =>
 * dead_letter, in streamflow.dead_letters.
 */
void
RecordRejection(const char *stream_id, const char *source, Frame *frame, bool dead_letter)
{
	Oid			argtypes[4] = {TEXTOID, TEXTOID, JSONBOID, JSONBOID};
	Datum		args[4];
	SPIPlanPtr	plan;
	Violation  *first = linitial(frame->violations);

	args[0] = CStringGetTextDatum(stream_id);
	args[1] = CStringGetTextDatum(source);
	args[2] = JsonbPGetDatum(frame->raw);
	args[3] = JsonbPGetDatum(ViolationsToJsonb(frame->violations));
	plan = KeptPlan(&error_plan,
					  "INSERT INTO streamflow.stream_errors (stream_id, source, raw_payload, violations)"
					  " VALUES ($1, $2, $3, $4)",
					  4, argtypes);
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record a rejected frame of stream \"%s\"", stream_id);
	if (!dead_letter)
		return;

	{
		Oid			dl_types[3] = {TEXTOID, JSONBOID, TEXTOID};
		Datum		dl_args[3];

		dl_args[0] = args[0];
		dl_args[1] = args[2];
		dl_args[2] = CStringGetTextDatum(psprintf("%s: %s", first->path, first->message));
		plan = KeptPlan(&dead_letter_plan,
						"INSERT INTO streamflow.dead_letters (stream_id, reason, frame, last_error)"
						" VALUES ($1, 'rejected', $2, $3)",
						3, dl_types);
		if (SPI_execute_plan(plan, dl_args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not dead-letter a frame of stream \"%s\"", stream_id);
	}
}

/*
 * Marks the frames whose client-given sequence is already stored.  Only
 * streams with windowed bindings need to know before storing: a duplicate
 * must not count in a window.
 */
void
MarkStoredDuplicates(const char *stream_id, Frame **frames, int n)
{
	static SPIPlanPtr plan;
	Datum	   *seqs = palloc(sizeof(Datum) * Max(n, 1));
	Oid			argtypes[2] = {TEXTOID, INT8ARRAYOID};
	Datum		args[2];
	int			k = 0;
	int			i;
	uint64		row;

	for (i = 0; i < n; i++)
		if (frames[i]->has_sequence)
			seqs[k++] = Int64GetDatum(frames[i]->sequence);
	if (k == 0)
		return;
	args[0] = CStringGetTextDatum(stream_id);
	args[1] = SPIArray(seqs, NULL, k, INT8OID);
	if (SPI_execute_plan(KeptPlan(&plan,
								  "SELECT sequence FROM streamflow.frames"
								  " WHERE stream_id = $1 AND sequence = ANY ($2)",
								  2, argtypes),
						 args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the sequences of stream \"%s\"", stream_id);
	for (row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		int64		seq = DatumGetInt64(SPIValue(row, 1, &isnull));

		for (i = 0; i < n; i++)
			if (frames[i]->has_sequence && frames[i]->sequence == seq)
				frames[i]->duplicate = true;
	}
}
