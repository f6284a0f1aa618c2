/*
 * live_commands.c: what WebSocket and SSE connections ask for, answered in
 * the worker's main loop.
 *
 * Commands queued by lws callbacks are taken together, a bounded number per
 * loop iteration.  Messages are checked first, outside any transaction:
 * invalid UTF-8 or malformed JSON closes the WebSocket with 1007 and a JSON
 * reason; a JSON value that is not an object, or an unknown action, is
 * answered {"type":"error",...} and the connection stays open.  Then one
 * transaction serves them all: subscribes resolve the stream (by id or name)
 * and read its delivery settings; publishes of one stream run through
 * IngestFrames (source 'websocket', rejections in stream_errors) in one
 * subtransaction per stream, retried frame by frame when it fails, so a bad
 * frame never fails its batch-mates.  Answers are queued after commit.
 * When the transaction itself fails (an error outside a publish's
 * subtransaction, or at commit), what was answered before the failure stands
 * (subscribes and unsubscribes change only the hub, and the client is told
 * so); every publish (rolled back) and every command not reached runs again
 * in a transaction of its own, so only the command at fault is answered
 * with the error and each client is told what really happened.
 *
 * Auth (streamflow.auth = token): the token of the connection (Authorization
 * header or access_token query parameter) must have the read scope for the
 * stream to subscribe, write to publish (decisions remembered per
 * connection until tokens or stream names change: auth_cache.c).  A missing
 * or invalid token closes the WebSocket with 1008 (SSE: 401); a token
 * without the scope or stream is an error message on /ws, 1008 on
 * /streams/{id}/ws (SSE: 403).
 */
#include "postgres.h"

#include <libwebsockets.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "auth.h"
#include "auth_cache.h"
#include "frame.h"
#include "frame_store.h"
#include "hub.h"
#include "ingest.h"
#include "jsonb_util.h"
#include "spi_util.h"
#include "stream_head.h"
#include "violations.h"
#include "worker_xact.h"

/* Commands taken per loop iteration, so one busy client never starves others. */
#define LIVE_COMMANDS_PER_TURN 1000

typedef enum OpKind
{
	OP_SUBSCRIBE,
	OP_UNSUBSCRIBE,
	OP_PUBLISH
} OpKind;

/* One parsed command. */
typedef struct LiveOp
{
	LiveClient *client;
	OpKind		kind;
	bool		from_path;		/* the path's subscription (SSE, /streams/{id}/ws) */
	char	   *stream;			/* as the client named it */
	char	   *stream_id;		/* resolved */
	int64		after;			/* subscribe: replay after this sequence; -1 live */
	char	   *message_id;		/* publish: NULL when none */
	Frame		frame;			/* publish */
	Frame		parsed;			/* publish: the frame as parsed, to run again */
	StringInfoData reply;		/* answer, queued after commit */
	bool		done;			/* answered */
	bool		in_batch;		/* needed the database */
} LiveOp;

static SPIPlanPtr stream_plan;
static uint64 batch_auth_generation;	/* read before the batch's snapshot */

static bool ParseMessage(LiveCommand *cmd, LiveOp *op);
static void ParseAction(LiveOp *op, Jsonb *msg);
static void ReplyError(LiveOp *op, const char *error, Jsonb *violations);
static void RunSubscribe(LiveOp *op);
static void RunUnsubscribe(LiveOp *op);
static void RunPublishes(LiveOp *ops, int n);
static void PublishGroup(LiveOp **group, int n);
static void SendReplies(LiveOp *ops, int n);
static void CloseWithReason(LiveClient *client, int code, const char *error, const char *detail);
static bool Authorized(LiveOp *op, const char *stream, bool write);
static bool ServeInTransaction(LiveOp *ops, int n, MemoryContext loop_context, bool alone);
static void ServeAgainAlone(LiveOp *ops, int n, MemoryContext loop_context);
static void ResetPublish(LiveOp *op);

/* Takes the queued commands and answers them (main loop). */
void
LiveCommandsProcess(MemoryContext loop_context)
{
	LiveOp	   *ops = palloc0(sizeof(LiveOp) * LIVE_COMMANDS_PER_TURN);
	int			n = 0;
	int			i;
	bool		need_db = false;

	while (!dlist_is_empty(&live_commands) && n < LIVE_COMMANDS_PER_TURN)
	{
		LiveCommand *cmd = dlist_container(LiveCommand, node,
										   dlist_pop_head_node(&live_commands));
		LiveOp	   *op = &ops[n];

		cmd->client->pending_commands--;
		if (cmd->client->rx_paused && cmd->client->wsi != NULL &&
			cmd->client->pending_commands < LIVE_RX_PAUSE / 2)
		{
			/* caught up with a fast publisher: read its socket again */
			cmd->client->rx_paused = false;
			lws_rx_flow_control(cmd->client->wsi, 1);
		}
		op->client = cmd->client;
		initStringInfo(&op->reply);
		if (cmd->client->wsi != NULL)
		{
			if (cmd->kind == CMD_SUBSCRIBE)
			{
				op->kind = OP_SUBSCRIBE;
				op->from_path = true;
				op->stream = pstrdup(cmd->client->stream);
				op->after = cmd->after;
				n++;
			}
			else if (ParseMessage(cmd, op))
				n++;
		}
		free(cmd->text);
		free(cmd);
	}
	for (i = 0; i < n; i++)
	{
		ops[i].in_batch = !ops[i].done;
		need_db |= ops[i].in_batch;
	}
	if (need_db && !ServeInTransaction(ops, n, loop_context, false))
		ServeAgainAlone(ops, n, loop_context);
	SendReplies(ops, n);
}

/*
 * Serves the unanswered commands of ops in one transaction; false when it
 * failed (logged; what was answered before the failure keeps its answer).
 * alone: ops is a single command run again, answered with the error.
 */
static bool
ServeInTransaction(LiveOp *ops, int n, MemoryContext loop_context, bool alone)
{
	volatile bool ok = true;
	int			i;

	batch_auth_generation = AuthGeneration();
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "streamflow: live subscribe/publish");
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		for (i = 0; i < n; i++)
		{
			if (ops[i].done)
				continue;
			if (ops[i].kind == OP_SUBSCRIBE)
				RunSubscribe(&ops[i]);
			else if (ops[i].kind == OP_UNSUBSCRIBE)
				RunUnsubscribe(&ops[i]);
		}
		RunPublishes(ops, n);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(loop_context);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ok = false;
		ereport(alone ? WARNING : LOG,
				(errcode(edata->sqlerrcode),
				 errmsg("streamflow worker could not serve live requests: %s", edata->message),
				 alone ? 0 : errdetail("Each is run again on its own.")));
		if (alone)
		{
			ReplyError(&ops[0], edata->message, NULL);
			if (ops[0].client->kind == LIVE_SSE && !ops[0].client->accepted)
				ops[0].client->http_status = 500;
		}
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(loop_context);
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}

/*
 * The batch's transaction failed: runs again, each in a transaction of its
 * own, every publish (its answer was about a rolled-back frame) and every
 * command the failure left unanswered.
 */
static void
ServeAgainAlone(LiveOp *ops, int n, MemoryContext loop_context)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		LiveOp	   *op = &ops[i];

		if (!op->in_batch || (op->done && op->kind != OP_PUBLISH) || op->client->wsi == NULL)
			continue;
		if (op->kind == OP_PUBLISH)
			ResetPublish(op);
		(void) ServeInTransaction(op, 1, loop_context, true);
	}
}

/* Puts a publish back as it was parsed, unanswered, to be run again. */
static void
ResetPublish(LiveOp *op)
{
	op->frame = op->parsed;
	op->frame.violations = list_copy(op->parsed.violations);
	resetStringInfo(&op->reply);
	op->done = false;
}

/*
 * Parses a WebSocket message into op; false when the message was answered
 * by closing the connection.
 */
static bool
ParseMessage(LiveCommand *cmd, LiveOp *op)
{
	Jsonb	   *volatile msg = NULL;
	MemoryContext cxt = CurrentMemoryContext;

	if (pg_encoding_verifymbstr(PG_UTF8, cmd->text, cmd->len) != (int) cmd->len)
	{
		CloseWithReason(cmd->client, 1007, "invalid UTF-8", NULL);
		return false;
	}
	PG_TRY();
	{
		msg = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(cmd->text)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		CloseWithReason(cmd->client, 1007, "malformed JSON", edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	if (msg == NULL)
		return false;
	if (!JB_ROOT_IS_OBJECT(msg))
	{
		ReplyError(op, "a message must be a JSON object", NULL);
		op->done = true;
		return true;
	}
	ParseAction(op, msg);
	return true;
}

/* A string member of obj, or NULL (also when it is not a string). */
static char *
StringMember(Jsonb *obj, const char *key)
{
	JsonbValue *v = JsonbObjectGet(&obj->root, key);

	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* A member of obj as its own Jsonb, or NULL when absent or null. */
static Jsonb *
JsonbMember(Jsonb *obj, const char *key)
{
	JsonbValue *v = JsonbObjectGet(&obj->root, key);

	if (v == NULL || v->type == jbvNull)
		return NULL;
	return JsonbValueToJsonb(v);
}

/* The metadata of a published frame: the client's, plus its message_id. */
static Jsonb *
PublishMetadata(Jsonb *metadata, const char *message_id)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;

	if (message_id == NULL || (metadata != NULL && !JB_ROOT_IS_OBJECT(metadata)))
		return metadata;		/* a non-object is a violation CheckFrame names */
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	if (metadata != NULL)
	{
		JsonbIterator *it = JsonbIteratorInit(&metadata->root);
		JsonbValue	k,
					v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
		{
			if (tok != WJB_KEY)
				continue;
			JsonbIteratorNext(&it, &v, true);
			if (k.val.string.len == 10 && strncmp(k.val.string.val, "message_id", 10) == 0)
				continue;
			pushJsonbValue(&state, WJB_KEY, &k);
			pushJsonbValue(&state, WJB_VALUE, &v);
		}
	}
	JsonbPushStringPair(&state, "message_id", message_id);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/* Reads an action (or, on /streams/{id}/ws, a bare publish) from msg. */
static void
ParseAction(LiveOp *op, Jsonb *msg)
{
	LiveClient *client = op->client;
	char	   *action = StringMember(msg, "action");
	JsonbValue *mid = JsonbObjectGet(&msg->root, "message_id");
	JsonbValue *from = JsonbObjectGet(&msg->root, "from_sequence");
	JsonbValue *seq = JsonbObjectGet(&msg->root, "sequence");

	if (mid != NULL && mid->type == jbvString)
		op->message_id = pnstrdup(mid->val.string.val, mid->val.string.len);
	else if (mid != NULL && mid->type == jbvNumeric)
		op->message_id = JsonbValueToCString(mid);
	op->stream = StringMember(msg, "stream");
	if (op->stream == NULL && client->stream != NULL)
		op->stream = pstrdup(client->stream);
	if (action == NULL && client->stream != NULL)
		action = "publish";
	op->done = true;
	if (action == NULL)
	{
		ReplyError(op, "missing action: expected subscribe, unsubscribe or publish", NULL);
		return;
	}
	if (strcmp(action, "subscribe") == 0)
		op->kind = OP_SUBSCRIBE;
	else if (strcmp(action, "unsubscribe") == 0)
		op->kind = OP_UNSUBSCRIBE;
	else if (strcmp(action, "publish") == 0)
		op->kind = OP_PUBLISH;
	else
	{
		ReplyError(op, psprintf("unknown action \"%s\": expected subscribe, unsubscribe or publish",
								action), NULL);
		return;
	}
	if (op->stream == NULL)
	{
		ReplyError(op, psprintf("%s needs a \"stream\" (id or name)", action), NULL);
		return;
	}
	op->after = -1;
	if (op->kind == OP_SUBSCRIBE && from != NULL && from->type != jbvNull)
	{
		int64		first;

		if (!JsonbValueGetInt64(from, &first) || first < 0)
		{
			ReplyError(op, "from_sequence must be a non-negative integer", NULL);
			return;
		}
		op->after = Max(first - 1, 0);
	}
	if (op->kind == OP_PUBLISH)
	{
		Frame	   *f = &op->frame;

		f->index = -1;
		f->payload_key = "data";
		f->payload = JsonbMember(msg, "data");
		f->metadata = PublishMetadata(JsonbMember(msg, "metadata"), op->message_id);
		f->raw = msg;
		if (seq != NULL && seq->type != jbvNull)
		{
			if (JsonbValueGetInt64(seq, &f->sequence))
				f->has_sequence = true;
			else
				AddViolation(&f->violations, "$.sequence", "type",
							 "sequence must be an integer, not %s", JsonbValueToCString(seq));
		}
		op->parsed = *f;
		op->parsed.violations = list_copy(f->violations);
	}
	op->done = false;
}

/* Sets op's answer to {"type":"error","message_id","stream","error","violations"}. */
static void
ReplyError(LiveOp *op, const char *error, Jsonb *violations)
{
	StringInfo	buf = &op->reply;

	resetStringInfo(buf);
	appendStringInfoString(buf, "{\"type\":\"error\",\"message_id\":");
	if (op->message_id != NULL)
		escape_json(buf, op->message_id);
	else
		appendStringInfoString(buf, "null");
	if (op->stream != NULL)
	{
		appendStringInfoString(buf, ",\"stream\":");
		escape_json(buf, op->stream);
	}
	appendStringInfoString(buf, ",\"error\":");
	escape_json(buf, error);
	appendStringInfoString(buf, ",\"violations\":");
	if (violations != NULL)
		JsonbToCString(buf, &violations->root, VARSIZE(violations));
	else
		appendStringInfoString(buf, "[]");
	appendStringInfoChar(buf, '}');
	op->done = true;
}

/*
 * Looks a stream up by id or name and refreshes the hub's copy of its
 * delivery settings when its row changed; NULL when there is no such stream.
 */
static HubStream *
LookUpStream(const char *stream, int64 *last_sequence)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(stream)};
	SPIPlanPtr	plan = KeptPlan(&stream_plan,
								  "SELECT s.id, s.xmin::text || '/' || s.ctid::text,"
								  " coalesce((s.backpressure->>'max_queue_size')::int, s.buffer_size),"
								  " s.backpressure->>'strategy',"
								  " (s.batching->>'batch_size')::int,"
								  " (s.batching->>'batch_timeout_ms')::int,"
								  " coalesce(h.last_sequence, 0)"
								  " FROM streamflow.streams s"
								  " LEFT JOIN streamflow.stream_state h ON h.stream_id = s.id"
								  " WHERE s.id = $1 OR s.name = $1",
								  1, argtypes);
	HubStream  *hs;
	char	   *version;
	char	   *strategy;
	bool		isnull;
	Datum		d;

	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up stream \"%s\"", stream);
	if (SPI_processed == 0)
		return NULL;
	hs = HubStreamFor(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), true);
	*last_sequence = DatumGetInt64(SPIValue(0, 7, &isnull));
	version = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	if (strcmp(version, hs->config_version) == 0)
		return hs;
	strlcpy(hs->config_version, version, sizeof(hs->config_version));
	d = SPIValue(0, 3, &isnull);
	hs->max_queue = isnull ? 1000 : Max(DatumGetInt32(d), 1);
	strategy = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
	hs->strategy = strategy == NULL ? BP_DROP_OLDEST
		: strcmp(strategy, "drop_newest") == 0 ? BP_DROP_NEWEST
		: strcmp(strategy, "block") == 0 ? BP_BLOCK
		: strcmp(strategy, "sample") == 0 ? BP_SAMPLE : BP_DROP_OLDEST;
	d = SPIValue(0, 5, &isnull);
	hs->batch_size = isnull ? 1 : Max(DatumGetInt32(d), 1);
	d = SPIValue(0, 6, &isnull);
	hs->batch_timeout_ms = isnull ? 1000 : DatumGetInt32(d);
	return hs;
}

/*
 * Whether op's client may read (write false) or write stream; when not,
 * answers op as the header comment says.
 */
static bool
Authorized(LiveOp *op, const char *stream, bool write)
{
	LiveClient *client = op->client;
	AuthResult	r = AuthorizeCached(&client->auth_cache, batch_auth_generation,
									client->token, stream, write);
	StringInfo	buf = &op->reply;

	if (r == AUTH_OK)
		return true;
	op->done = true;
	if (client->kind == LIVE_SSE)
	{
		client->http_status = AuthHttpStatus(r);
		resetStringInfo(buf);
		appendStringInfoString(buf, "{\"error\":");
		escape_json(buf, AuthReason(r));
		appendStringInfoChar(buf, '}');
	}
	else if (r != AUTH_FORBIDDEN || op->from_path)
		CloseWithReason(client, 1008, AuthReason(r), NULL);
	else
		ReplyError(op, AuthReason(r), NULL);
	return false;
}

/* Subscribes op's client to its stream; answers subscribed or an error. */
static void
RunSubscribe(LiveOp *op)
{
	LiveClient *client = op->client;
	int64		last_sequence = 0;
	HubStream  *hs = LookUpStream(op->stream, &last_sequence);
	StringInfo	buf = &op->reply;

	if (hs == NULL)
	{
		op->done = true;
		if (client->kind == LIVE_SSE)
		{
			client->http_status = 404;
			appendStringInfoString(buf, "{\"error\":\"stream not found\",\"stream\":");
			escape_json(buf, op->stream);
			appendStringInfoChar(buf, '}');
		}
		else if (op->from_path)
			CloseWithReason(client, 1008, "stream not found", op->stream);
		else
			ReplyError(op, "stream not found", NULL);
		return;
	}
	op->stream_id = pstrdup(hs->id);
	if (!Authorized(op, hs->id, false))
		return;
	if (HubFindSubscription(client, hs->id) != NULL)
	{
		ReplyError(op, "already subscribed", NULL);
		return;
	}
	if (HubSubscribe(client, hs, op->after) == NULL)
	{
		ReplyError(op, "out of memory", NULL);
		return;
	}
	op->done = true;
	if (client->kind == LIVE_SSE)
	{
		client->accepted = true;
		return;
	}
	appendStringInfoString(buf, "{\"type\":\"subscribed\",\"stream\":");
	escape_json(buf, hs->id);
	appendStringInfo(buf, ",\"last_sequence\":" INT64_FORMAT ",\"replay_after\":", last_sequence);
	if (op->after >= 0)
		appendStringInfo(buf, INT64_FORMAT "}", op->after);
	else
		appendStringInfoString(buf, "null}");
}

/* Ends op's client's subscription to its stream. */
static void
RunUnsubscribe(LiveOp *op)
{
	int64		last_sequence;
	HubStream  *hs = LookUpStream(op->stream, &last_sequence);
	Subscription *sub = hs ? HubFindSubscription(op->client, hs->id) : NULL;

	op->done = true;
	if (sub == NULL)
	{
		ReplyError(op, "not subscribed", NULL);
		return;
	}
	HubUnsubscribe(sub);
	appendStringInfoString(&op->reply, "{\"type\":\"unsubscribed\",\"stream\":");
	escape_json(&op->reply, hs->id);
	appendStringInfoChar(&op->reply, '}');
}

/* Publishes every pending publish, grouped by stream in arrival order. */
static void
RunPublishes(LiveOp *ops, int n)
{
	LiveOp	  **group = palloc(sizeof(LiveOp *) * Max(n, 1));
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		int			ngroup = 0;

		if (ops[i].done || ops[i].kind != OP_PUBLISH)
			continue;
		for (j = i; j < n; j++)
			if (!ops[j].done && ops[j].kind == OP_PUBLISH &&
				strcmp(ops[j].stream, ops[i].stream) == 0 &&
				Authorized(&ops[j], ops[j].stream, true))
				group[ngroup++] = &ops[j];
		if (ngroup == 0)
			continue;
		PublishGroup(group, ngroup);
		if (ngroup > 1)
		{
			/* the group failed as a whole: each frame on its own */
			for (j = 0; j < ngroup; j++)
				if (!group[j]->done)
				{
					ResetPublish(group[j]);
					PublishGroup(&group[j], 1);
				}
		}
	}
}

/* What PublishWork needs, and the head it locked. */
typedef struct PublishArgs
{
	const char *stream;
	Frame	  **frames;
	int			n;
	StreamHead	head;
} PublishArgs;

static void PublishWork(void *arg);

/*
 * Ingests the frames of group (one stream) in a subtransaction and answers
 * each.  When the subtransaction fails, a single frame is answered with the
 * error; a larger group is left unanswered for the caller to retry singly.
 */
static void
PublishGroup(LiveOp **group, int n)
{
	PublishArgs args = {group[0]->stream, palloc(sizeof(Frame *) * n), n};
	ErrorData  *edata;

	for (int i = 0; i < n; i++)
		args.frames[i] = &group[i]->frame;
	edata = WorkerSubTransaction(PublishWork, &args);
	if (edata != NULL)
	{
		if (n == 1)
			ReplyError(group[0], edata->message, NULL);
		FreeErrorData(edata);
		return;
	}
	for (int i = 0; i < n; i++)
	{
		LiveOp	   *op = group[i];
		Frame	   *f = args.frames[i];

		if (f->violations != NIL)
		{
			ReplyError(op, "frame rejected", ViolationsToJsonb(f->violations));
			continue;
		}
		appendStringInfoString(&op->reply, "{\"type\":\"ack\",\"message_id\":");
		if (op->message_id != NULL)
			escape_json(&op->reply, op->message_id);
		else
			appendStringInfoString(&op->reply, "null");
		appendStringInfoString(&op->reply, ",\"stream\":");
		escape_json(&op->reply, args.head.id);
		appendStringInfo(&op->reply, ",\"sequence\":" INT64_FORMAT "%s}", f->sequence,
						 f->stored ? "" : ",\"duplicate\":true");
		op->done = true;
	}
}

/* WorkerSubTransaction's work: the group's frames into their stream. */
static void
PublishWork(void *arg)
{
	PublishArgs *args = arg;
	IngestResult result;

	LockStreamHead(args->stream, &args->head);
	IngestFrames(&args->head, args->frames, args->n, ON_ERROR_RECORD, "websocket", &result);
}

/* Queues every answer to its client (after commit). */
static void
SendReplies(LiveOp *ops, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		LiveOp	   *op = &ops[i];

		if (op->client->wsi == NULL)
			continue;
		if (op->reply.len > 0 && op->client->kind == LIVE_WS)
			LiveControlJson(op->client, op->reply.data);
		else if (op->client->kind == LIVE_SSE && op->client->http_status != 0 &&
				 op->client->http_body == NULL)
			op->client->http_body = strdup(op->reply.data);
		if (op->client->kind == LIVE_SSE)
			HubWake(op->client);
	}
}

/*
 * Closes a WebSocket with code and a JSON reason {"error","detail"}, cut to
 * the 123 bytes a close frame carries.
 */
static void
CloseWithReason(LiveClient *client, int code, const char *error, const char *detail)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"error\":");
	escape_json(&buf, error);
	if (detail != NULL)
	{
		char	   *cut = pstrdup(detail);

		cut[pg_encoding_mbcliplen(PG_UTF8, cut, strlen(cut), 64)] = '\0';
		appendStringInfoString(&buf, ",\"detail\":");
		escape_json(&buf, cut);
	}
	appendStringInfoChar(&buf, '}');
	if (buf.len >= (int) sizeof(client->close_reason))
	{
		resetStringInfo(&buf);
		appendStringInfoString(&buf, "{\"error\":");
		escape_json(&buf, error);
		appendStringInfoChar(&buf, '}');
	}
	LiveCloseClient(client, code, buf.data);
}
