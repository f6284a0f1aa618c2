/*
 * client_url.h: an http(s):// or ws(s):// URL cut up for an lws client
 * connection.  Shared by outbound webhooks and sources; malloc'd, so the lws
 * callbacks may keep it for as long as the connection lives.
 */
#ifndef STREAMFLOW_CLIENT_URL_H
#define STREAMFLOW_CLIENT_URL_H

#include "postgres.h"

struct lws_client_connect_info;

/* Which schemes a caller takes. */
#define CLIENT_URL_HTTP 0x01	/* http://, https:// */
#define CLIENT_URL_WS	0x02	/* ws://, wss:// */

typedef struct ClientUrl
{
	char	   *parts;			/* malloc'd copy cut up by lws_parse_uri */
	const char *scheme;
	const char *host;
	int			port;
	bool		tls;			/* https or wss */
	bool		websocket;		/* ws or wss */
	char		host_header[300];	/* host, with :port when not the default */
	char	   *path;			/* malloc'd "/path?query" */
} ClientUrl;

extern bool ClientUrlParse(const char *url, int schemes, const char *what, ClientUrl *out,
						   char *why, size_t whylen);
extern void ClientUrlConnectInfo(const ClientUrl *url, struct lws_client_connect_info *i);
extern void ClientUrlConnectError(const ClientUrl *url, const char *why, char *out,
								  size_t outlen);
extern void ClientUrlFree(ClientUrl *url);

#endif
