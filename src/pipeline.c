/*
 * pipeline.c: what happens to a frame's payload before it is stored.
 *
 * DESIGN.md's order: the stream's attribute_bindings map the payload, then
 * its data_schema validates the bound payload.  Each stream's bindings and
 * schema are compiled once and cached per backend, keyed by stream id and
 * checked against the version of the stream's row (xmin and ctid change on
 * every update_stream, in any session), so a frame never re-parses them.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "binding_window.h"
#include "pipeline.h"
#include "spi_util.h"
#include "violations.h"

#define PIPELINE_ID_LEN 128		/* longer stream ids are compiled per call */
#define PIPELINE_CACHE_MAX 1024 /* entries before the cache starts afresh */

/* One cached pipeline. */
typedef struct PipelineEntry
{
	char		stream_id[PIPELINE_ID_LEN]; /* hash key */
	char		version[64];
	MemoryContext cxt;			/* owns everything compiled */
	StreamPipeline pipeline;
} PipelineEntry;

static HTAB *pipeline_cache;
static SPIPlanPtr config_plan;

/* Drops every cached pipeline. */
static void
ResetPipelineCache(void)
{
	HASH_SEQ_STATUS status;
	PipelineEntry *e;

	if (pipeline_cache == NULL)
		return;
	hash_seq_init(&status, pipeline_cache);
	while ((e = hash_seq_search(&status)) != NULL)
		MemoryContextDelete(e->cxt);
	hash_destroy(pipeline_cache);
	pipeline_cache = NULL;
}

/* Does any binding of the set aggregate over a window? */
static bool
HasWindows(const BindingSet *set)
{
	int			i;

	for (i = 0; set && i < BindingCount(set); i++)
		if (BindingWindowMs(set, i) > 0)
			return true;
	return false;
}

/* Reads and compiles a stream's schema and bindings into cxt. */
static void
CompilePipeline(const char *stream_id, MemoryContext cxt, StreamPipeline *pipeline)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(stream_id)};
	SPIPlanPtr	plan = KeptPlan(&config_plan,
								  "SELECT s.data_schema, s.attribute_bindings, t.urls, t.broadcast"
								  " FROM streamflow.streams s,"
								  " streamflow.delivery_targets(s.destination_url, s.multiplexing) t"
								  " WHERE s.id = $1", 1, argtypes);
	bool		schema_null;
	bool		bindings_null;
	bool		urls_null;
	bool		isnull;
	Datum		schema;
	Datum		urls;
	bool		broadcast;
	Datum		bindings;
	MemoryContext old;

	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the pipeline of stream \"%s\"", stream_id);
	schema = SPIValue(0, 1, &schema_null);
	bindings = SPIValue(0, 2, &bindings_null);
	urls = SPIValue(0, 3, &urls_null);
	broadcast = DatumGetBool(SPIValue(0, 4, &isnull));
	old = MemoryContextSwitchTo(cxt);
	pipeline->schema = schema_null ? NULL
		: CompileSchema(DatumGetJsonbP(schema), "in stream option \"data_schema\"");
	pipeline->bindings = bindings_null ? NULL : CompileBindings(DatumGetJsonbP(bindings));
	pipeline->has_windows = HasWindows(pipeline->bindings);
	pipeline->delivery = urls_null ? NULL : ReadDeliveryTargets(urls, broadcast);
	MemoryContextSwitchTo(old);
}

/* The compiled pipeline of the locked stream, from the cache when current. */
StreamPipeline *
GetStreamPipeline(StreamHead *head)
{
	PipelineEntry *e;
	bool		found;
	MemoryContext cxt;
	StreamPipeline *fresh;

	if (strlen(head->id) >= PIPELINE_ID_LEN || strlen(head->config_version) >= 64)
	{
		fresh = palloc0(sizeof(StreamPipeline));
		CompilePipeline(head->id, CurrentMemoryContext, fresh);
		return fresh;
	}
	if (pipeline_cache != NULL && hash_get_num_entries(pipeline_cache) >= PIPELINE_CACHE_MAX)
		ResetPipelineCache();
	if (pipeline_cache == NULL)
	{
		HASHCTL		ctl = {.keysize = PIPELINE_ID_LEN, .entrysize = sizeof(PipelineEntry)};

		pipeline_cache = hash_create("streamflow pipelines", 64, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	e = hash_search(pipeline_cache, head->id, HASH_FIND, NULL);
	if (e != NULL && strcmp(e->version, head->config_version) == 0)
		return &e->pipeline;

	/* compile in a context of our own; it joins the cache only if this succeeds */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "streamflow pipeline",
								ALLOCSET_SMALL_SIZES);
	fresh = MemoryContextAllocZero(cxt, sizeof(StreamPipeline));
	CompilePipeline(head->id, cxt, fresh);
	MemoryContextSetParent(cxt, CacheMemoryContext);
	e = hash_search(pipeline_cache, head->id, HASH_ENTER, &found);
	if (found)
		MemoryContextDelete(e->cxt);
	strlcpy(e->version, head->config_version, sizeof(e->version));
	e->cxt = cxt;
	e->pipeline = *fresh;
	return &e->pipeline;
}

/*
 * Re-roots the pipeline's violation paths, which are relative to the payload
 * ("$.a"), at the frame like the frame rules' ("$.payload.a", "$[3].payload.a",
 * "$.data.a" for a payload sent as data).
 */
static void
RootAtPayload(Frame *frame)
{
	char	   *prefix = PayloadPath(frame);
	ListCell   *lc;

	foreach(lc, frame->violations)
	{
		Violation  *v = lfirst(lc);

		v->path = psprintf("%s%s", prefix, v->path + 1);
	}
}

/*
 * Binds and validates one frame that passed the frame rules.  On success the
 * frame carries the bound payload and its window contributions are added to
 * batch_added; on failure it keeps the payload it arrived with, its
 * violations say why, and the windows are as they were.
 */
void
RunPipeline(StreamPipeline *pipeline, Frame *frame, WindowAggregate *windows,
			WindowAggregate *batch_added)
{
	Jsonb	   *received = frame->payload;
	WindowAggregate *added = NULL;
	int			n = pipeline->bindings ? BindingCount(pipeline->bindings) : 0;
	int			i;

	if (pipeline->bindings)
	{
		Jsonb	   *bound;

		if (windows)
			added = palloc0(sizeof(WindowAggregate) * n);
		bound = ApplyBindings(pipeline->bindings, frame->payload, windows, added,
							  &frame->violations);
		if (bound != NULL)
			frame->payload = bound;
	}
	if (pipeline->schema && frame->violations == NIL)
		ValidateInstance(pipeline->schema, frame->payload, &frame->violations);
	if (frame->violations != NIL)
	{
		RootAtPayload(frame);
		frame->payload = received;
		for (i = 0; added && i < n; i++)
			AddToWindow(&windows[i], &added[i], true);
		return;
	}
	for (i = 0; added && i < n; i++)
		AddToWindow(&batch_added[i], &added[i], false);
}
