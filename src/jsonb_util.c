/*
 * jsonb_util.c: small helpers over PostgreSQL's jsonb API (lookups, building
 * objects, turning any SQL value into jsonb with the server's own to_jsonb).
 */
#include "postgres.h"

#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "catalog/pg_type.h"
#include "utils/numeric.h"

#include "jsonb_util.h"

/* The JSON type name of a value, for error messages ("an object", "a string"). */
const char *
JsonbValueTypeName(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvArray:
			return "an array";
		case jbvObject:
			return "an object";
		case jbvBinary:
			if (JsonContainerIsArray(v->val.binary.data))
				return "an array";
			if (JsonContainerIsObject(v->val.binary.data))
				return "an object";
			return "a scalar";
		default:
			return "an unknown value";
	}
}

/* Looks up key in an object container; NULL when absent. */
JsonbValue *
JsonbObjectGet(JsonbContainer *obj, const char *key)
{
	if (!JsonContainerIsObject(obj))
		return NULL;
	return getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);
}

/* The JSON text of a value (strings quoted), for messages. */
char *
JsonbValueToCString(const JsonbValue *v)
{
	Jsonb	   *j = JsonbValueToJsonb((JsonbValue *) v);

	return JsonbToCString(NULL, &j->root, VARSIZE(j));
}

/* Initialises v as a jsonb string value pointing at s. */
void
JsonbInitString(JsonbValue *v, const char *s)
{
	v->type = jbvString;
	v->val.string.val = (char *) s;
	v->val.string.len = strlen(s);
}

/* Pushes an object key. */
void
JsonbPushKey(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	JsonbInitString(&k, key);
	pushJsonbValue(state, WJB_KEY, &k);
}

/* Pushes "key": "value" (value NULL gives JSON null). */
void
JsonbPushStringPair(JsonbParseState **state, const char *key, const char *value)
{
	JsonbValue	v;

	if (value)
		JsonbInitString(&v, value);
	else
		v.type = jbvNull;
	JsonbPushValuePair(state, key, &v);
}

/* Pushes "key": value for any JsonbValue, containers included. */
void
JsonbPushValuePair(JsonbParseState **state, const char *key, JsonbValue *value)
{
	JsonbPushKey(state, key);
	pushJsonbValue(state, WJB_VALUE, value);
}

/* Pushes "key": <jsonb document> (NULL gives JSON null). */
void
JsonbPushJsonbPair(JsonbParseState **state, const char *key, Jsonb *value)
{
	JsonbValue	v;

	if (value == NULL)
		v.type = jbvNull;
	else if (JB_ROOT_IS_SCALAR(value))
	{
		JsonbExtractScalar(&value->root, &v);
	}
	else
	{
		v.type = jbvBinary;
		v.val.binary.data = &value->root;
		v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	}
	JsonbPushValuePair(state, key, &v);
}

/* Converts any SQL value to jsonb with the server's own to_jsonb(). */
Jsonb *
DatumToJsonb(Datum value, Oid typid)
{
	FmgrInfo	flinfo;
	Const	   *arg = makeNullConst(typid, -1, InvalidOid);

	fmgr_info(F_TO_JSONB, &flinfo);
	/* to_jsonb reads its argument's type from the call expression */
	flinfo.fn_expr = (Node *) makeFuncExpr(F_TO_JSONB, JSONBOID, list_make1(arg),
										   InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	return DatumGetJsonbP(FunctionCall1(&flinfo, value));
}

/*
 * The int64 value of an integral JSON number (1.0 counts as integral).
 * Returns false for non-numbers, fractions and values out of int64 range.
 */
bool
JsonbValueGetInt64(const JsonbValue *v, int64 *out)
{
	char	   *s;
	char	   *end;
	long long	n;

	if (v->type != jbvNumeric || numeric_is_nan(v->val.numeric) ||
		numeric_is_inf(v->val.numeric))
		return false;
	s = numeric_normalize(v->val.numeric);	/* "1.0" -> "1" */
	if (strchr(s, '.') != NULL)
		return false;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return false;
	*out = (int64) n;
	return true;
}

/* The root of a jsonb as one value: a scalar, or a jbvBinary container. */
void
JsonbRootValue(Jsonb *jb, JsonbValue *v)
{
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbExtractScalar(&jb->root, v);
		return;
	}
	v->type = jbvBinary;
	v->val.binary.data = &jb->root;
	v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
}

/* Orders JSON types for JsonValueCompare: null, boolean, number, string, container. */
static int
TypeRank(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return 0;
		case jbvBool:
			return 1;
		case jbvNumeric:
			return 2;
		case jbvString:
			return 3;
		default:
			return 4;
	}
}

/*
 * A total order over JSON values in which equal values (JSON Schema's
 * equality: 1 = 1.0, objects regardless of key order) compare as 0.
 * Containers must be jbvBinary, as JsonbIterator and the lookups return them.
 */
int
JsonValueCompare(const JsonbValue *a, const JsonbValue *b)
{
	int			ra = TypeRank(a);
	int			rb = TypeRank(b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (a->type)
	{
		case jbvNull:
			return 0;
		case jbvBool:
			return (int) a->val.boolean - (int) b->val.boolean;
		case jbvNumeric:
			return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
													 NumericGetDatum(a->val.numeric),
													 NumericGetDatum(b->val.numeric)));
		case jbvString:
			if (a->val.string.len != b->val.string.len)
				return a->val.string.len < b->val.string.len ? -1 : 1;
			return memcmp(a->val.string.val, b->val.string.val, a->val.string.len);
		case jbvBinary:
			return compareJsonbContainers(a->val.binary.data, b->val.binary.data);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) a->type);
	}
	pg_unreachable();
}

/* JSON Schema's equality of two values (enum, const, uniqueItems). */
bool
JsonValueEqual(const JsonbValue *a, const JsonbValue *b)
{
	return JsonValueCompare(a, b) == 0;
}

/* The items of an array container as JsonbValues (nested containers as jbvBinary). */
JsonbValue *
JsonbArrayItems(JsonbContainer *array, int *n)
{
	JsonbIterator *it = JsonbIteratorInit(array);
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue *items = palloc(sizeof(JsonbValue) * Max(JsonContainerSize(array), 1));
	int			i = 0;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
			items[i++] = v;
	*n = i;
	return items;
}
