/*
 * worker_auth.c: authentication in the worker.  AuthTokenFromRequest finds
 * the token a request presents; it runs inside lws callbacks, so it never
 * calls anything that can raise a PostgreSQL error (malloc, not palloc).
 * AuthorizeOrAnswer is for route handlers in the main loop: auth.c's
 * AuthorizeStream decides, and a refusal becomes the JSON answer.
 *
 * GET /health is open (load balancers and monitors probe it without a token);
 * every route about a stream calls AuthorizeOrAnswer first.
 */
#include "postgres.h"

#include <ctype.h>

#include <libwebsockets.h>

#include "auth.h"
#include "worker_requests.h"

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

/*
 * Route handlers (main loop, transaction with SPI connected): true when token
 * may read (or write) stream; otherwise resp is set to the refusal, 401 or
 * 403 with {"error": reason, "path": path}, and false returned.
 */
bool
AuthorizeOrAnswer(const char *token, const char *stream, bool write,
				  Response *resp, const char *path)
{
	AuthResult	result = AuthorizeStream(token, stream, write);

	if (result == AUTH_OK)
		return true;
	ResponseJsonError(resp, AuthHttpStatus(result), AuthReason(result), path);
	return false;
}
