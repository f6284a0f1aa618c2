/*
 * jsonb_util.h: small helpers over PostgreSQL's jsonb API.
 */
#ifndef STREAMFLOW_JSONB_UTIL_H
#define STREAMFLOW_JSONB_UTIL_H

#include "postgres.h"
#include "utils/jsonb.h"

extern const char *JsonbValueTypeName(const JsonbValue *v);
extern JsonbValue *JsonbObjectGet(JsonbContainer *obj, const char *key);
extern char *JsonbValueToCString(const JsonbValue *v);
extern void JsonbPushKey(JsonbParseState **state, const char *key);
extern void JsonbPushStringPair(JsonbParseState **state, const char *key, const char *value);
extern void JsonbPushValuePair(JsonbParseState **state, const char *key, JsonbValue *value);
extern void JsonbPushJsonbPair(JsonbParseState **state, const char *key, Jsonb *value);
extern void JsonbInitString(JsonbValue *v, const char *s);
extern Jsonb *DatumToJsonb(Datum value, Oid typid);
extern bool JsonbValueGetInt64(const JsonbValue *v, int64 *out);
extern int	JsonValueCompare(const JsonbValue *a, const JsonbValue *b);
extern bool JsonValueEqual(const JsonbValue *a, const JsonbValue *b);
extern void JsonbRootValue(Jsonb *jb, JsonbValue *v);
extern JsonbValue *JsonbArrayItems(JsonbContainer *array, int *n);

#endif
