/*
 * client_url.c: URLs for lws client connections (outbound webhooks, sources).
 *
 * lws_parse_uri cuts a copy of the URL in place; the parts, the Host header
 * and the request path are kept in malloc'd memory, never palloc'd, because
 * lws reads them while the connection starts, outside any memory context.
 * A host name is resolved by a blocking getaddrinfo inside
 * lws_client_connect_via_info (lws 4.1.6 has no asynchronous resolver here).
 */
#include "postgres.h"

#include <libwebsockets.h>

#include "client_url.h"

/* The default port of a scheme. */
static int
DefaultPort(const char *scheme)
{
	return (pg_strcasecmp(scheme, "https") == 0 || pg_strcasecmp(scheme, "wss") == 0) ? 443 : 80;
}

/* Is scheme one of those schemes allows?  Schemes are case-insensitive. */
static bool
SchemeAllowed(const char *scheme, int schemes)
{
	if ((schemes & CLIENT_URL_HTTP) &&
		(pg_strcasecmp(scheme, "http") == 0 || pg_strcasecmp(scheme, "https") == 0))
		return true;
	if ((schemes & CLIENT_URL_WS) &&
		(pg_strcasecmp(scheme, "ws") == 0 || pg_strcasecmp(scheme, "wss") == 0))
		return true;
	return false;
}

/*
 * Cuts url up into out.  False, with the reason (naming the setting what) in
 * why and nothing to free, when it is not a URL of the allowed schemes.
 */
bool
ClientUrlParse(const char *url, int schemes, const char *what, ClientUrl *out,
			   char *why, size_t whylen)
{
	const char *path = NULL;
	size_t		path_len;

	memset(out, 0, sizeof(*out));
	out->parts = strdup(url);
	if (out->parts == NULL)
	{
		snprintf(why, whylen, "out of memory");
		return false;
	}
	if (lws_parse_uri(out->parts, &out->scheme, &out->host, &out->port, &path) != 0 ||
		out->host[0] == '\0')
		snprintf(why, whylen, "%s \"%s\" is not a URL", what, url);
	else if (!SchemeAllowed(out->scheme, schemes))
		snprintf(why, whylen, "%s scheme \"%s\" is not %s", what, out->scheme,
				 schemes == CLIENT_URL_HTTP ? "http or https" :
				 schemes == CLIENT_URL_WS ? "ws or wss" : "http, https, ws or wss");
	else
	{
		out->tls = pg_strcasecmp(out->scheme, "https") == 0 || pg_strcasecmp(out->scheme, "wss") == 0;
		out->websocket = pg_strncasecmp(out->scheme, "ws", 2) == 0;
		if (out->port == DefaultPort(out->scheme))
			snprintf(out->host_header, sizeof(out->host_header), "%s", out->host);
		else
			snprintf(out->host_header, sizeof(out->host_header), "%s:%d", out->host, out->port);
		path_len = strlen(path);
		out->path = malloc(path_len + 2);
		if (out->path != NULL)
		{
			out->path[0] = '/';
			memcpy(out->path + 1, path, path_len + 1);
			return true;
		}
		snprintf(why, whylen, "out of memory");
	}
	ClientUrlFree(out);
	return false;
}

/* Fills the address, port, path, Host, Origin and TLS flag of a connection to url. */
void
ClientUrlConnectInfo(const ClientUrl *url, struct lws_client_connect_info *i)
{
	i->address = url->host;
	i->port = url->port;
	i->path = url->path;
	/*
	 * The Host header names the host without the port: lws 4.1 finds a kept
	 * connection for a request by comparing this host with the address (and
	 * the port), and TLS sends it as the SNI name, which takes no port.
	 */
	i->host = url->host;
	i->origin = url->host_header;
	i->ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
	if (url->tls)
		i->ssl_connection |= LCCSCF_USE_SSL;
}

/*
 * The text of a failed connection to url: why is lws's reason, NULL when
 * lws_client_connect_via_info refused at once (most often a host name that
 * does not resolve).
 */
void
ClientUrlConnectError(const ClientUrl *url, const char *why, char *out, size_t outlen)
{
	snprintf(out, outlen, "could not connect to %s: %s%s", url->host_header,
			 why ? why : "the connection could not start (does the host name resolve?)",
			 url->tls && why ? " (over TLS: the certificate must be trusted by the system's CAs; the server log has the TLS error)" : "");
}

/* Frees what ClientUrlParse allocated. */
void
ClientUrlFree(ClientUrl *url)
{
	free(url->parts);
	free(url->path);
	url->parts = NULL;
	url->path = NULL;
}
