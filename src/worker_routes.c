/*
 * worker_routes.c: the worker's HTTP routes and their handlers.  Handlers
 * run in the main loop (see worker_requests.c), in a transaction with SPI
 * connected when the route says so.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "worker.h"
#include "worker_metrics.h"
#include "worker_requests.h"
#include "worker_routes.h"

static void HealthHandler(Request *req, Response *resp);

const Route WorkerRoutes[] = {
	{"GET", "/health", true, HealthHandler, "streamflow: GET /health"},
	{"GET", "/metrics", true, MetricsHandler, "streamflow: GET /metrics"},
	{NULL, NULL, false, NULL, NULL}
};

/*
 * GET /health: {"status":"ok","database","uptime_s","extension","streams"};
 * extension is the installed version or "not installed" (then no streams).
 */
static void
HealthHandler(Request *req, Response *resp)
{
	StringInfo	buf = &resp->body;
	long		secs;
	int			usecs;
	bool		isnull;

	TimestampDifference(worker_started_at, GetCurrentTimestamp(), &secs, &usecs);
	appendStringInfoString(buf, "{\"status\":\"ok\",\"database\":");
	escape_json(buf, worker_database);
	appendStringInfo(buf, ",\"uptime_s\":%ld,\"extension\":", secs);

	if (SPI_execute("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'streamflow'",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the streamflow extension");
	if (SPI_processed == 0)
		appendStringInfoString(buf, "\"not installed\"");
	else
	{
		Datum		version = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		int64		streams;

		escape_json(buf, TextDatumGetCString(version));
		if (SPI_execute("SELECT count(*) FROM streamflow.streams", true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not count streams");
		streams = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		appendStringInfo(buf, ",\"streams\":" INT64_FORMAT, streams);
	}
	appendStringInfoChar(buf, '}');
	resp->status = 200;
}
