/*
 * worker_routes.h: the worker's HTTP routes.
 */
#ifndef STREAMFLOW_WORKER_ROUTES_H
#define STREAMFLOW_WORKER_ROUTES_H

#include "worker_requests.h"

extern const Route WorkerRoutes[];

#endif
