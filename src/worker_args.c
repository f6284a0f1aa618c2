/*
 * worker_args.c: path parameters, query arguments and headers of a request.
 *
 * Route paths are patterns whose segments match literally or, written
 * "{name}", match any one non-empty segment: "/streams/{id}/frames".  lws has
 * already percent-decoded the path and each query argument (and turned '+'
 * into a space) by the time a callback sees them; query arguments are kept as
 * lws split them, so a decoded '&' or '=' inside a value stays in its value.
 */
#include "postgres.h"

#include <libwebsockets.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "auth.h"
#include "worker_args.h"
#include "worker_errors.h"

/* Longest query string or header value copied. */
#define ARG_BUFFER_SIZE 4096

static char *CopyHeader(struct lws *wsi, enum lws_token_indexes token);
static char *CopyCustomHeader(struct lws *wsi, const char *name);
static char *CopyArgs(struct lws *wsi);
static const char *SegmentEnd(const char *s);

/*
 * Copies the query arguments and the headers routes read into req; false
 * when out of memory.
 */
bool
RequestCopyHeaders(Request *req, struct lws *wsi)
{
	req->args = CopyArgs(wsi);
	req->declared_type = CopyHeader(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	req->signature = CopyCustomHeader(wsi, "x-streamflow-signature:");
	req->last_event_id = CopyCustomHeader(wsi, "last-event-id:");
	req->token = AuthTokenFromRequest(wsi);
	return req->args != NULL;
}

/* A malloc'd copy of a known header, or NULL when absent (or out of memory). */
static char *
CopyHeader(struct lws *wsi, enum lws_token_indexes token)
{
	char		buf[ARG_BUFFER_SIZE];

	if (lws_hdr_total_length(wsi, token) <= 0 ||
		lws_hdr_copy(wsi, buf, sizeof(buf), token) < 0)
		return NULL;
	return strdup(buf);
}

/* A malloc'd copy of a header lws does not know ("name:" in lower case), or NULL. */
static char *
CopyCustomHeader(struct lws *wsi, const char *name)
{
	char		buf[ARG_BUFFER_SIZE];
	int			namelen = strlen(name);

	if (lws_hdr_custom_length(wsi, name, namelen) <= 0 ||
		lws_hdr_custom_copy(wsi, buf, sizeof(buf), name, namelen) < 0)
		return NULL;
	return strdup(buf);
}

/* The query arguments as "a=1\0b=2\0\0", malloc'd; NULL when out of memory. */
static char *
CopyArgs(struct lws *wsi)
{
	char	   *args;
	size_t		used = 0;
	int			total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
	int			i;

	/* each fragment plus its NUL, and the final empty string */
	args = malloc(Max(total, 0) + 64 + 1);
	if (args == NULL)
		return NULL;
	for (i = 0; total > 0; i++)
	{
		int			n = lws_hdr_copy_fragment(wsi, args + used, total + 64 - used,
											  WSI_TOKEN_HTTP_URI_ARGS, i);

		if (n < 0)
			break;
		if (n > 0)
			used += n + 1;
	}
	args[used] = '\0';
	return args;
}

/* The end of the path segment starting at s. */
static const char *
SegmentEnd(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash ? slash : s + strlen(s);
}

/* Whether path matches the route pattern (see the file comment). */
bool
RouteMatches(const char *pattern, const char *path)
{
	while (*pattern && *path)
	{
		const char *pend = SegmentEnd(pattern);
		const char *send = SegmentEnd(path);

		if (pattern[0] == '{' && pend[-1] == '}')
		{
			if (send == path)
				return false;
		}
		else if (pend - pattern != send - path ||
				 strncmp(pattern, path, pend - pattern) != 0)
			return false;
		pattern = *pend ? pend + 1 : pend;
		path = *send ? send + 1 : send;
		/* a trailing slash on one side only does not match */
		if ((*pend == '\0') != (*send == '\0'))
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

/* The path segment the route's "{name}" matched (palloc'd), or NULL. */
char *
RequestParam(const Request *req, const char *name)
{
	const char *pattern = req->route ? req->route->path : NULL;
	const char *path = req->path;
	size_t		namelen = strlen(name);

	while (pattern && *pattern && *path)
	{
		const char *pend = SegmentEnd(pattern);
		const char *send = SegmentEnd(path);

		if (pattern[0] == '{' && pend - pattern == (long) namelen + 2 &&
			strncmp(pattern + 1, name, namelen) == 0)
			return pnstrdup(path, send - path);
		pattern = *pend ? pend + 1 : pend;
		path = *send ? send + 1 : send;
	}
	return NULL;
}

/* The value of query argument name ("" for a bare "name"), or NULL when absent. */
const char *
RequestArg(const Request *req, const char *name)
{
	const char *a;
	size_t		namelen = strlen(name);

	for (a = req->args; a != NULL && *a != '\0'; a += strlen(a) + 1)
	{
		if (strncmp(a, name, namelen) != 0)
			continue;
		if (a[namelen] == '=')
			return a + namelen + 1;
		if (a[namelen] == '\0')
			return a + namelen;
	}
	return NULL;
}

/*
 * Query argument name as an integer: if_absent when absent, clamped to max,
 * and an error (22023) when not an integer or below min.
 */
int64
RequestArgInt64(const Request *req, const char *name, int64 if_absent, int64 min, int64 max)
{
	const char *value = RequestArg(req, name);
	char	   *end;
	int64		n;

	if (value == NULL)
		return if_absent;
	errno = 0;
	n = strtoll(value, &end, 10);
	if (value[0] == '\0' || *end != '\0' || errno != 0 || n < min)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for query parameter \"%s\"", value, name),
				 errdetail("It must be an integer of at least " INT64_FORMAT ".", min)));
	return Min(n, max);
}

/*
 * Whether the request body is declared JSON (application/json or a +json
 * type, in UTF-8); otherwise sets a 415 answer.
 */
bool
RequestRequireJson(const Request *req, Response *resp)
{
	const char *type = req->declared_type;
	const char *params;
	size_t		len;

	if (type != NULL)
	{
		params = strchr(type, ';');
		len = params ? (size_t) (params - type) : strlen(type);
		while (len > 0 && type[len - 1] == ' ')
			len--;
		if ((len == 16 && pg_strncasecmp(type, "application/json", 16) == 0) ||
			(len > 5 && pg_strncasecmp(type + len - 5, "+json", 5) == 0))
		{
			const char *charset = params ? strcasestr(params, "charset=") : NULL;

			if (charset != NULL)
				charset += 8;
			if (charset != NULL && *charset == '"')
				charset++;
			if (charset == NULL || pg_strncasecmp(charset, "utf-8", 5) == 0 ||
				pg_strncasecmp(charset, "utf8", 4) == 0)
				return true;
		}
	}
	ResponseError(resp, 415, "unsupported media type",
				  type ? psprintf("The body is declared \"%s\"; send JSON in UTF-8 as application/json.", type)
				  : "The request has no Content-Type; send JSON with Content-Type: application/json.");
	return false;
}

/*
 * The request body parsed as jsonb: invalid UTF-8 raises 22021 and malformed
 * JSON 22P02 (both answered 400 with PostgreSQL's reason).
 */
Jsonb *
RequestJsonBody(const Request *req)
{
	const char *data = req->content.data ? req->content.data : "";
	char	   *text;

	/* any NUL byte or broken sequence is reported here, with its offset bytes */
	(void) pg_verify_mbstr(PG_UTF8, data, req->content.len, false);
	text = pg_any_to_server(data, req->content.len, PG_UTF8);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}
