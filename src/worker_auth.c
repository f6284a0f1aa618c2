/*
 * worker_auth.c: the lws side of authentication: finding the token a request
 * presents.  Runs inside lws callbacks, so it never calls anything that can
 * raise a PostgreSQL error (malloc, not palloc).  The decision is auth.c's
 * AuthorizeStream, made by route handlers in the main loop.
 *
 * GET /health is open (load balancers and monitors probe it without a token);
 * every route about a stream authorizes the request first.
 */
#include "postgres.h"

#include <ctype.h>

#include <libwebsockets.h>

#include "auth.h"

/* Longest Authorization header or access_token value read. */
#define AUTH_TOKEN_BUF 512

static char *BearerToken(char *header);

/*
 * A malloc'd copy of the token in "Authorization: Bearer X", else of the
 * access_token query parameter (for browsers, whose EventSource and
 * WebSocket cannot set headers), else NULL.  An Authorization header of
 * another scheme counts as no token.
 */
char *
AuthTokenFromRequest(struct lws *wsi)
{
	char		buf[AUTH_TOKEN_BUF];
	const char *value;

	if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION) > 0)
	{
		char	   *token = BearerToken(buf);

		if (token != NULL)
			return strdup(token);
	}
	value = lws_get_urlarg_by_name(wsi, "access_token=", buf, sizeof(buf));
	if (value != NULL && value[0] != '\0')
		return strdup(value);
	return NULL;
}

/* The token of a "Bearer X" header value (trimmed, in place), or NULL. */
static char *
BearerToken(char *header)
{
	char	   *p = header;
	char	   *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (pg_strncasecmp(p, "bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return NULL;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return *p ? p : NULL;
}

