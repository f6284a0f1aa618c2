/*
 * schema_compile.c: turns a draft-07 JSON Schema (jsonb) into SchemaNodes.
 *
 * Compiling checks every keyword's value, so a malformed schema is rejected
 * once, when a stream is created or updated, never while frames arrive.  $ref
 * is resolved here against the document's $id's (no remote fetches), and a
 * schema that could recurse without descending into the instance is refused,
 * so validation always terminates.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "json_schema.h"
#include "jsonb_util.h"
#include "schema_node.h"
#include "uri.h"

/* A place a $ref can land: a whole resource ($id) or a plain-name anchor. */
typedef struct SchemaResource
{
	char	   *uri;			/* absolute, or "base#name" for an anchor */
	JsonbContainer *container;	/* NULL for a boolean schema */
	SchemaNode *node;
	char	   *base;
} SchemaResource;

/* A $ref waiting for every $id of the document to be known. */
typedef struct PendingRef
{
	SchemaNode *node;
	char	   *uri;			/* absolute */
} PendingRef;

/* State of one compilation. */
typedef struct Compiler
{
	Schema	   *schema;
	const char *what;			/* context for error messages, may be "" */
	List	   *resources;		/* SchemaResource * */
	List	   *pending;		/* PendingRef * */
	List	   *compiled;		/* SchemaResource * by container, memo of nodes */
} Compiler;

static SchemaNode *CompileNode(Compiler *c, JsonbValue *v, const char *location,
							   const char *base);

/* Raises 22023 for a malformed keyword at a schema location. */
static void
pg_attribute_noreturn()
BadKeyword(Compiler *c, const char *location, const char *keyword, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid JSON Schema%s: \"%s\" %s", c->what, keyword, problem),
			 errdetail("The keyword is at %s.", location)));
}

/* The location of a child: "#/properties" + "/" + escaped key. */
static char *
ChildLocation(const char *location, const char *key, int len)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoString(&buf, location);
	appendStringInfoChar(&buf, '/');
	for (i = 0; i < len; i++)
	{
		if (key[i] == '~')
			appendStringInfoString(&buf, "~0");
		else if (key[i] == '/')
			appendStringInfoString(&buf, "~1");
		else
			appendStringInfoChar(&buf, key[i]);
	}
	return buf.data;
}

/* The location of an item of an array keyword: "#/allOf/2". */
static char *
IndexLocation(const char *location, const char *keyword, int i)
{
	return psprintf("%s/%s/%d", location, keyword, i);
}

/* Is v a schema: an object or a boolean? */
static bool
IsSchemaValue(JsonbValue *v)
{
	return v->type == jbvBool ||
		(v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data));
}

/* Is v an array container? */
static bool
IsArrayValue(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/* Is v an object container? */
static bool
IsObjectValue(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/* Compiles the subschema under keyword, erroring when it is not a schema. */
static SchemaNode *
SubSchema(Compiler *c, JsonbValue *v, const char *location, const char *keyword,
		  const char *base)
{
	if (!IsSchemaValue(v))
		BadKeyword(c, location, keyword, "must be a JSON Schema (an object or a boolean)");
	return CompileNode(c, v, ChildLocation(location, keyword, strlen(keyword)), base);
}

/* Compiles a non-empty array of schemas (allOf, anyOf, oneOf). */
static void
SchemaArray(Compiler *c, JsonbValue *v, const char *location, const char *keyword,
			const char *base, SchemaList *list, bool allow_empty)
{
	JsonbValue *elems;
	int			i;

	if (!IsArrayValue(v))
		BadKeyword(c, location, keyword, "must be an array of JSON Schemas");
	elems = JsonbArrayItems(v->val.binary.data, &list->n);
	if (list->n == 0 && !allow_empty)
		BadKeyword(c, location, keyword, "must be a non-empty array of JSON Schemas");
	list->nodes = palloc(sizeof(SchemaNode *) * Max(list->n, 1));
	for (i = 0; i < list->n; i++)
	{
		if (!IsSchemaValue(&elems[i]))
			BadKeyword(c, location, keyword,
					   psprintf("item %d must be a JSON Schema (an object or a boolean)", i));
		list->nodes[i] = CompileNode(c, &elems[i], IndexLocation(location, keyword, i), base);
	}
}

/* A number keyword's value, NULL when it is not a number. */
static Numeric
NumberValue(Compiler *c, JsonbValue *v, const char *location, const char *keyword)
{
	if (v->type != jbvNumeric)
		BadKeyword(c, location, keyword, "must be a number");
	return DatumGetNumericCopy(NumericGetDatum(v->val.numeric));
}

/* A non-negative integer keyword (maxLength, minItems, ...). */
static int64
CountValue(Compiler *c, JsonbValue *v, const char *location, const char *keyword)
{
	int64		n;

	if (JsonbValueGetInt64(v, &n) && n >= 0)
		return n;
	/* a limit beyond int64 is still a non-negative integer: no array reaches it */
	if (v->type == jbvNumeric &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(v->val.numeric),
										  NumericGetDatum(int64_to_numeric(0)))) > 0 &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp,
										  DirectFunctionCall2(numeric_trunc,
															  NumericGetDatum(v->val.numeric),
															  Int32GetDatum(0)),
										  NumericGetDatum(v->val.numeric))) == 0)
		return PG_INT64_MAX;
	BadKeyword(c, location, keyword, "must be a non-negative integer");
}

/* An array of unique strings (required, dependencies' array form). */
static char **
StringArray(Compiler *c, JsonbValue *v, const char *location, const char *keyword,
			int **lens, int *n)
{
	JsonbValue *elems;
	char	  **out;
	int			i,
				j;

	if (!IsArrayValue(v))
		BadKeyword(c, location, keyword, "must be an array of strings");
	elems = JsonbArrayItems(v->val.binary.data, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	*lens = palloc(sizeof(int) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (elems[i].type != jbvString)
			BadKeyword(c, location, keyword, "must be an array of strings");
		for (j = 0; j < i; j++)
			if (JsonValueEqual(&elems[i], &elems[j]))
				BadKeyword(c, location, keyword,
						   psprintf("must not repeat \"%.*s\"",
									elems[i].val.string.len, elems[i].val.string.val));
		out[i] = elems[i].val.string.val;
		(*lens)[i] = elems[i].val.string.len;
	}
	return out;
}

/* The SCHEMA_* bit of a type name, 0 when it is not one. */
static uint8
TypeBit(const char *s, int len)
{
	static const struct
	{
		const char *name;
		uint8		bit;
	}			types[] = {
		{"null", SCHEMA_NULL}, {"boolean", SCHEMA_BOOLEAN}, {"object", SCHEMA_OBJECT},
		{"array", SCHEMA_ARRAY}, {"number", SCHEMA_NUMBER}, {"string", SCHEMA_STRING},
		{"integer", SCHEMA_INTEGER}
	};
	int			i;

	for (i = 0; i < (int) lengthof(types); i++)
		if ((int) strlen(types[i].name) == len && memcmp(types[i].name, s, len) == 0)
			return types[i].bit;
	return 0;
}

/* "type": a type name or an array of unique type names. */
static uint8
TypeValue(Compiler *c, JsonbValue *v, const char *location)
{
	const char *hint = "must be one of null, boolean, object, array, number, string, integer, or an array of them";
	JsonbValue *elems = v;
	int			n = 1;
	uint8		bits = 0;
	int			i;

	if (IsArrayValue(v))
		elems = JsonbArrayItems(v->val.binary.data, &n);
	for (i = 0; i < n; i++)
	{
		uint8		bit = 0;

		if (elems[i].type == jbvString)
			bit = TypeBit(elems[i].val.string.val, elems[i].val.string.len);
		if (bit == 0)
			BadKeyword(c, location, "type", hint);
		if (bits & bit)
			BadKeyword(c, location, "type", "must not repeat a type");
		bits |= bit;
	}
	if (n == 0)
		BadKeyword(c, location, "type", "must not be an empty array");
	return bits;
}

/* Compiles a regex keyword value, erroring with the engine's reason. */
static SchemaRegex *
RegexValue(Compiler *c, const char *s, int len, const char *location, const char *keyword)
{
	SchemaRegex *rx = palloc0(sizeof(SchemaRegex));
	char	   *error;

	if (!SchemaRegexCompile(rx, s, len, &error))
		BadKeyword(c, location, keyword,
				   psprintf("has an invalid regular expression \"%.*s\": %s", len, s, error));
	c->schema->regexes = lappend(c->schema->regexes, rx);
	return rx;
}

/* Sorts properties by name so validation can binary-search them. */
static int
NamedSchemaCmp(const void *a, const void *b)
{
	const NamedSchema *x = a;
	const NamedSchema *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->name, y->name, x->len);
}

/* "properties", "patternProperties" or "dependencies": an object of entries. */
static NamedSchema *
NamedSchemas(Compiler *c, JsonbValue *v, const char *location, const char *keyword,
			 const char *base, int *n)
{
	JsonbIterator *it;
	JsonbValue	key,
				val;
	JsonbIteratorToken tok;
	NamedSchema *out;
	char	   *kw_location = ChildLocation(location, keyword, strlen(keyword));
	int			i = 0;

	if (!IsObjectValue(v))
		BadKeyword(c, location, keyword, "must be an object");
	out = palloc0(sizeof(NamedSchema) * Max(JsonContainerSize(v->val.binary.data), 1));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		NamedSchema *e;

		if (tok != WJB_KEY)
			continue;
		JsonbIteratorNext(&it, &val, true);
		e = &out[i++];
		e->name = key.val.string.val;
		e->len = key.val.string.len;
		if (strcmp(keyword, "patternProperties") == 0)
			e->regex = RegexValue(c, e->name, e->len, location, keyword);
		if (strcmp(keyword, "dependencies") == 0 && IsArrayValue(&val))
		{
			e->required = StringArray(c, &val, location, keyword, &e->required_len,
									  &e->n_required);
			continue;
		}
		if (!IsSchemaValue(&val))
			BadKeyword(c, location, keyword,
					   psprintf("entry \"%.*s\" must be a JSON Schema%s", e->len, e->name,
								strcmp(keyword, "dependencies") == 0 ? " or an array of strings" : ""));
		e->schema = CompileNode(c, &val, ChildLocation(kw_location, e->name, e->len), base);
	}
	*n = i;
	if (strcmp(keyword, "properties") == 0)
		qsort(out, i, sizeof(NamedSchema), NamedSchemaCmp);
	return out;
}

/* Registers a resource (a $id) or an anchor so $refs can find it. */
static void
AddResource(Compiler *c, const char *uri, JsonbContainer *container, SchemaNode *node,
			const char *base)
{
	SchemaResource *r = palloc(sizeof(SchemaResource));

	r->uri = pstrdup(uri);
	r->container = container;
	r->node = node;
	r->base = pstrdup(base);
	c->resources = lappend(c->resources, r);
}

/* Handles "$id": a new base URI and/or a plain-name anchor; returns the base. */
static const char *
ApplyId(Compiler *c, JsonbValue *id, const char *location, const char *base,
		JsonbContainer *container, SchemaNode *node)
{
	char	   *text;
	char	   *absolute;
	char	   *fragment;
	char	   *resource;

	if (id->type != jbvString)
		BadKeyword(c, location, "$id", "must be a string (a URI reference)");
	text = pnstrdup(id->val.string.val, id->val.string.len);
	absolute = UriResolve(base, text);
	if (absolute == NULL)
		BadKeyword(c, location, "$id", psprintf("is not a valid URI reference: \"%s\"", text));
	fragment = UriFragment(absolute);
	resource = UriWithoutFragment(absolute);
	if (fragment != NULL && fragment[0] != '\0')
	{
		if (fragment[0] == '/')
			BadKeyword(c, location, "$id", "must not contain a JSON pointer fragment");
		AddResource(c, psprintf("%s#%s", resource, fragment), container, node, resource);
	}
	if (strcmp(resource, base) != 0)
		AddResource(c, resource, container, node, resource);
	return resource;
}

/* Finds the node already compiled for a container, NULL if none. */
static SchemaNode *
CompiledFor(Compiler *c, JsonbContainer *container)
{
	ListCell   *lc;

	foreach(lc, c->compiled)
	{
		SchemaResource *r = lfirst(lc);

		if (r->container == container)
			return r->node;
	}
	return NULL;
}

/* Reads the keywords of one schema object into node. */
static void
CompileKeywords(Compiler *c, SchemaNode *node, JsonbContainer *obj, const char *location,
				const char *base)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	key,
				v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		char	   *kw;

		if (tok != WJB_KEY)
			continue;
		JsonbIteratorNext(&it, &v, true);
		kw = pnstrdup(key.val.string.val, key.val.string.len);
		CHECK_FOR_INTERRUPTS();

		if (strcmp(kw, "type") == 0)
			node->types = TypeValue(c, &v, location);
		else if (strcmp(kw, "enum") == 0)
		{
			if (!IsArrayValue(&v))
				BadKeyword(c, location, kw, "must be an array");
			node->enum_values = JsonbArrayItems(v.val.binary.data, &node->n_enum);
		}
		else if (strcmp(kw, "const") == 0)
		{
			node->has_const = true;
			node->const_value = v;
		}
		else if (strcmp(kw, "multipleOf") == 0)
		{
			node->multiple_of = NumberValue(c, &v, location, kw);
			if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(node->multiple_of),
												  NumericGetDatum(int64_to_numeric(0)))) <= 0)
				BadKeyword(c, location, kw, "must be a number greater than 0");
		}
		else if (strcmp(kw, "maximum") == 0)
			node->maximum = NumberValue(c, &v, location, kw);
		else if (strcmp(kw, "exclusiveMaximum") == 0)
			node->exclusive_maximum = NumberValue(c, &v, location, kw);
		else if (strcmp(kw, "minimum") == 0)
			node->minimum = NumberValue(c, &v, location, kw);
		else if (strcmp(kw, "exclusiveMinimum") == 0)
			node->exclusive_minimum = NumberValue(c, &v, location, kw);
		else if (strcmp(kw, "maxLength") == 0)
			node->max_length = CountValue(c, &v, location, kw);
		else if (strcmp(kw, "minLength") == 0)
			node->min_length = CountValue(c, &v, location, kw);
		else if (strcmp(kw, "pattern") == 0)
		{
			if (v.type != jbvString)
				BadKeyword(c, location, kw, "must be a string (a regular expression)");
			node->pattern = RegexValue(c, v.val.string.val, v.val.string.len, location, kw);
		}
		else if (strcmp(kw, "format") == 0)
		{
			if (v.type != jbvString)
				BadKeyword(c, location, kw, "must be a string");
			node->format = pnstrdup(v.val.string.val, v.val.string.len);
			node->format_check = LookupFormat(v.val.string.val, v.val.string.len);
		}
		else if (strcmp(kw, "items") == 0)
		{
			if (IsArrayValue(&v))
			{
				node->items_is_list = true;
				SchemaArray(c, &v, location, kw, base, &node->item_list, true);
			}
			else if (IsSchemaValue(&v))
				node->items = SubSchema(c, &v, location, kw, base);
			else
				BadKeyword(c, location, kw, "must be a JSON Schema or an array of JSON Schemas");
		}
		else if (strcmp(kw, "additionalItems") == 0)
			node->additional_items = SubSchema(c, &v, location, kw, base);
		else if (strcmp(kw, "maxItems") == 0)
			node->max_items = CountValue(c, &v, location, kw);
		else if (strcmp(kw, "minItems") == 0)
			node->min_items = CountValue(c, &v, location, kw);
		else if (strcmp(kw, "uniqueItems") == 0)
		{
			if (v.type != jbvBool)
				BadKeyword(c, location, kw, "must be a boolean");
			node->unique_items = v.val.boolean;
		}
		else if (strcmp(kw, "contains") == 0)
			node->contains = SubSchema(c, &v, location, kw, base);
		else if (strcmp(kw, "maxProperties") == 0)
			node->max_properties = CountValue(c, &v, location, kw);
		else if (strcmp(kw, "minProperties") == 0)
			node->min_properties = CountValue(c, &v, location, kw);
		else if (strcmp(kw, "required") == 0)
			node->required = StringArray(c, &v, location, kw, &node->required_len,
										 &node->n_required);
		else if (strcmp(kw, "properties") == 0)
			node->properties = NamedSchemas(c, &v, location, kw, base, &node->n_properties);
		else if (strcmp(kw, "patternProperties") == 0)
			node->pattern_properties = NamedSchemas(c, &v, location, kw, base,
													&node->n_pattern_properties);
		else if (strcmp(kw, "additionalProperties") == 0)
			node->additional_properties = SubSchema(c, &v, location, kw, base);
		else if (strcmp(kw, "dependencies") == 0)
			node->dependencies = NamedSchemas(c, &v, location, kw, base, &node->n_dependencies);
		else if (strcmp(kw, "propertyNames") == 0)
			node->property_names = SubSchema(c, &v, location, kw, base);
		else if (strcmp(kw, "if") == 0)
			node->if_schema = SubSchema(c, &v, location, kw, base);
		else if (strcmp(kw, "then") == 0)
			node->then_schema = SubSchema(c, &v, location, kw, base);
		else if (strcmp(kw, "else") == 0)
			node->else_schema = SubSchema(c, &v, location, kw, base);
		else if (strcmp(kw, "allOf") == 0)
			SchemaArray(c, &v, location, kw, base, &node->all_of, false);
		else if (strcmp(kw, "anyOf") == 0)
			SchemaArray(c, &v, location, kw, base, &node->any_of, false);
		else if (strcmp(kw, "oneOf") == 0)
			SchemaArray(c, &v, location, kw, base, &node->one_of, false);
		else if (strcmp(kw, "not") == 0)
			node->not_schema = SubSchema(c, &v, location, kw, base);
		else if (strcmp(kw, "definitions") == 0)
		{
			int			n;

			(void) NamedSchemas(c, &v, location, kw, base, &n);
		}
		else if (strcmp(kw, "$schema") == 0 || strcmp(kw, "$comment") == 0 ||
				 strcmp(kw, "title") == 0 || strcmp(kw, "description") == 0)
		{
			if (v.type != jbvString)
				BadKeyword(c, location, kw, "must be a string");
		}
		/* $id and $ref were handled by CompileNode; other keywords are annotations */
	}
}

/*
 * Compiles one schema value (object or boolean) found at location, or returns
 * the node already compiled for the same object.
 */
static SchemaNode *
CompileNode(Compiler *c, JsonbValue *v, const char *location, const char *base)
{
	SchemaNode *node;
	JsonbContainer *obj;
	JsonbValue *id;
	JsonbValue *ref;
	SchemaResource *memo;

	check_stack_depth();
	if (v->type == jbvBool)
	{
		node = palloc0(sizeof(SchemaNode));
		node->location = pstrdup(location);
		node->is_boolean = true;
		node->boolean_value = v->val.boolean;
		c->schema->nodes = lappend(c->schema->nodes, node);
		return node;
	}
	obj = v->val.binary.data;
	if ((node = CompiledFor(c, obj)) != NULL)
		return node;

	node = palloc0(sizeof(SchemaNode));
	node->location = pstrdup(location);
	node->source = obj;
	node->max_length = node->min_length = -1;
	node->max_items = node->min_items = -1;
	node->max_properties = node->min_properties = -1;
	c->schema->nodes = lappend(c->schema->nodes, node);
	memo = palloc0(sizeof(SchemaResource));
	memo->container = obj;
	memo->node = node;
	c->compiled = lappend(c->compiled, memo);

	/* draft-07 ignores every sibling of $ref, $id included */
	ref = JsonbObjectGet(obj, "$ref");
	if (ref == NULL && (id = JsonbObjectGet(obj, "$id")) != NULL)
		base = ApplyId(c, id, location, base, obj, node);
	memo->base = pstrdup(base);

	if (ref != NULL)
	{
		PendingRef *p = palloc(sizeof(PendingRef));
		char	   *text;

		if (ref->type != jbvString)
			BadKeyword(c, location, "$ref", "must be a string (a URI reference)");
		text = pnstrdup(ref->val.string.val, ref->val.string.len);
		p->node = node;
		p->uri = UriResolve(base, text);
		if (p->uri == NULL)
			BadKeyword(c, location, "$ref", psprintf("is not a valid URI reference: \"%s\"", text));
		node->ref = p->uri;
		c->pending = lappend(c->pending, p);
	}
	/* draft-07 ignores the siblings of $ref, but they must still be well-formed */
	CompileKeywords(c, node, obj, location, base);
	return node;
}

/* Follows one JSON pointer segment from v; false when it leads nowhere. */
static bool
PointerStep(JsonbValue *v, const char *segment)
{
	JsonbContainer *container;
	StringInfoData key;
	const char *p;

	if (v->type != jbvBinary)
		return false;
	container = v->val.binary.data;
	initStringInfo(&key);
	for (p = segment; *p; p++)
	{
		if (*p == '~' && p[1] == '0')
			appendStringInfoChar(&key, '~'), p++;
		else if (*p == '~' && p[1] == '1')
			appendStringInfoChar(&key, '/'), p++;
		else
			appendStringInfoChar(&key, *p);
	}
	if (JsonContainerIsObject(container))
	{
		JsonbValue *found = getKeyJsonValueFromContainer(container, key.data, key.len, NULL);

		if (found == NULL)
			return false;
		*v = *found;
		return true;
	}
	if (JsonContainerIsArray(container))
	{
		char	   *end;
		long		i = strtol(key.data, &end, 10);
		JsonbValue *found;

		if (key.len == 0 || *end != '\0' || i < 0 || (key.len > 1 && key.data[0] == '0'))
			return false;
		found = getIthJsonbValueFromContainer(container, (uint32) i);
		if (found == NULL)
			return false;
		*v = *found;
		return true;
	}
	return false;
}

/* Resolves a JSON pointer fragment inside a resource and compiles the target. */
static SchemaNode *
ResolvePointer(Compiler *c, SchemaResource *resource, const char *pointer, const char *ref,
			   const char *location)
{
	JsonbValue	v;
	char	   *copy = pstrdup(pointer);
	char	   *segment;
	char	   *next;

	if (resource->container == NULL)
		return resource->node;
	v.type = jbvBinary;
	v.val.binary.data = resource->container;
	v.val.binary.len = 0;
	for (segment = copy + 1; segment != NULL; segment = next)
	{
		next = strchr(segment, '/');
		if (next)
			*next++ = '\0';
		if (!PointerStep(&v, segment))
			BadKeyword(c, location, "$ref",
					   psprintf("points to nothing: \"%s\" has no %s", ref, pointer));
	}
	if (!IsSchemaValue(&v))
		BadKeyword(c, location, "$ref",
				   psprintf("must point to a JSON Schema, but \"%s\" is %s", ref,
							JsonbValueTypeName(&v)));
	return CompileNode(c, &v, psprintf("#%s", pointer), resource->base);
}

/* Finds a registered resource or anchor by URI. */
static SchemaResource *
FindResource(Compiler *c, const char *uri)
{
	ListCell   *lc;

	foreach(lc, c->resources)
	{
		SchemaResource *r = lfirst(lc);

		if (strcmp(r->uri, uri) == 0)
			return r;
	}
	return NULL;
}

/* Points every $ref at its target, compiling targets outside schema positions. */
static void
ResolveRefs(Compiler *c)
{
	while (c->pending != NIL)
	{
		PendingRef *p = linitial(c->pending);
		char	   *resource_uri = UriWithoutFragment(p->uri);
		char	   *fragment = UriFragment(p->uri);
		SchemaResource *r;

		c->pending = list_delete_first(c->pending);
		if (fragment == NULL || fragment[0] == '\0' || fragment[0] == '/')
			r = FindResource(c, resource_uri);
		else
			r = FindResource(c, psprintf("%s#%s", resource_uri, fragment));
		if (r == NULL)
			BadKeyword(c, p->node->location, "$ref",
					   psprintf("cannot be resolved: \"%s\" is not defined in this schema", p->uri));
		if (fragment != NULL && fragment[0] == '/')
			p->node->ref_target = ResolvePointer(c, r, fragment, p->uri, p->node->location);
		else
			p->node->ref_target = r->node;
	}
}

/*
 * Depth-first search over the edges that apply another schema to the same
 * instance ($ref, allOf, anyOf, oneOf, not, if/then/else, dependencies);
 * a cycle among them would recurse forever, so it is an error.
 */
static void
CheckCycles(Compiler *c, SchemaNode *node)
{
	SchemaNode *next[8];
	int			n = 0;
	int			i;
	SchemaList *lists[3];

	if (node == NULL || node->visit == 2)
		return;
	if (node->visit == 1)
		BadKeyword(c, node->location, "$ref",
				   "makes the schema recurse without descending into the instance");
	check_stack_depth();
	node->visit = 1;
	if (node->ref != NULL)
		CheckCycles(c, node->ref_target);
	else
	{
		next[n++] = node->not_schema;
		next[n++] = node->if_schema;
		next[n++] = node->then_schema;
		next[n++] = node->else_schema;
		for (i = 0; i < n; i++)
			CheckCycles(c, next[i]);
		lists[0] = &node->all_of;
		lists[1] = &node->any_of;
		lists[2] = &node->one_of;
		for (n = 0; n < 3; n++)
			for (i = 0; i < lists[n]->n; i++)
				CheckCycles(c, lists[n]->nodes[i]);
		for (i = 0; i < node->n_dependencies; i++)
			CheckCycles(c, node->dependencies[i].schema);
	}
	node->visit = 2;
}

/* Frees the regex engine's malloc'd memory when the schema's context goes. */
static void
FreeRegexes(void *arg)
{
	Schema	   *schema = arg;
	ListCell   *lc;

	foreach(lc, schema->regexes)
		pg_regfree(&((SchemaRegex *) lfirst(lc))->re);
	schema->regexes = NIL;
}

/* See json_schema.h. */
Schema *
CompileSchema(Jsonb *document, const char *what)
{
	Compiler	c = {0};
	MemoryContextCallback *cb;
	JsonbValue	root;
	Jsonb	   *copy;
	ListCell   *lc;

	copy = palloc(VARSIZE(document));
	memcpy(copy, document, VARSIZE(document));
	c.schema = palloc0(sizeof(Schema));
	c.what = what ? psprintf(" %s", what) : "";
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = FreeRegexes;
	cb->arg = c.schema;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);

	JsonbRootValue(copy, &root);
	if (!IsSchemaValue(&root))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid JSON Schema%s: a schema must be an object or a boolean", c.what),
				 errdetail("The value given is %s.", JsonbValueTypeName(&root))));
	AddResource(&c, "", root.type == jbvBool ? NULL : root.val.binary.data, NULL, "");
	c.schema->root = CompileNode(&c, &root, "#", "");
	((SchemaResource *) linitial(c.resources))->node = c.schema->root;
	ResolveRefs(&c);
	foreach(lc, c.schema->nodes)
		CheckCycles(&c, lfirst(lc));
	return c.schema;
}
