/*
 * outbound.h: the worker's outbound webhook deliveries.
 */
#ifndef STREAMFLOW_OUTBOUND_H
#define STREAMFLOW_OUTBOUND_H

#include "postgres.h"

struct lws_context;

/* GUCs */
extern int	outbound_timeout_ms;
extern int	outbound_max_in_flight;
extern int	outbound_poll_interval_ms;
extern int	outbound_circuit_failures;
extern int	outbound_circuit_cooldown_ms;
extern bool outbound_keep_alive;

extern void OutboundInit(void);
extern void OutboundStart(struct lws_context *context);
extern void OutboundRingFrame(const char *stream_id);
extern void OutboundRingLapped(void);
extern void OutboundProcess(void);
extern long OutboundTimeout(long timeout);

#endif
