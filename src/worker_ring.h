/*
 * worker_ring.h: the worker's side of the commit ring.
 */
#ifndef STREAMFLOW_WORKER_RING_H
#define STREAMFLOW_WORKER_RING_H

#include "postgres.h"

extern void WorkerRingStart(void);
extern void WorkerDrainRing(void);
extern uint64 WorkerRingCursor(void);
extern int64 WorkerRingCatchUps(void);

#endif
