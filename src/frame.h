/*
 * frame.h: a frame on its way into a stream, and seed 002's rules for it.
 */
#ifndef STREAMFLOW_FRAME_H
#define STREAMFLOW_FRAME_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "stream_head.h"

typedef struct Frame
{
	int64		sequence;		/* as given, or assigned by AssignFrame */
	bool		has_sequence;	/* the client gave a sequence */
	Jsonb	   *payload;		/* must be a JSON object */
	int32		latency_ms;		/* clamped to >= 0 */
	const char *status;			/* ok | late | error; NULL until decided */
	Jsonb	   *metadata;		/* NULL when none */
	Jsonb	   *raw;			/* the frame as received, for stream_errors */
	List	   *violations;		/* what is wrong with it; NIL when valid */
	bool		stored;			/* set by StoreFrames; false for a duplicate */
	bool		duplicate;		/* known before storing to repeat a stored sequence */
	int			index;			/* position in a batch; -1 for a single frame */
	const char *payload_key;	/* the payload's key as the client sent it
								 * (WebSocket, webhooks: "data"); NULL: "payload" */
} Frame;

extern char *SubPath(const Frame *frame, const char *key);
extern char *PayloadPath(const Frame *frame);
extern void FrameFromJson(JsonbValue *elem, Frame *frame, int index);
extern void CheckFrame(Frame *frame);
extern void AssignFrame(Frame *frame, StreamHead *head);
extern Jsonb *FrameToJsonb(const Frame *frame);

#endif
