/*
 * window_stats.c: windows computed over stored frames, with the live
 * engine's code (window_config.c, window_agg.c):
 *
 * - window_stats(stream, size, from, to, path, time_path, group_by): the
 *   tumbling window {"size": size, "time": time_path, "group_by": group_by,
 *   "aggregates": {"count": {"fn": "count", "path": path}, "sum", "avg",
 *   "min", "max" (same path), "rate": {"fn": "rate"}}} over the stream's
 *   stored frames whose time lies in [from, to), one row per window and group.
 * - recent_stream_stats(period): per stream, frames and recorded rejections
 *   stored during the last period, as one window of that length: rate,
 *   error rate, average latency_ms; health() raises its alerts from it.
 *
 * Both read frames through an SPI cursor in sequence order (the order the
 * worker sees them) and accumulate into a hash of (window start, group).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "jsonb_util.h"
#include "stream_head.h"
#include "window_agg.h"
#include "window_config.h"

PG_FUNCTION_INFO_V1(streamflow_window_stats);
PG_FUNCTION_INFO_V1(streamflow_recent_stream_stats);

#define FETCH_ROWS 1000

/* One window of one group; the accumulators follow the struct. */
typedef struct BucketKey
{
	TimestampTz start;
	Jsonb	   *group;
} BucketKey;

typedef struct Bucket
{
	BucketKey	key;
	int64		frames;
	WindowAcc	accs[FLEXIBLE_ARRAY_MEMBER];
} Bucket;

/* What a scan accumulates into. */
typedef struct BucketTable
{
	HTAB	   *hash;
	MemoryContext cxt;			/* keys and buckets */
	int			naccs;
} BucketTable;

/* Hashes a bucket key: its start and its group's jsonb hash. */
static uint32
BucketHash(const void *key, Size keysize)
{
	const BucketKey *k = key;
	uint32		h = hash_bytes((const unsigned char *) &k->start, sizeof(k->start));

	return hash_combine(h, DatumGetUInt32(DirectFunctionCall1(jsonb_hash, JsonbPGetDatum(k->group))));
}

/* Compares bucket keys: 0 when the starts and the groups (as jsonb values) are equal. */
static int
BucketMatch(const void *a, const void *b, Size keysize)
{
	const BucketKey *ka = a;
	const BucketKey *kb = b;

	if (ka->start != kb->start)
		return 1;
	return compareJsonbContainers(&ka->group->root, &kb->group->root) != 0;
}

/* An empty table of buckets holding naccs accumulators each. */
static void
BucketTableInit(BucketTable *table, int naccs)
{
	HASHCTL		ctl;

	table->cxt = CurrentMemoryContext;
	table->naccs = naccs;
	ctl.keysize = sizeof(BucketKey);
	ctl.entrysize = offsetof(Bucket, accs) + sizeof(WindowAcc) * Max(naccs, 1);
	ctl.hash = BucketHash;
	ctl.match = BucketMatch;
	ctl.hcxt = table->cxt;
	table->hash = hash_create("streamflow window buckets", 256, &ctl,
							  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* The bucket of (start, group), created empty (its key copied) on first use. */
static Bucket *
BucketFor(BucketTable *table, TimestampTz start, Jsonb *group)
{
	BucketKey	key = {start, group};
	bool		found;
	Bucket	   *b = hash_search(table->hash, &key, HASH_ENTER, &found);

	if (!found)
	{
		b->key.group = MemoryContextAlloc(table->cxt, VARSIZE(group));
		memcpy(b->key.group, group, VARSIZE(group));
		b->frames = 0;
		memset(b->accs, 0, sizeof(WindowAcc) * table->naccs);
	}
	return b;
}

/* Orders buckets by start, then group. */
static int
BucketCompare(const void *a, const void *b)
{
	const Bucket *ba = *(Bucket *const *) a;
	const Bucket *bb = *(Bucket *const *) b;

	if (ba->key.start != bb->key.start)
		return ba->key.start < bb->key.start ? -1 : 1;
	return compareJsonbContainers(&ba->key.group->root, &bb->key.group->root);
}

/* The buckets sorted by start and group; *n is set to their number. */
static Bucket **
SortedBuckets(BucketTable *table, int *n)
{
	HASH_SEQ_STATUS seq;
	Bucket	  **all = palloc(sizeof(Bucket *) * Max(1, hash_get_num_entries(table->hash)));
	Bucket	   *b;

	*n = 0;
	hash_seq_init(&seq, table->hash);
	while ((b = hash_seq_search(&seq)) != NULL)
		all[(*n)++] = b;
	qsort(all, *n, sizeof(Bucket *), BucketCompare);
	return all;
}

typedef void (*RowFn) (void *state, HeapTuple row, TupleDesc desc);

/*
 * Runs a query through an SPI cursor and calls fn for each row, inside a
 * memory context reset after every row (fn copies what it keeps).
 */
static void
ScanRows(const char *sql, int nargs, Oid *argtypes, Datum *args, RowFn fn, void *state)
{
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "streamflow window row",
												 ALLOCSET_DEFAULT_SIZES);
	Portal		portal = SPI_cursor_open_with_args(NULL, sql, nargs, argtypes, args, NULL, true,
												   CURSOR_OPT_NO_SCROLL);

	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);

			fn(state, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(rowcxt);
}

/* A non-NULL argument, or 22023 naming it. */
static Datum
RequireArg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must not be NULL", name)));
	return PG_GETARG_DATUM(argno);
}

/* A duration argument in milliseconds: positive, whole, at most 366 days. */
static int64
DurationArg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	char	   *what = psprintf("argument \"%s\"", name);
	Interval   *iv = DatumGetIntervalP(RequireArg(fcinfo, argno, name));
	int64		ms = WindowIntervalMs(iv, what);

	if (ms <= 0 || ms > WINDOW_MAX_DURATION_MS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive and at most 366 days", what),
				 errdetail("The value given is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(iv))))));
	return ms;
}

/* window_stats: the tumbling window config its rows equal (see the file header). */
static void
StatsConfig(FunctionCallInfo fcinfo, WindowConfig *config)
{
	static const WindowFn fns[] = {WINDOW_FN_COUNT, WINDOW_FN_SUM, WINDOW_FN_AVG, WINDOW_FN_MIN,
	WINDOW_FN_MAX, WINDOW_FN_RATE};
	static const char *const names[] = {"count", "sum", "avg", "min", "max", "rate"};
	bool		has_path = !PG_ARGISNULL(4);
	BindingPath path;
	int			i;

	memset(config, 0, sizeof(WindowConfig));
	config->type = WINDOW_TUMBLING;
	config->size_ms = config->slide_ms = DurationArg(fcinfo, 1, "size");
	config->max_groups = PG_INT32_MAX;
	if (has_path)
		ParseWindowPath(text_to_cstring(PG_GETARG_TEXT_PP(4)), "argument \"path\"", &path);
	config->event_time = !PG_ARGISNULL(5);
	if (config->event_time)
		ParseWindowPath(text_to_cstring(PG_GETARG_TEXT_PP(5)), "argument \"time_path\"",
						&config->time_path);
	config->has_group_by = !PG_ARGISNULL(6);
	if (config->has_group_by)
		ParseWindowPath(text_to_cstring(PG_GETARG_TEXT_PP(6)), "argument \"group_by\"",
						&config->group_by);
	config->aggs = palloc0(sizeof(WindowAggregate) * lengthof(fns));
	for (i = 0; i < (int) lengthof(fns); i++)
	{
		WindowAggregate *agg = &config->aggs[i];

		/* without a path only count (of frames) and rate remain */
		if (!has_path && fns[i] != WINDOW_FN_COUNT && fns[i] != WINDOW_FN_RATE)
			continue;
		agg->output = (char *) names[i];
		agg->fn = fns[i];
		agg->has_path = has_path && fns[i] != WINDOW_FN_RATE;
		if (agg->has_path)
			agg->path = path;
		config->naggs++;
	}
	/* compact: count, [sum, avg, min, max,] rate */
	if (!has_path)
		config->aggs[1] = config->aggs[5];
}

typedef struct StatsScan
{
	WindowConfig *config;
	BucketTable table;
	TimestampTz from;
	TimestampTz to;
} StatsScan;

/* window_stats: adds one frame (payload, created_at) to its bucket. */
static void
StatsRow(void *state, HeapTuple row, TupleDesc desc)
{
	StatsScan  *scan = state;
	bool		isnull;
	Jsonb	   *payload = DatumGetJsonbP(SPI_getbinval(row, desc, 1, &isnull));
	TimestampTz created_at = DatumGetTimestampTz(SPI_getbinval(row, desc, 2, &isnull));
	TimestampTz t;
	Bucket	   *b;

	if (!WindowFrameTime(scan->config, payload, created_at, &t) || t < scan->from || t >= scan->to)
		return;
	b = BucketFor(&scan->table, WindowPaneStart(scan->config, t), WindowGroupKey(scan->config, payload));
	b->frames++;
	(void) WindowAccAdd(scan->config, b->accs, payload);
}

/* A float8 datum of aggregate i of a bucket; *isnull when it has no value. */
static Datum
AggDatum(const WindowConfig *config, const Bucket *b, int i, bool *isnull)
{
	double		x = 0;

	*isnull = i >= config->naggs || !WindowAccValue(config, &config->aggs[i], &b->accs[i], &x);
	return Float8GetDatum(x);
}

/*
 * SQL: window_stats(stream, size, from, to, path, time_path, group_by)
 * returns table(group_key, window_start, window_end, frame_count, count, sum,
 * avg, min, max, rate).
 */
Datum
streamflow_window_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WindowConfig config;
	StatsScan	scan;
	Oid			argtypes[3] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		args[3];
	char	   *stream = TextDatumGetCString(RequireArg(fcinfo, 0, "stream"));
	Bucket	  **buckets;
	int			n,
				i;

	InitMaterializedSRF(fcinfo, 0);
	StatsConfig(fcinfo, &config);
	scan.config = &config;
	scan.from = DatumGetTimestampTz(RequireArg(fcinfo, 2, "from"));
	scan.to = DatumGetTimestampTz(RequireArg(fcinfo, 3, "to"));
	if (scan.from > scan.to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"from\" must not be later than \"to\""),
				 errdetail("window_stats counts frames whose time t is in [from, to).")));
	BucketTableInit(&scan.table, config.naggs);

	SPI_connect();
	args[0] = CStringGetTextDatum(ResolveStreamId(stream));
	args[1] = TimestampTzGetDatum(scan.from);
	args[2] = TimestampTzGetDatum(scan.to);
	/* ingest time can use created_at; event times lie anywhere in the stream */
	ScanRows(config.event_time
			 ? "SELECT payload, created_at FROM streamflow.frames WHERE stream_id = $1 ORDER BY sequence"
			 : "SELECT payload, created_at FROM streamflow.frames WHERE stream_id = $1"
			 " AND created_at >= $2 AND created_at < $3 ORDER BY sequence",
			 config.event_time ? 1 : 3, argtypes, args, StatsRow, &scan);
	SPI_finish();

	buckets = SortedBuckets(&scan.table, &n);
	for (i = 0; i < n; i++)
	{
		Bucket	   *b = buckets[i];
		Datum		values[10];
		bool		nulls[10] = {0};

		values[0] = JsonbPGetDatum(b->key.group);
		values[1] = TimestampTzGetDatum(b->key.start);
		values[2] = TimestampTzGetDatum(b->key.start + config.size_ms * 1000);
		values[3] = Int64GetDatum(b->frames);
		values[4] = Int64GetDatum(b->accs[0].n);
		if (config.naggs == 6)
		{
			values[5] = AggDatum(&config, b, 1, &nulls[5]);
			values[6] = AggDatum(&config, b, 2, &nulls[6]);
			values[7] = AggDatum(&config, b, 3, &nulls[7]);
			values[8] = AggDatum(&config, b, 4, &nulls[8]);
			values[9] = AggDatum(&config, b, 5, &nulls[9]);
		}
		else
		{
			nulls[5] = nulls[6] = nulls[7] = nulls[8] = true;
			values[9] = AggDatum(&config, b, 1, &nulls[9]);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* recent_stream_stats: the one-window configs of frames and of rejections. */
typedef struct RecentScan
{
	WindowConfig frames;		/* rate, avg latency_ms */
	WindowConfig errors;		/* count */
	BucketTable table;			/* by stream id; accs: frames' then errors' */
	bool		rejections;		/* scanning stream_errors */
} RecentScan;

/* recent_stream_stats: adds one frame or one rejection to its stream's bucket. */
static void
RecentRow(void *state, HeapTuple row, TupleDesc desc)
{
	RecentScan *scan = state;
	bool		isnull;
	JsonbValue	id;
	Jsonb	   *payload = DatumGetJsonbP(SPI_getbinval(row, desc, 2, &isnull));
	Bucket	   *b;

	JsonbInitString(&id, TextDatumGetCString(SPI_getbinval(row, desc, 1, &isnull)));
	b = BucketFor(&scan->table, 0, JsonbValueToJsonb(&id));
	if (scan->rejections)
		(void) WindowAccAdd(&scan->errors, &b->accs[scan->frames.naggs], payload);
	else
	{
		b->frames++;
		(void) WindowAccAdd(&scan->frames, b->accs, payload);
	}
}

/* Fills a one-window config of size_ms with the given aggregates. */
static void
OneWindow(WindowConfig *config, int64 size_ms, int naggs, WindowAggregate *aggs)
{
	memset(config, 0, sizeof(WindowConfig));
	config->type = WINDOW_TUMBLING;
	config->size_ms = config->slide_ms = size_ms;
	config->max_groups = PG_INT32_MAX;
	config->naggs = naggs;
	config->aggs = aggs;
}

/*
 * SQL: recent_stream_stats(period) returns table(stream_id, frames, rate,
 * errors, error_rate, avg_latency_ms) for every stream that stored a frame
 * or recorded a rejection (streamflow.stream_errors) during the last period.
 */
Datum
streamflow_recent_stream_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		period_ms = DurationArg(fcinfo, 0, "period");
	WindowAggregate *frame_aggs = palloc0(sizeof(WindowAggregate) * 2);
	WindowAggregate *error_aggs = palloc0(sizeof(WindowAggregate) * 1);
	Oid			argtypes[1] = {INTERVALOID};
	Datum		args[1] = {PG_GETARG_DATUM(0)};
	RecentScan	scan;
	Bucket	  **buckets;
	int			n,
				i;

	InitMaterializedSRF(fcinfo, 0);
	frame_aggs[0] = (WindowAggregate) {.output = "rate", .fn = WINDOW_FN_RATE};
	frame_aggs[1] = (WindowAggregate) {.output = "latency_ms", .fn = WINDOW_FN_AVG, .has_path = true};
	ParseWindowPath("latency_ms", "latency_ms", &frame_aggs[1].path);
	error_aggs[0] = (WindowAggregate) {.output = "errors", .fn = WINDOW_FN_COUNT};
	OneWindow(&scan.frames, period_ms, 2, frame_aggs);
	OneWindow(&scan.errors, period_ms, 1, error_aggs);
	BucketTableInit(&scan.table, scan.frames.naggs + scan.errors.naggs);

	SPI_connect();
	scan.rejections = false;
	ScanRows("SELECT stream_id, jsonb_build_object('latency_ms', latency_ms)"
			 " FROM streamflow.frames WHERE created_at > now() - $1 ORDER BY stream_id, sequence",
			 1, argtypes, args, RecentRow, &scan);
	scan.rejections = true;
	ScanRows("SELECT stream_id, '{}'::jsonb FROM streamflow.stream_errors WHERE created_at > now() - $1",
			 1, argtypes, args, RecentRow, &scan);
	SPI_finish();

	buckets = SortedBuckets(&scan.table, &n);
	for (i = 0; i < n; i++)
	{
		Bucket	   *b = buckets[i];
		int64		errors = b->accs[scan.frames.naggs].n;
		JsonbValue	id;
		Datum		values[6];
		bool		nulls[6] = {0};

		JsonbExtractScalar(&b->key.group->root, &id);
		values[0] = PointerGetDatum(cstring_to_text_with_len(id.val.string.val, id.val.string.len));
		values[1] = Int64GetDatum(b->frames);
		values[2] = AggDatum(&scan.frames, b, 0, &nulls[2]);
		values[3] = Int64GetDatum(errors);
		values[4] = Float8GetDatum(b->frames + errors > 0 ? (double) errors / (b->frames + errors) : 0);
		values[5] = AggDatum(&scan.frames, b, 1, &nulls[5]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
