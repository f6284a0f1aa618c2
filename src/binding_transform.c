/*
 * binding_transform.c: the value-to-value transforms of bindings: passthrough,
 * lowercase, uppercase, filter, map, flatten, json_parse and json_stringify
 * (sum, average and count live in binding_aggregate.c).
 */
#include "postgres.h"

#include "miscadmin.h"

#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "binding_transform.h"
#include "json_text.h"
#include "jsonb_util.h"
#include "violations.h"

static const struct
{
	const char *name;
	TransformKind kind;
}			transform_names[] =
{
	{"passthrough", TRANSFORM_PASSTHROUGH},
	{"lowercase", TRANSFORM_LOWERCASE},
	{"uppercase", TRANSFORM_UPPERCASE},
	{"sum", TRANSFORM_SUM},
	{"average", TRANSFORM_AVERAGE},
	{"count", TRANSFORM_COUNT},
	{"filter", TRANSFORM_FILTER},
	{"map", TRANSFORM_MAP},
	{"flatten", TRANSFORM_FLATTEN},
	{"json_parse", TRANSFORM_JSON_PARSE},
	{"json_stringify", TRANSFORM_JSON_STRINGIFY},
};

/* The variable in a jsonpath item or anything below or after it, "$name"; NULL when none. */
static char *
VariableIn(JsonPathItem *v)
{
	JsonPathItem a;
	JsonPathItem to;
	char	   *found = NULL;
	int32		len;
	int			i;

	check_stack_depth();
	switch (v->type)
	{
		case jpiVariable:
			return psprintf("$%s", pnstrdup(jspGetString(v, &len), len));
		case jpiAnd:
		case jpiOr:
		case jpiEqual:
		case jpiNotEqual:
		case jpiLess:
		case jpiGreater:
		case jpiLessOrEqual:
		case jpiGreaterOrEqual:
		case jpiStartsWith:
		case jpiAdd:
		case jpiSub:
		case jpiMul:
		case jpiDiv:
		case jpiMod:
			jspGetLeftArg(v, &a);
			if ((found = VariableIn(&a)) == NULL)
			{
				jspGetRightArg(v, &a);
				found = VariableIn(&a);
			}
			break;
		case jpiNot:
		case jpiIsUnknown:
		case jpiExists:
		case jpiPlus:
		case jpiMinus:
		case jpiFilter:
			jspGetArg(v, &a);
			found = VariableIn(&a);
			break;
		case jpiDatetime:
			if (v->content.arg)
			{
				jspGetArg(v, &a);
				found = VariableIn(&a);
			}
			break;
		case jpiIndexArray:
			for (i = 0; i < v->content.array.nelems && found == NULL; i++)
			{
				bool		range = jspGetArraySubscript(v, &a, &to, i);

				if ((found = VariableIn(&a)) == NULL && range)
					found = VariableIn(&to);
			}
			break;
		case jpiLikeRegex:
			jspInitByBuffer(&a, v->base, v->content.like_regex.expr);
			found = VariableIn(&a);
			break;
		default:
			break;
	}
	if (found == NULL && jspGetNext(v, &a))
		found = VariableIn(&a);
	return found;
}

/*
 * The first variable a compiled jsonpath refers to ("$name"), NULL when none:
 * bindings pass no variables, so such a path could only fail.
 */
char *
JsonPathVariable(JsonPath *path)
{
	JsonPathItem root;

	jspInit(&root, path);
	return VariableIn(&root);
}

/* Compiles a transform by name; filter and map also compile their jsonpath. */
void
CompileTransform(Transform *t, const char *name, const char *jsonpath)
{
	size_t		i;
	char	   *var;

	memset(t, 0, sizeof(Transform));
	for (i = 0; i < lengthof(transform_names); i++)
		if (strcmp(name, transform_names[i].name) == 0)
			break;
	if (i == lengthof(transform_names))
		elog(ERROR, "unknown binding transform \"%s\"", name);
	t->kind = transform_names[i].kind;
	t->name = transform_names[i].name;
	if (t->kind != TRANSFORM_FILTER && t->kind != TRANSFORM_MAP)
		return;
	if (jsonpath == NULL)
		elog(ERROR, "binding transform \"%s\" has no jsonpath", name);
	t->jsonpath = DatumGetJsonPathP(DirectFunctionCall1(jsonpath_in, CStringGetDatum(jsonpath)));
	if ((var = JsonPathVariable(t->jsonpath)) != NULL)
		t->problem = psprintf("jsonpath \"%s\" uses the variable %s, but bindings pass no variables",
							  jsonpath, var);
}

/* Is t one of sum, average and count? */
bool
TransformIsAggregate(const Transform *t)
{
	return t->kind == TRANSFORM_SUM || t->kind == TRANSFORM_AVERAGE || t->kind == TRANSFORM_COUNT;
}

/* Adds "<transform> needs <expected>; the value is <type>" and returns false. */
static bool
WrongType(const Transform *t, const char *path, const char *expected, const JsonbValue *v,
		  List **violations)
{
	AddViolation(violations, path, t->name, "%s needs %s; the value is %s",
				 t->name, expected, JsonbValueTypeName(v));
	return false;
}

/* Is v a JSON array? */
static bool
IsArray(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/* The finished array state as a jbvBinary value. */
static void
EndArray(JsonbParseState **state, JsonbValue *out)
{
	JsonbRootValue(JsonbValueToJsonb(pushJsonbValue(state, WJB_END_ARRAY, NULL)), out);
}

/* An empty object for jsonpath's vars argument, made once per backend. */
static Datum
NoVariables(void)
{
	static Jsonb *empty = NULL;

	if (empty == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		JsonbParseState *state = NULL;

		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		empty = JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
		MemoryContextSwitchTo(old);
	}
	return JsonbPGetDatum(empty);
}

/* The first item t's jsonpath yields for v (silently, as jsonb_path_query_first); false when none. */
static bool
JsonPathFirst(const Transform *t, const JsonbValue *v, JsonbValue *out)
{
	LOCAL_FCINFO(fcinfo, 4);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 4, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = JsonbPGetDatum(JsonbValueToJsonb((JsonbValue *) v));
	fcinfo->args[1].value = PointerGetDatum(t->jsonpath);
	fcinfo->args[2].value = NoVariables();
	fcinfo->args[3].value = BoolGetDatum(true);
	fcinfo->args[0].isnull = fcinfo->args[1].isnull = false;
	fcinfo->args[2].isnull = fcinfo->args[3].isnull = false;
	result = jsonb_path_query_first(fcinfo);
	if (fcinfo->isnull)
		return false;
	JsonbRootValue(DatumGetJsonbP(result), out);
	return true;
}

/* lowercase / uppercase: a string, folded with the database's default collation. */
static bool
FoldCase(const Transform *t, const JsonbValue *v, const char *path, JsonbValue *out,
		 List **violations)
{
	char	   *s;

	if (v->type != jbvString)
		return WrongType(t, path, "a string", v, violations);
	s = t->kind == TRANSFORM_LOWERCASE
		? str_tolower(v->val.string.val, v->val.string.len, DEFAULT_COLLATION_OID)
		: str_toupper(v->val.string.val, v->val.string.len, DEFAULT_COLLATION_OID);
	JsonbInitString(out, s);
	return true;
}

/*
 * filter: the items of an array for which the jsonpath yields something other
 * than false or null, so "$ ? (@ > 10)" and "$ > 10" both work.
 */
static bool
Filter(const Transform *t, const JsonbValue *v, const char *path, JsonbValue *out,
	   List **violations)
{
	JsonbParseState *state = NULL;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	item;
	JsonbValue	first;

	if (!IsArray(v))
		return WrongType(t, path, "an array", v, violations);
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		if (tok == WJB_ELEM && JsonPathFirst(t, &item, &first) && first.type != jbvNull &&
			!(first.type == jbvBool && !first.val.boolean))
			pushJsonbValue(&state, WJB_ELEM, &item);
	}
	EndArray(&state, out);
	return true;
}

/*
 * map: over an array, the first result of the jsonpath on each item (null
 * when none); over any other value, the first result on that value.
 */
static bool
Map(const Transform *t, const JsonbValue *v, JsonbValue *out)
{
	JsonbParseState *state = NULL;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	item;
	JsonbValue	result;

	if (!IsArray(v))
	{
		if (!JsonPathFirst(t, v, out))
			out->type = jbvNull;
		return true;
	}
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (!JsonPathFirst(t, &item, &result))
			result.type = jbvNull;
		pushJsonbValue(&state, WJB_ELEM, &result);
	}
	EndArray(&state, out);
	return true;
}

/* flatten: one level; the items of nested arrays take their place, other items stay. */
static bool
Flatten(const Transform *t, const JsonbValue *v, const char *path, JsonbValue *out,
		List **violations)
{
	JsonbParseState *state = NULL;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	item;

	if (!IsArray(v))
		return WrongType(t, path, "an array", v, violations);
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		/* an array item gives its own items; anything else stays as it is */
		if (IsArray(&item))
		{
			JsonbIterator *inner = JsonbIteratorInit(item.val.binary.data);
			JsonbValue	sub;

			while ((tok = JsonbIteratorNext(&inner, &sub, true)) != WJB_DONE)
				if (tok == WJB_ELEM)
					pushJsonbValue(&state, WJB_ELEM, &sub);
		}
		else
			pushJsonbValue(&state, WJB_ELEM, &item);
	}
	EndArray(&state, out);
	return true;
}

/* json_parse: a string of JSON text becomes the value it spells. */
static bool
JsonParse(const Transform *t, const JsonbValue *v, const char *path, JsonbValue *out,
		  List **violations)
{
	char	   *problem;

	if (v->type != jbvString)
		return WrongType(t, path, "a string", v, violations);
	if (ParseJsonText(v->val.string.val, v->val.string.len, out, &problem))
		return true;
	AddViolation(violations, path, t->name, "json_parse needs valid JSON text: %s", problem);
	return false;
}

/* json_stringify: any value becomes its compact JSON text. */
static void
JsonStringify(const JsonbValue *v, JsonbValue *out)
{
	StringInfoData buf;

	initStringInfo(&buf);
	AppendCompactJson(&buf, v);
	out->type = jbvString;
	out->val.string.val = buf.data;
	out->val.string.len = buf.len;
}

/* Applies a non-aggregate transform to v; false with a violation when v does not suit it. */
bool
ApplyTransform(const Transform *t, const JsonbValue *v, const char *path, JsonbValue *out,
			   List **violations)
{
	if (t->problem)
	{
		AddViolation(violations, path, "jsonpath", "%s", t->problem);
		return false;
	}
	switch (t->kind)
	{
		case TRANSFORM_PASSTHROUGH:
			*out = *v;
			return true;
		case TRANSFORM_LOWERCASE:
		case TRANSFORM_UPPERCASE:
			return FoldCase(t, v, path, out, violations);
		case TRANSFORM_FILTER:
			return Filter(t, v, path, out, violations);
		case TRANSFORM_MAP:
			return Map(t, v, out);
		case TRANSFORM_FLATTEN:
			return Flatten(t, v, path, out, violations);
		case TRANSFORM_JSON_PARSE:
			return JsonParse(t, v, path, out, violations);
		case TRANSFORM_JSON_STRINGIFY:
			JsonStringify(v, out);
			return true;
		default:
			elog(ERROR, "transform \"%s\" is an aggregate", t->name);
	}
	pg_unreachable();
}
