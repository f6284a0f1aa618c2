/*
 * frame_message.c: a stored frame as the message every transport sends.
 *
 * WebSocket and SSE pushes, polling answers, replays and the REST frame
 * endpoints all send a frame as seed 000's message structure:
 *   {"stream_id", "timestamp", "message_id", "sequence", "data", "metadata",
 *    "status", "latency_ms"}
 * timestamp is the frame's created_at in ISO 8601 UTC; message_id is the
 * metadata's "message_id" when it is a string (what a publisher sent), else
 * "<stream_id>:<sequence>"; data is the stored payload; metadata is {} when
 * the frame has none.  One renderer serves the commit ring (from the frame
 * in memory) and every reader of streamflow.frames (from the tuple; the
 * columns are found by name once per result, FrameColumnsOf).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"

#include "frame_message.h"
#include "jsonb_util.h"

/* Appends the message's fields before data's value: {"stream_id", ..., "data": */
static void
RenderHead(StringInfo buf, const char *stream_id, int64 sequence,
		   TimestampTz created_at, Jsonb *metadata)
{
	JsonbValue *message_id = NULL;
	char		timestamp[MAXDATELEN + 1];

	if (metadata != NULL && JB_ROOT_IS_OBJECT(metadata))
		message_id = JsonbObjectGet(&metadata->root, "message_id");

	appendStringInfoString(buf, "{\"stream_id\":");
	escape_json(buf, stream_id);
	JsonEncodeDateTime(timestamp, TimestampTzGetDatum(created_at), TIMESTAMPTZOID, NULL);
	appendStringInfo(buf, ",\"timestamp\":\"%s\",\"message_id\":", timestamp);
	if (message_id != NULL && message_id->type == jbvString)
		escape_json(buf, pnstrdup(message_id->val.string.val, message_id->val.string.len));
	else
		appendStringInfo(buf, "\"%s:" INT64_FORMAT "\"", stream_id, sequence);
	appendStringInfo(buf, ",\"sequence\":" INT64_FORMAT ",\"data\":", sequence);
}

/* Appends the message's fields after data's value, and closes it. */
static void
RenderTail(StringInfo buf, Jsonb *metadata, const char *status, int32 latency_ms)
{
	appendStringInfoString(buf, ",\"metadata\":");
	if (metadata != NULL)
		JsonbToCString(buf, &metadata->root, VARSIZE(metadata));
	else
		appendStringInfoString(buf, "{}");
	appendStringInfoString(buf, ",\"status\":");
	escape_json(buf, status);
	appendStringInfo(buf, ",\"latency_ms\":%d}", latency_ms);
}

/* Appends the message for one frame to buf. */
void
RenderFrameMessage(StringInfo buf, const char *stream_id, int64 sequence,
				   TimestampTz created_at, Jsonb *payload, Jsonb *metadata,
				   const char *status, int32 latency_ms)
{
	RenderHead(buf, stream_id, sequence, created_at, metadata);
	JsonbToCString(buf, &payload->root, VARSIZE(payload));
	RenderTail(buf, metadata, status, latency_ms);
}

/*
 * The same, with the payload already rendered as JSON text (JsonbToCString's):
 * the bus renders each payload once for both NOTIFY and the commit ring.
 */
void
RenderFrameMessageText(StringInfo buf, const char *stream_id, int64 sequence,
					   TimestampTz created_at, const char *payload_text, int payload_len,
					   Jsonb *metadata, const char *status, int32 latency_ms)
{
	RenderHead(buf, stream_id, sequence, created_at, metadata);
	appendBinaryStringInfo(buf, payload_text, payload_len);
	RenderTail(buf, metadata, status, latency_ms);
}

/* The attribute number of column name in desc; an error when it is missing. */
static int
ColumnNumber(TupleDesc desc, const char *name)
{
	int			attno = SPI_fnumber(desc, name);

	if (attno <= 0)
		elog(ERROR, "a streamflow.frames row has no column \"%s\"", name);
	return attno;
}

/* Finds the columns of streamflow.frames in desc (any order); an error when one is missing. */
void
FrameColumnsOf(TupleDesc desc, FrameColumns *cols)
{
	cols->desc = desc;
	cols->stream_id = ColumnNumber(desc, "stream_id");
	cols->sequence = ColumnNumber(desc, "sequence");
	cols->created_at = ColumnNumber(desc, "created_at");
	cols->payload = ColumnNumber(desc, "payload");
	cols->metadata = ColumnNumber(desc, "metadata");
	cols->status = ColumnNumber(desc, "status");
	cols->latency_ms = ColumnNumber(desc, "latency_ms");
}

/* Appends the message for a row of a result whose columns are cols. */
void
RenderFrameRow(StringInfo buf, HeapTuple tuple, const FrameColumns *cols)
{
	bool		isnull;
	Datum		metadata = heap_getattr(tuple, cols->metadata, cols->desc, &isnull);
	Jsonb	   *meta = isnull ? NULL : DatumGetJsonbP(metadata);

#define COLUMN(attno) heap_getattr(tuple, cols->attno, cols->desc, &isnull)
	RenderFrameMessage(buf,
					   TextDatumGetCString(COLUMN(stream_id)),
					   DatumGetInt64(COLUMN(sequence)),
					   DatumGetTimestampTz(COLUMN(created_at)),
					   DatumGetJsonbP(COLUMN(payload)),
					   meta,
					   TextDatumGetCString(COLUMN(status)),
					   DatumGetInt32(COLUMN(latency_ms)));
#undef COLUMN
}

/* Appends the message for one row of streamflow.frames (any column order). */
void
RenderFrameTuple(StringInfo buf, HeapTuple tuple, TupleDesc desc)
{
	FrameColumns cols;

	FrameColumnsOf(desc, &cols);
	RenderFrameRow(buf, tuple, &cols);
}
