/*
 * commit_ring.h: committed frames handed to the transport worker through a
 * byte ring in shared memory (written at commit, read by the worker).
 */
#ifndef STREAMFLOW_COMMIT_RING_H
#define STREAMFLOW_COMMIT_RING_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* One committed frame as the worker reads it. */
typedef struct RingEntry
{
	const char *stream_id;
	int64		sequence;
	const char *message;		/* seed 000's message; NULL when a reference */
	int			message_len;	/* 0 when a reference */
	TimestampTz committed_at;	/* set by CommitRingWrite: when the commit copied it */
} RingEntry;

typedef void (*RingConsumer) (const RingEntry *entry, void *arg);

/* GUC streamflow.ring_max_message: larger messages are staged as references. */
extern int	ring_max_message;

extern void CommitRingInit(void);

/* Writers (any backend). */
extern bool CommitRingActive(void);
extern int	CommitRingMaxMessage(void);
extern void CommitRingWrite(const RingEntry *entries, int n);

/* The reader (the worker only). */
extern void CommitRingAttachWorker(void);
extern bool CommitRingRead(uint64 *cursor, RingConsumer consumer, void *arg);
extern uint64 CommitRingHead(void);
extern uint64 CommitRingSize(void);
extern uint64 CommitRingLaps(void);

#endif
