/*
 * window_engine.h: the worker's incremental windowed aggregation (the windows
 * of streamflow.windows, fed by the commit ring, closed on the wall clock).
 */
#ifndef STREAMFLOW_WINDOW_ENGINE_H
#define STREAMFLOW_WINDOW_ENGINE_H

#include "postgres.h"

#include "commit_ring.h"

/* Worker only, main loop. */
extern void WindowsStart(void);
extern void WindowsRingFrame(const RingEntry *entry);
extern void WindowsRingLapped(void);
extern void WindowsProcess(void);
extern long WindowsTimeout(long timeout);

#endif
