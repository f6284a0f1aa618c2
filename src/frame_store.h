/*
 * frame_store.h: writing frames and rejections to their tables.
 */
#ifndef STREAMFLOW_FRAME_STORE_H
#define STREAMFLOW_FRAME_STORE_H

#include "postgres.h"
#include "access/htup.h"

#include "frame.h"

extern int	StoreFrames(const char *stream_id, Frame **frames, int n, Datum *row);
extern void MarkStoredDuplicates(const char *stream_id, Frame **frames, int n);
extern HeapTuple FetchFrame(const char *stream_id, int64 sequence);
extern void RecordRejection(const char *stream_id, const char *source, Frame *frame,
							bool dead_letter);

#endif
