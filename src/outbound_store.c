/*
 * outbound_store.c: what the worker reads from and writes to the tables of
 * outbound deliveries.
 *
 * The claim query walks the distinct destinations of streamflow.deliveries
 * with a loose index scan on (destination, id) and reads the first rows of
 * each (the oldest: a destination is served in commit order) with their
 * stream's retry_policy, webhook secret and frame, rendered as seed 000's
 * webhook payload {webhook_id, event_type, timestamp, stream_id, sequence,
 * data}.  Outcomes: a delivered row is deleted; a failed one counts an
 * attempt and waits; one out of retries moves to streamflow.dead_letters
 * with its last error.  Every function runs in the caller's transaction
 * with SPI connected.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "outbound_store.h"
#include "retry_policy.h"
#include "spi_util.h"

/* Retry defaults when retry_policy leaves a field out (retry_policy.h). */
#define DEFAULT_MAX_RETRIES CppAsString2(RETRY_DEFAULT_MAX_RETRIES)
#define DEFAULT_BACKOFF_MS CppAsString2(RETRY_DEFAULT_BACKOFF_MS)
#define DEFAULT_MAX_BACKOFF_MS CppAsString2(RETRY_DEFAULT_MAX_BACKOFF_MS)

static SPIPlanPtr claim_plan;
static SPIPlanPtr delivered_plan;
static SPIPlanPtr retry_plan;
static SPIPlanPtr dead_letter_plan;
static SPIPlanPtr forget_plan;
static SPIPlanPtr circuit_plan;
static SPIPlanPtr streams_plan;

/* Appends seed 000's webhook payload for a frame to buf. */
static void
RenderWebhookPayload(StringInfo buf, const char *stream_id, int64 sequence,
					 TimestampTz created_at, Jsonb *payload)
{
	char		timestamp[MAXDATELEN + 1];

	appendStringInfoString(buf, "{\"webhook_id\":");
	escape_json(buf, psprintf("wh_%s_" INT64_FORMAT, stream_id, sequence));
	appendStringInfoString(buf, ",\"event_type\":\"frame.created\",\"timestamp\":\"");
	JsonEncodeDateTime(timestamp, TimestampTzGetDatum(created_at), TIMESTAMPTZOID, NULL);
	appendStringInfoString(buf, timestamp);
	appendStringInfoString(buf, "\",\"stream_id\":");
	escape_json(buf, stream_id);
	appendStringInfo(buf, ",\"sequence\":" INT64_FORMAT ",\"data\":", sequence);
	(void) JsonbToCString(buf, &payload->root, VARSIZE(payload));
	appendStringInfoChar(buf, '}');
}

/* The text in column col of row, or NULL. */
static const char *
TextAt(int row, int col)
{
	bool		isnull;
	Datum		d = SPIValue(row, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * Reads the first per_destination rows of every destination not in skip,
 * leaving out the ids in busy_ids (in flight), and hands each to consumer,
 * destination by destination, oldest first.
 */
void
StoreClaim(int per_destination, int64 *busy_ids, int nbusy, char **skip, int nskip,
		   ClaimConsumer consumer, void *arg)
{
	Oid			argtypes[3] = {INT4OID, INT8ARRAYOID, TEXTARRAYOID};
	Datum		args[3];
	Datum	   *ids = palloc(sizeof(Datum) * Max(nbusy, 1));
	Datum	   *dests = palloc(sizeof(Datum) * Max(nskip, 1));
	SPIPlanPtr	plan;
	uint64		row;
	int			i;

	for (i = 0; i < nbusy; i++)
		ids[i] = Int64GetDatum(busy_ids[i]);
	for (i = 0; i < nskip; i++)
		dests[i] = CStringGetTextDatum(skip[i]);
	args[0] = Int32GetDatum(per_destination);
	args[1] = SPIArray(ids, NULL, nbusy, INT8OID);
	args[2] = SPIArray(dests, NULL, nskip, TEXTOID);
	plan = KeptPlan(&claim_plan,
					"WITH RECURSIVE dests(destination) AS ("
					" (SELECT destination FROM streamflow.deliveries ORDER BY destination LIMIT 1)"
					" UNION ALL"
					" SELECT (SELECT d.destination FROM streamflow.deliveries d"
					"  WHERE d.destination > x.destination ORDER BY d.destination LIMIT 1)"
					" FROM dests x WHERE x.destination IS NOT NULL)"
					" SELECT q.id, q.stream_id, q.sequence, q.destination, q.attempts,"
					"  q.next_attempt_at <= now(),"
					"  greatest(0, ceil(extract(epoch FROM q.next_attempt_at - now()) * 1000))::bigint,"
					"  s.id IS NOT NULL, f.sequence IS NOT NULL,"
					"  coalesce((s.retry_policy->>'max_retries')::int,"
					"   (s.dead_letter_queue->>'max_retries')::int, " DEFAULT_MAX_RETRIES "),"
					"  coalesce((s.retry_policy->>'backoff_ms')::int, " DEFAULT_BACKOFF_MS "),"
					"  coalesce((s.retry_policy->>'max_backoff_ms')::int, " DEFAULT_MAX_BACKOFF_MS "),"
					"  coalesce((s.retry_policy->>'exponential')::boolean, true),"
					"  coalesce((s.retry_policy->>'jitter')::boolean, true),"
					"  k.webhook_secret, f.created_at, f.payload"
					" FROM dests x"
					" CROSS JOIN LATERAL (SELECT * FROM streamflow.deliveries d"
					"  WHERE d.destination = x.destination AND d.id <> ALL ($2)"
					"  ORDER BY d.id LIMIT $1) q"
					" LEFT JOIN streamflow.streams s ON s.id = q.stream_id"
					" LEFT JOIN streamflow.stream_secrets k ON k.stream_id = q.stream_id"
					" LEFT JOIN streamflow.frames f ON f.stream_id = q.stream_id AND f.sequence = q.sequence"
					" WHERE x.destination IS NOT NULL AND x.destination <> ALL ($3)"
					" ORDER BY q.destination, q.id",
					3, argtypes);
	/* not read-only: it must see the outcomes this transaction just wrote */
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the pending deliveries");

	for (row = 0; row < SPI_processed; row++)
	{
		ClaimRow	r;
		bool		isnull;

		memset(&r, 0, sizeof(r));
		r.id = DatumGetInt64(SPIValue(row, 1, &isnull));
		r.stream_id = TextAt(row, 2);
		r.sequence = DatumGetInt64(SPIValue(row, 3, &isnull));
		r.destination = TextAt(row, 4);
		r.attempts = DatumGetInt32(SPIValue(row, 5, &isnull));
		r.due = DatumGetBool(SPIValue(row, 6, &isnull));
		r.wait_ms = DatumGetInt64(SPIValue(row, 7, &isnull));
		r.stream_exists = DatumGetBool(SPIValue(row, 8, &isnull));
		r.frame_exists = DatumGetBool(SPIValue(row, 9, &isnull));
		r.max_retries = DatumGetInt32(SPIValue(row, 10, &isnull));
		r.backoff_ms = DatumGetInt32(SPIValue(row, 11, &isnull));
		r.max_backoff_ms = DatumGetInt32(SPIValue(row, 12, &isnull));
		r.exponential = DatumGetBool(SPIValue(row, 13, &isnull));
		r.jitter = DatumGetBool(SPIValue(row, 14, &isnull));
		r.secret = TextAt(row, 15);
		if (r.frame_exists && r.due)
		{
			Datum		payload = SPIValue(row, 17, &isnull);

			r.created_at = DatumGetTimestampTz(SPIValue(row, 16, &isnull));
			r.body = makeStringInfo();
			RenderWebhookPayload(r.body, r.stream_id, r.sequence, r.created_at,
								 DatumGetJsonbP(payload));
		}
		consumer(&r, arg);
	}
}

/* Deletes the rows delivered (acknowledged with a 2xx). */
void
StoreDelivered(int64 *ids, int n)
{
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		args[1];
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	args[0] = SPIArray(elems, NULL, n, INT8OID);
	if (SPI_execute_plan(KeptPlan(&delivered_plan,
								  "DELETE FROM streamflow.deliveries WHERE id = ANY ($1)",
								  1, argtypes),
						 args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not record delivered frames");
}

/* Records a failed attempt of row id; it is tried again after delay_ms. */
void
StoreRetry(int64 id, int status, const char *error, int64 delay_ms)
{
	Oid			argtypes[4] = {INT8OID, INT4OID, TEXTOID, INT8OID};
	Datum		args[4] = {Int64GetDatum(id), Int32GetDatum(status),
	CStringGetTextDatum(error), Int64GetDatum(delay_ms)};
	char		nulls[4] = {' ', status == 0 ? 'n' : ' ', ' ', ' '};

	if (SPI_execute_plan(KeptPlan(&retry_plan,
								  "UPDATE streamflow.deliveries SET attempts = attempts + 1,"
								  " last_status = $2, last_error = $3, last_attempt_at = now(),"
								  " next_attempt_at = clock_timestamp() + $4 * interval '1 millisecond'"
								  " WHERE id = $1",
								  4, argtypes),
						 args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record a failed delivery");
}

/*
 * Moves row id, out of retries after attempts attempts, to
 * streamflow.dead_letters with its last error (the frame as stored, or just
 * its sequence when it is no longer stored).
 */
void
StoreDeadLetter(int64 id, int attempts, const char *error)
{
	Oid			argtypes[3] = {INT8OID, INT4OID, TEXTOID};
	Datum		args[3] = {Int64GetDatum(id), Int32GetDatum(attempts),
	CStringGetTextDatum(error)};

	if (SPI_execute_plan(KeptPlan(&dead_letter_plan,
								  "WITH gone AS (DELETE FROM streamflow.deliveries WHERE id = $1"
								  "  RETURNING stream_id, sequence, destination)"
								  " INSERT INTO streamflow.dead_letters"
								  " (stream_id, reason, frame, last_error, sequence, destination, attempts)"
								  " SELECT g.stream_id, 'delivery failed',"
								  "  coalesce(to_jsonb(f) - 'stream_id' - 'created_at',"
								  "   jsonb_build_object('sequence', g.sequence)),"
								  "  $3, g.sequence, g.destination, $2"
								  " FROM gone g LEFT JOIN streamflow.frames f"
								  "  ON f.stream_id = g.stream_id AND f.sequence = g.sequence",
								  3, argtypes),
						 args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not dead-letter a delivery");
}

/* Deletes row id without delivering it (its stream is gone). */
void
StoreForget(int64 id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(id)};

	if (SPI_execute_plan(KeptPlan(&forget_plan,
								  "DELETE FROM streamflow.deliveries WHERE id = $1",
								  1, argtypes),
						 args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not forget a delivery");
}

/* Records a destination's circuit breaker as it is now. */
void
StoreCircuit(const char *destination, const char *circuit, int failures,
			 TimestampTz opened_until)
{
	Oid			argtypes[4] = {TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID};
	Datum		args[4] = {CStringGetTextDatum(destination), CStringGetTextDatum(circuit),
	Int32GetDatum(failures), TimestampTzGetDatum(opened_until)};
	char		nulls[4] = {' ', ' ', ' ', opened_until == 0 ? 'n' : ' '};

	if (SPI_execute_plan(KeptPlan(&circuit_plan,
								  "INSERT INTO streamflow.destination_state"
								  " (destination, circuit, consecutive_failures, opened_until)"
								  " VALUES ($1, $2, $3, $4)"
								  " ON CONFLICT (destination) DO UPDATE SET circuit = $2,"
								  " consecutive_failures = $3, opened_until = $4, updated_at = now()",
								  4, argtypes),
						 args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record the circuit of a destination");
}

/* Calls add for every destination of every stream that has one. */
void
StoreDestinationStreams(void (*add) (const char *stream_id, const char *url))
{
	uint64		row;

	if (SPI_execute_plan(KeptPlan(&streams_plan,
								  "SELECT s.id, u.url FROM streamflow.streams s,"
								  " streamflow.delivery_targets(s.destination_url, s.multiplexing) t,"
								  " unnest(t.urls) AS u(url)"
								  " WHERE s.destination_url IS NOT NULL OR s.multiplexing IS NOT NULL",
								  0, NULL),
						 NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the streams with a destination");
	for (row = 0; row < SPI_processed; row++)
		add(TextAt(row, 1), TextAt(row, 2));
}
