/*
 * source_ingest.c: what a source received becomes frames of its stream.
 *
 * source.c calls SourceIngest in its transaction, one subtransaction per
 * source (a paused or dropped stream fails alone): LockStreamHead +
 * IngestFrames with source 'poller' or 'websocket_client', rejections in
 * stream_errors.  A polled
 * body, or a WebSocket message, is a JSON array of messages, an object with
 * a "messages" array (seed 000's polling answer; its next_poll_after_ms is
 * honoured, at least SOURCE_MIN_POLL_MS) or one message.  A message that is
 * an object with an object "data" becomes a frame with data as its payload
 * and the message's id, timestamp and metadata in the frame's metadata;
 * any other object is the payload itself.  The poll cursor: the answer's
 * "since", "cursor" or "last_sequence", else the last message's "sequence"
 * or "timestamp", sent with the next poll as ?since= (kept in memory: a new
 * worker starts without one).
 *
 * Failures of a source are written by SourceRecordErrors.
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "frame_store.h"
#include "ingest.h"
#include "json_text.h"
#include "jsonb_util.h"
#include "source.h"
#include "worker_xact.h"
#include "spi_util.h"
#include "violations.h"

/* The shortest wait between two polls a source may ask for. */
#define SOURCE_MIN_POLL_MS 100

static SPIPlanPtr error_plan = NULL;

/* The text of a scalar cursor value, palloc'd; NULL for other values. */
static char *
ScalarText(const JsonbValue *v)
{
	if (v == NULL)
		return NULL;
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	return NULL;
}

/* The member key of an object value, or NULL. */
static JsonbValue *
Member(const JsonbValue *obj, const char *key)
{
	if (obj->type != jbvBinary || !JsonContainerIsObject(obj->val.binary.data))
		return NULL;
	return JsonbObjectGet(obj->val.binary.data, key);
}

/*
 * Turns one message into a frame: data's object is the payload, with the
 * message's id, timestamp and metadata in the frame's metadata; another
 * object is the payload itself; anything else is a rejected frame.
 */
static void
SourceFrame(Source *src, JsonbValue *msg, int index, Frame *frame)
{
	JsonbValue *data = Member(msg, "data");
	JsonbValue *metadata = Member(msg, "metadata");
	StringInfoData meta;
	char	   *id;
	char	   *timestamp;

	memset(frame, 0, sizeof(Frame));
	frame->index = index;
	frame->raw = JsonbValueToJsonb(msg);
	if (msg->type != jbvBinary || !JsonContainerIsObject(msg->val.binary.data))
	{
		AddViolation(&frame->violations, "$", "type",
					 "a source message must be a JSON object, not %s", JsonbValueTypeName(msg));
		frame->payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
		return;
	}
	initStringInfo(&meta);
	appendStringInfo(&meta, "{\"source\":\"%s\"", src->websocket ? "websocket_client" : "poller");
	if (data == NULL || data->type != jbvBinary || !JsonContainerIsObject(data->val.binary.data))
	{
		frame->payload = frame->raw;
		appendStringInfoChar(&meta, '}');
		frame->metadata = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(meta.data)));
		return;
	}
	frame->payload = JsonbValueToJsonb(data);
	id = ScalarText(Member(msg, "message_id"));
	if (id == NULL)
		id = ScalarText(Member(msg, "id"));
	timestamp = ScalarText(Member(msg, "timestamp"));
	if (id != NULL)
	{
		appendStringInfoString(&meta, ",\"message_id\":");
		escape_json(&meta, id);
	}
	if (timestamp != NULL)
	{
		appendStringInfoString(&meta, ",\"timestamp\":");
		escape_json(&meta, timestamp);
	}
	appendStringInfoChar(&meta, '}');
	frame->metadata = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(meta.data)));
	if (metadata != NULL && metadata->type == jbvBinary &&
		JsonContainerIsObject(metadata->val.binary.data))
		frame->metadata = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
															 JsonbPGetDatum(JsonbValueToJsonb(metadata)),
															 JsonbPGetDatum(frame->metadata)));
}

/*
 * The messages of a body (an array, {"messages": [...]} or one message);
 * *cursor and *next_ms are set from the answer when it gives them.
 */
static JsonbValue *
BodyMessages(JsonbValue *root, int *n, char **cursor, int *next_ms)
{
	JsonbValue *messages = Member(root, "messages");
	JsonbValue *items;
	JsonbValue *after;

	if (root->type == jbvBinary && JsonContainerIsArray(root->val.binary.data))
		items = JsonbArrayItems(root->val.binary.data, n);
	else if (messages != NULL && messages->type == jbvBinary &&
			 JsonContainerIsArray(messages->val.binary.data))
	{
		items = JsonbArrayItems(messages->val.binary.data, n);
		after = Member(root, "next_poll_after_ms");
		if (after != NULL && after->type == jbvNumeric)
		{
			int64		ms;

			if (JsonbValueGetInt64(after, &ms) && ms >= 0)
				*next_ms = (int) Min(Max(ms, SOURCE_MIN_POLL_MS), INT_MAX / 2);
		}
		*cursor = ScalarText(Member(root, "since"));
		if (*cursor == NULL)
			*cursor = ScalarText(Member(root, "cursor"));
		if (*cursor == NULL)
			*cursor = ScalarText(Member(root, "last_sequence"));
	}
	else
	{
		*n = 1;
		return root;
	}
	if (*cursor == NULL && *n > 0)
	{
		*cursor = ScalarText(Member(&items[*n - 1], "sequence"));
		if (*cursor == NULL)
			*cursor = ScalarText(Member(&items[*n - 1], "timestamp"));
	}
	return items;
}

/* A rejected frame for a message that is not JSON, its text kept as a string. */
static void
InvalidJsonFrame(const char *text, size_t len, const char *problem, Frame *frame)
{
	JsonbValue	raw;

	memset(frame, 0, sizeof(Frame));
	frame->index = -1;
	raw.type = jbvString;
	raw.val.string.val = pnstrdup(text, Min(len, 1000));
	raw.val.string.len = strlen(raw.val.string.val);
	frame->raw = JsonbValueToJsonb(&raw);
	frame->payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	AddViolation(&frame->violations, "$", "format", "the message is not JSON: %s", problem);
}

/* A new frame at the end of *frames (grown as needed), palloc'd. */
static Frame *
AddFrame(Frame ***frames, int *n, int *cap)
{
	if (*n == *cap)
	{
		*cap *= 2;
		*frames = repalloc(*frames, sizeof(Frame *) * *cap);
	}
	(*frames)[*n] = palloc(sizeof(Frame));
	return (*frames)[(*n)++];
}

/*
 * Frames for src's queued messages; a poll's body that is not JSON fails
 * the poll instead.  *next_ms is set for a poll that succeeded.
 */
static Frame **
QueuedFrames(Source *src, int *nframes, char **since, int *next_ms)
{
	int			cap = 16;
	Frame	  **frames = palloc(sizeof(Frame *) * cap);

	*nframes = 0;
	for (SourceMessage *m = src->first; m; m = m->next)
	{
		JsonbValue	root;
		JsonbValue *items;
		char	   *problem = NULL;
		int			ms = src->interval_ms;
		int			n = 0;

		if (!ParseJsonText(m->text, (int) Min(m->len, INT_MAX), &root, &problem))
		{
			if (src->websocket)
				InvalidJsonFrame(m->text, m->len, problem, AddFrame(&frames, nframes, &cap));
			else
				SourceFailed(src, "the answer is not JSON: %s", problem);
			continue;
		}
		items = BodyMessages(&root, &n, since, &ms);
		if (!src->websocket)
			*next_ms = ms;
		for (int i = 0; i < n; i++)
			SourceFrame(src, &items[i], i, AddFrame(&frames, nframes, &cap));
	}
	return frames;
}

/* What SourceIngestWork needs. */
typedef struct SourceIngestArgs
{
	Source	   *src;
	char	  **since;
	int		   *next_ms;
} SourceIngestArgs;

static void SourceIngestWork(void *arg);

/*
 * Ingests src's queued messages in a subtransaction; a failure (the stream
 * paused or dropped meanwhile, an error in its pipeline) is one of src's
 * failures, and its messages are dropped.  *taken: the messages done with.
 */
void
SourceIngest(Source *src, int *taken, char **since, int *next_ms)
{
	SourceIngestArgs args = {src, since, next_ms};
	ErrorData  *edata;

	*taken = src->nqueued;
	if (src->nqueued == 0)
		return;
	edata = WorkerSubTransaction(SourceIngestWork, &args);
	if (edata == NULL)
		return;
	SourceFailed(src, "%d message(s) could not be stored: %s", src->nqueued, edata->message);
	FreeErrorData(edata);
	*since = NULL;
	*next_ms = -1;
}

/* WorkerSubTransaction's work: the source's queued messages into its stream. */
static void
SourceIngestWork(void *arg)
{
	SourceIngestArgs *args = arg;
	Source	   *src = args->src;
	const char *source = src->websocket ? "websocket_client" : "poller";
	int			n;
	Frame	  **frames = QueuedFrames(src, &n, args->since, args->next_ms);

	StreamHead	head;
	IngestResult result;

	if (n == 0)
		return;
	LockStreamHead(src->stream_id, &head);
	IngestFrames(&head, frames, n, ON_ERROR_RECORD, source, &result);
}

/* Writes src's failures to stream_errors (source 'poller' or 'websocket_client'). */
void
SourceRecordErrors(Source *src)
{
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[4];
	SPIPlanPtr	plan;

	if (src->nerrors == 0)
		return;
	plan = KeptPlan(&error_plan,
					"INSERT INTO streamflow.stream_errors (stream_id, source, raw_payload, violations)"
					" VALUES ($1, $2, jsonb_build_object('source_url', $3::text),"
					"  jsonb_build_array(jsonb_build_object('path', '$', 'keyword', 'source',"
					"   'message', $4::text)))",
					4, argtypes);
	args[0] = CStringGetTextDatum(src->stream_id);
	args[1] = CStringGetTextDatum(src->websocket ? "websocket_client" : "poller");
	args[2] = CStringGetTextDatum(src->url);
	for (int i = 0; i < src->nerrors; i++)
	{
		args[3] = CStringGetTextDatum(src->errors[i]);
		if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record a failure of the source of stream \"%s\"", src->stream_id);
	}
}
