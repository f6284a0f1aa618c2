/*
 * json_text.h: JSON text in and out without surprises: a compact serialiser
 * (JavaScript's JSON.stringify layout) and a parser that reports bad text
 * instead of raising an error.
 */
#ifndef STREAMFLOW_JSON_TEXT_H
#define STREAMFLOW_JSON_TEXT_H

#include "postgres.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Appends the JSON text of v with no spaces: {"a":1,"b":[true,null]}. */
extern void AppendCompactJson(StringInfo buf, const JsonbValue *v);

/*
 * Parses text[0..len) as one JSON value into *out (a scalar or jbvBinary).
 * Returns false, with *problem a readable reason, when the text is not JSON
 * or holds what jsonb cannot (\u0000, numbers beyond numeric's range).
 */
extern bool ParseJsonText(const char *text, int len, JsonbValue *out, char **problem);

#endif
