/*
 * frame.c: seed 002's rules for frames.
 *
 * A frame's payload must be a JSON object; its sequence, when given, is
 * positive (otherwise latest + 1 is assigned); negative latency becomes 0;
 * status is ok, late or error, ok by default and late when the stream has an
 * SLA that the latency exceeds.  Problems are collected as Violations.
 */
#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "options.h"

#include "frame.h"
#include "jsonb_util.h"
#include "violations.h"

static const char *const frame_statuses[] = {"ok", "late", "error", NULL};

/* The JSON path of a frame: "$" alone, "$[i]" in a batch (built only on error). */
static char *
FramePath(const Frame *frame)
{
	return frame->index < 0 ? pstrdup("$") : psprintf("$[%d]", frame->index);
}

/* The JSON path of one key of a frame ("$.payload", "$[3].payload"). */
char *
SubPath(const Frame *frame, const char *key)
{
	return psprintf("%s.%s", FramePath(frame), key);
}

/* The JSON path of the payload as the client sent it ("$.payload", "$.data"). */
char *
PayloadPath(const Frame *frame)
{
	return SubPath(frame, frame->payload_key ? frame->payload_key : "payload");
}

/*
 * Reads one element of an ingest_batch array ({sequence, payload,
 * latency_ms, status, metadata}) into frame, recording what does not fit.
 */
void
FrameFromJson(JsonbValue *elem, Frame *frame, int index)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	memset(frame, 0, sizeof(Frame));
	frame->index = index;
	frame->raw = JsonbValueToJsonb(elem);
	if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
	{
		AddViolation(&frame->violations, FramePath(frame), "type",
					 "a frame must be a JSON object with a payload, not %s",
					 JsonbValueTypeName(elem));
		return;
	}
	it = JsonbIteratorInit(elem->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		JsonbIteratorNext(&it, &v, true);
		if (v.type == jbvNull)
			continue;
		if (strcmp(key, "payload") == 0)
			frame->payload = JsonbValueToJsonb(&v);
		else if (strcmp(key, "sequence") == 0)
		{
			if (!JsonbValueGetInt64(&v, &frame->sequence))
				AddViolation(&frame->violations, SubPath(frame, key), "type",
							 "sequence must be an integer, not %s", JsonbValueToCString(&v));
			else
				frame->has_sequence = true;
		}
		else if (strcmp(key, "latency_ms") == 0)
		{
			int64		n;

			if (!JsonbValueGetInt64(&v, &n) || n > PG_INT32_MAX || n < PG_INT32_MIN)
				AddViolation(&frame->violations, SubPath(frame, key), "type",
							 "latency_ms must be an integer, not %s", JsonbValueToCString(&v));
			else
				frame->latency_ms = (int32) n;
		}
		else if (strcmp(key, "status") == 0)
		{
			if (v.type != jbvString)
				AddViolation(&frame->violations, SubPath(frame, key), "type",
							 "status must be a string, not %s", JsonbValueTypeName(&v));
			else
				frame->status = pnstrdup(v.val.string.val, v.val.string.len);
		}
		else if (strcmp(key, "metadata") == 0)
			frame->metadata = JsonbValueToJsonb(&v);
		else
			AddViolation(&frame->violations, SubPath(frame, key), "additionalProperties",
						 "unknown frame key \"%s\"; a frame has sequence, payload, latency_ms, status and metadata",
						 key);
	}
}

/*
 * Applies the rules that need no stream: payload an object, sequence
 * positive, status known, metadata an object; clamps negative latency.
 */
void
CheckFrame(Frame *frame)
{
	const char *payload = frame->payload_key ? frame->payload_key : "payload";

	if (frame->payload == NULL)
		AddViolation(&frame->violations, PayloadPath(frame), "required",
					 "%s is required", payload);
	else if (!JB_ROOT_IS_OBJECT(frame->payload))
		AddViolation(&frame->violations, PayloadPath(frame), "type",
					 "%s must be a JSON object, not %s", payload,
					 JB_ROOT_IS_SCALAR(frame->payload) ? "a scalar" : "an array");
	if (frame->has_sequence && frame->sequence <= 0)
		AddViolation(&frame->violations, SubPath(frame, "sequence"), "minimum",
					 "sequence must be positive, not " INT64_FORMAT, frame->sequence);
	if (frame->status && !ValueInList(frame->status, frame_statuses))
		AddViolation(&frame->violations, SubPath(frame, "status"), "enum",
					 "status must be ok, late or error, not \"%s\"", frame->status);
	if (frame->metadata && !JB_ROOT_IS_OBJECT(frame->metadata))
		AddViolation(&frame->violations, SubPath(frame, "metadata"), "type",
					 "metadata must be a JSON object");
	if (frame->latency_ms < 0)
		frame->latency_ms = 0;
}

/*
 * Gives a valid frame its sequence (latest + 1 when omitted) and its final
 * status (late when over the stream's SLA), advancing the head.
 */
void
AssignFrame(Frame *frame, StreamHead *head)
{
	if (!frame->has_sequence)
	{
		if (head->last_sequence == PG_INT64_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("stream \"%s\" has no sequence left to assign", head->id),
					 errdetail("Its latest sequence is " INT64_FORMAT ".", head->last_sequence),
					 errhint("Give frames explicit sequences, or start a new stream.")));
		frame->sequence = head->last_sequence + 1;
	}
	head->last_sequence = Max(head->last_sequence, frame->sequence);
	if (frame->status == NULL)
		frame->status = "ok";
	if (strcmp(frame->status, "ok") == 0 && head->sla_ms > 0 && frame->latency_ms > head->sla_ms)
		frame->status = "late";
}

/* The frame as {sequence, payload, latency_ms, status, metadata}, for records. */
Jsonb *
FrameToJsonb(const Frame *frame)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	if (frame->has_sequence)
	{
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(frame->sequence);
		JsonbPushValuePair(&state, "sequence", &v);
	}
	JsonbPushJsonbPair(&state, "payload", frame->payload);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(frame->latency_ms);
	JsonbPushValuePair(&state, "latency_ms", &v);
	if (frame->status)
		JsonbPushStringPair(&state, "status", frame->status);
	if (frame->metadata)
		JsonbPushJsonbPair(&state, "metadata", frame->metadata);
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}
