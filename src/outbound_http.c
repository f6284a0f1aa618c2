/*
 * outbound_http.c: webhook POSTs with lws's HTTP client.
 *
 * The requests run on the worker's lws context and libuv loop, from a vhost
 * of their own that does not listen.  A request: connect (a host name is
 * resolved by a blocking getaddrinfo inside lws_client_connect_via_info, so
 * destinations should be addresses or names the resolver answers at once),
 * headers with the signature, the body when lws says the socket is
 * writable, then the status and the answer, read and dropped (its first
 * bytes kept as the error of a non-2xx answer).  Keep-alive: a request with
 * keep_alive set asks lws to pipeline (LCCSCF_PIPELINE): lws then sends it
 * over the connection to the same host and port that is idle (kept open
 * keep_warm_secs after its last answer) or queues it behind the one in use,
 * and the connection stays open after the answer; HTTP/1.1 without
 * "connection: close".  Other requests have a connection of their own,
 * closed after the answer.  A server that refuses keep-alive is noticed by
 * lws, which then connects afresh.  The
 * callbacks never call PostgreSQL: they only write the outcome into the
 * request's Delivery (outbound_http.h), which the main loop reads.
 * http:// and https:// (OpenSSL, the system's trusted CAs; an untrusted
 * certificate fails the connection) are supported; redirects are not
 * followed (a 3xx is a failed attempt).
 */
#include "postgres.h"

#include <libwebsockets.h>

#include "client_url.h"
#include "outbound_http.h"

/* Seconds an idle kept connection stays open for the next request. */
#define OUTBOUND_KEEP_WARM_SECS 5

static struct lws_context *client_context = NULL;
static struct lws_vhost *client_vhost = NULL;

static int	OutboundCallback(struct lws *wsi, enum lws_callback_reasons reason,
							 void *user, void *in, size_t len);

static const struct lws_protocols client_protocols[] = {
	{"streamflow-outbound", OutboundCallback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

/* Creates the vhost the requests go out from; false when lws cannot. */
bool
OutboundHttpStart(struct lws_context *context)
{
	struct lws_context_creation_info info;

	if (client_vhost != NULL)
		return true;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = client_protocols;
	info.vhost_name = "streamflow-outbound";
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	client_context = context;
	client_vhost = lws_create_vhost(context, &info);
	return client_vhost != NULL;
}

/*
 * True when url is an http:// or https:// URL this client can send to;
 * otherwise false with the reason in why.
 */
bool
OutboundUrlSupported(const char *url, char *why, size_t whylen)
{
	ClientUrl	parsed;

	if (!ClientUrlParse(url, CLIENT_URL_HTTP, "destination_url", &parsed, why, whylen))
		return false;
	ClientUrlFree(&parsed);
	return true;
}

/*
 * "scheme://host:port" of url (malloc'd; url itself when it does not parse;
 * NULL when out of memory): the requests lws may send over one connection.
 */
char *
OutboundHostKey(const char *url)
{
	ClientUrl	parsed;
	char		why[256];
	char	   *key;

	if (!ClientUrlParse(url, CLIENT_URL_HTTP, "destination_url", &parsed, why, sizeof(why)))
		return strdup(url);
	key = malloc(strlen(parsed.scheme) + strlen(parsed.host) + 20);
	if (key != NULL)
		sprintf(key, "%s://%s:%d", parsed.scheme, parsed.host, parsed.port);
	ClientUrlFree(&parsed);
	return key;
}

/*
 * Starts d's POST to url.  False when it could not even start; d is then
 * finished with the reason in d->error.  Otherwise the callbacks finish it.
 */
bool
OutboundHttpSend(Delivery *d, const char *url)
{
	struct lws_client_connect_info i;

	if (client_vhost == NULL)
		snprintf(d->error, sizeof(d->error), "the worker cannot make HTTP requests");
	if (client_vhost == NULL ||
		!ClientUrlParse(url, CLIENT_URL_HTTP, "destination_url", &d->url,
						d->error, sizeof(d->error)))
	{
		d->finished = true;
		return false;
	}

	memset(&i, 0, sizeof(i));
	i.context = client_context;
	i.vhost = client_vhost;
	ClientUrlConnectInfo(&d->url, &i);
	i.method = "POST";
	i.protocol = client_protocols[0].name;
	i.alpn = "http/1.1";
	if (d->keep_alive)
	{
		i.ssl_connection |= LCCSCF_PIPELINE;
		i.keep_warm_secs = OUTBOUND_KEEP_WARM_SECS;
	}
	i.opaque_user_data = d;
	i.pwsi = &d->wsi;
	if (lws_client_connect_via_info(&i) == NULL && !d->finished)
	{
		snprintf(d->error, sizeof(d->error), "could not connect to %s:%d",
				 d->url.host, d->url.port);
		d->finished = true;
		d->wsi = NULL;
		return false;
	}
	return true;
}

/*
 * Gives up waiting for d (its timeout passed): the connection is closed and
 * d finishes as timed out when lws has closed it.
 */
void
OutboundHttpAbort(Delivery *d)
{
	if (d->finished)
		return;
	d->timed_out = true;
	/*
	 * Closed at once: the main loop is outside every lws callback, so the
	 * wsi is not in use (LWS_TO_KILL_ASYNC, a timeout of 0 s, is ignored by
	 * this lws).  CLOSED_CLIENT_HTTP finishes d before this returns.
	 */
	if (d->wsi != NULL)
		lws_set_timeout(d->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

/*
 * Makes a finished d ready to be sent again: its outcome is forgotten (the
 * main loop resends a request whose kept connection closed under it).
 */
void
OutboundHttpReset(Delivery *d)
{
	ClientUrlFree(&d->url);
	d->wsi = NULL;
	d->body_sent = false;
	d->completed = false;
	d->finished = false;
	d->timed_out = false;
	d->status = 0;
	d->closed_unanswered = false;
	d->error[0] = '\0';
}

/* Marks d finished (once), keeping the first error; lws forgets d. */
static void
Finish(Delivery *d, struct lws *wsi, const char *error)
{
	if (d->finished)
		return;
	if (error != NULL && d->error[0] == '\0')
		snprintf(d->error, sizeof(d->error), "%s", error);
	d->finished = true;
	d->wsi = NULL;
	lws_set_opaque_user_data(wsi, NULL);
}

/* Appends the body's headers: type, length and signature. */
static int
AppendHeaders(struct lws *wsi, Delivery *d, unsigned char **p, unsigned char *end)
{
	char		length[32];

	snprintf(length, sizeof(length), "%zu", d->body_len);
	if (lws_add_http_header_by_name(wsi, (const unsigned char *) "content-type:",
									(const unsigned char *) "application/json", 16, p, end) ||
		lws_add_http_header_by_name(wsi, (const unsigned char *) "content-length:",
									(const unsigned char *) length, strlen(length), p, end) ||
		lws_add_http_header_by_name(wsi, (const unsigned char *) "user-agent:",
									(const unsigned char *) "streamflow", 10, p, end))
		return -1;
	if (d->signature[0] != '\0' &&
		lws_add_http_header_by_name(wsi, (const unsigned char *) "x-streamflow-signature:",
									(const unsigned char *) d->signature,
									strlen(d->signature), p, end))
		return -1;
	/* the body follows when the socket is writable */
	lws_client_http_body_pending(wsi, 1);
	lws_callback_on_writable(wsi);
	return 0;
}

/* Keeps the first bytes of a non-2xx answer as the attempt's error. */
static void
KeepAnswer(Delivery *d, const char *in, size_t len)
{
	size_t		used;

	if (d->status >= 200 && d->status < 300)
		return;
	if (d->error[0] == '\0')
		snprintf(d->error, sizeof(d->error), "HTTP %d: ", d->status);
	used = strlen(d->error);
	if (used + 1 < sizeof(d->error))
	{
		size_t		n = Min(len, sizeof(d->error) - used - 1);
		size_t		k;

		memcpy(d->error + used, in, n);
		d->error[used + n] = '\0';
		/* keep the error one line of printable text */
		for (k = used; k < used + n; k++)
			if ((unsigned char) d->error[k] < 0x20)
				d->error[k] = ' ';
	}
}

/*
 * lws's callback for the outbound requests.  Records the outcome in the
 * request's Delivery and nothing else.
 */
static int
OutboundCallback(struct lws *wsi, enum lws_callback_reasons reason,
				 void *user, void *in, size_t len)
{
	Delivery   *d = wsi ? (Delivery *) lws_get_opaque_user_data(wsi) : NULL;
	char		buf[LWS_PRE + 1024];
	char	   *px = buf + LWS_PRE;
	int			lenx = sizeof(buf) - LWS_PRE;

	switch (reason)
	{
		case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
			if (d)
			{
				char		why[DELIVERY_ERROR_LEN];

				/* once the request went out, the connection closed unanswered */
				d->closed_unanswered = d->body_sent;
				snprintf(why, sizeof(why), d->body_sent
						 ? "the connection closed before an answer (%s)"
						 : "could not connect: %s",
						 in ? (const char *) in : "connection failed");
				Finish(d, wsi, why);
			}
			return 0;
		case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
			if (d == NULL)
				return -1;
			return AppendHeaders(wsi, d, (unsigned char **) in, *(unsigned char **) in + len);
		case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
			if (d == NULL || d->body_sent)
				return 0;
			d->body_sent = true;
			lws_client_http_body_pending(wsi, 0);
			if (lws_write(wsi, (unsigned char *) d->body + LWS_PRE, d->body_len,
						  LWS_WRITE_HTTP_FINAL) != (int) d->body_len)
			{
				Finish(d, wsi, "could not write the request body");
				return -1;
			}
			return 0;
		case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
			if (d)
				d->status = lws_http_client_http_response(wsi);
			return 0;
		case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
			if (d)
				KeepAnswer(d, (const char *) in, len);
			return 0;
		case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
			/* pulls the answer's bytes through RECEIVE_CLIENT_HTTP_READ */
			return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
		case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
			if (d)
			{
				bool		keep = d->keep_alive;

				d->completed = true;
				Finish(d, wsi, NULL);
				/* a kept connection waits for the next request */
				return keep ? 0 : -1;
			}
			return -1;
		case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
			if (d)
			{
				d->closed_unanswered = d->status == 0;
				Finish(d, wsi, d->status > 0
					   ? "the connection closed in the middle of the answer"
					   : "the connection closed before an answer");
			}
			return 0;
		default:
			break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
