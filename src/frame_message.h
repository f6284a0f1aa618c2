/*
 * frame_message.h: a stored frame as the message every transport sends
 * (seed 000's message structure).
 */
#ifndef STREAMFLOW_FRAME_MESSAGE_H
#define STREAMFLOW_FRAME_MESSAGE_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

extern void RenderFrameMessage(StringInfo buf, const char *stream_id, int64 sequence,
							   TimestampTz created_at, Jsonb *payload, Jsonb *metadata,
							   const char *status, int32 latency_ms);
extern void RenderFrameMessageText(StringInfo buf, const char *stream_id, int64 sequence,
								   TimestampTz created_at, const char *payload_text, int payload_len,
								   Jsonb *metadata, const char *status, int32 latency_ms);

/* Where a result's columns of streamflow.frames are: looked up once per result. */
typedef struct FrameColumns
{
	TupleDesc	desc;
	int			stream_id;
	int			sequence;
	int			created_at;
	int			payload;
	int			metadata;
	int			status;
	int			latency_ms;
} FrameColumns;

extern void FrameColumnsOf(TupleDesc desc, FrameColumns *cols);
extern void RenderFrameRow(StringInfo buf, HeapTuple tuple, const FrameColumns *cols);
extern void RenderFrameTuple(StringInfo buf, HeapTuple tuple, TupleDesc desc);

#endif
