/*
 * schema_format.c: the checkers behind JSON Schema draft-07's "format"
 * keyword.  Each takes a string that is not NUL-terminated and answers true or
 * false; none of them throws on bad input.
 */
#include "postgres.h"

#include <arpa/inet.h>

#include "schema_format.h"
#include "schema_node.h"
#include "uri.h"

/* A format name and its checker. */
typedef struct FormatEntry
{
	const char *name;
	FormatCheck check;
} FormatEntry;

static bool IsDigit(char c);
static bool IsHex(char c);
static bool IsAlnum(char c);
static bool ParseNumber(const char *s, int ndigits, int max, int *value);
static bool ParseDate(const char *s, int len);
static bool ParseTime(const char *s, int len);
static bool CheckDateTime(const char *s, int len);
static bool CheckDate(const char *s, int len);
static bool CheckTime(const char *s, int len);
static bool CheckLocalPart(const char *s, int len);
static bool CheckEmail(const char *s, int len);
static bool CheckHostname(const char *s, int len);
static bool CheckIpv4(const char *s, int len);
static bool CheckIpv6(const char *s, int len);
static bool CheckUri(const char *s, int len);
static bool CheckUriReference(const char *s, int len);
static bool CheckUuid(const char *s, int len);
static bool CheckRegex(const char *s, int len);
static bool CheckJsonPointer(const char *s, int len);

static const FormatEntry formats[] = {
	{"date-time", CheckDateTime},
	{"date", CheckDate},
	{"time", CheckTime},
	{"email", CheckEmail},
	{"hostname", CheckHostname},
	{"ipv4", CheckIpv4},
	{"ipv6", CheckIpv6},
	{"uri", CheckUri},
	{"uri-reference", CheckUriReference},
	{"uuid", CheckUuid},
	{"regex", CheckRegex},
	{"json-pointer", CheckJsonPointer},
	{NULL, NULL}
};

/* The checker of a format; NULL for a format streamflow does not know (it passes). */
FormatCheck
LookupFormat(const char *name, int len)
{
	const FormatEntry *f;

	for (f = formats; f->name; f++)
		if (strlen(f->name) == (size_t) len && memcmp(f->name, name, len) == 0)
			return f->check;
	return NULL;
}

/* Is c an ASCII digit? */
static bool
IsDigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Is c an ASCII hex digit, in either case? */
static bool
IsHex(char c)
{
	return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Is c an ASCII letter or digit? */
static bool
IsAlnum(char c)
{
	return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Reads exactly ndigits digits into *value; false unless they are there and <= max. */
static bool
ParseNumber(const char *s, int ndigits, int max, int *value)
{
	int			i;

	*value = 0;
	for (i = 0; i < ndigits; i++)
	{
		if (!IsDigit(s[i]))
			return false;
		*value = *value * 10 + (s[i] - '0');
	}
	return *value <= max;
}

/* RFC 3339 full-date "YYYY-MM-DD", the day valid for its month and year. */
static bool
ParseDate(const char *s, int len)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			year;
	int			month;
	int			day;
	bool		leap;

	if (len != 10 || s[4] != '-' || s[7] != '-' ||
		!ParseNumber(s, 4, 9999, &year) ||
		!ParseNumber(s + 5, 2, 12, &month) ||
		!ParseNumber(s + 8, 2, 31, &day) ||
		month < 1 || day < 1)
		return false;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return day <= days[month - 1] || (month == 2 && leap && day == 29);
}

/*
 * RFC 3339 full-time "HH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" taking all of
 * s[0..len).  A leap second (:60) is accepted only at 23:59 UTC, once the
 * offset is applied.
 */
static bool
ParseTime(const char *s, int len)
{
	int			hour;
	int			minute;
	int			second;
	int			offset = 0;
	int			i = 8;

	if (len < 9 || s[2] != ':' || s[5] != ':' ||
		!ParseNumber(s, 2, 23, &hour) ||
		!ParseNumber(s + 3, 2, 59, &minute) ||
		!ParseNumber(s + 6, 2, 60, &second))
		return false;
	if (s[i] == '.')
	{
		for (i++; i < len && IsDigit(s[i]); i++)
			;
		if (i == 9)
			return false;
	}
	if (i == len - 1 && (s[i] == 'Z' || s[i] == 'z'))
		offset = 0;
	else if (i == len - 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':')
	{
		int			oh;
		int			om;

		if (!ParseNumber(s + i + 1, 2, 23, &oh) ||
			!ParseNumber(s + i + 4, 2, 59, &om))
			return false;
		offset = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
	}
	else
		return false;
	return second < 60 ||
		((hour * 60 + minute - offset) % 1440 + 1440) % 1440 == 23 * 60 + 59;
}

/* date-time: RFC 3339 date-time, "T" and "Z" in either case. */
static bool
CheckDateTime(const char *s, int len)
{
	return len > 11 && (s[10] == 'T' || s[10] == 't') &&
		ParseDate(s, 10) && ParseTime(s + 11, len - 11);
}

/* date: RFC 3339 full-date. */
static bool
CheckDate(const char *s, int len)
{
	return ParseDate(s, len);
}

/* time: RFC 3339 full-time (the offset is required). */
static bool
CheckTime(const char *s, int len)
{
	return ParseTime(s, len);
}

/*
 * The local part of a mailbox (RFC 5321 section 4.1.2): a dot-string of
 * atext atoms, or a quoted string of printable ASCII; at most 64 octets.
 */
static bool
CheckLocalPart(const char *s, int len)
{
	int			i;

	if (len < 1 || len > 64)
		return false;
	if (s[0] == '"')
	{
		if (len < 2 || s[len - 1] != '"')
			return false;
		for (i = 1; i < len - 1; i++)
		{
			if (s[i] == '\\' && i + 1 < len - 1 && s[i + 1] >= 32 && s[i + 1] <= 126)
				i++;
			else if (s[i] < 32 || s[i] > 126 || s[i] == '"' || s[i] == '\\')
				return false;
		}
		return true;
	}
	for (i = 0; i < len; i++)
	{
		if (s[i] == '.')
		{
			/* no leading, trailing or doubled dot */
			if (i == 0 || i == len - 1 || s[i + 1] == '.')
				return false;
		}
		else if (!IsAlnum(s[i]) &&
				 (s[i] == '\0' || strchr("!#$%&'*+-/=?^_`{|}~", s[i]) == NULL))
			return false;
	}
	return true;
}

/*
 * email: local-part "@" domain, the domain a hostname or an address literal
 * ("[192.0.2.1]" or "[IPv6:2001:db8::1]").
 */
static bool
CheckEmail(const char *s, int len)
{
	int			at = len - 1;
	const char *domain;
	int			domain_len;

	while (at >= 0 && s[at] != '@')
		at--;
	if (at < 0 || !CheckLocalPart(s, at))
		return false;
	domain = s + at + 1;
	domain_len = len - at - 1;
	if (domain_len >= 2 && domain[0] == '[' && domain[domain_len - 1] == ']')
	{
		if (domain_len > 7 && pg_strncasecmp(domain + 1, "IPv6:", 5) == 0)
			return CheckIpv6(domain + 6, domain_len - 7);
		return CheckIpv4(domain + 1, domain_len - 2);
	}
	return CheckHostname(domain, domain_len);
}

/*
 * hostname: RFC 1123, dot-separated labels of 1 to 63 letters, digits and
 * hyphens, not starting or ending with a hyphen; 253 characters at most.
 */
static bool
CheckHostname(const char *s, int len)
{
	int			start = 0;
	int			i;

	if (len < 1 || len > 253)
		return false;
	for (i = 0; i <= len; i++)
	{
		if (i == len || s[i] == '.')
		{
			if (i == start || i - start > 63 ||
				s[start] == '-' || s[i - 1] == '-')
				return false;
			start = i + 1;
		}
		else if (!IsAlnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

/* ipv4: four decimal octets 0-255, dot-separated, without leading zeros. */
static bool
CheckIpv4(const char *s, int len)
{
	int			octets = 0;
	int			i = 0;

	while (octets < 4)
	{
		int			start = i;
		int			value = 0;

		while (i < len && IsDigit(s[i]) && i - start < 3)
			value = value * 10 + (s[i++] - '0');
		if (i == start || value > 255 || (s[start] == '0' && i - start > 1))
			return false;
		if (++octets < 4)
		{
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == len;
}

/* ipv6: RFC 4291 section 2.2 text forms, as inet_pton(AF_INET6) reads them. */
static bool
CheckIpv6(const char *s, int len)
{
	char		buf[INET6_ADDRSTRLEN];
	unsigned char addr[16];

	/* the longest form, six groups and a dotted quad, is 45 characters */
	if (len < 2 || len >= (int) sizeof(buf) || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* uri: an absolute RFC 3986 URI (a scheme is required). */
static bool
CheckUri(const char *s, int len)
{
	return UriIsValid(s, len, true);
}

/* uri-reference: an RFC 3986 URI or relative reference. */
static bool
CheckUriReference(const char *s, int len)
{
	return UriIsValid(s, len, false);
}

/* uuid: 8-4-4-4-12 hex digits in either case, any version. */
static bool
CheckUuid(const char *s, int len)
{
	int			i;

	if (len != 36)
		return false;
	for (i = 0; i < len; i++)
	{
		bool		dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : !IsHex(s[i]))
			return false;
	}
	return true;
}

/* regex: compiles as a PostgreSQL advanced regular expression, as "pattern" does. */
static bool
CheckRegex(const char *s, int len)
{
	SchemaRegex rx;
	char	   *error = NULL;
	bool		ok = SchemaRegexCompile(&rx, s, len, &error);

	if (ok)
		pg_regfree(&rx.re);
	else
		pfree(error);
	pfree(rx.source);
	return ok;
}

/* json-pointer: RFC 6901, "" or "/"-prefixed tokens, '~' only as ~0 or ~1. */
static bool
CheckJsonPointer(const char *s, int len)
{
	int			i;

	if (len > 0 && s[0] != '/')
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '~' && (i + 1 >= len || (s[i + 1] != '0' && s[i + 1] != '1')))
			return false;
	return true;
}
