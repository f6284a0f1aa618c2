/*
 * webhook_in.h: inbound webhooks, POST /webhooks/stream/{id}.
 */
#ifndef STREAMFLOW_WEBHOOK_IN_H
#define STREAMFLOW_WEBHOOK_IN_H

#include "common/sha2.h"
#include "worker_requests.h"

extern void WebhookReceive(Request *req, Response *resp);
extern void WebhookHmac(const char *secret, const char *body, size_t len,
						uint8 digest[PG_SHA256_DIGEST_LENGTH]);

#endif
