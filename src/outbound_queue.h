/*
 * outbound_queue.h: queueing stored frames for delivery to a stream's
 * destinations.
 */
#ifndef STREAMFLOW_OUTBOUND_QUEUE_H
#define STREAMFLOW_OUTBOUND_QUEUE_H

#include "frame.h"

/*
 * Where a stream's frames go (streamflow.delivery_targets): its
 * destination_url and its multiplexing destinations, service ids resolved to
 * their endpoint_url.  broadcast: every frame to each; otherwise round-robin,
 * the frame of sequence s to urls[(s - 1) % n] (one destination: all there).
 */
typedef struct DeliveryTargets
{
	int			n;
	char	  **urls;
	bool		broadcast;
} DeliveryTargets;

extern DeliveryTargets *ReadDeliveryTargets(Datum urls, bool broadcast);
extern void QueueDeliveries(const char *stream_id, const DeliveryTargets *targets,
							Frame **frames, int n);

#endif
