/*
 * ingest.c: ingest() and ingest_batch(), and the core they share.
 *
 * Order (DESIGN.md): frame rules, bindings, data_schema, then store, then
 * publish at commit.  The stream's head row is locked first, so concurrent
 * sessions take turns per stream.
 */
#include "postgres.h"

#include <malloc.h>

#include "access/htup_details.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"

#include "binding_window.h"
#include "bus.h"
#include "frame_store.h"
#include "ingest.h"
#include "outbound_queue.h"
#include "pipeline.h"
#include "stream_stats.h"
#include "violations.h"

PG_FUNCTION_INFO_V1(streamflow_ingest);
PG_FUNCTION_INFO_V1(streamflow_ingest_batch);

/* Parses ingest_batch's on_error argument. */
static OnError
ParseOnError(const char *s)
{
	if (strcmp(s, "raise") == 0)
		return ON_ERROR_RAISE;
	if (strcmp(s, "skip") == 0)
		return ON_ERROR_SKIP;
	if (strcmp(s, "dead_letter") == 0)
		return ON_ERROR_DEAD_LETTER;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value \"%s\" for on_error", s),
			 errhint("Valid values are: raise, skip, dead_letter.")));
	pg_unreachable();
}

/*
 * Lets this backend keep the memory its transactions free (once per
 * backend).  glibc hands freed blocks above its mmap threshold (128 kB,
 * then dynamic) back to the kernel and trims the heap top, so every ingest
 * transaction page-faults its working set in afresh: about a fifth of the
 * CPU time of a 100-frame ingest_batch with schema and bindings.  Blocks of
 * up to 8 MB (AllocSet's largest) now come from the heap, and up to 8 MB of
 * free heap is kept for the next transaction.
 */
static void
KeepTransactionMemory(void)
{
	static bool done = false;

	if (done)
		return;
	done = true;
#ifdef M_MMAP_THRESHOLD
	(void) mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
	(void) mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
#endif
}

/*
 * Runs frames through the rules and the stream's pipeline (bindings, then
 * data_schema), stores the valid ones, queues the stored ones for the bus and
 * updates the stream's head.  Frames already carry the violations found while
 * parsing them.  Caller holds the head lock and SPI.
 */
void
IngestFrames(StreamHead *head, Frame **frames, int n, OnError on_error,
			 const char *source, IngestResult *result)
{
	Frame	  **valid = palloc(sizeof(Frame *) * Max(n, 1));
	int			nvalid = 0;
	int			i;
	StreamPipeline *pipeline = GetStreamPipeline(head);
	WindowAggregate *windows = NULL;
	WindowAggregate *added = NULL;
	HTAB	   *seen = NULL;

	KeepTransactionMemory();
	memset(result, 0, sizeof(IngestResult));
	if (pipeline->has_windows)
	{
		HASHCTL		ctl = {.keysize = sizeof(int64), .entrysize = sizeof(int64),
		.hcxt = CurrentMemoryContext};

		windows = LoadWindows(head->id, pipeline->bindings);
		added = palloc0(sizeof(WindowAggregate) * BindingCount(pipeline->bindings));
		seen = hash_create("streamflow batch sequences", Max(n, 16), &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		MarkStoredDuplicates(head->id, frames, n);
	}
	for (i = 0; i < n; i++)
	{
		Frame	   *f = frames[i];

		CheckFrame(f);
		/* in a windowed stream, a repeat of a valid frame of this batch adds nothing */
		if (seen && f->violations == NIL && !f->duplicate && f->has_sequence)
			f->duplicate = hash_search(seen, &f->sequence, HASH_FIND, NULL) != NULL;
		if (f->violations == NIL && !f->duplicate && (pipeline->schema || pipeline->bindings))
			RunPipeline(pipeline, f, windows, added);
		if (f->violations == NIL)
		{
			if (seen && f->has_sequence)
				(void) hash_search(seen, &f->sequence, HASH_ENTER, NULL);
			AssignFrame(f, head);
			valid[nvalid++] = f;
			continue;
		}
		if (on_error == ON_ERROR_RAISE)
		{
			/* counted in memory: the error rolls the durable counters back */
			StatsCountIngest(head->id, 0, 0, 1);
			RaiseViolations(f->violations,
							f->index < 0 ? psprintf("frame rejected by stream \"%s\"", head->id)
							: psprintf("frame %d of the batch rejected by stream \"%s\"", f->index, head->id));
		}
		if (f->raw == NULL)
			f->raw = FrameToJsonb(f);
		if (on_error == ON_ERROR_DEAD_LETTER || on_error == ON_ERROR_RECORD)
			RecordRejection(head->id, source, f, on_error == ON_ERROR_DEAD_LETTER);
		result->rejected++;
	}

	result->stored = StoreFrames(head->id, valid, nvalid, n == 1 ? &result->row : NULL);
	for (i = 0; i < nvalid; i++)
	{
		Frame	   *f = valid[i];

		if (!f->stored)
		{
			if (!f->has_sequence)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("sequence " INT64_FORMAT " assigned in stream \"%s\" is already taken",
								f->sequence, head->id),
						 errdetail("streamflow.stream_state.last_sequence is behind the stored frames."),
						 errhint("Frames must be written through streamflow.ingest(), not inserted directly.")));
			result->duplicates++;
			continue;
		}
		if (result->first_sequence == 0)
			result->first_sequence = f->sequence;
		result->last_sequence = f->sequence;
		BusQueueFrame(head->id, f);
	}
	if (pipeline->delivery && result->stored > 0)
		QueueDeliveries(head->id, pipeline->delivery, valid, nvalid);
	if (windows)
		SaveWindows(head->id, pipeline->bindings, added);
	UpdateStreamHead(head, result->stored, result->duplicates, result->rejected);
	StatsCountIngest(head->id, result->stored, result->duplicates, result->rejected);
}

/* SQL: ingest(stream, payload, sequence, latency_ms, status, metadata) returns frames */
Datum
streamflow_ingest(PG_FUNCTION_ARGS)
{
	char	   *stream;
	Frame		frame = {.index = -1};
	Frame	   *frames[1] = {&frame};
	StreamHead	head;
	IngestResult result;
	Datum		row;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("stream must not be null")));
	stream = text_to_cstring(PG_GETARG_TEXT_PP(0));
	frame.payload = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	frame.has_sequence = !PG_ARGISNULL(2);
	frame.sequence = frame.has_sequence ? PG_GETARG_INT64(2) : 0;
	frame.latency_ms = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3);
	frame.status = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	frame.metadata = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);

	SPI_connect();
	/* one frame, stored or refused with an error: the lock writes the head too */
	if (frame.has_sequence)
		LockStreamHead(stream, &head);
	else
		LockStreamHeadReserving(stream, 1, &head);
	IngestFrames(&head, frames, 1, ON_ERROR_RAISE, "sql", &result);
	row = result.row;
	if (row == (Datum) 0)
	{
		/* an idempotent duplicate: the frame stored earlier comes back */
		HeapTuple	tuple = FetchFrame(head.id, frame.sequence);

		row = PointerGetDatum(SPI_returntuple(tuple, SPI_tuptable->tupdesc));
	}
	SPI_finish();
	PG_RETURN_DATUM(row);
}

/* Reads the frames of a JSON array; a non-array is rejected outright. */
static Frame **
FramesFromArray(Jsonb *array, int *n)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	Frame	  **frames;
	int			i = 0;

	if (!JB_ROOT_IS_ARRAY(array) || JB_ROOT_IS_SCALAR(array))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frames must be a JSON array"),
				 errhint("Pass an array of {sequence, payload, latency_ms, status, metadata} objects.")));
	*n = JB_ROOT_COUNT(array);
	frames = palloc(sizeof(Frame *) * Max(*n, 1));
	it = JsonbIteratorInit(&array->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		frames[i] = palloc(sizeof(Frame));
		FrameFromJson(&v, frames[i], i);
		i++;
	}
	return frames;
}

/*
 * Whether any frame brings its own sequence (it may be a duplicate, so the
 * call may store fewer frames than it was given).
 */
static bool
AnySequenceGiven(Frame **frames, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (frames[i]->has_sequence)
			return true;
	return false;
}

/* SQL: ingest_batch(stream, frames, on_error) returns (ingested, duplicates, rejected, first_sequence, last_sequence) */
Datum
streamflow_ingest_batch(PG_FUNCTION_ARGS)
{
	char	   *stream;
	Jsonb	   *array;
	OnError		on_error;
	Frame	  **frames;
	int			n;
	StreamHead	head;
	IngestResult result;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("stream and frames must not be null")));
	stream = text_to_cstring(PG_GETARG_TEXT_PP(0));
	array = PG_GETARG_JSONB_P(1);
	on_error = ParseOnError(PG_ARGISNULL(2) ? "raise" : text_to_cstring(PG_GETARG_TEXT_PP(2)));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ingest_batch must return a record");
	frames = FramesFromArray(array, &n);

	SPI_connect();
	if (on_error == ON_ERROR_RAISE && n > 0 && !AnySequenceGiven(frames, n))
		LockStreamHeadReserving(stream, n, &head);
	else
		LockStreamHead(stream, &head);
	IngestFrames(&head, frames, n, on_error, "sql", &result);
	SPI_finish();

	values[0] = Int32GetDatum(result.stored);
	values[1] = Int32GetDatum(result.duplicates);
	values[2] = Int32GetDatum(result.rejected);
	values[3] = Int64GetDatum(result.first_sequence);
	values[4] = Int64GetDatum(result.last_sequence);
	nulls[3] = nulls[4] = result.stored == 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
