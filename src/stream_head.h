/*
 * stream_head.h: finding a stream and locking its sequence head for ingest.
 */
#ifndef STREAMFLOW_STREAM_HEAD_H
#define STREAMFLOW_STREAM_HEAD_H

#include "postgres.h"

typedef struct StreamHead
{
	char	   *id;				/* the stream's id */
	char	   *status;			/* inactive | active | paused */
	int32		sla_ms;			/* 0 when the stream has no SLA */
	int64		last_sequence;	/* highest sequence ever stored */
	char	   *config_version; /* changes whenever the stream's row does */
	int64		reserved;		/* frames already counted in the head row by
								 * LockStreamHeadReserving; 0 otherwise */
} StreamHead;

extern char *ResolveStreamId(const char *stream);
extern void LockStreamHead(const char *stream, StreamHead *head);
extern void LockStreamHeadReserving(const char *stream, int64 n, StreamHead *head);
extern void UpdateStreamHead(StreamHead *head, int64 received, int64 duplicates,
							 int64 rejected);

#endif
