/*
 * outbound_queue.c: the ingest side of outbound webhooks.
 *
 * A stream with destination_url gets one streamflow.deliveries row per
 * stored frame, written by the ingest that stores the frame, in its
 * transaction: a committed frame always has its delivery row and a rolled
 * back one never does.  All rows of one call go in with one INSERT ... SELECT
 * FROM unnest(...), like the frames themselves (frame_store.c).  The worker
 * (outbound.c) sends them.  Callers are connected to SPI.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "outbound_queue.h"
#include "spi_util.h"

static SPIPlanPtr queue_plan;

/* Queues the stored ones of frames[0..n-1] for delivery to destination. */
void
QueueDeliveries(const char *stream_id, const char *destination, Frame **frames, int n)
{
	Oid			argtypes[3] = {TEXTOID, TEXTOID, INT8ARRAYOID};
	Datum		args[3];
	Datum	   *seqs = palloc(sizeof(Datum) * Max(n, 1));
	int			k = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (frames[i]->stored)
			seqs[k++] = Int64GetDatum(frames[i]->sequence);
	if (k == 0)
		return;
	args[0] = CStringGetTextDatum(stream_id);
	args[1] = CStringGetTextDatum(destination);
	args[2] = SPIArray(seqs, NULL, k, INT8OID);
	if (SPI_execute_plan(KeptPlan(&queue_plan,
								  "INSERT INTO streamflow.deliveries (stream_id, destination, sequence)"
								  " SELECT $1, $2, s FROM unnest($3) WITH ORDINALITY AS u(s, o)"
								  " ORDER BY o",
								  3, argtypes),
						 args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not queue the deliveries of stream \"%s\"", stream_id);
}
