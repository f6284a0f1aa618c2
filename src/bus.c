/*
 * bus.c: the data bus of seed 002, on LISTEN/NOTIFY.
 *
 * Every stored frame is queued here for its transaction.  Nothing leaves
 * before commit: a rolled-back subtransaction drops its frames, and just
 * before commit (XACT_EVENT_PRE_COMMIT, which runs before PostgreSQL sends
 * the transaction's notifications) each stream's frames are announced on
 * channel "datastreams/<stream_id>" with payload
 *   {"stream_id", "sequence", "status", "latency_ms", "payload"}.
 * A payload that would not fit NOTIFY's limit is announced as a reference
 * ("payload_omitted": true).  A transaction storing more than
 * streamflow.notify_max_frames frames in one stream announces them with one
 * coalesced reference {"stream_id", "coalesced": true, "count",
 * "first_sequence", "last_sequence"}; listeners then read frames_since().
 *
 * The same queue feeds the commit ring (commit_ring.c) when a worker reads
 * it, whether or not streamflow.notify is on: at pre-commit each frame's
 * message (seed 000's structure) is rendered, and at commit the messages are
 * copied into the ring.  A queued frame keeps its payload as JSON text,
 * rendered once when queued, which both the NOTIFY and the ring message use.
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "commands/async.h"
#include "lib/stringinfo.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bus.h"
#include "commit_ring.h"
#include "frame_message.h"

/* NOTIFY's payload limit (async.c: BLCKSZ - NAMEDATALEN - 128), exclusive. */
#define BUS_PAYLOAD_LIMIT (BLCKSZ - NAMEDATALEN - 128)

typedef struct PendingFrame
{
	const char *stream_id;		/* shared by the frames of one stream */
	int64		sequence;
	int32		latency_ms;
	const char *status;
	char	   *payload_text;	/* payload as JSON text, rendered once when
								 * queued, for NOTIFY and the ring */
	int			payload_len;
	Jsonb	   *metadata;		/* copied; NULL when none */
	TimestampTz created_at;		/* the transaction's start, as frames.created_at */
	int			nest_level;		/* subtransaction that stored it */
} PendingFrame;

static bool bus_notify = true;
static int	bus_notify_max_frames = 1000;

static PendingFrame *pending;	/* in TopTransactionContext */
static int	npending;
static int	maxpending;

static RingEntry *staged;		/* rendered at pre-commit, for the ring */
static int	nstaged;

static void BusXactCallback(XactEvent event, void *arg);
static void BusSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
							   SubTransactionId parentSubid, void *arg);

/* Defines the bus GUCs and hooks transaction ends. */
void
BusInit(void)
{
	DefineCustomBoolVariable("streamflow.notify",
							 gettext_noop("Announces committed frames with NOTIFY on channel datastreams/<stream_id>."),
							 NULL, &bus_notify, true, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.notify_max_frames",
							gettext_noop("Frames one transaction announces one by one per stream before coalescing them into one reference."),
							gettext_noop("-1 never coalesces."),
							&bus_notify_max_frames, 1000, -1, INT_MAX, PGC_USERSET, 0,
							NULL, NULL, NULL);
	RegisterXactCallback(BusXactCallback, NULL);
	RegisterSubXactCallback(BusSubXactCallback, NULL);
}

/* An empty StringInfo with room for about size bytes (one allocation, no regrowth). */
static void
InitStringInfoFor(StringInfo buf, int size)
{
	buf->maxlen = Max(size, 64);
	buf->data = palloc(buf->maxlen);
	buf->len = 0;
	buf->cursor = 0;
	buf->data[0] = '\0';
}

/* The announcement of one frame, or its reference when too large. */
static char *
BuildMessage(PendingFrame *frame)
{
	StringInfoData buf;
	int			head_len;

	InitStringInfoFor(&buf, frame->payload_len + strlen(frame->stream_id) + 128);
	appendStringInfoString(&buf, "{\"stream_id\": ");
	escape_json(&buf, frame->stream_id);
	appendStringInfo(&buf, ", \"sequence\": " INT64_FORMAT ", \"status\": \"%s\", \"latency_ms\": %d",
					 frame->sequence, frame->status, frame->latency_ms);
	head_len = buf.len;
	appendStringInfoString(&buf, ", \"payload\": ");
	appendBinaryStringInfo(&buf, frame->payload_text, frame->payload_len);
	appendStringInfoChar(&buf, '}');
	if (buf.len >= BUS_PAYLOAD_LIMIT)
	{
		buf.len = head_len;
		buf.data[head_len] = '\0';
		appendStringInfoString(&buf, ", \"payload_omitted\": true}");
	}
	return buf.data;
}

/* Queues a stored frame for announcement when its transaction commits. */
void
BusQueueFrame(const char *stream_id, const Frame *frame)
{
	MemoryContext old;
	PendingFrame *p;
	StringInfoData text;

	if (!bus_notify && !CommitRingActive())
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	if (npending == maxpending)
	{
		maxpending = maxpending ? maxpending * 2 : 64;
		pending = pending ? repalloc_huge(pending, sizeof(PendingFrame) * maxpending)
			: palloc(sizeof(PendingFrame) * maxpending);
	}
	p = &pending[npending++];
	p->stream_id = (npending > 1 && strcmp(pending[npending - 2].stream_id, stream_id) == 0)
		? pending[npending - 2].stream_id : pstrdup(stream_id);
	p->sequence = frame->sequence;
	p->latency_ms = frame->latency_ms;
	p->status = pstrdup(frame->status);
	/* the payload's text is all the bus needs: render it now instead of copying the jsonb */
	InitStringInfoFor(&text, VARSIZE(frame->payload) + 64);
	JsonbToCString(&text, &frame->payload->root, VARSIZE(frame->payload));
	p->payload_text = text.data;
	p->payload_len = text.len;
	p->metadata = NULL;
	if (frame->metadata)
	{
		p->metadata = palloc(VARSIZE(frame->metadata));
		memcpy(p->metadata, frame->metadata, VARSIZE(frame->metadata));
	}
	p->created_at = GetCurrentTransactionStartTimestamp();
	p->nest_level = GetCurrentTransactionNestLevel();
	MemoryContextSwitchTo(old);
}

/* A coalesced reference to count frames of one stream. */
static char *
BuildReference(const char *stream_id, int count, int64 first, int64 last)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"stream_id\": ");
	escape_json(&buf, stream_id);
	appendStringInfo(&buf, ", \"coalesced\": true, \"count\": %d, \"first_sequence\": " INT64_FORMAT
					 ", \"last_sequence\": " INT64_FORMAT "}", count, first, last);
	return buf.data;
}

/*
 * Announces every queued frame: stream by stream in order of first appearance,
 * each stream's frames in the order they were stored, or one reference when a
 * stream has more than streamflow.notify_max_frames of them.
 */
static void
AnnounceAll(void)
{
	bool	   *done = palloc0(sizeof(bool) * npending);
	int			i,
				j;

	for (i = 0; i < npending; i++)
	{
		const char *sid = pending[i].stream_id;
		char	   *channel = psprintf("datastreams/%s", sid);
		int			count = 0;
		int64		first = PG_INT64_MAX;
		int64		last = 0;

		if (done[i])
			continue;
		for (j = i; j < npending; j++)
			if (strcmp(pending[j].stream_id, sid) == 0)
			{
				count++;
				first = Min(first, pending[j].sequence);
				last = Max(last, pending[j].sequence);
			}
		if (bus_notify_max_frames >= 0 && count > bus_notify_max_frames)
			Async_Notify(channel, BuildReference(sid, count, first, last));
		for (j = i; j < npending; j++)
			if (strcmp(pending[j].stream_id, sid) == 0)
			{
				if (count <= bus_notify_max_frames || bus_notify_max_frames < 0)
					Async_Notify(channel, BuildMessage(&pending[j]));
				done[j] = true;
			}
	}
}

/*
 * Renders every queued frame's message for the commit ring, in the order
 * stored; a message larger than the ring takes is staged as a reference.
 */
static void
StageForRing(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	int			max_message = CommitRingMaxMessage();
	StringInfoData buf;
	int			i;

	staged = palloc(sizeof(RingEntry) * npending);
	for (i = 0; i < npending; i++)
	{
		PendingFrame *p = &pending[i];
		RingEntry  *e = &staged[i];

		/* rendered in place: the message is kept as it is, not copied again */
		InitStringInfoFor(&buf, p->payload_len + strlen(p->stream_id) + 256 +
						  (p->metadata ? VARSIZE(p->metadata) * 2 : 0));
		RenderFrameMessageText(&buf, p->stream_id, p->sequence, p->created_at,
							   p->payload_text, p->payload_len, p->metadata,
							   p->status, p->latency_ms);
		e->stream_id = p->stream_id;
		e->sequence = p->sequence;
		e->message = buf.len <= max_message ? buf.data : NULL;
		e->message_len = e->message ? buf.len : 0;
		if (e->message == NULL)
			pfree(buf.data);
	}
	nstaged = npending;
	MemoryContextSwitchTo(old);
}

/*
 * Announces and stages for the ring at pre-commit, copies into the ring at
 * commit; forgets the queue when the transaction ends.
 */
static void
BusXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if (npending > 0 && bus_notify)
				AnnounceAll();
			if (npending > 0 && CommitRingActive())
				StageForRing();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (npending > 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that ingested frames"),
						 errdetail("Frames are announced with NOTIFY and handed to the streamflow worker at commit, which a prepared transaction's COMMIT PREPARED does not do."),
						 errhint("Ingest outside the prepared transaction.")));
			break;
		case XACT_EVENT_COMMIT:
			if (nstaged > 0)
				CommitRingWrite(staged, nstaged);
			/* fall through */
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			pending = NULL;		/* freed with TopTransactionContext */
			npending = maxpending = 0;
			staged = NULL;
			nstaged = 0;
			break;
		default:
			break;
	}
}

/* Drops frames of an aborted subtransaction; hands a committed one's to its parent. */
static void
BusSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
				   SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_ABORT_SUB)
		while (npending > 0 && pending[npending - 1].nest_level >= level)
			npending--;
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		int			i;

		for (i = npending - 1; i >= 0 && pending[i].nest_level >= level; i--)
			pending[i].nest_level = level - 1;
	}
}
