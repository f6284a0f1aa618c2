/*
 * outbound_queue.h: queueing stored frames for delivery to a destination.
 */
#ifndef STREAMFLOW_OUTBOUND_QUEUE_H
#define STREAMFLOW_OUTBOUND_QUEUE_H

#include "frame.h"

extern void QueueDeliveries(const char *stream_id, const char *destination,
							Frame **frames, int n);

#endif
