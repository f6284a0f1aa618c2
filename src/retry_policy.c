/*
 * retry_policy.c: the backoff of a stream's retry_policy (DESIGN.md):
 * backoff_ms, doubled per failure when exponential, at most max_backoff_ms,
 * with jitter a random wait between half and all of it.
 */
#include "postgres.h"

#include <math.h>

#include "common/pg_prng.h"

#include "retry_policy.h"

/* The wait in milliseconds before the next attempt after failures failures in a row. */
int64
RetryPolicyDelayMs(const RetryPolicy *policy, int failures)
{
	double		delay = policy->backoff_ms;

	if (policy->exponential)
		delay = ldexp(delay, Min(Max(failures, 1) - 1, 62));
	if (policy->max_backoff_ms > 0 && delay > policy->max_backoff_ms)
		delay = policy->max_backoff_ms;
	if (policy->jitter)
		delay = delay / 2 + pg_prng_double(&pg_global_prng_state) * delay / 2;
	return (int64) delay;
}
