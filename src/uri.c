/*
 * uri.c: RFC 3986 URI references: the strict grammar check behind the "uri"
 * and "uri-reference" formats, and reference resolution (section 5.2) with
 * the fragment helpers that $ref resolution needs.
 */
#include "postgres.h"

#include <arpa/inet.h>

#include "lib/stringinfo.h"

#include "uri.h"

/* A URI reference split into its five components (section 3). */
typedef struct UriParts
{
	const char *scheme;			/* NULL when undefined */
	int			scheme_len;
	const char *authority;		/* NULL when undefined */
	int			authority_len;
	const char *path;			/* never NULL, maybe empty */
	int			path_len;
	const char *query;			/* NULL when undefined */
	int			query_len;
	const char *fragment;		/* NULL when undefined */
	int			fragment_len;
} UriParts;

static bool IsUnreserved(char c);
static bool IsSubDelim(char c);
static int	HexValue(char c);
static int	SchemeLength(const char *s, int len);
static bool CheckChars(const char *s, int len, const char *extra);
static bool CheckIpLiteral(const char *s, int len);
static bool CheckAuthority(const char *s, int len);
static const char *FindChar(const char *s, int len, const char *set);
static void SplitUri(const char *s, int len, UriParts *parts);
static char *RemoveDotSegments(const char *path, int len);
static char *MergePaths(const UriParts *base, const UriParts *ref);
static char *ComposeUri(const UriParts *parts, const char *path);

/* unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
static bool
IsUnreserved(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

/* sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "=" */
static bool
IsSubDelim(char c)
{
	return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/* The value of a hex digit; -1 for any other character. */
static int
HexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of the "scheme:" prefix of s without the colon; 0 when there is none. */
static int
SchemeLength(const char *s, int len)
{
	int			i;

	if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; i < len; i++)
	{
		char		c = s[i];

		if (c == ':')
			return i;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return 0;
}

/*
 * Is every character of s[0..len) unreserved, a sub-delim, one of extra, or
 * part of a well-formed %HH escape?
 */
static bool
CheckChars(const char *s, int len, const char *extra)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == '%')
		{
			if (i + 2 >= len || HexValue(s[i + 1]) < 0 || HexValue(s[i + 2]) < 0)
				return false;
			i += 2;
		}
		else if (!IsUnreserved(c) && !IsSubDelim(c) &&
				 (c == '\0' || strchr(extra, c) == NULL))
			return false;
	}
	return true;
}

/* IP-literal = "[" ( IPv6address / IPvFuture ) "]", given without brackets. */
static bool
CheckIpLiteral(const char *s, int len)
{
	char		buf[INET6_ADDRSTRLEN];
	unsigned char addr[16];
	int			i;

	if (len > 0 && (s[0] == 'v' || s[0] == 'V'))
	{
		/* IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
		for (i = 1; i < len && HexValue(s[i]) >= 0; i++)
			;
		if (i == 1 || i >= len - 1 || s[i] != '.')
			return false;
		for (i++; i < len; i++)
			if (!IsUnreserved(s[i]) && !IsSubDelim(s[i]) && s[i] != ':')
				return false;
		return true;
	}
	if (len == 0 || len >= (int) sizeof(buf) || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* authority = [ userinfo "@" ] host [ ":" port ] */
static bool
CheckAuthority(const char *s, int len)
{
	const char *at = memchr(s, '@', len);
	const char *end = s + len;
	const char *host;
	const char *colon;

	if (at != NULL)
	{
		if (!CheckChars(s, at - s, ":"))
			return false;
		host = at + 1;
	}
	else
		host = s;

	if (host < end && *host == '[')
	{
		const char *close = memchr(host, ']', end - host);

		if (close == NULL || !CheckIpLiteral(host + 1, close - host - 1))
			return false;
		colon = close + 1;
		if (colon < end && *colon != ':')
			return false;
	}
	else
	{
		colon = memchr(host, ':', end - host);
		if (colon == NULL)
			colon = end;
		/* reg-name; IPv4address is a special case of it */
		if (!CheckChars(host, colon - host, ""))
			return false;
	}

	/* port = *DIGIT */
	if (colon == end)
		return true;
	while (++colon < end)
		if (*colon < '0' || *colon > '9')
			return false;
	return true;
}

/* Is s[0..len) a URI (absolute) or a URI-reference, per RFC 3986's grammar? */
bool
UriIsValid(const char *s, int len, bool absolute)
{
	const char *hash = memchr(s, '#', len);
	const char *end = hash ? hash : s + len;
	const char *question = memchr(s, '?', end - s);
	const char *p = s;
	int			scheme_len = SchemeLength(s, end - s);

	/* fragment and query = *( pchar / "/" / "?" ) */
	if (hash && !CheckChars(hash + 1, s + len - hash - 1, ":@/?"))
		return false;
	if (question)
	{
		if (!CheckChars(question + 1, end - question - 1, ":@/?"))
			return false;
		end = question;
	}

	if (scheme_len > 0)
		p += scheme_len + 1;
	else if (absolute)
		return false;
	else
	{
		/* path-noscheme: no ':' in the first segment */
		const char *slash = memchr(s, '/', end - s);

		if (memchr(s, ':', (slash ? slash : end) - s) != NULL)
			return false;
	}

	if (end - p >= 2 && p[0] == '/' && p[1] == '/')
	{
		const char *auth = p + 2;

		p = memchr(auth, '/', end - auth);
		if (p == NULL)
			p = end;
		if (!CheckAuthority(auth, p - auth))
			return false;
	}

	/* the path: segments of pchar separated by '/' */
	return CheckChars(p, end - p, ":@/");
}

/* The first character of s[0..len) that is in set; NULL when none is. */
static const char *
FindChar(const char *s, int len, const char *set)
{
	int			i;

	for (i = 0; i < len; i++)
		if (s[i] != '\0' && strchr(set, s[i]) != NULL)
			return s + i;
	return NULL;
}

/* Splits s[0..len) into its components, leniently (RFC 3986 appendix B). */
static void
SplitUri(const char *s, int len, UriParts *parts)
{
	const char *end = s + len;
	const char *p = s;
	const char *stop;
	int			scheme_len = SchemeLength(s, len);

	memset(parts, 0, sizeof(UriParts));
	if (scheme_len > 0)
	{
		parts->scheme = s;
		parts->scheme_len = scheme_len;
		p += scheme_len + 1;
	}
	if (end - p >= 2 && p[0] == '/' && p[1] == '/')
	{
		stop = FindChar(p + 2, end - p - 2, "/?#");
		parts->authority = p + 2;
		p = stop ? stop : end;
		parts->authority_len = p - parts->authority;
	}
	stop = FindChar(p, end - p, "?#");
	parts->path = p;
	p = stop ? stop : end;
	parts->path_len = p - parts->path;
	if (p < end && *p == '?')
	{
		stop = memchr(p, '#', end - p);
		parts->query = p + 1;
		p = stop ? stop : end;
		parts->query_len = p - parts->query;
	}
	if (p < end)
	{
		parts->fragment = p + 1;
		parts->fragment_len = end - p - 1;
	}
}

/* remove_dot_segments of section 5.2.4, palloc'd; a relative path stays relative. */
static char *
RemoveDotSegments(const char *path, int len)
{
	char	   *in = pnstrdup(path, len);
	char	   *p = in;
	char	   *out = palloc(len + 1);
	int			n = 0;

	while (*p)
	{
		if (strncmp(p, "../", 3) == 0)
			p += 3;
		else if (strncmp(p, "./", 2) == 0 || strncmp(p, "/./", 3) == 0)
			p += 2;
		else if (strcmp(p, "/.") == 0)
		{
			p++;
			*p = '/';
		}
		else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0)
		{
			/* the input becomes "/" and what followed; the output loses a segment */
			p += 2;
			if (p[1] == '/')
				p++;
			else
				*p = '/';
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		}
		else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
			break;
		else
		{
			/* move the first segment, with its leading '/', to the output */
			do
				out[n++] = *p++;
			while (*p && *p != '/');
		}
	}
	out[n] = '\0';
	pfree(in);
	/* a relative path stays relative ("a/../b" is "b", not "/b") */
	if (len > 0 && path[0] != '/' && out[0] == '/')
		memmove(out, out + 1, n);
	return out;
}

/* The merge of section 5.2.3: ref's path appended to base's directory. */
static char *
MergePaths(const UriParts *base, const UriParts *ref)
{
	StringInfoData buf;
	int			dir = base->path_len;

	initStringInfo(&buf);
	if (base->authority != NULL && base->path_len == 0)
		appendStringInfoChar(&buf, '/');
	else
	{
		while (dir > 0 && base->path[dir - 1] != '/')
			dir--;
		appendBinaryStringInfo(&buf, base->path, dir);
	}
	appendBinaryStringInfo(&buf, ref->path, ref->path_len);
	return buf.data;
}

/* Recomposes a URI from its components and a path (section 5.3), palloc'd. */
static char *
ComposeUri(const UriParts *parts, const char *path)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (parts->scheme)
	{
		appendBinaryStringInfo(&buf, parts->scheme, parts->scheme_len);
		appendStringInfoChar(&buf, ':');
	}
	if (parts->authority)
	{
		appendStringInfoString(&buf, "//");
		appendBinaryStringInfo(&buf, parts->authority, parts->authority_len);
	}
	appendStringInfoString(&buf, path);
	if (parts->query)
	{
		appendStringInfoChar(&buf, '?');
		appendBinaryStringInfo(&buf, parts->query, parts->query_len);
	}
	if (parts->fragment)
	{
		appendStringInfoChar(&buf, '#');
		appendBinaryStringInfo(&buf, parts->fragment, parts->fragment_len);
	}
	return buf.data;
}

/* RFC 3986 section 5.2: reference resolved against base ("" = no base), palloc'd. */
char *
UriResolve(const char *base, const char *reference)
{
	UriParts	b;
	UriParts	r;
	UriParts	t;
	char	   *path;

	SplitUri(base, strlen(base), &b);
	SplitUri(reference, strlen(reference), &r);

	t = r;
	if (r.scheme)
		path = RemoveDotSegments(r.path, r.path_len);
	else
	{
		t.scheme = b.scheme;
		t.scheme_len = b.scheme_len;
		if (r.authority)
			path = RemoveDotSegments(r.path, r.path_len);
		else
		{
			t.authority = b.authority;
			t.authority_len = b.authority_len;
			if (r.path_len == 0)
			{
				path = pnstrdup(b.path, b.path_len);
				if (r.query == NULL)
				{
					t.query = b.query;
					t.query_len = b.query_len;
				}
			}
			else if (r.path[0] == '/')
				path = RemoveDotSegments(r.path, r.path_len);
			else
			{
				char	   *merged = MergePaths(&b, &r);

				path = RemoveDotSegments(merged, strlen(merged));
				pfree(merged);
			}
		}
	}
	return ComposeUri(&t, path);
}

/* The URI without its "#fragment" part, palloc'd. */
char *
UriWithoutFragment(const char *uri)
{
	const char *hash = strchr(uri, '#');

	return hash ? pnstrdup(uri, hash - uri) : pstrdup(uri);
}

/* The percent-decoded fragment after '#', palloc'd; NULL when there is no '#'. */
char *
UriFragment(const char *uri)
{
	const char *p = strchr(uri, '#');
	char	   *out;
	int			n = 0;

	if (p == NULL)
		return NULL;
	out = palloc(strlen(p));
	for (p++; *p; p++)
	{
		/* a '%' not followed by two hex digits stays as it is */
		if (*p == '%' && HexValue(p[1]) >= 0 && HexValue(p[2]) >= 0)
		{
			out[n++] = (char) (HexValue(p[1]) * 16 + HexValue(p[2]));
			p += 2;
		}
		else
			out[n++] = *p;
	}
	out[n] = '\0';
	return out;
}
