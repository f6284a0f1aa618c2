/*
 * auth_cache.h: authorization decisions remembered per live connection,
 * forgotten when tokens or stream names change (see auth_cache.c).
 */
#ifndef STREAMFLOW_AUTH_CACHE_H
#define STREAMFLOW_AUTH_CACHE_H

#include "postgres.h"

#include "auth.h"

typedef struct AuthCache AuthCache;

extern void AuthCacheInit(void);

/*
 * The generation of tokens and stream names: read it before taking the
 * snapshot the decisions are made in, and pass it to AuthorizeCached.
 */
extern uint64 AuthGeneration(void);

/*
 * AuthorizeStream (in a transaction with SPI connected), through *cache
 * (malloc'd on first use; the caller frees it with free()).
 */
extern AuthResult AuthorizeCached(AuthCache **cache, uint64 generation, const char *token,
								  const char *stream, bool write);

#endif
