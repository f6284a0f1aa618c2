/*
 * retry_policy.h: a stream's retry_policy and the wait it gives before the
 * next attempt.  Shared by outbound deliveries and by sources.
 */
#ifndef STREAMFLOW_RETRY_POLICY_H
#define STREAMFLOW_RETRY_POLICY_H

#include "postgres.h"

/* Defaults when retry_policy leaves a field out (seed 000's values). */
#define RETRY_DEFAULT_MAX_RETRIES 3
#define RETRY_DEFAULT_BACKOFF_MS 1000
#define RETRY_DEFAULT_MAX_BACKOFF_MS 30000

typedef struct RetryPolicy
{
	int			max_retries;
	int			backoff_ms;
	int			max_backoff_ms; /* 0: no cap */
	bool		exponential;	/* double the wait with each failure */
	bool		jitter;			/* wait between half and all of it */
} RetryPolicy;

/* The wait in milliseconds before the next attempt after failures failures in a row. */
extern int64 RetryPolicyDelayMs(const RetryPolicy *policy, int failures);

#endif
