/*
 * worker_metrics.h: GET /metrics, the worker's Prometheus endpoint.
 */
#ifndef STREAMFLOW_WORKER_METRICS_H
#define STREAMFLOW_WORKER_METRICS_H

#include "worker_requests.h"

extern void MetricsHandler(Request *req, Response *resp);

#endif
