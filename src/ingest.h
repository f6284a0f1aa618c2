/*
 * ingest.h: the one path every frame takes into a stream.
 */
#ifndef STREAMFLOW_INGEST_H
#define STREAMFLOW_INGEST_H

#include "frame.h"
#include "stream_head.h"

typedef enum OnError
{
	ON_ERROR_RAISE,				/* the first invalid frame fails the call */
	ON_ERROR_SKIP,				/* invalid frames are dropped and counted */
	ON_ERROR_DEAD_LETTER,		/* invalid frames go to stream_errors and dead_letters */
	ON_ERROR_RECORD				/* invalid frames go to stream_errors (the transports) */
} OnError;

typedef struct IngestResult
{
	int			stored;
	int			duplicates;
	int			rejected;
	int64		first_sequence; /* of the stored frames; 0 when none */
	int64		last_sequence;
	Datum		row;			/* one frame stored: it as a streamflow.frames
								 * row datum (caller's context); else 0 */
} IngestResult;

extern void IngestFrames(StreamHead *head, Frame **frames, int n, OnError on_error,
						 const char *source, IngestResult *result);

#endif
