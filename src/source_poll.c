/*
 * source_poll.c: one GET of a polled source with lws's HTTP client.
 *
 * A poll is one connection (like outbound_http.c): connect, GET source_url
 * (with ?since=<cursor> when the source gave one) and the stream's
 * auth_headers, then the answer's body, copied into malloc'd memory up to
 * streamflow.source_max_body bytes.  A body that grows past that, an answer
 * that does not finish within streamflow.source_timeout (an endless body),
 * a refused connection, a TLS failure or a non-2xx status fails the poll.
 * The callbacks only fill the SourcePoll; the main loop (source.c) takes
 * the body with SourcePollCheck and parses it.
 */
#include "postgres.h"

#include <ctype.h>

#include <libwebsockets.h>

#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "client_url.h"
#include "source.h"

typedef struct SourcePoll
{
	Source	   *src;
	struct lws *wsi;			/* NULL once lws closed it */
	ClientUrl	url;
	TimestampTz deadline;		/* the poll fails then */
	int			status;			/* HTTP status; 0 before the answer */
	char	   *body;			/* malloc'd answer */
	size_t		len;
	size_t		cap;
	bool		completed;		/* the whole answer arrived */
	bool		finished;		/* lws is done with it */
	char		error[SOURCE_ERROR_LEN];	/* why it failed; "" when it did not */
} SourcePoll;

/* The URL of the next poll: source_url with since appended, malloc'd. */
static char *
PollUrl(Source *src)
{
	StringInfoData buf;
	char	   *url;

	if (src->since == NULL)
		return strdup(src->url);
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s%csince=", src->url, strchr(src->url, '?') ? '&' : '?');
	for (const char *c = src->since; *c; c++)
	{
		if (isalnum((unsigned char) *c) || strchr("-._~", *c))
			appendStringInfoChar(&buf, *c);
		else
			appendStringInfo(&buf, "%%%02X", (unsigned char) *c);
	}
	url = strdup(buf.data);
	pfree(buf.data);
	return url;
}

/* Starts src's next poll; false (with src failed) when it could not start. */
bool
SourcePollStart(struct lws_context *context, struct lws_vhost *vhost, Source *src)
{
	struct lws_client_connect_info i;
	SourcePoll *p = calloc(1, sizeof(SourcePoll));
	char	   *url = PollUrl(src);
	bool		parsed;

	if (p == NULL || url == NULL)
	{
		free(p);
		free(url);
		SourceFailed(src, "out of memory");
		return false;
	}
	p->src = src;
	p->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), source_timeout_ms);
	parsed = ClientUrlParse(url, CLIENT_URL_HTTP, "source_url", &p->url, p->error,
							sizeof(p->error));
	free(url);
	if (!parsed)
	{
		SourceFailed(src, "%s", p->error);
		free(p);
		return false;
	}
	src->poll = p;
	memset(&i, 0, sizeof(i));
	i.context = context;
	i.vhost = vhost;
	ClientUrlConnectInfo(&p->url, &i);
	i.method = "GET";
	i.protocol = "streamflow-source-poll";
	i.alpn = "http/1.1";
	i.opaque_user_data = p;
	p->wsi = lws_client_connect_via_info(&i);
	if (p->wsi == NULL && !p->finished)
	{
		ClientUrlConnectError(&p->url, NULL, p->error, sizeof(p->error));
		p->finished = true;
	}
	return true;
}

/* Frees p (lws is done with it). */
static void
PollFree(SourcePoll *p)
{
	ClientUrlFree(&p->url);
	free(p->body);
	free(p);
}

/*
 * The main loop's look at src's poll: times it out, and once it finished
 * either hands over its body (true; *body is malloc'd, the caller frees it)
 * or fails src (false).  False too while it is still running.
 */
bool
SourcePollCheck(Source *src, TimestampTz now, char **body, size_t *len)
{
	SourcePoll *p = src->poll;

	if (p == NULL)
		return false;
	if (!p->finished && now >= p->deadline)
	{
		SourcePollStop(src);
		SourceFailed(src, "no complete answer within streamflow.source_timeout (%d ms)",
					 source_timeout_ms);
		return false;
	}
	if (!p->finished)
		return false;
	src->poll = NULL;
	if (p->error[0] == '\0' && p->completed && p->status >= 200 && p->status < 300)
	{
		*body = p->body;
		*len = p->len;
		p->body = NULL;
		PollFree(p);
		return true;
	}
	if (p->error[0] == '\0')
		snprintf(p->error, sizeof(p->error), "HTTP %d", p->status);
	SourceFailed(src, "%s", p->error);
	PollFree(p);
	return false;
}

/* Ends src's poll now (stopping, or timed out); the poll is freed or failed. */
void
SourcePollStop(Source *src)
{
	SourcePoll *p = src->poll;

	if (p == NULL)
		return;
	if (p->wsi != NULL)
	{
		struct lws *wsi = p->wsi;

		/* the callbacks forget p first: it is freed below */
		lws_set_opaque_user_data(wsi, NULL);
		p->wsi = NULL;
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
	}
	src->poll = NULL;
	PollFree(p);
}

/* When src's poll times out; 0 when none is running. */
TimestampTz
SourcePollDeadline(Source *src)
{
	return src->poll != NULL && !src->poll->finished ? src->poll->deadline : 0;
}

/* Marks p finished (once), keeping the first error; lws forgets p. */
static void
Finish(SourcePoll *p, struct lws *wsi, const char *error)
{
	if (p->finished)
		return;
	if (error != NULL && p->error[0] == '\0')
		snprintf(p->error, sizeof(p->error), "%s", error);
	p->finished = true;
	p->wsi = NULL;
	lws_set_opaque_user_data(wsi, NULL);
}

/* Appends a piece of the answer; false when it makes the body too large. */
static bool
KeepBody(SourcePoll *p, const char *in, size_t len)
{
	if (p->len + len > (size_t) source_max_body_bytes)
	{
		snprintf(p->error, sizeof(p->error),
				 "the answer is larger than streamflow.source_max_body (%d bytes)",
				 source_max_body_bytes);
		return false;
	}
	if (p->len + len + 1 > p->cap)
	{
		size_t		cap = Max(p->cap * 2, p->len + len + 1);
		char	   *body = realloc(p->body, Max(cap, 4096));

		if (body == NULL)
		{
			snprintf(p->error, sizeof(p->error), "out of memory");
			return false;
		}
		p->body = body;
		p->cap = Max(cap, 4096);
	}
	memcpy(p->body + p->len, in, len);
	p->len += len;
	p->body[p->len] = '\0';
	return true;
}

/*
 * lws's callback for polls.  Records the answer in the poll and nothing
 * else.
 */
int
SourcePollCallback(struct lws *wsi, enum lws_callback_reasons reason,
				   void *user, void *in, size_t len)
{
	SourcePoll *p = wsi ? (SourcePoll *) lws_get_opaque_user_data(wsi) : NULL;
	char		buf[LWS_PRE + 4096];
	char	   *px = buf + LWS_PRE;
	int			lenx = sizeof(buf) - LWS_PRE;

	switch (reason)
	{
		case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
			if (p)
			{
				char		why[SOURCE_ERROR_LEN];

				ClientUrlConnectError(&p->url, in ? (const char *) in : "connection failed",
									  why, sizeof(why));
				Finish(p, wsi, why);
			}
			return 0;
		case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
			if (p == NULL)
				return -1;
			return SourceAppendHeaders(p->src, wsi, (unsigned char **) in,
									   *(unsigned char **) in + len);
		case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
			if (p)
				p->status = lws_http_client_http_response(wsi);
			return 0;
		case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
			if (p && !KeepBody(p, (const char *) in, len))
			{
				Finish(p, wsi, NULL);
				return -1;
			}
			return 0;
		case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
			/* pulls the answer's bytes through RECEIVE_CLIENT_HTTP_READ */
			return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
		case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
			if (p)
			{
				p->completed = true;
				Finish(p, wsi, NULL);
			}
			/* one request per connection */
			return -1;
		case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
			if (p)
				Finish(p, wsi, p->status > 0
					   ? "the connection closed in the middle of the answer"
					   : "the connection closed before an answer");
			return 0;
		default:
			break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
