/*
 * window_agg.h: the accumulators of a window's aggregates.  One WindowAcc per
 * aggregate; panes are accumulated frame by frame and merged into windows
 * without loss (count, sum, min and max combine exactly), so the live engine,
 * window_stats and health() compute the same numbers the same way.
 */
#ifndef STREAMFLOW_WINDOW_AGG_H
#define STREAMFLOW_WINDOW_AGG_H

#include "window_config.h"

/* One accumulator per aggregate; merges (panes → window) without loss. */
typedef struct WindowAcc
{
	int64		n;				/* values taken (frames, for count/rate without path) */
	double		sum;
	double		min;			/* meaningful when n > 0 */
	double		max;
} WindowAcc;

/* Empties accs[0 .. config->naggs - 1]. */
extern void WindowAccInit(const WindowConfig *config, WindowAcc *accs);

/* Adds one frame; returns how many aggregates skipped it (path missing or not a number). */
extern int	WindowAccAdd(const WindowConfig *config, WindowAcc *accs, Jsonb *payload);

/* into += from, aggregate by aggregate. */
extern void WindowAccCombine(const WindowConfig *config, WindowAcc *into, const WindowAcc *from);

/*
 * {"<output>": value, ...} for a window of config->size_ms: count → n; sum;
 * avg (null when n = 0); min/max (null when n = 0); rate → per second over
 * size_ms (n / s without path, sum / s with path).
 */
extern Jsonb *WindowAccValues(const WindowConfig *config, const WindowAcc *accs);

/* The value of one aggregate as a double; false when it is null. */
extern bool WindowAccValue(const WindowConfig *config, const WindowAggregate *agg,
						   const WindowAcc *acc, double *out);

#endif
