/*
 * bus.h: announcing committed frames (NOTIFY on datastreams/<stream_id>).
 */
#ifndef STREAMFLOW_BUS_H
#define STREAMFLOW_BUS_H

#include "frame.h"

extern void BusInit(void);
extern void BusQueueFrame(const char *stream_id, const Frame *frame);

#endif
