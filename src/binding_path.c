/*
 * binding_path.c: parsing binding paths, reading them from a payload and
 * writing them into the output object (a small mutable tree turned into jsonb
 * once every binding has written).
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"

#include "binding_path.h"

typedef enum OutputKind
{
	OUT_VALUE,					/* a finished value: scalar or jbvBinary */
	OUT_OBJECT,
	OUT_ARRAY
} OutputKind;

struct OutputNode
{
	OutputKind	kind;
	JsonbValue	value;			/* OUT_VALUE */
	int			n;				/* OUT_OBJECT, OUT_ARRAY: children in use */
	int			cap;
	PathStep   *keys;			/* OUT_OBJECT: the key of each child */
	OutputNode **children;
};

/* The int32 of a run of digits, saturating at PG_INT32_MAX; -1 when empty. */
static int32
ParseIndex(const char *s, int len)
{
	int64		n = 0;
	int			i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++)
	{
		if (!isdigit((unsigned char) s[i]))
			return -1;
		n = Min(n * 10 + (s[i] - '0'), (int64) PG_INT32_MAX);
	}
	return (int32) n;
}

/* Appends a step to path, growing its array. */
static void
AddStep(BindingPath *path, PathStepKind kind, const char *key, int keylen, int32 index)
{
	PathStep   *step;

	path->steps = path->nsteps == 0 ? palloc(sizeof(PathStep))
		: repalloc(path->steps, sizeof(PathStep) * (path->nsteps + 1));
	step = &path->steps[path->nsteps++];
	step->kind = kind;
	step->key = kind == PATH_KEY ? pnstrdup(key, keylen) : NULL;
	step->keylen = keylen;
	step->index = index;
}

/* Parses the "[n][m]..." after a segment's name; the problem when malformed. */
static const char *
ParseBrackets(const char **pp, BindingPath *path)
{
	const char *p = *pp;

	while (*p == '[')
	{
		const char *digits = ++p;

		while (isdigit((unsigned char) *p))
			p++;
		if (p == digits || *p != ']')
			return "has a malformed array index";
		AddStep(path, PATH_INDEX, NULL, 0, ParseIndex(digits, p - digits));
		p++;
	}
	*pp = p;
	return NULL;
}

/* Splits text into steps; the problem when it is not a path. */
static const char *
ParseSteps(const char *text, BindingPath *path)
{
	const char *p = text;

	if (*p == '\0')
		return "is empty";
	for (;;)
	{
		const char *name = p;
		const char *problem;
		int			nsteps = path->nsteps;

		while (*p && *p != '.' && *p != '[' && *p != ']')
			p++;
		if (p > name)
			AddStep(path, PATH_KEY, name, p - name, ParseIndex(name, p - name));
		if ((problem = ParseBrackets(&p, path)) != NULL)
			return problem;
		if (path->nsteps == nsteps)
			return "has an empty segment";
		if (*p == '\0')
			return NULL;
		if (*p != '.')
			return "has a malformed array index";
		p++;
		if (*p == '\0')
			return "has an empty segment";
	}
}

/* Renders the steps as a JSON path: "$.items[0].name". */
static char *
RenderPath(const BindingPath *path)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '$');
	for (i = 0; i < path->nsteps; i++)
	{
		if (path->steps[i].kind == PATH_KEY)
			appendStringInfo(&buf, ".%s", path->steps[i].key);
		else
			appendStringInfo(&buf, "[%d]", path->steps[i].index);
	}
	return buf.data;
}

/* The destination-only rules: starts with a key, indexes small enough to pad. */
static const char *
CheckDestination(const BindingPath *path)
{
	int			i;

	if (path->steps[0].kind != PATH_KEY)
		return "must start with a key, since the output is an object";
	for (i = 0; i < path->nsteps; i++)
		if (path->steps[i].kind == PATH_INDEX && path->steps[i].index > BINDING_MAX_DEST_INDEX)
			return psprintf("has an array index above %d", BINDING_MAX_DEST_INDEX);
	return NULL;
}

/* Parses a source or destination attribute; problems land in path->problem. */
void
ParseBindingPath(const char *text, bool destination, BindingPath *path)
{
	const char *problem;

	memset(path, 0, sizeof(BindingPath));
	problem = ParseSteps(text, path);
	if (problem == NULL && destination)
		problem = CheckDestination(path);
	if (problem)
		path->problem = psprintf("%s \"%s\" %s",
								 destination ? "destination_attribute" : "source_attribute",
								 text, problem);
	else
		path->rendered = RenderPath(path);
}

/* One step down from a container; false when the step leads nowhere. */
static bool
ReadStep(JsonbContainer *c, const PathStep *step, JsonbValue *out)
{
	JsonbValue *v = NULL;

	if (step->kind == PATH_KEY && JsonContainerIsObject(c))
		v = getKeyJsonValueFromContainer(c, step->key, step->keylen, out);
	else if (JsonContainerIsArray(c) && step->index >= 0)
		v = getIthJsonbValueFromContainer(c, (uint32) step->index);
	if (v == NULL)
		return false;
	if (v != out)
		*out = *v;
	return true;
}

/* Reads the value at path in data; false when it does not exist. */
bool
ReadPath(Jsonb *data, const BindingPath *path, JsonbValue *out)
{
	JsonbValue	cur;
	int			i;

	if (JB_ROOT_IS_SCALAR(data))
		return false;
	cur.type = jbvBinary;
	cur.val.binary.data = &data->root;
	cur.val.binary.len = VARSIZE(data) - VARHDRSZ;
	for (i = 0; i < path->nsteps; i++)
	{
		if (cur.type != jbvBinary || !ReadStep(cur.val.binary.data, &path->steps[i], &cur))
			return false;
	}
	*out = cur;
	return true;
}

/* A new node holding JSON null. */
static OutputNode *
NewNode(void)
{
	OutputNode *node = palloc0(sizeof(OutputNode));

	node->kind = OUT_VALUE;
	node->value.type = jbvNull;
	return node;
}

/* An empty output object. */
OutputNode *
NewOutput(void)
{
	OutputNode *root = NewNode();

	root->kind = OUT_OBJECT;
	return root;
}

/* Appends a child (with its key, for objects) to a container node. */
static OutputNode *
AppendChild(OutputNode *node, const PathStep *key)
{
	if (node->n == node->cap)
	{
		node->cap = Max(4, node->cap * 2);
		node->children = node->children ? repalloc(node->children, sizeof(OutputNode *) * node->cap)
			: palloc(sizeof(OutputNode *) * node->cap);
		if (node->kind == OUT_OBJECT)
			node->keys = node->keys ? repalloc(node->keys, sizeof(PathStep) * node->cap)
				: palloc(sizeof(PathStep) * node->cap);
	}
	if (key)
		node->keys[node->n] = *key;
	node->children[node->n] = NewNode();
	return node->children[node->n++];
}

/* Turns a value node into an empty container, keeping the items of a container value of that kind. */
static void
MakeContainer(OutputNode *node, OutputKind kind)
{
	JsonbValue	v = node->value;
	bool		keep = v.type == jbvBinary &&
		(kind == OUT_OBJECT ? JsonContainerIsObject(v.val.binary.data)
		 : JsonContainerIsArray(v.val.binary.data));
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	item;
	PathStep	key = {PATH_KEY};

	node->kind = kind;
	node->n = 0;
	if (!keep)
		return;
	it = JsonbIteratorInit(v.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key.key = pnstrdup(item.val.string.val, item.val.string.len);
			key.keylen = item.val.string.len;
		}
		else if (tok == WJB_VALUE || tok == WJB_ELEM)
			AppendChild(node, tok == WJB_VALUE ? &key : NULL)->value = item;
	}
}

/* The child of node that step names, creating it (and the container) as needed. */
static OutputNode *
StepInto(OutputNode *node, const PathStep *step)
{
	OutputKind	kind = step->kind == PATH_KEY ? OUT_OBJECT : OUT_ARRAY;
	int			i;

	if (node->kind != kind)
		MakeContainer(node, kind);
	if (kind == OUT_ARRAY)
	{
		while (node->n <= step->index)
			AppendChild(node, NULL);
		return node->children[step->index];
	}
	for (i = 0; i < node->n; i++)
		if (node->keys[i].keylen == step->keylen &&
			memcmp(node->keys[i].key, step->key, step->keylen) == 0)
			return node->children[i];
	return AppendChild(node, step);
}

/* Writes value at path, replacing whatever was there or in the way. */
void
WritePath(OutputNode *root, const BindingPath *path, const JsonbValue *value)
{
	OutputNode *node = root;
	int			i;

	for (i = 0; i < path->nsteps; i++)
		node = StepInto(node, &path->steps[i]);
	node->kind = OUT_VALUE;
	node->n = 0;
	node->value = *value;
}

/* Pushes a node (as token seq, WJB_VALUE or WJB_ELEM) and its children. */
static JsonbValue *
PushNode(JsonbParseState **state, OutputNode *node, JsonbIteratorToken seq)
{
	int			i;
	JsonbValue	k;

	check_stack_depth();
	if (node->kind == OUT_VALUE)
		return pushJsonbValue(state, seq, &node->value);
	pushJsonbValue(state, node->kind == OUT_OBJECT ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < node->n; i++)
	{
		if (node->kind == OUT_OBJECT)
		{
			k.type = jbvString;
			k.val.string.val = node->keys[i].key;
			k.val.string.len = node->keys[i].keylen;
			pushJsonbValue(state, WJB_KEY, &k);
		}
		PushNode(state, node->children[i], node->kind == OUT_OBJECT ? WJB_VALUE : WJB_ELEM);
	}
	return pushJsonbValue(state, node->kind == OUT_OBJECT ? WJB_END_OBJECT : WJB_END_ARRAY, NULL);
}

/* The output object as jsonb. */
Jsonb *
OutputToJsonb(OutputNode *root)
{
	JsonbParseState *state = NULL;

	return JsonbValueToJsonb(PushNode(&state, root, WJB_VALUE));
}
