/*
 * outbound_queue.c: the ingest side of outbound webhooks.
 *
 * A stream with destinations (destination_url, multiplexing) gets
 * streamflow.deliveries rows for every stored frame, written by the ingest
 * that stores the frame, in its transaction: a committed frame always has
 * its delivery rows and a rolled back one never does.  Round-robin (and a
 * single destination): one row per frame, the destination chosen by the
 * frame's sequence; broadcast: one row per frame and destination.  All rows
 * of one call go in with one INSERT ... SELECT FROM unnest(...), in sequence
 * order (so each destination's rows are in commit order), like the frames
 * themselves (frame_store.c).  The worker (outbound.c) sends them.  Callers
 * are connected to SPI.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "outbound_queue.h"
#include "spi_util.h"

static SPIPlanPtr round_robin_plan;
static SPIPlanPtr broadcast_plan;

/*
 * The targets of a text[] of URLs (in CurrentMemoryContext), or NULL when
 * there are none.
 */
DeliveryTargets *
ReadDeliveryTargets(Datum urls, bool broadcast)
{
	ArrayType  *array = DatumGetArrayTypeP(urls);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	DeliveryTargets *targets;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		return NULL;
	targets = palloc(sizeof(DeliveryTargets));
	targets->n = 0;
	targets->urls = palloc(sizeof(char *) * n);
	targets->broadcast = broadcast;
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			targets->urls[targets->n++] = TextDatumGetCString(elems[i]);
	return targets->n > 0 ? targets : NULL;
}

/* Queues the stored ones of frames[0..n-1] for delivery to targets. */
void
QueueDeliveries(const char *stream_id, const DeliveryTargets *targets, Frame **frames, int n)
{
	Oid			argtypes[3] = {TEXTOID, TEXTARRAYOID, INT8ARRAYOID};
	Datum		args[3];
	Datum	   *seqs = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *urls = palloc(sizeof(Datum) * targets->n);
	SPIPlanPtr	plan;
	int			k = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (frames[i]->stored)
			seqs[k++] = Int64GetDatum(frames[i]->sequence);
	if (k == 0)
		return;
	for (i = 0; i < targets->n; i++)
		urls[i] = CStringGetTextDatum(targets->urls[i]);
	args[0] = CStringGetTextDatum(stream_id);
	args[1] = SPIArray(urls, NULL, targets->n, TEXTOID);
	args[2] = SPIArray(seqs, NULL, k, INT8OID);
	if (targets->broadcast)
		plan = KeptPlan(&broadcast_plan,
						"INSERT INTO streamflow.deliveries (stream_id, destination, sequence)"
						" SELECT $1, t.d, u.s FROM unnest($3) WITH ORDINALITY AS u(s, o),"
						" unnest($2) WITH ORDINALITY AS t(d, k)"
						" ORDER BY u.o, t.k",
						3, argtypes);
	else
		plan = KeptPlan(&round_robin_plan,
						"INSERT INTO streamflow.deliveries (stream_id, destination, sequence)"
						" SELECT $1, $2[1 + (u.s - 1) % cardinality($2)], u.s"
						" FROM unnest($3) WITH ORDINALITY AS u(s, o)"
						" ORDER BY u.o",
						3, argtypes);
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not queue the deliveries of stream \"%s\"", stream_id);
}
