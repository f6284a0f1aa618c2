/*
 * webhook_in.h: inbound webhooks, POST /webhooks/stream/{id}.
 */
#ifndef STREAMFLOW_WEBHOOK_IN_H
#define STREAMFLOW_WEBHOOK_IN_H

#include "worker_requests.h"

extern void WebhookReceive(Request *req, Response *resp);

#endif
