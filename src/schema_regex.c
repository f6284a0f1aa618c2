/*
 * schema_regex.c: JSON Schema patterns on PostgreSQL's regex engine.
 *
 * Patterns are compiled once, as ARE (advanced regular expressions, the
 * dialect of the ~ operator), and are not anchored: "pattern" matches when
 * the regex matches anywhere in the string, as draft-07 requires.  Compiling
 * and matching never throw: a bad pattern is reported to the caller.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "schema_node.h"

/* Compiles pattern[0..len); on failure returns false with *error set. */
bool
SchemaRegexCompile(SchemaRegex *rx, const char *pattern, int len, char **error)
{
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	int			wide_len = pg_mb2wchar_with_len(pattern, wide, len);
	int			rc;

	rx->source = pnstrdup(pattern, len);
	rc = pg_regcomp(&rx->re, wide, wide_len, REG_ADVANCED, DEFAULT_COLLATION_OID);
	pfree(wide);
	if (rc == REG_OKAY)
		return true;
	if (rc == REG_CANCEL)
		CHECK_FOR_INTERRUPTS();
	{
		char		msg[256];

		pg_regerror(rc, &rx->re, msg, sizeof(msg));
		*error = pstrdup(msg);
	}
	return false;
}

/* Does the compiled pattern match anywhere in s[0..len)? */
bool
SchemaRegexMatch(SchemaRegex *rx, const char *s, int len)
{
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	int			wide_len = pg_mb2wchar_with_len(s, wide, len);
	int			rc;

	rc = pg_regexec(&rx->re, wide, wide_len, 0, NULL, 0, NULL, 0);
	pfree(wide);
	if (rc == REG_OKAY)
		return true;
	if (rc == REG_NOMATCH)
		return false;
	CHECK_FOR_INTERRUPTS();
	{
		char		msg[256];

		pg_regerror(rc, &rx->re, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("could not apply pattern \"%s\": %s", rx->source, msg)));
	}
	pg_unreachable();
}
