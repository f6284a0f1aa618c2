/*
 * worker_rest.c: REST and polling over HTTP (DESIGN.md's worker contract).
 *
 *   GET  /streams                       every stream the token may read, as get_stream shows it
 *   GET  /streams/{id}                  one stream
 *   GET  /streams/{id}/frames?limit=    newest frames first (like frames())
 *   POST /streams/{id}/frames           seed 002's frame body -> 201 + the stored frame
 *   GET  /streams/{id}/latest           the newest frame, 404 when none
 *   GET  /streams/{id}/poll?since=&limit=
 *        {"messages": [...after since, oldest first], "next_poll_after_ms", "last_sequence"}
 *
 * {id} is a stream id or name.  Frames are sent as seed 000's message
 * (frame_message.c).  A posted frame runs the same pipeline as ingest()
 * (IngestFrames); a rejected one is recorded in streamflow.stream_errors and
 * answered 400 with its violations.  Handlers run in a transaction with SPI
 * connected; errors they raise are answered by SQLSTATE (worker_errors.c):
 * an unknown stream 404, a paused one 409, bad input 400.  An error answer
 * about a stream that exists counts as a transport error in its stats.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "auth.h"
#include "frame_message.h"
#include "frame_store.h"
#include "ingest.h"
#include "spi_util.h"
#include "stream_head.h"
#include "violations.h"
#include "worker_args.h"
#include "worker_errors.h"
#include "worker_rest.h"

static SPIPlanPtr list_plan;
static SPIPlanPtr get_plan;
static SPIPlanPtr frames_plan;
static SPIPlanPtr since_plan;
static SPIPlanPtr interval_plan;

static char *RestStream(Request *req, Response *resp, bool write);
static bool RestAuthorize(Request *req, Response *resp, const char *stream, bool write);
static void RenderFrames(StringInfo buf, SPIPlanPtr plan, Datum *args);

/*
 * Answers 401 or 403 unless the request's token may read (or write) stream
 * (NULL: any stream); true when it may.
 */
static bool
RestAuthorize(Request *req, Response *resp, const char *stream, bool write)
{
	AuthResult	r = AuthorizeStream(req->token, stream, write);
	StringInfoData path;

	if (r == AUTH_OK)
		return true;
	initStringInfo(&path);
	escape_json(&path, req->path);
	ResponseErrorWith(resp, AuthHttpStatus(r), AuthReason(r),
					  r == AUTH_FORBIDDEN
					  ? psprintf("The token does not grant %s on stream \"%s\".",
								 write ? "write" : "read", stream ? stream : "")
					  : "Send a token from streamflow.create_token() as Authorization: Bearer <token> or ?access_token=<token>.",
					  "path", path.data);
	return false;
}

/*
 * The id of the stream the route's {id} names, once the token is allowed;
 * NULL with resp answered 401/403.  An unknown stream raises 42704 (404).
 */
static char *
RestStream(Request *req, Response *resp, bool write)
{
	char	   *stream = RequestParam(req, "id");
	char	   *id;

	if (!RestAuthorize(req, resp, stream, write))
		return NULL;
	id = ResolveStreamId(stream);
	strlcpy(req->stream_id, id, sizeof(req->stream_id));
	return id;
}

/* Appends a JSON array of the frames plan returns (streamflow.frames rows). */
static void
RenderFrames(StringInfo buf, SPIPlanPtr plan, Datum *args)
{
	uint64		i;
	FrameColumns cols;

	if (SPI_execute_plan(plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read frames");
	FrameColumnsOf(SPI_tuptable->tupdesc, &cols);
	appendStringInfoChar(buf, '[');
	for (i = 0; i < SPI_processed; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		RenderFrameRow(buf, SPI_tuptable->vals[i], &cols);
	}
	appendStringInfoChar(buf, ']');
}

/* GET /streams: the streams the token may read, oldest first, as get_stream shows them. */
void
RestListStreams(Request *req, Response *resp)
{
	SPIPlanPtr	plan;
	uint64		i;
	int			n = 0;

	if (!RestAuthorize(req, resp, NULL, false))
		return;
	plan = KeptPlan(&list_plan,
					"SELECT s.id, streamflow.row_json(s)::text FROM streamflow.streams s"
					" ORDER BY s.created_at, s.id",
					0, NULL);
	if (SPI_execute_plan(plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list streams");

	{
		SPITupleTable *rows = SPI_tuptable;
		uint64		count = SPI_processed;

		appendStringInfoChar(&resp->body, '[');
		for (i = 0; i < count; i++)
		{
			char	   *id = SPI_getvalue(rows->vals[i], rows->tupdesc, 1);

			/* a token limited to some streams lists only those */
			if (auth_mode != AUTH_MODE_NONE && AuthorizeStream(req->token, id, false) != AUTH_OK)
				continue;
			if (n++ > 0)
				appendStringInfoChar(&resp->body, ',');
			appendStringInfoString(&resp->body, SPI_getvalue(rows->vals[i], rows->tupdesc, 2));
		}
		appendStringInfoChar(&resp->body, ']');
	}
	resp->status = 200;
}

/* GET /streams/{id}: the stream as get_stream() shows it (never its webhook secret). */
void
RestGetStream(Request *req, Response *resp)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	char	   *id = RestStream(req, resp, false);

	if (id == NULL)
		return;
	args[0] = CStringGetTextDatum(id);
	if (SPI_execute_plan(KeptPlan(&get_plan, "SELECT streamflow.get_stream($1)::text", 1, argtypes),
						 args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read stream \"%s\"", id);
	appendStringInfoString(&resp->body, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	resp->status = 200;
}

/* GET /streams/{id}/frames?limit=: newest first, like frames(). */
void
RestListFrames(Request *req, Response *resp)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		args[2];
	int64		limit = RequestArgInt64(req, "limit", REST_DEFAULT_LIMIT, 0, REST_MAX_LIMIT);
	char	   *id = RestStream(req, resp, false);

	if (id == NULL)
		return;
	args[0] = CStringGetTextDatum(id);
	args[1] = Int32GetDatum((int32) limit);
	RenderFrames(&resp->body,
				 KeptPlan(&frames_plan, "SELECT * FROM streamflow.frames($1, $2)", 2, argtypes),
				 args);
	resp->status = 200;
}

/* GET /streams/{id}/latest: the newest frame; 404 when the stream has none. */
void
RestLatestFrame(Request *req, Response *resp)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		args[2];
	char	   *id = RestStream(req, resp, false);

	if (id == NULL)
		return;
	args[0] = CStringGetTextDatum(id);
	args[1] = Int32GetDatum(1);
	if (SPI_execute_plan(KeptPlan(&frames_plan, "SELECT * FROM streamflow.frames($1, $2)", 2, argtypes),
						 args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read frames of stream \"%s\"", id);
	if (SPI_processed == 0)
	{
		ResponseError(resp, 404, "no frames",
					  psprintf("Stream \"%s\" has no frames yet.", id));
		return;
	}
	RenderFrameTuple(&resp->body, SPI_tuptable->vals[0], SPI_tuptable->tupdesc);
	resp->status = 200;
}

/*
 * GET /streams/{id}/poll?since=&limit=: the frames after since, oldest
 * first, with the stream's polling_interval_ms as next_poll_after_ms
 * (REST_DEFAULT_POLL_INTERVAL_MS when it has none) and the sequence to pass
 * as since next time.
 */
void
RestPoll(Request *req, Response *resp)
{
	Oid			argtypes[3] = {TEXTOID, INT8OID, INT4OID};
	Datum		args[3];
	int64		since = RequestArgInt64(req, "since", 0, 0, PG_INT64_MAX);
	int64		limit = RequestArgInt64(req, "limit", REST_DEFAULT_LIMIT, 0, REST_MAX_LIMIT);
	int64		last = since;
	int32		interval = REST_DEFAULT_POLL_INTERVAL_MS;
	bool		isnull;
	char	   *id = RestStream(req, resp, false);

	if (id == NULL)
		return;
	args[0] = CStringGetTextDatum(id);
	if (SPI_execute_plan(KeptPlan(&interval_plan,
								  "SELECT polling_interval_ms FROM streamflow.streams WHERE id = $1",
								  1, argtypes),
						 args, NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
	{
		Datum		d = SPIValue(0, 1, &isnull);

		if (!isnull)
			interval = DatumGetInt32(d);
	}
	args[1] = Int64GetDatum(since);
	args[2] = Int32GetDatum((int32) limit);
	appendStringInfoString(&resp->body, "{\"messages\":");
	RenderFrames(&resp->body,
				 KeptPlan(&since_plan, "SELECT * FROM streamflow.frames_since($1, $2, $3)", 3, argtypes),
				 args);
	if (SPI_processed > 0)
		last = DatumGetInt64(SPIValue(SPI_processed - 1, SPI_fnumber(SPI_tuptable->tupdesc, "sequence"), &isnull));
	appendStringInfo(&resp->body, ",\"next_poll_after_ms\":%d,\"last_sequence\":" INT64_FORMAT "}",
					 interval, last);
	resp->status = 200;
}

/*
 * Finds the stream to ingest into (an id or a name) and locks its head: the
 * one lookup of an ingest.  Raises 42704 (404) when it does not exist, 55000
 * (409) when it is paused.  req->stream_id is its id once found (also when
 * paused), so that error answers count in its stats.
 */
void
RestLockStream(Request *req, const char *stream, StreamHead *head)
{
	head->id = NULL;
	PG_TRY();
	{
		LockStreamHead(stream, head);
	}
	PG_CATCH();
	{
		if (head->id != NULL)
			strlcpy(req->stream_id, head->id, sizeof(req->stream_id));
		PG_RE_THROW();
	}
	PG_END_TRY();
	strlcpy(req->stream_id, head->id, sizeof(req->stream_id));
}

/*
 * Runs one frame through ingest (rules, bindings, data_schema, store) for
 * the stream of head (RestLockStream) and sets the answer: 201 and the
 * stored frame (rendered from memory, as the commit ring does), 200 and the
 * frame already stored under its sequence (idempotent, as in SQL), or 400
 * rejected_error and the violations, recorded in stream_errors with source.
 * True when the frame is stored (or was).
 */
bool
RestIngestFrame(StreamHead *head, Frame *frame, const char *source,
				const char *rejected_error, Response *resp)
{
	Frame	   *frames[1] = {frame};
	IngestResult result;

	IngestFrames(head, frames, 1, ON_ERROR_RECORD, source, &result);
	if (result.rejected > 0)
	{
		StringInfoData detail;

		initStringInfo(&detail);
		appendStringInfo(&detail, "The frame was rejected by stream \"%s\" and recorded in streamflow.stream_errors.",
						 head->id);
		ResponseErrorWith(resp, 400, rejected_error, detail.data, "violations",
						  JsonbToCString(NULL, &ViolationsToJsonb(frame->violations)->root, 0));
		return false;
	}
	if (frame->stored)
		RenderFrameMessage(&resp->body, head->id, frame->sequence,
						   GetCurrentTransactionStartTimestamp(), frame->payload,
						   frame->metadata, frame->status, frame->latency_ms);
	else
	{
		HeapTuple	tuple = FetchFrame(head->id, frame->sequence);

		RenderFrameTuple(&resp->body, tuple, SPI_tuptable->tupdesc);
	}
	resp->status = frame->stored ? 201 : 200;
	return true;
}

/*
 * POST /streams/{id}/frames: seed 002's {sequence?, payload, latency_ms?,
 * status?, metadata?}.  The stream is looked up once, with its head.
 */
void
RestPostFrame(Request *req, Response *resp)
{
	char	   *stream = RequestParam(req, "id");
	Jsonb	   *body;
	JsonbValue	v;
	Frame		frame;
	StreamHead	head;

	if (!RestAuthorize(req, resp, stream, true))
		return;
	RestLockStream(req, stream, &head);
	if (!RequestRequireJson(req, resp))
		return;
	body = RequestJsonBody(req);
	if (!JB_ROOT_IS_SCALAR(body) || !JsonbExtractScalar(&body->root, &v))
	{
		v.type = jbvBinary;
		v.val.binary.data = &body->root;
		v.val.binary.len = VARSIZE(body) - VARHDRSZ;
	}
	FrameFromJson(&v, &frame, -1);
	/* a rejected frame is counted as rejected by ingest, not as a transport error */
	if (!RestIngestFrame(&head, &frame, "http", "invalid frame", resp))
		req->stream_id[0] = '\0';
}
