/*
 * outbound.c: the worker delivers the frames of streams with destinations
 * (destination_url, multiplexing: streamflow.delivery_targets).
 *
 * Ingest queues streamflow.deliveries rows in the frame's transaction
 * (outbound_queue.c): one per frame, or one per frame and destination when
 * the stream broadcasts.  A destination is a URL: its queue, circuit and
 * connection are its own, whichever streams deliver to it.  The worker's main loop calls
 * OutboundProcess, which, in one short transaction, records the outcomes the
 * lws callbacks left in finished requests and reads, per destination, up to
 * OUTBOUND_WINDOW of its oldest due rows ahead into memory (not from a
 * destination whose circuit is open).  Read-ahead rows are POSTed (outbound_
 * http.c) oldest first, at most streamflow.outbound_max_in_flight at a time
 * (1 by default, which keeps commit order): the next one starts as soon as
 * the one before is acknowledged, without waiting for a transaction, and
 * acknowledgements are written in batches (OUTBOUND_RECORD_BATCH, or after
 * OUTBOUND_RECORD_DELAY_MS).  A failure drops what was read ahead for its
 * destination and is written at once; the failed row, now not due, holds
 * back the rows behind it.  Nothing is marked in the table while a request
 * is in flight: a worker that dies sends those rows again when it restarts,
 * and so are acknowledgements not yet written (at least once).  Rows read
 * ahead just before their stream was dropped may still be sent.
 *
 * The loop runs a transaction only when it has something to do: outcomes to
 * record, a frame committed to a stream with a destination that has nothing
 * read ahead (the commit ring tells, OutboundRingFrame; which streams have a
 * destination is reread with every periodic poll), or the periodic poll
 * itself (every streamflow.outbound_poll_interval, or sooner when a retry or
 * a circuit comes due), which also finds rows left by an earlier run.
 *
 * Failed attempts wait by the stream's retry_policy (backoff_ms, doubled per
 * attempt when exponential, at most max_backoff_ms, with jitter between half
 * and all of it); after max_retries retries the row goes to dead_letters.
 * Circuit breaker per destination: streamflow.outbound_circuit_failures
 * failures in a row open it for streamflow.outbound_circuit_cooldown, then
 * one probe is sent (half-open): success closes it, failure opens it again.
 * Breaker changes are written to streamflow.destination_state.
 * Connections: with one request in flight per destination, requests go over
 * a kept connection (KeepAlive, outbound_http.c); one whose kept connection
 * closed before any answer is sent again once on a fresh connection
 * (ResendStale), which is no attempt by the destination.
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "access/xact.h"
#include "common/pg_prng.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "outbound.h"
#include "outbound_http.h"
#include "outbound_store.h"
#include "retry_policy.h"
#include "stream_stats.h"
#include "webhook_in.h"
#include "worker.h"
#include "worker_xact.h"

/* Longest stream id the wake-up set holds; longer ones always wake. */
#define STREAM_KEY_LEN 128
/* Pause after a transaction of the outbound loop failed. */
#define OUTBOUND_ERROR_PAUSE_MS 1000
/* Rows read ahead per destination, sent from memory as earlier ones succeed. */
#define OUTBOUND_WINDOW 256
/* Successes recorded together: at most this many, or this old. */
#define OUTBOUND_RECORD_BATCH 256
#define OUTBOUND_RECORD_DELAY_MS 20

int			outbound_timeout_ms = 10000;
int			outbound_max_in_flight = 1;
int			outbound_poll_interval_ms = 1000;
int			outbound_circuit_failures = 5;
int			outbound_circuit_cooldown_ms = 30000;
bool		outbound_keep_alive = true;

typedef enum Circuit
{
	CIRCUIT_CLOSED,
	CIRCUIT_OPEN,
	CIRCUIT_HALF_OPEN
} Circuit;

static const char *const circuit_names[] = {"closed", "open", "half-open"};

/* A destination URL the worker has sent to (malloc'd, kept while running). */
typedef struct Destination
{
	struct Destination *next;
	char	   *url;
	char	   *host_key;		/* "scheme://host:port": destinations sharing it share connections */
	int			in_flight;
	Circuit		circuit;
	int			failures;		/* in a row */
	TimestampTz opened_until;
	bool		changed;		/* circuit to write to destination_state */
	Circuit		saved_circuit;	/* the circuit when the transaction began, */
	int			saved_failures; /* restored if it aborts */
	TimestampTz saved_opened_until;
	bool		held;			/* this claim round: its head is not due yet */
	dlist_head	ready;			/* read ahead, not sent yet, oldest first */
	int			n_ready;
	bool		refill;			/* a request ended with nothing read ahead */
} Destination;

/* Most destinations of one stream the wake-up set tells apart. */
#define STREAM_MAX_DESTS 16

/* A stream with destinations, for the commit ring's wake-ups. */
typedef struct DestinationStream
{
	char		id[STREAM_KEY_LEN];
	int			ndests;			/* more than STREAM_MAX_DESTS: always wakes */
	Destination *dests[STREAM_MAX_DESTS];
} DestinationStream;

static bool started = false;
static Destination *destinations = NULL;
static dlist_head in_flight = DLIST_STATIC_INIT(in_flight);
static int	n_in_flight = 0;
static HTAB *destination_streams = NULL;
static bool wake = true;
static TimestampTz next_poll_at = 0;
static int	n_finished = 0;		/* finished, outcome not recorded */
static TimestampTz first_finished_at = 0;
static bool failed_since_record = false;
static TimestampTz pause_until = 0;	/* after a failed transaction */

static Destination *DestinationFor(const char *url);
static void OutboundTransaction(bool poll);
static void RecordOutcomes(void);
static void ReloadDestinationStreams(void);
static void Claim(void);
static void ClaimRowArrived(const ClaimRow *row, void *arg);
static void SaveCircuits(void);
static void ForgetTransaction(void);
static void OutboundWork(void *arg);
static void CountOutcome(const Delivery *d, TimestampTz now);
static void StartClaimed(void);
static void StartReady(void);
static void DropReady(Destination *dest);
static bool DeliveryOk(const Delivery *d);
static bool KeepAlive(Destination *dest);
static bool ResendStale(Delivery *d);
static void NoticeFinished(Delivery *d, TimestampTz now);
static int	DestinationLimit(Destination *dest);
static void DeliveryFree(Delivery *d);

/* Defines the outbound GUCs. */
void
OutboundInit(void)
{
	DefineCustomIntVariable("streamflow.outbound_timeout",
							gettext_noop("Time a destination has to answer a webhook POST; then the attempt fails."),
							NULL, &outbound_timeout_ms, 10000, 100, INT_MAX / 2,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.outbound_max_in_flight",
							gettext_noop("Webhook POSTs in flight per destination; 1 delivers in commit order."),
							NULL, &outbound_max_in_flight, 1, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.outbound_poll_interval",
							gettext_noop("How often the worker looks for deliveries to retry or left by an earlier run."),
							NULL, &outbound_poll_interval_ms, 1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.outbound_circuit_failures",
							gettext_noop("Failed webhook POSTs in a row that open a destination's circuit breaker."),
							NULL, &outbound_circuit_failures, 5, 1, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("streamflow.outbound_keep_alive",
							 gettext_noop("Keeps a connection per destination open between webhook POSTs."),
							 gettext_noop("Off: a connection per POST, closed after the answer."),
							 &outbound_keep_alive, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.outbound_circuit_cooldown",
							gettext_noop("Time an open circuit breaker waits before one probe POST."),
							NULL, &outbound_circuit_cooldown_ms, 30000, 0, INT_MAX / 2,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
}

/* Starts outbound deliveries on the worker's lws context. */
void
OutboundStart(struct lws_context *context)
{
	HASHCTL		ctl = {.keysize = STREAM_KEY_LEN, .entrysize = sizeof(DestinationStream)};

	destination_streams = hash_create("streamflow destination streams", 64, &ctl,
									  HASH_ELEM | HASH_STRINGS);
	started = OutboundHttpStart(context);
	if (!started)
		ereport(WARNING,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("streamflow worker cannot deliver to destination_url: libwebsockets refused its client vhost")));
}

/* A frame of stream_id committed: wakes the loop when the stream has a destination. */
void
OutboundRingFrame(const char *stream_id)
{
	DestinationStream *s;

	if (!started || wake)
		return;
	if (strlen(stream_id) >= STREAM_KEY_LEN)
	{
		wake = true;
		return;
	}
	s = hash_search(destination_streams, stream_id, HASH_FIND, NULL);
	if (s == NULL)
		return;
	if (s->ndests > STREAM_MAX_DESTS)
	{
		wake = true;
		return;
	}
	/* a destination with rows read ahead or busy hears of it when a request ends */
	for (int i = 0; i < s->ndests; i++)
		if (s->dests[i]->n_ready == 0 &&
			(s->dests[i]->in_flight < outbound_max_in_flight ||
			 s->dests[i]->circuit == CIRCUIT_HALF_OPEN))
			wake = true;
}

/* Frames were lost from the ring: look at the table. */
void
OutboundRingLapped(void)
{
	wake = true;
}

/* The main loop's turn: times requests out, records outcomes, claims more. */
void
OutboundProcess(void)
{
	TimestampTz now;
	bool		finished = false;
	bool		poll;
	dlist_iter	iter;

	if (!started)
		return;
	now = GetCurrentTimestamp();
	dlist_foreach(iter, &in_flight)
	{
		Delivery   *d = dlist_container(Delivery, node, iter.cur);

		if (!d->finished && !d->timed_out && now >= d->deadline)
			OutboundHttpAbort(d);
		if (d->finished && !d->seen)
			NoticeFinished(d, now);
	}
	/* the next rows go out before the outcomes are written */
	StartReady();
	if (now < pause_until)
		return;
	poll = now >= next_poll_at;
	if (n_finished > 0 &&
		(failed_since_record || n_finished >= OUTBOUND_RECORD_BATCH ||
		 now >= TimestampTzPlusMilliseconds(first_finished_at, OUTBOUND_RECORD_DELAY_MS)))
		finished = true;
	else
	{
		finished = false;
		for (Destination *dest = destinations; dest; dest = dest->next)
			finished |= dest->refill;
	}
	if (!finished && !wake && !poll)
		return;
	OutboundTransaction(poll);
}

/*
 * First look at a finished request: it no longer takes a place of its
 * destination; after a failure what was read ahead waits behind the failed
 * row, after a success with nothing read ahead the destination needs a claim.
 */
static void
NoticeFinished(Delivery *d, TimestampTz now)
{
	if (ResendStale(d))
		return;
	d->seen = true;
	d->dest->in_flight--;
	if (n_finished++ == 0)
		first_finished_at = now;
	if (!DeliveryOk(d))
	{
		failed_since_record = true;
		DropReady(d->dest);
	}
	else if (d->dest->n_ready == 0)
		d->dest->refill = true;
}

/* True when d's request was acknowledged (a 2xx answer, complete, in time). */
static bool
DeliveryOk(const Delivery *d)
{
	return !d->timed_out && d->completed && d->status >= 200 && d->status < 300;
}

/* Starts read-ahead rows of every destination with room for them. */
static void
StartReady(void)
{
	TimestampTz now = 0;

	for (Destination *dest = destinations; dest; dest = dest->next)
		while (dest->n_ready > 0 && dest->in_flight < DestinationLimit(dest))
		{
			Delivery   *d = dlist_container(Delivery, node, dlist_pop_head_node(&dest->ready));

			dest->n_ready--;
			dest->in_flight++;
			dlist_push_tail(&in_flight, &d->node);
			n_in_flight++;
			if (now == 0)
				now = GetCurrentTimestamp();
			d->deadline = TimestampTzPlusMilliseconds(now, outbound_timeout_ms);
			d->keep_alive = KeepAlive(dest);
			(void) OutboundHttpSend(d, dest->url);
		}
}

/*
 * May dest's next request use a kept connection?  Only when requests are
 * sent one at a time per destination and no other destination on the same
 * host and port has one in flight: lws queues requests to one host and port
 * on one kept connection, and one destination must not wait behind another.
 */
static bool
KeepAlive(Destination *dest)
{
	if (!outbound_keep_alive || outbound_max_in_flight > 1 || dest->in_flight > 1)
		return false;
	for (Destination *other = destinations; other; other = other->next)
		if (other != dest && other->in_flight > 0 &&
			strcmp(other->host_key, dest->host_key) == 0)
			return false;
	return true;
}

/*
 * Sends d again on a connection of its own when the kept connection it went
 * over closed before any answer (the server closed it as idle just as the
 * request went out): that is no attempt by the destination.  Once only.
 */
static bool
ResendStale(Delivery *d)
{
	if (DeliveryOk(d) || !d->keep_alive || d->resent || !d->closed_unanswered ||
		d->timed_out)
		return false;
	OutboundHttpReset(d);
	d->resent = true;
	d->keep_alive = false;
	return OutboundHttpSend(d, d->dest->url);
}

/* Forgets what was read ahead for dest (the rows stay in the table). */
static void
DropReady(Destination *dest)
{
	while (dest->n_ready > 0)
	{
		DeliveryFree(dlist_container(Delivery, node, dlist_pop_head_node(&dest->ready)));
		dest->n_ready--;
	}
}

/*
 * The loop's wait, shortened to the next request deadline, outcome batch or
 * poll (0 when there is something to do now).
 */
long
OutboundTimeout(long timeout)
{
	TimestampTz now;
	TimestampTz next;
	dlist_iter	iter;
	long		ms;

	if (!started)
		return timeout;
	now = GetCurrentTimestamp();
	if (wake && now >= pause_until)
		return 0;
	next = next_poll_at;
	dlist_foreach(iter, &in_flight)
	{
		Delivery   *d = dlist_container(Delivery, node, iter.cur);

		if (d->finished && !d->seen)
			return 0;
	}
	if (n_finished > 0 &&
		TimestampTzPlusMilliseconds(first_finished_at, OUTBOUND_RECORD_DELAY_MS) < next)
		next = TimestampTzPlusMilliseconds(first_finished_at, OUTBOUND_RECORD_DELAY_MS);
	/* after a failed transaction, nothing but request deadlines until the pause ends */
	if (next < pause_until)
		next = pause_until;
	dlist_foreach(iter, &in_flight)
	{
		Delivery   *d = dlist_container(Delivery, node, iter.cur);

		if (!d->finished && !d->timed_out && d->deadline < next)
			next = d->deadline;
	}
	ms = next <= now ? 0 : (long) ((next - now + 999) / 1000);
	return (timeout < 0 || ms < timeout) ? ms : timeout;
}

/*
 * One transaction: outcomes, on a poll the streams with destinations, then
 * claims; the claimed requests start after it commits.  A failure is logged
 * and everything is tried again after a pause; outcomes stay until recorded.
 */
static void
OutboundTransaction(bool poll)
{
	wake = false;
	next_poll_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), outbound_poll_interval_ms);
	if (!WorkerTransaction("streamflow outbound deliveries", "update its outbound deliveries",
						   OUTBOUND_ERROR_PAUSE_MS, OutboundWork, &poll))
	{
		pause_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), OUTBOUND_ERROR_PAUSE_MS);
		next_poll_at = pause_until;
		ForgetTransaction();
		return;
	}
	StartClaimed();
}

/* Inside the transaction: circuits saved, outcomes recorded, reload, claims. */
static void
OutboundWork(void *arg)
{
	bool		poll = *(bool *) arg;

	/*
	 * No wait for the WAL flush: an outcome lost in a crash only means the
	 * frame is sent again, which at-least-once allows.
	 */
	(void) set_config_option("synchronous_commit", "off", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	SaveCircuits();
	RecordOutcomes();
	if (poll)
		ReloadDestinationStreams();
	Claim();
}

/* Remembers every circuit as it stands before a transaction records outcomes. */
static void
SaveCircuits(void)
{
	for (Destination *dest = destinations; dest; dest = dest->next)
	{
		dest->saved_circuit = dest->circuit;
		dest->saved_failures = dest->failures;
		dest->saved_opened_until = dest->opened_until;
	}
}

/*
 * The transaction aborted: outcomes it recorded are to be recorded again (so
 * the circuits go back to what they were, or a failure would count twice),
 * what it claimed is not sent (the rows are still there).
 */
static void
ForgetTransaction(void)
{
	dlist_mutable_iter iter;
	Destination *dest;

	dlist_foreach_modify(iter, &in_flight)
	{
		Delivery   *d = dlist_container(Delivery, node, iter.cur);

		d->recorded = false;
	}
	/* what the transaction read ahead is forgotten (and read again) */
	for (dest = destinations; dest; dest = dest->next)
	{
		DropReady(dest);
		dest->circuit = dest->saved_circuit;
		dest->failures = dest->saved_failures;
		dest->opened_until = dest->saved_opened_until;
		dest->changed = true;
	}
}

/*
 * The transaction committed: recorded deliveries are done with, what it read
 * ahead starts.
 */
static void
StartClaimed(void)
{
	dlist_mutable_iter iter;
	TimestampTz now = GetCurrentTimestamp();

	dlist_foreach_modify(iter, &in_flight)
	{
		Delivery   *d = dlist_container(Delivery, node, iter.cur);

		if (d->recorded)
		{
			CountOutcome(d, now);
			dlist_delete(&d->node);
			n_in_flight--;
			DeliveryFree(d);
		}
	}
	n_finished = 0;
	failed_since_record = false;
	for (Destination *dest = destinations; dest; dest = dest->next)
		dest->refill = false;
	StartReady();
}

/* The wait before attempt number attempts + 1, by the delivery's retry_policy. */
static int64
RetryDelayMs(const Delivery *d, int attempts)
{
	RetryPolicy policy = {d->max_retries, d->backoff_ms, d->max_backoff_ms,
	d->exponential, d->jitter};

	return RetryPolicyDelayMs(&policy, attempts);
}

/*
 * Counts a recorded outcome in the stream's shared-memory stats, once its
 * transaction committed (an aborted one records it again).
 */
static void
CountOutcome(const Delivery *d, TimestampTz now)
{
	if (DeliveryOk(d))
	{
		StatsCountSent(d->stream_id, 1);
		StatsRecordLatency(d->stream_id, (double) (now - d->frame_created_at) / 1000.0);
		return;
	}
	StatsCountError(d->stream_id);
	if (d->attempts + 1 > d->max_retries)
		StatsCountDropped(d->stream_id, 1);
}

/* Counts an attempt's outcome in the destination's circuit breaker. */
static void
CircuitOutcome(Destination *dest, bool ok)
{
	if (ok)
	{
		dest->changed |= dest->circuit != CIRCUIT_CLOSED || dest->failures > 0;
		dest->circuit = CIRCUIT_CLOSED;
		dest->failures = 0;
		dest->opened_until = 0;
		return;
	}
	dest->failures++;
	dest->changed = true;
	if (dest->circuit == CIRCUIT_HALF_OPEN ||
		(dest->circuit == CIRCUIT_CLOSED && dest->failures >= outbound_circuit_failures))
	{
		dest->circuit = CIRCUIT_OPEN;
		dest->opened_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														 outbound_circuit_cooldown_ms);
	}
}

/* Why a finished delivery failed, as its last_error. */
static const char *
FailureText(const Delivery *d)
{
	if (d->timed_out)
		return psprintf("no answer within %d ms (streamflow.outbound_timeout)", outbound_timeout_ms);
	if (d->error[0] != '\0')
		return d->error;
	if (d->status > 0)
		return psprintf("HTTP %d", d->status);
	return "the request failed";
}

/*
 * Writes the outcome of every finished request: delivered rows go, failed
 * ones wait or become dead letters.  The delivery is marked recorded and no
 * longer counts in flight (ForgetTransaction undoes that).
 */
static void
RecordOutcomes(void)
{
	dlist_iter	iter;
	int64	   *delivered = palloc(sizeof(int64) * Max(n_in_flight, 1));
	int			n = 0;
	TimestampTz now = GetCurrentTimestamp();

	dlist_foreach(iter, &in_flight)
	{
		Delivery   *d = dlist_container(Delivery, node, iter.cur);
		bool		ok;

		if (!d->finished || d->recorded)
			continue;
		if (!d->seen)
			NoticeFinished(d, now);
		if (!d->finished)
			continue;			/* sent again (ResendStale) */
		d->recorded = true;
		ok = DeliveryOk(d);
		CircuitOutcome(d->dest, ok);
		if (ok)
			delivered[n++] = d->id;
		else if (d->attempts + 1 > d->max_retries)
			StoreDeadLetter(d->id, d->attempts + 1, FailureText(d));
		else
			StoreRetry(d->id, d->timed_out ? 0 : d->status, FailureText(d),
					   RetryDelayMs(d, d->attempts + 1));
	}
	StoreDelivered(delivered, n);
	for (Destination *dest = destinations; dest; dest = dest->next)
		if (dest->changed)
		{
			StoreCircuit(dest->url, circuit_names[dest->circuit], dest->failures,
						 dest->circuit == CIRCUIT_CLOSED ? 0 : dest->opened_until);
			dest->changed = false;
		}
}

/* Adds a stream's destination to the wake-up set. */
static void
AddDestinationStream(const char *stream_id, const char *url)
{
	DestinationStream *s;
	bool		found;

	if (strlen(stream_id) >= STREAM_KEY_LEN)
		return;
	s = hash_search(destination_streams, stream_id, HASH_ENTER, &found);
	if (!found)
		s->ndests = 0;
	if (s->ndests < STREAM_MAX_DESTS)
		s->dests[s->ndests] = DestinationFor(url);
	s->ndests++;
}

/* Rereads which streams have destinations. */
static void
ReloadDestinationStreams(void)
{
	HASH_SEQ_STATUS status;
	DestinationStream *s;

	hash_seq_init(&status, destination_streams);
	while ((s = hash_seq_search(&status)) != NULL)
		(void) hash_search(destination_streams, s->id, HASH_REMOVE, NULL);
	StoreDestinationStreams(AddDestinationStream);
}

/* The destination for url, created the first time. */
static Destination *
DestinationFor(const char *url)
{
	Destination *dest;

	for (dest = destinations; dest; dest = dest->next)
		if (strcmp(dest->url, url) == 0)
			return dest;
	dest = calloc(1, sizeof(Destination));
	if (dest == NULL || (dest->url = strdup(url)) == NULL ||
		(dest->host_key = OutboundHostKey(url)) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	dest->next = destinations;
	destinations = dest;
	return dest;
}

/* How many requests dest may have in flight now. */
static int
DestinationLimit(Destination *dest)
{
	if (dest->circuit == CIRCUIT_OPEN && GetCurrentTimestamp() >= dest->opened_until)
	{
		dest->circuit = CIRCUIT_HALF_OPEN;
		dest->changed = true;
	}
	switch (dest->circuit)
	{
		case CIRCUIT_OPEN:
			return 0;
		case CIRCUIT_HALF_OPEN:
			return 1;
		default:
			return outbound_max_in_flight;
	}
}

/* Reads what is due, destination by destination, into their read-ahead lists. */
static void
Claim(void)
{
	int64	   *busy = palloc(sizeof(int64) * Max(n_in_flight, 1));
	char	  **skip;
	int			nbusy = 0;
	int			nskip = 0;
	int			ndest = 0;
	dlist_iter	iter;
	Destination *dest;

	for (dest = destinations; dest; dest = dest->next)
		ndest++;
	skip = palloc(sizeof(char *) * Max(ndest, 1));
	for (dest = destinations; dest; dest = dest->next)
	{
		dest->held = false;
		if (DestinationLimit(dest) == 0 || dest->n_ready > 0 ||
			dest->in_flight >= OUTBOUND_WINDOW)
		{
			skip[nskip++] = dest->url;
			if (dest->circuit == CIRCUIT_OPEN && dest->opened_until < next_poll_at)
				next_poll_at = dest->opened_until;
		}
	}
	dlist_foreach(iter, &in_flight)
	{
		Delivery   *d = dlist_container(Delivery, node, iter.cur);

		if (!d->recorded)
			busy[nbusy++] = d->id;
	}
	StoreClaim(OUTBOUND_WINDOW, busy, nbusy, skip, nskip, ClaimRowArrived, NULL);
}

/*
 * One head row of a destination: claimed when due and the destination has
 * room, else it holds back the rows behind it (order per destination).
 */
static void
ClaimRowArrived(const ClaimRow *row, void *arg)
{
	Destination *dest = DestinationFor(row->destination);
	Delivery   *d;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	if (dest->held || dest->in_flight + dest->n_ready >= OUTBOUND_WINDOW)
		return;
	if (!row->stream_exists)
	{
		StoreForget(row->id);
		return;
	}
	if (!row->due)
	{
		dest->held = true;
		if (TimestampTzPlusMilliseconds(GetCurrentTimestamp(), row->wait_ms) < next_poll_at)
			next_poll_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), row->wait_ms);
		return;
	}
	if (!row->frame_exists)
	{
		StoreDeadLetter(row->id, row->attempts,
						"the frame is no longer stored (removed by retention before it was delivered)");
		StatsCountDropped(row->stream_id, 1);
		return;
	}

	d = calloc(1, sizeof(Delivery));
	if (d == NULL || (d->stream_id = strdup(row->stream_id)) == NULL ||
		(d->body = malloc(LWS_PRE + row->body->len)) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	d->dest = dest;
	d->id = row->id;
	d->sequence = row->sequence;
	d->attempts = row->attempts;
	d->frame_created_at = row->created_at;
	d->max_retries = row->max_retries;
	d->backoff_ms = row->backoff_ms;
	d->max_backoff_ms = row->max_backoff_ms;
	d->exponential = row->exponential;
	d->jitter = row->jitter;
	memcpy(d->body + LWS_PRE, row->body->data, row->body->len);
	d->body_len = row->body->len;
	if (row->secret != NULL)
	{
		WebhookHmac(row->secret, row->body->data, row->body->len, digest);
		strcpy(d->signature, "sha256=");
		(void) hex_encode((const char *) digest, sizeof(digest), d->signature + 7);
		d->signature[7 + 2 * sizeof(digest)] = '\0';
	}
	/* sent once the transaction commits (StartClaimed), in this order */
	dlist_push_tail(&dest->ready, &d->node);
	dest->n_ready++;
}

/* Frees a delivery lws no longer refers to. */
static void
DeliveryFree(Delivery *d)
{
	ClientUrlFree(&d->url);
	free(d->body);
	free(d->stream_id);
	free(d);
}
