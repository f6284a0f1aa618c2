/*
 * window_state.h: the worker's in-memory windows, shared by the files of the
 * window engine (internal to them; the worker's interface is window_engine.h):
 *   window_engine.c  loading, the per-frame path, the loop's turn
 *   window_panes.c   panes and groups: adding frames, combining panes
 *   window_close.c   the closing transaction and the results' publishing
 *   window_replay.c  rebuilding / resyncing a window from streamflow.frames
 */
#ifndef STREAMFLOW_WINDOW_STATE_H
#define STREAMFLOW_WINDOW_STATE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "window_agg.h"
#include "window_config.h"

/* Pause after a failed transaction (or a window's failed close). */
#define WINDOWS_ERROR_PAUSE_MS 1000

/* One pane of one group: the frames of [start, start + slide). */
typedef struct Pane
{
	TimestampTz start;
	int64		frames;
	int64		skipped;		/* aggregate values skipped */
	int64		min_seq;		/* lowest sequence added (PG_INT64_MAX: none) */
	WindowAcc	accs[FLEXIBLE_ARRAY_MEMBER];
} Pane;

/* A group's panes, sorted by start. */
typedef struct WindowGroup
{
	char	   *key_text;		/* the hash key: the group key's JSON text */
	Jsonb	   *key;
	int			npanes;
	int			maxpanes;
	Pane	  **panes;
} WindowGroup;

/* One window of streamflow.windows, as the worker holds it. */
typedef struct Window
{
	struct Window *next;		/* every window */
	struct Window *next_of_stream;	/* the windows of the same stream */
	char	   *name;
	char	   *stream_id;
	char	   *derived_id;
	TimestampTz created_at;		/* with name, tells a re-created window apart */
	WindowConfig config;
	MemoryContext cxt;			/* everything of this window */
	HTAB	   *groups;			/* key_text -> WindowGroup */
	int			ngroups;
	TimestampTz closed_through; /* end of the last closed window */
	TimestampTz stored_through; /* closed_through as the table has it */
	int64		last_seq;		/* highest sequence of the stream applied */
	int64		replay_after;	/* windows.replay_after_sequence as loaded */
	bool		resync;			/* read frames > last_seq from the table first */
	bool		replaying;		/* the first resync: late frames are not counted */
	bool		seen;			/* found by the latest reload */
	TimestampTz retry_at;		/* after a failed close, not before */
	int64		late_delta;		/* counters not yet in the table */
	int64		over_cap_delta;
	int64		future_delta;
	TimestampTz over_cap_reported_at;
	Jsonb	   *over_cap_payload;	/* for the next stream_errors row; NULL none */
} Window;

/* What one close computed, applied once its transaction commits. */
typedef struct CloseBatch
{
	Window	   *window;
	TimestampTz through;
	int64		frames;
	int64		skipped;
	int64		late;
	int64		over_cap;
	int64		future;
	bool		done;
} CloseBatch;

/* window_engine.c: per-frame scratch memory, reset after each frame. */
extern MemoryContext window_frame_cxt;

/* window_panes.c */
extern HTAB *WindowGroupsCreate(MemoryContext cxt);
extern void WindowApplyFrame(Window *w, int64 seq, Jsonb *payload, TimestampTz created_at,
							 bool count_late);
extern int	WindowCollectEnds(Window *w, TimestampTz after, TimestampTz upto, TimestampTz **ends);
extern int64 WindowCombine(Window *w, WindowGroup *g, TimestampTz end, WindowAcc *accs);
extern void WindowFreeClosedPanes(Window *w);
extern int64 WindowReplayAfter(Window *w, TimestampTz through);
extern void WindowRenderOpen(Window *w, StringInfo out);

/* window_close.c */
extern bool WindowCloseDue(Window *w, TimestampTz now, TimestampTz *through);
extern void WindowClose(Window *w, TimestampTz through, CloseBatch *batch);
extern void WindowApplyClose(CloseBatch *batch);

/* window_replay.c */
extern void WindowResync(Window *w);

#endif
