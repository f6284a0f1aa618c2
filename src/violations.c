/*
 * violations.c: building, serialising and raising lists of Violations.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "jsonb_util.h"
#include "violations.h"

/* Appends one violation, its message formatted like printf. */
void
AddViolation(List **violations, const char *path, const char *keyword, const char *fmt,...)
{
	Violation  *v = palloc(sizeof(Violation));
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	v->path = pstrdup(path);
	v->keyword = pstrdup(keyword);
	v->message = buf.data;
	*violations = lappend(*violations, v);
}

/* Renders violations as a JSON array of {path, keyword, message}. */
Jsonb *
ViolationsToJsonb(List *violations)
{
	JsonbParseState *state = NULL;
	ListCell   *lc;

	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, violations)
	{
		Violation  *v = lfirst(lc);

		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		JsonbPushStringPair(&state, "path", v->path);
		JsonbPushStringPair(&state, "keyword", v->keyword);
		JsonbPushStringPair(&state, "message", v->message);
		pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_ARRAY, NULL));
}

/* Raises 22023 for "what", the detail listing every violation on its own line. */
void
RaiseViolations(List *violations, const char *what)
{
	StringInfoData detail;
	ListCell   *lc;

	initStringInfo(&detail);
	foreach(lc, violations)
	{
		Violation  *v = lfirst(lc);

		if (detail.len > 0)
			appendStringInfoChar(&detail, '\n');
		appendStringInfo(&detail, "%s: %s (%s)", v->path, v->message, v->keyword);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", what),
			 errdetail("%s", detail.data)));
}
