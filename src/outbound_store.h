/*
 * outbound_store.h: the SQL side of outbound deliveries (streamflow.deliveries,
 * dead_letters, destination_state), for the worker's main loop.  Every
 * function runs inside a transaction with SPI connected.
 */
#ifndef STREAMFLOW_OUTBOUND_STORE_H
#define STREAMFLOW_OUTBOUND_STORE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"

/* The head of a destination's queue as the claim query reads it. */
typedef struct ClaimRow
{
	int64		id;
	const char *stream_id;
	int64		sequence;
	const char *destination;
	int			attempts;
	bool		due;			/* next_attempt_at has come */
	int64		wait_ms;		/* else how long until it does */
	bool		stream_exists;
	bool		frame_exists;
	int			max_retries;
	int			backoff_ms;
	int			max_backoff_ms;
	bool		exponential;
	bool		jitter;
	const char *secret;			/* NULL when the stream has none */
	TimestampTz created_at;		/* the frame's */
	StringInfo	body;			/* the webhook payload, when frame_exists */
} ClaimRow;

typedef void (*ClaimConsumer) (const ClaimRow *row, void *arg);

extern void StoreClaim(int per_destination, int64 *busy_ids, int nbusy,
					   char **skip, int nskip, ClaimConsumer consumer, void *arg);
extern void StoreDelivered(int64 *ids, int n);
extern void StoreRetry(int64 id, int status, const char *error, int64 delay_ms);
extern void StoreDeadLetter(int64 id, int attempts, const char *error);
extern void StoreForget(int64 id);
extern void StoreCircuit(const char *destination, const char *circuit, int failures,
						 TimestampTz opened_until);
extern void StoreDestinationStreams(void (*add) (const char *stream_id, const char *url));

#endif
