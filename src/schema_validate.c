/*
 * schema_validate.c: checks a jsonb instance against a compiled schema.
 *
 * Validation runs in one of two modes.  Collecting (violations != NULL)
 * reports every problem with its instance path; deciding (NULL) stops at the
 * first one, which is what anyOf, oneOf, not, if and contains use for their
 * branches, and what validate() uses.  Paths are built in one buffer that
 * grows and shrinks as the walk descends, and only read when a violation is
 * recorded.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"

#include "json_schema.h"
#include "jsonb_util.h"
#include "schema_node.h"
#include "violations.h"

/* One validation walk. */
typedef struct Validator
{
	List	  **violations;		/* NULL: stop at the first problem */
	StringInfoData path;		/* instance path of the value being checked */
} Validator;

static bool Check(Validator *v, const SchemaNode *s, JsonbValue *inst);

/* Records a violation at the current path (collecting mode only). */
static void
pg_attribute_printf(3, 4)
Fail(Validator *v, const char *keyword, const char *fmt,...)
{
	va_list		args;
	StringInfoData msg;

	if (v->violations == NULL)
		return;
	initStringInfo(&msg);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	AddViolation(v->violations, v->path.data, keyword, "%s", msg.data);
}

/* Can a key be written bare in a path ($.key) rather than quoted? */
static bool
IsPlainKey(const char *s, int len)
{
	int			i;

	if (len == 0 || !(isalpha((unsigned char) s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!(isalnum((unsigned char) s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* Descends the path into an object key; returns the length to restore. */
static int
PushKey(Validator *v, const char *key, int len)
{
	int			saved = v->path.len;

	if (v->violations == NULL)
		return saved;
	if (IsPlainKey(key, len))
	{
		appendStringInfoChar(&v->path, '.');
		appendBinaryStringInfo(&v->path, key, len);
	}
	else
	{
		char	   *quoted = pnstrdup(key, len);

		appendStringInfoChar(&v->path, '.');
		escape_json(&v->path, quoted);
		pfree(quoted);
	}
	return saved;
}

/* Descends the path into an array index; returns the length to restore. */
static int
PushIndex(Validator *v, int i)
{
	int			saved = v->path.len;

	if (v->violations != NULL)
		appendStringInfo(&v->path, "[%d]", i);
	return saved;
}

/* Climbs back to a saved path length. */
static void
PopPath(Validator *v, int saved)
{
	if (v->violations != NULL)
	{
		v->path.len = saved;
		v->path.data[saved] = '\0';
	}
}

/* Runs a subschema in deciding mode: does inst satisfy it, reporting nothing? */
static bool
Satisfies(Validator *v, const SchemaNode *s, JsonbValue *inst)
{
	List	  **saved = v->violations;
	bool		ok;

	v->violations = NULL;
	ok = Check(v, s, inst);
	v->violations = saved;
	return ok;
}

/* The SCHEMA_* bit of an instance's JSON type. */
static uint8
InstanceType(JsonbValue *inst)
{
	switch (inst->type)
	{
		case jbvNull:
			return SCHEMA_NULL;
		case jbvBool:
			return SCHEMA_BOOLEAN;
		case jbvNumeric:
			return SCHEMA_NUMBER;
		case jbvString:
			return SCHEMA_STRING;
		case jbvBinary:
			return JsonContainerIsArray(inst->val.binary.data) ? SCHEMA_ARRAY : SCHEMA_OBJECT;
		default:
			return 0;
	}
}

/* Is a number integral (1.0 is: draft-07 counts by value, not by spelling)? */
static bool
IsIntegral(Numeric n)
{
	Datum		t = DirectFunctionCall2(numeric_trunc, NumericGetDatum(n), Int32GetDatum(0));

	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, t, NumericGetDatum(n))) == 0;
}

/* Names the type bits of "type" for a message: "string or null". */
static char *
TypeNames(uint8 bits)
{
	static const char *const names[] = {"null", "boolean", "object", "array", "number",
	"string", "integer"};
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < (int) lengthof(names); i++)
		if (bits & (1 << i))
			appendStringInfo(&buf, "%s%s", buf.len ? " or " : "", names[i]);
	return buf.data;
}

/* The JSON type name of an instance for messages. */
static const char *
InstanceTypeName(JsonbValue *inst)
{
	return TypeNames(InstanceType(inst));
}

/* "type": does the instance have one of the allowed types? */
static bool
CheckType(Validator *v, const SchemaNode *s, JsonbValue *inst)
{
	uint8		t = InstanceType(inst);

	if (s->types & t)
		return true;
	if (t == SCHEMA_NUMBER && (s->types & SCHEMA_INTEGER) && IsIntegral(inst->val.numeric))
		return true;
	Fail(v, "type", "expected %s, got %s", TypeNames(s->types),
		 t == SCHEMA_NUMBER && (s->types & SCHEMA_INTEGER) ? "a number with a fraction"
		 : InstanceTypeName(inst));
	return false;
}

/* Renders a numeric for a message. */
static char *
NumericText(Numeric n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

/* Compares two numerics. */
static int
NumericCmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

/* multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum. */
static bool
CheckNumber(Validator *v, const SchemaNode *s, Numeric n)
{
	bool		ok = true;

	if (s->multiple_of)
	{
		bool		error = false;
		Numeric		rem = numeric_mod_opt_error(n, s->multiple_of, &error);

		if (error || NumericCmp(rem, int64_to_numeric(0)) != 0)
		{
			Fail(v, "multipleOf", "%s is not a multiple of %s", NumericText(n),
				 NumericText(s->multiple_of));
			ok = false;
		}
	}
	if (s->maximum && NumericCmp(n, s->maximum) > 0)
	{
		Fail(v, "maximum", "%s is greater than the maximum %s", NumericText(n),
			 NumericText(s->maximum));
		ok = false;
	}
	if (s->exclusive_maximum && NumericCmp(n, s->exclusive_maximum) >= 0)
	{
		Fail(v, "exclusiveMaximum", "%s is not less than %s", NumericText(n),
			 NumericText(s->exclusive_maximum));
		ok = false;
	}
	if (s->minimum && NumericCmp(n, s->minimum) < 0)
	{
		Fail(v, "minimum", "%s is less than the minimum %s", NumericText(n),
			 NumericText(s->minimum));
		ok = false;
	}
	if (s->exclusive_minimum && NumericCmp(n, s->exclusive_minimum) <= 0)
	{
		Fail(v, "exclusiveMinimum", "%s is not greater than %s", NumericText(n),
			 NumericText(s->exclusive_minimum));
		ok = false;
	}
	return ok;
}

/* maxLength, minLength (in code points), pattern, format. */
static bool
CheckString(Validator *v, const SchemaNode *s, const char *str, int len)
{
	bool		ok = true;

	if (s->max_length >= 0 || s->min_length >= 0)
	{
		int			chars = pg_mbstrlen_with_len(str, len);

		if (s->max_length >= 0 && chars > s->max_length)
		{
			Fail(v, "maxLength", "is %d characters long, more than the maximum " INT64_FORMAT,
				 chars, s->max_length);
			ok = false;
		}
		if (s->min_length >= 0 && chars < s->min_length)
		{
			Fail(v, "minLength", "is %d characters long, fewer than the minimum " INT64_FORMAT,
				 chars, s->min_length);
			ok = false;
		}
	}
	if (ok || v->violations)
	{
		if (s->pattern && !SchemaRegexMatch(s->pattern, str, len))
		{
			Fail(v, "pattern", "does not match the pattern \"%s\"", s->pattern->source);
			ok = false;
		}
		if (s->format_check && !s->format_check(str, len))
		{
			Fail(v, "format", "is not a valid %s", s->format);
			ok = false;
		}
	}
	return ok;
}

/* qsort comparator for uniqueItems. */
static int
ItemCmp(const void *a, const void *b)
{
	return JsonValueCompare(a, b);
}

/* uniqueItems: sorts a copy and compares neighbours, so n log n not n^2. */
static bool
CheckUnique(Validator *v, JsonbValue *items, int n)
{
	JsonbValue *sorted;
	int			i;

	if (n < 2)
		return true;
	sorted = palloc(sizeof(JsonbValue) * n);
	memcpy(sorted, items, sizeof(JsonbValue) * n);
	qsort(sorted, n, sizeof(JsonbValue), ItemCmp);
	for (i = 1; i < n; i++)
		if (JsonValueCompare(&sorted[i - 1], &sorted[i]) == 0)
		{
			Fail(v, "uniqueItems", "has duplicate items");
			return false;
		}
	return true;
}

/* items, additionalItems, maxItems, minItems, uniqueItems, contains. */
static bool
CheckArray(Validator *v, const SchemaNode *s, JsonbValue *inst)
{
	int			n;
	JsonbValue *items = JsonbArrayItems(inst->val.binary.data, &n);
	bool		ok = true;
	int			i;

	if (s->max_items >= 0 && n > s->max_items)
	{
		Fail(v, "maxItems", "has %d items, more than the maximum " INT64_FORMAT, n, s->max_items);
		ok = false;
	}
	if (s->min_items >= 0 && n < s->min_items)
	{
		Fail(v, "minItems", "has %d items, fewer than the minimum " INT64_FORMAT, n, s->min_items);
		ok = false;
	}
	if (s->unique_items && (ok || v->violations) && !CheckUnique(v, items, n))
		ok = false;
	for (i = 0; i < n && (ok || v->violations); i++)
	{
		const SchemaNode *item_schema = s->items;
		int			saved;

		CHECK_FOR_INTERRUPTS();
		if (s->items_is_list)
			item_schema = i < s->item_list.n ? s->item_list.nodes[i] : s->additional_items;
		if (item_schema == NULL)
			continue;
		saved = PushIndex(v, i);
		if (item_schema->is_boolean && !item_schema->boolean_value && s->items_is_list &&
			i >= s->item_list.n)
		{
			Fail(v, "additionalItems", "is not allowed: the array may hold only %d items",
				 s->item_list.n);
			ok = false;
		}
		else if (!Check(v, item_schema, &items[i]))
			ok = false;
		PopPath(v, saved);
	}
	if (s->contains && (ok || v->violations))
	{
		for (i = 0; i < n; i++)
			if (Satisfies(v, s->contains, &items[i]))
				break;
		if (i == n)
		{
			Fail(v, "contains", "has no item matching the \"contains\" schema");
			ok = false;
		}
	}
	return ok;
}

/* Finds a key in the properties array (sorted by length, then bytes). */
static const NamedSchema *
FindProperty(const SchemaNode *s, const char *key, int len)
{
	int			lo = 0;
	int			hi = s->n_properties - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const NamedSchema *p = &s->properties[mid];
		int			cmp = p->len != len ? (p->len < len ? -1 : 1) : memcmp(p->name, key, len);

		if (cmp == 0)
			return p;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Does an object instance have a key? */
static bool
HasKey(JsonbContainer *obj, const char *key, int len)
{
	return getKeyJsonValueFromContainer(obj, key, len, NULL) != NULL;
}

/* patternProperties, additionalProperties and propertyNames for one key. */
static bool
CheckKey(Validator *v, const SchemaNode *s, JsonbValue *key, JsonbValue *value)
{
	const char *name = key->val.string.val;
	int			len = key->val.string.len;
	bool		ok = true;
	bool		matched = FindProperty(s, name, len) != NULL;
	int			saved = PushKey(v, name, len);
	int			i;

	for (i = 0; i < s->n_pattern_properties && (ok || v->violations); i++)
	{
		NamedSchema *pp = &s->pattern_properties[i];

		if (!SchemaRegexMatch(pp->regex, name, len))
			continue;
		matched = true;
		if (!Check(v, pp->schema, value))
			ok = false;
	}
	if (!matched && s->additional_properties && (ok || v->violations))
	{
		if (s->additional_properties->is_boolean && !s->additional_properties->boolean_value)
		{
			Fail(v, "additionalProperties", "is not allowed: \"%.*s\" is not a defined property",
				 len, name);
			ok = false;
		}
		else if (!Check(v, s->additional_properties, value))
			ok = false;
	}
	if (s->property_names && (ok || v->violations) && !Satisfies(v, s->property_names, key))
	{
		Fail(v, "propertyNames", "the property name \"%.*s\" does not match the propertyNames schema",
			 len, name);
		ok = false;
	}
	PopPath(v, saved);
	return ok;
}

/* dependencies: a present key requires other keys, or a schema on the object. */
static bool
CheckDependencies(Validator *v, const SchemaNode *s, JsonbValue *inst)
{
	JsonbContainer *obj = inst->val.binary.data;
	bool		ok = true;
	int			i,
				j;

	for (i = 0; i < s->n_dependencies && (ok || v->violations); i++)
	{
		NamedSchema *d = &s->dependencies[i];

		if (!HasKey(obj, d->name, d->len))
			continue;
		for (j = 0; j < d->n_required; j++)
			if (!HasKey(obj, d->required[j], d->required_len[j]))
			{
				Fail(v, "dependencies", "has \"%.*s\" but not \"%.*s\", which it requires",
					 d->len, d->name, d->required_len[j], d->required[j]);
				ok = false;
			}
		if (d->schema && !Satisfies(v, d->schema, inst))
		{
			Fail(v, "dependencies", "has \"%.*s\" and so must match its dependencies schema",
				 d->len, d->name);
			ok = false;
		}
	}
	return ok;
}

/* maxProperties, minProperties, required, properties and the per-key keywords. */
static bool
CheckObject(Validator *v, const SchemaNode *s, JsonbValue *inst)
{
	JsonbContainer *obj = inst->val.binary.data;
	int			n = JsonContainerSize(obj);
	bool		ok = true;
	int			i;

	if (s->max_properties >= 0 && n > s->max_properties)
	{
		Fail(v, "maxProperties", "has %d properties, more than the maximum " INT64_FORMAT,
			 n, s->max_properties);
		ok = false;
	}
	if (s->min_properties >= 0 && n < s->min_properties)
	{
		Fail(v, "minProperties", "has %d properties, fewer than the minimum " INT64_FORMAT,
			 n, s->min_properties);
		ok = false;
	}
	for (i = 0; i < s->n_required && (ok || v->violations); i++)
		if (!HasKey(obj, s->required[i], s->required_len[i]))
		{
			Fail(v, "required", "is missing the required property \"%.*s\"",
				 s->required_len[i], s->required[i]);
			ok = false;
		}
	for (i = 0; i < s->n_properties && (ok || v->violations); i++)
	{
		NamedSchema *p = &s->properties[i];
		JsonbValue *value = getKeyJsonValueFromContainer(obj, p->name, p->len, NULL);
		int			saved;

		if (value == NULL)
			continue;
		saved = PushKey(v, p->name, p->len);
		if (!Check(v, p->schema, value))
			ok = false;
		PopPath(v, saved);
	}
	if ((s->n_pattern_properties > 0 || s->additional_properties || s->property_names) &&
		(ok || v->violations))
	{
		JsonbIterator *it = JsonbIteratorInit(obj);
		JsonbValue	key,
					value;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
		{
			if (tok != WJB_KEY)
				continue;
			JsonbIteratorNext(&it, &value, true);
			CHECK_FOR_INTERRUPTS();
			if (!CheckKey(v, s, &key, &value))
			{
				ok = false;
				if (v->violations == NULL)
					break;
			}
		}
	}
	if (s->n_dependencies > 0 && (ok || v->violations) && !CheckDependencies(v, s, inst))
		ok = false;
	return ok;
}

/* enum and const. */
static bool
CheckValue(Validator *v, const SchemaNode *s, JsonbValue *inst)
{
	bool		ok = true;
	int			i;

	if (s->enum_values != NULL)
	{
		for (i = 0; i < s->n_enum; i++)
			if (JsonValueEqual(inst, &s->enum_values[i]))
				break;
		if (i == s->n_enum)
		{
			Fail(v, "enum", "is not one of the %d allowed values", s->n_enum);
			ok = false;
		}
	}
	if (s->has_const && !JsonValueEqual(inst, (JsonbValue *) &s->const_value))
	{
		Fail(v, "const", "must be equal to %s",
			 JsonbValueToCString((JsonbValue *) &s->const_value));
		ok = false;
	}
	return ok;
}

/* allOf, anyOf, oneOf, not, if/then/else. */
static bool
CheckCombinators(Validator *v, const SchemaNode *s, JsonbValue *inst)
{
	bool		ok = true;
	int			i;

	for (i = 0; i < s->all_of.n && (ok || v->violations); i++)
		if (!Check(v, s->all_of.nodes[i], inst))
			ok = false;
	if (s->any_of.n > 0 && (ok || v->violations))
	{
		for (i = 0; i < s->any_of.n; i++)
			if (Satisfies(v, s->any_of.nodes[i], inst))
				break;
		if (i == s->any_of.n)
		{
			Fail(v, "anyOf", "matches none of the %d schemas of anyOf", s->any_of.n);
			ok = false;
		}
	}
	if (s->one_of.n > 0 && (ok || v->violations))
	{
		int			matches = 0;

		for (i = 0; i < s->one_of.n && matches < 2; i++)
			if (Satisfies(v, s->one_of.nodes[i], inst))
				matches++;
		if (matches != 1)
		{
			Fail(v, "oneOf", "%s; exactly one is required",
				 matches == 0 ? psprintf("matches none of the %d schemas of oneOf", s->one_of.n)
				 : "matches more than one schema of oneOf");
			ok = false;
		}
	}
	if (s->not_schema && (ok || v->violations) && Satisfies(v, s->not_schema, inst))
	{
		Fail(v, "not", "must not match the \"not\" schema");
		ok = false;
	}
	if (s->if_schema && (ok || v->violations))
	{
		const SchemaNode *branch;

		branch = Satisfies(v, s->if_schema, inst) ? s->then_schema : s->else_schema;
		if (branch && !Check(v, branch, inst))
			ok = false;
	}
	return ok;
}

/* Validates inst against one schema node. */
static bool
Check(Validator *v, const SchemaNode *s, JsonbValue *inst)
{
	bool		ok = true;

	check_stack_depth();
	if (s->is_boolean)
	{
		if (!s->boolean_value)
			Fail(v, "false", "no value is allowed here (the schema is false)");
		return s->boolean_value;
	}
	if (s->ref)
		return Check(v, s->ref_target, inst);
	if (s->types && !CheckType(v, s, inst))
		ok = false;
	if ((ok || v->violations) && !CheckValue(v, s, inst))
		ok = false;
	if (ok || v->violations)
	{
		switch (InstanceType(inst))
		{
			case SCHEMA_NUMBER:
				ok &= CheckNumber(v, s, inst->val.numeric);
				break;
			case SCHEMA_STRING:
				ok &= CheckString(v, s, inst->val.string.val, inst->val.string.len);
				break;
			case SCHEMA_ARRAY:
				ok &= CheckArray(v, s, inst);
				break;
			case SCHEMA_OBJECT:
				ok &= CheckObject(v, s, inst);
				break;
			default:
				break;
		}
	}
	if ((ok || v->violations) && !CheckCombinators(v, s, inst))
		ok = false;
	return ok;
}

/* See json_schema.h. */
bool
ValidateInstance(const Schema *schema, Jsonb *instance, List **violations)
{
	Validator	v;
	JsonbValue	root;

	v.violations = violations;
	initStringInfo(&v.path);
	appendStringInfoChar(&v.path, '$');
	JsonbRootValue(instance, &root);
	return Check(&v, schema->root, &root);
}
