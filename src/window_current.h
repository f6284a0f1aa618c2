/*
 * window_current.h: window_current(name), the open windows' partial values,
 * asked of the worker through a request slot in shared memory.
 */
#ifndef STREAMFLOW_WINDOW_CURRENT_H
#define STREAMFLOW_WINDOW_CURRENT_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* What the worker's renderer made of a request. */
typedef enum WindowCurrentOutcome
{
	WINDOW_CURRENT_ANSWER,		/* out holds the JSON array of rows */
	WINDOW_CURRENT_NOT_FOUND,	/* the worker has no such window */
	WINDOW_CURRENT_LATER		/* unknown yet: answer after the next reload */
} WindowCurrentOutcome;

/*
 * Appends the open windows of name to out as a JSON array of
 * {"group_key", "window_start", "window_end" (TimestampTz integers),
 * "aggregates", "frame_count"}.
 */
typedef WindowCurrentOutcome (*WindowCurrentRender) (const char *name, StringInfo out);

extern void WindowCurrentInit(void);

/* Worker only. */
extern void WindowCurrentAttachWorker(void);
extern bool WindowCurrentPending(void);
extern void WindowCurrentServe(WindowCurrentRender render);

#endif
