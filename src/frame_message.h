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
extern void RenderFrameTuple(StringInfo buf, HeapTuple tuple, TupleDesc desc);

#endif
