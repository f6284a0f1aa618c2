/*
 * auth.h: API tokens (created in SQL, stored as SHA-256 hashes) and the
 * decision whether a token may read or write a stream.
 */
#ifndef STREAMFLOW_AUTH_H
#define STREAMFLOW_AUTH_H

#include "postgres.h"

struct lws;

/* streamflow.auth */
typedef enum AuthMode
{
	AUTH_MODE_TOKEN,			/* every stream route needs a token (default) */
	AUTH_MODE_NONE				/* no checks: explicit choice, e.g. a demo */
} AuthMode;

extern int	auth_mode;

typedef enum AuthResult
{
	AUTH_OK,
	AUTH_MISSING,				/* no token presented */
	AUTH_INVALID,				/* unknown or revoked token */
	AUTH_FORBIDDEN				/* valid token, wrong stream or scope */
} AuthResult;

extern void AuthInit(void);

/*
 * lws side (worker_auth.c): a malloc'd copy of the token of "Authorization:
 * Bearer X" or of the access_token query parameter, or NULL.  Never raises a
 * PostgreSQL error.
 */
extern char *AuthTokenFromRequest(struct lws *wsi);

/*
 * Main loop, in a transaction with SPI connected: may token read (write =
 * false) or write stream_id (an id or a name)?  stream_id NULL checks the
 * token and scope only (routes that are not about one stream).
 */
extern AuthResult AuthorizeStream(const char *token, const char *stream_id, bool write);
extern int	AuthHttpStatus(AuthResult r);
extern const char *AuthReason(AuthResult r);

#endif
