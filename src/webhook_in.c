/*
 * webhook_in.c: inbound webhooks, POST /webhooks/stream/{id}.
 *
 * The body is seed 000's webhook payload
 *   {"webhook_id"?, "event_type", "timestamp"?, "stream_id"?, "data",
 *    "message_id"?, "signature"?, "metadata"?}
 * signed with the stream's webhook secret (streamflow.stream_secrets, set by
 * create_stream/update_stream's webhook_secret or set_stream_secret, rotated
 * by setting it again): the header X-Streamflow-Signature carries
 * "sha256=" and the hex HMAC-SHA256 of the raw body.  A webhook is
 * authenticated by its signature, not by a token.
 *
 * Answers: 200 {"received": true, "message_id", "sequence"}; 400 invalid
 * payload with violations (recorded in stream_errors with source 'webhook');
 * 401 missing or bad signature, or a stream without a secret; 404 unknown
 * stream; 409 paused stream; 413 body over streamflow.max_message_bytes
 * (refused while reading it); 415 not JSON.  data becomes the frame's
 * payload and goes through the same pipeline as ingest(); the envelope's
 * message_id (else webhook_id), event_type, webhook_id and timestamp go into
 * the frame's metadata, so every push of the frame carries the message_id.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "frame.h"
#include "jsonb_util.h"
#include "spi_util.h"
#include "stream_head.h"
#include "violations.h"
#include "webhook_in.h"
#include "worker_args.h"
#include "worker_errors.h"
#include "worker_rest.h"

#define SIGNATURE_PREFIX "sha256="

static SPIPlanPtr secret_plan;

static char *WebhookSecret(const char *stream_id);
static const char *CheckSignature(const Request *req, const char *secret);
static void WebhookFrame(Jsonb *body, const char *stream_id, const char *stream_name,
						 Frame *frame, char **message_id);
static char *EnvelopeString(Jsonb *body, const char *key, Frame *frame, bool required);

/* The stream's webhook secret, or NULL when it has none. */
static char *
WebhookSecret(const char *stream_id)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(stream_id)};

	if (SPI_execute_plan(KeptPlan(&secret_plan,
								  "SELECT webhook_secret FROM streamflow.stream_secrets WHERE stream_id = $1",
								  1, argtypes),
						 args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the webhook secret of stream \"%s\"", stream_id);
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * The HMAC-SHA256 of body with secret, the signature of every webhook this
 * side checks (inbound) or sends (outbound.c).
 */
void
WebhookHmac(const char *secret, const char *body, size_t len,
			uint8 digest[PG_SHA256_DIGEST_LENGTH])
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);

	if (ctx == NULL ||
		pg_hmac_init(ctx, (const uint8 *) secret, strlen(secret)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) body, len) < 0 ||
		pg_hmac_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute a webhook signature: %s", pg_hmac_error(ctx));
	pg_hmac_free(ctx);
}

/*
 * NULL when the request's X-Streamflow-Signature is sha256=<hex HMAC-SHA256
 * of the body with secret>, else why not.  Compared in constant time.
 */
static const char *
CheckSignature(const Request *req, const char *secret)
{
	uint8		expected[PG_SHA256_DIGEST_LENGTH];
	uint8		given[PG_SHA256_DIGEST_LENGTH];
	const char *hex = req->signature;

	if (hex == NULL)
		return "The request has no X-Streamflow-Signature header.";
	if (pg_strncasecmp(hex, SIGNATURE_PREFIX, strlen(SIGNATURE_PREFIX)) != 0 ||
		strlen(hex) != strlen(SIGNATURE_PREFIX) + 2 * PG_SHA256_DIGEST_LENGTH)
		return "X-Streamflow-Signature must be sha256= and 64 hex digits.";
	hex += strlen(SIGNATURE_PREFIX);
	if (strspn(hex, "0123456789abcdefABCDEF") != 2 * PG_SHA256_DIGEST_LENGTH)
		return "X-Streamflow-Signature must be sha256= and 64 hex digits.";
	(void) hex_decode(hex, 2 * PG_SHA256_DIGEST_LENGTH, (char *) given);

	WebhookHmac(secret, req->content.data ? req->content.data : "", req->content.len, expected);
	if (timingsafe_bcmp(expected, given, sizeof(expected)) != 0)
		return "The signature does not match the body signed with the stream's webhook secret.";
	return NULL;
}

/*
 * The string member key of the envelope (NULL when absent); a non-string, or
 * a missing required member, is a violation of frame.
 */
static char *
EnvelopeString(Jsonb *body, const char *key, Frame *frame, bool required)
{
	JsonbValue *v = JsonbObjectGet(&body->root, key);

	if (v == NULL || v->type == jbvNull)
	{
		if (required)
			AddViolation(&frame->violations, psprintf("$.%s", key), "required",
						 "a webhook payload needs \"%s\"", key);
		return NULL;
	}
	if (v->type != jbvString)
	{
		AddViolation(&frame->violations, psprintf("$.%s", key), "type",
					 "\"%s\" must be a string, not %s", key, JsonbValueTypeName(v));
		return NULL;
	}
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * Reads the webhook envelope into a frame whose payload is data, recording
 * what does not fit as violations; *message_id is the id the sender gave,
 * or NULL.
 */
static void
WebhookFrame(Jsonb *body, const char *stream_id, const char *stream_name,
			 Frame *frame, char **message_id)
{
	static const char *const known[] = {"webhook_id", "event_type", "timestamp", "stream_id",
	"data", "message_id", "signature", "metadata", NULL};
	JsonbValue *data;
	JsonbValue *metadata;
	char	   *event_type,
			   *webhook_id,
			   *timestamp,
			   *target;
	StringInfoData meta;

	memset(frame, 0, sizeof(Frame));
	frame->payload_key = "data";
	frame->index = -1;
	frame->raw = body;
	*message_id = NULL;
	if (!JB_ROOT_IS_OBJECT(body) || JB_ROOT_IS_SCALAR(body))
	{
		AddViolation(&frame->violations, "$", "type", "a webhook payload must be a JSON object");
		frame->payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
		return;
	}

	/* unknown members are refused: a typo must not pass silently */
	{
		JsonbIterator *it = JsonbIteratorInit(&body->root);
		JsonbValue	k;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
		{
			char	   *key;
			int			i;

			if (tok != WJB_KEY)
				continue;
			key = pnstrdup(k.val.string.val, k.val.string.len);
			for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
				;
			if (known[i] == NULL)
				AddViolation(&frame->violations, psprintf("$.%s", key), "additionalProperties",
							 "unknown webhook member \"%s\"; a webhook payload has webhook_id, event_type, timestamp, stream_id, data, message_id, signature and metadata",
							 key);
		}
	}

	event_type = EnvelopeString(body, "event_type", frame, true);
	webhook_id = EnvelopeString(body, "webhook_id", frame, false);
	timestamp = EnvelopeString(body, "timestamp", frame, false);
	*message_id = EnvelopeString(body, "message_id", frame, false);
	target = EnvelopeString(body, "stream_id", frame, false);
	if (target != NULL && strcmp(target, stream_id) != 0 && strcmp(target, stream_name) != 0)
		AddViolation(&frame->violations, "$.stream_id", "const",
					 "the payload is for stream \"%s\", but was posted to stream \"%s\"",
					 target, stream_id);
	(void) EnvelopeString(body, "signature", frame, false);
	if (*message_id == NULL)
		*message_id = webhook_id;

	data = JsonbObjectGet(&body->root, "data");
	if (data == NULL)
		AddViolation(&frame->violations, "$.data", "required", "a webhook payload needs \"data\"");
	else if (data->type != jbvBinary || !JsonContainerIsObject(data->val.binary.data))
		AddViolation(&frame->violations, "$.data", "type",
					 "\"data\" must be a JSON object, not %s", JsonbValueTypeName(data));
	frame->payload = frame->violations == NIL
		? JsonbValueToJsonb(data)
		: DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));

	metadata = JsonbObjectGet(&body->root, "metadata");
	if (metadata != NULL && metadata->type != jbvNull &&
		(metadata->type != jbvBinary || !JsonContainerIsObject(metadata->val.binary.data)))
		AddViolation(&frame->violations, "$.metadata", "type",
					 "\"metadata\" must be a JSON object, not %s", JsonbValueTypeName(metadata));
	if (frame->violations != NIL)
		return;

	/* the envelope's own members, then the sender's metadata */
	initStringInfo(&meta);
	appendStringInfoString(&meta, "{\"source\":\"webhook\",\"event_type\":");
	escape_json(&meta, event_type);
#define META_MEMBER(name, value) \
	if ((value) != NULL) \
	{ \
		appendStringInfoString(&meta, ",\"" name "\":"); \
		escape_json(&meta, value); \
	}
	META_MEMBER("message_id", *message_id);
	META_MEMBER("webhook_id", webhook_id);
	META_MEMBER("timestamp", timestamp);
#undef META_MEMBER
	appendStringInfoChar(&meta, '}');
	frame->metadata = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(meta.data)));
	if (metadata != NULL && metadata->type == jbvBinary)
		frame->metadata = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
															 JsonbPGetDatum(JsonbValueToJsonb(metadata)),
															 JsonbPGetDatum(frame->metadata)));
}

/* POST /webhooks/stream/{id} (see the file comment). */
void
WebhookReceive(Request *req, Response *resp)
{
	char	   *stream = RequestParam(req, "id");
	char	   *id = ResolveStreamId(stream);
	char	   *secret;
	const char *bad_signature;
	char	   *message_id;
	Frame		frame;
	StreamHead	head;

	strlcpy(req->stream_id, id, sizeof(req->stream_id));
	secret = WebhookSecret(id);
	if (secret == NULL)
	{
		ResponseError(resp, 401, "invalid signature",
					  psprintf("Stream \"%s\" has no webhook secret, so no webhook can be verified; set one with streamflow.set_stream_secret() or update_stream's webhook_secret.",
							   id));
		return;
	}
	bad_signature = CheckSignature(req, secret);
	if (bad_signature != NULL)
	{
		ResponseError(resp, 401, "invalid signature", bad_signature);
		return;
	}
	if (!RequestRequireJson(req, resp))
		return;

	WebhookFrame(RequestJsonBody(req), id, stream, &frame, &message_id);
	RestLockStream(req, id, &head);
	if (!RestIngestFrame(&head, &frame, "webhook", "invalid payload", resp))
	{
		/* counted as rejected by ingest, not as a transport error */
		req->stream_id[0] = '\0';
		return;
	}
	resetStringInfo(&resp->body);
	appendStringInfoString(&resp->body, "{\"received\":true,\"message_id\":");
	if (message_id != NULL)
		escape_json(&resp->body, message_id);
	else
		appendStringInfo(&resp->body, "\"%s:" INT64_FORMAT "\"", id, frame.sequence);
	appendStringInfo(&resp->body, ",\"sequence\":" INT64_FORMAT "}", frame.sequence);
	resp->status = 200;
}
