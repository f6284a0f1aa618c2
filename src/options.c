/*
 * options.c: NormalizeOptions, the validator behind every JSON config.
 */
#include "postgres.h"

#include "access/xact.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/formatting.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "catalog/pg_collation.h"

#include "jsonb_util.h"
#include "json_schema.h"
#include "options.h"

static JsonbValue *NormalizeObject(JsonbParseState **state, JsonbContainer *obj,
							const OptionSpec *spec, const char *noun,
							const char *prefix, bool partial);
static void NormalizeValue(JsonbParseState **state, const OptionSpec *opt,
						   JsonbValue *v, const char *noun, const char *path);

/* Compiles a JSON Schema option once, so a malformed schema fails here. */
static void
CheckSchema(JsonbValue *v, const char *noun, const char *path)
{
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "schema check",
												  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);

	CompileSchema(JsonbValueToJsonb(v), psprintf("in %s \"%s\"", noun, path));
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
}

/* True when value is one of the NULL-terminated values. */
bool
ValueInList(const char *value, const char *const *values)
{
	for (; *values; values++)
		if (strcmp(value, *values) == 0)
			return true;
	return false;
}

/* "a, b, c" from a NULL-terminated list, for hints. */
char *
JoinValues(const char *const *values)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (; *values; values++)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", *values);
	return buf.data;
}

/* The names of the options in a spec, for the unknown-key hint. */
static char *
OptionNames(const OptionSpec *spec)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (; spec->name; spec++)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", spec->name);
	return buf.data;
}

/* Finds the option called key (or aliased so); NULL when unknown. */
static const OptionSpec *
FindOption(const OptionSpec *spec, const char *key)
{
	for (; spec->name; spec++)
		if (strcmp(spec->name, key) == 0 ||
			(spec->alias && strcmp(spec->alias, key) == 0))
			return spec;
	return NULL;
}

/* Raises the 22023 error for a value of the wrong JSON type. */
static void
WrongType(const char *noun, const char *path, const char *expected, const JsonbValue *v)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s \"%s\" must be %s", noun, path, expected),
			 errdetail("The value given is %s.", JsonbValueTypeName(v))));
}

/* The C string of a string value, or an error naming the option. */
static char *
RequireString(const char *noun, const char *path, const JsonbValue *v)
{
	if (v->type != jbvString)
		WrongType(noun, path, "a string", v);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* True when v is a JSON object (as a container). */
static bool
IsObject(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/* True when v is a JSON array (as a container). */
static bool
IsArray(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/* The int32 value of an integral JSON number, or an error naming the option. */
static int32
RequireInt(const char *noun, const char *path, const JsonbValue *v)
{
	int64		n;

	if (v->type != jbvNumeric)
		WrongType(noun, path, "an integer", v);
	if (!JsonbValueGetInt64(v, &n) || n < PG_INT32_MIN || n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must be an integer between %d and %d",
						noun, path, PG_INT32_MIN, PG_INT32_MAX),
				 errdetail("The value given is %s.", JsonbValueToCString(v))));
	return (int32) n;
}

/* Trims ASCII white space from both ends of s, in place. */
static char *
TrimSpace(char *s)
{
	char	   *end;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Checks an id: letters, digits, "_", "-", ".", ":", starting alphanumeric. */
static void
CheckIdent(const char *noun, const char *path, const char *s)
{
	const char *p;
	bool		ok = *s != '\0' && strlen(s) <= STREAMFLOW_MAX_ID_LEN && isalnum((unsigned char) *s);

	for (p = s; ok && *p; p++)
		ok = isalnum((unsigned char) *p) || *p == '_' || *p == '-' || *p == '.' || *p == ':';
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for %s \"%s\"", s, noun, path),
				 errdetail("An id is 1 to %d ASCII letters, digits, \"_\", \"-\", \".\" or \":\", starting with a letter or digit.",
						   STREAMFLOW_MAX_ID_LEN)));
}

/* Checks a URL's scheme and that it names a host. */
static void
CheckUrl(const char *noun, const char *path, const char *s)
{
	static const char *const schemes[] = {"http://", "https://", "ws://", "wss://", NULL};
	const char *const *scheme;

	for (scheme = schemes; *scheme; scheme++)
	{
		size_t		n = strlen(*scheme);

		if (pg_strncasecmp(s, *scheme, n) == 0 && s[n] != '\0' && s[n] != '/')
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value \"%s\" for %s \"%s\"", s, noun, path),
			 errhint("Use an http://, https://, ws:// or wss:// URL with a host.")));
}

/* Checks a duration such as "250ms", "1s", "1.5m" or "1h". */
static void
CheckDuration(const char *noun, const char *path, const char *s)
{
	const char *p = s;
	bool		digits = false;

	while (isdigit((unsigned char) *p))
		p++, digits = true;
	if (*p == '.')
		for (p++; isdigit((unsigned char) *p); p++)
			digits = true;
	if (!digits || strtod(s, NULL) <= 0 ||
		!(strcmp(p, "ms") == 0 || strcmp(p, "s") == 0 || strcmp(p, "m") == 0 || strcmp(p, "h") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for %s \"%s\"", s, noun, path),
				 errhint("Give a positive number followed by ms, s, m or h, such as \"100ms\" or \"1s\".")));
}

/*
 * Runs a type's input function on s inside a subtransaction, so that a parse
 * error becomes our own 22023 naming the option, with the parser's message.
 */
Datum
ParseOrReject(Oid inputfn, const char *noun, const char *path, const char *s, const char *what)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile Datum result = (Datum) 0;
	char	   *volatile problem = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		result = OidFunctionCall3(inputfn, CStringGetDatum(s),
								  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		problem = edata->message;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;

	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for %s \"%s\"", s, noun, path),
				 errdetail("It is not a valid %s: %s.", what, problem)));
	return result;
}

/* Checks a positive interval such as "7 days". */
static void
CheckInterval(const char *noun, const char *path, const char *s)
{
	Datum		iv = ParseOrReject(F_INTERVAL_IN, noun, path, s, "interval");
	Interval   *zero = palloc0(sizeof(Interval));

	if (DatumGetInt32(DirectFunctionCall2(interval_cmp, iv, IntervalPGetDatum(zero))) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must be a positive interval", noun, path),
				 errdetail("The value given is \"%s\".", s)));
}

/* Normalises the array elements of a list option, each checked by check_elem. */
static void
NormalizeList(JsonbParseState **state, const OptionSpec *opt, JsonbValue *v,
			  const char *noun, const char *path)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	int			i = 0;

	if (!IsArray(v))
		WrongType(noun, path, opt->kind == OPT_STRING_LIST ? "an array of strings" : "an array of objects", v);
	JsonbPushKey(state, opt->name);
	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		char	   *elempath;

		if (tok != WJB_ELEM)
			continue;
		elempath = psprintf("%s[%d]", path, i++);
		if (opt->kind == OPT_STRING_LIST)
		{
			if (elem.type != jbvString)
				WrongType(noun, elempath, "a string", &elem);
			pushJsonbValue(state, WJB_ELEM, &elem);
		}
		else
		{
			if (!IsObject(&elem))
				WrongType(noun, elempath, "an object", &elem);
			NormalizeObject(state, elem.val.binary.data, opt->fields, noun, elempath, false);
			if (opt->check)
				opt->check(elem.val.binary.data, noun, elempath);
		}
	}
	pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/* Checks an object's values are all strings, then pushes it unchanged. */
static void
NormalizeStringMap(JsonbParseState **state, const OptionSpec *opt, JsonbValue *v,
				   const char *noun, const char *path)
{
	JsonbIterator *it;
	JsonbValue	item;
	JsonbValue	key = {0};
	JsonbIteratorToken tok;

	if (!IsObject(v))
		WrongType(noun, path, "an object of strings", v);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = item;
		else if (tok == WJB_VALUE && item.type != jbvString)
			WrongType(noun, psprintf("%s.%.*s", path, key.val.string.len, key.val.string.val),
					  "a string", &item);
	}
	if (opt->check)
		opt->check(v->val.binary.data, noun, path);
	JsonbPushValuePair(state, opt->name, v);
}

/* Validates one option value and pushes the normalised "key": value. */
static void
NormalizeValue(JsonbParseState **state, const OptionSpec *opt, JsonbValue *v,
			   const char *noun, const char *path)
{
	char	   *s;

	switch (opt->kind)
	{
		case OPT_TEXT:
			JsonbPushStringPair(state, opt->name, RequireString(noun, path, v));
			break;
		case OPT_NAME:
			s = TrimSpace(RequireString(noun, path, v));
			if (*s == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s \"%s\" must not be empty", noun, path)));
			JsonbPushStringPair(state, opt->name, s);
			break;
		case OPT_UPPER:
			s = TrimSpace(RequireString(noun, path, v));
			JsonbPushStringPair(state, opt->name, str_toupper(s, strlen(s), DEFAULT_COLLATION_OID));
			break;
		case OPT_IDENT:
			s = RequireString(noun, path, v);
			CheckIdent(noun, path, s);
			JsonbPushStringPair(state, opt->name, s);
			break;
		case OPT_ENUM:
			s = RequireString(noun, path, v);
			if (!ValueInList(s, opt->values))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value \"%s\" for %s \"%s\"", s, noun, path),
						 errhint("Valid values are: %s.", JoinValues(opt->values))));
			JsonbPushStringPair(state, opt->name, s);
			break;
		case OPT_INT:
		case OPT_INT_CLAMP:
			{
				int32		n = RequireInt(noun, path, v);
				JsonbValue	out;

				if (n < opt->min && opt->kind == OPT_INT)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s \"%s\" must be at least %d", noun, path, opt->min),
							 errdetail("The value given is %d.", n)));
				out.type = jbvNumeric;
				out.val.numeric = int64_to_numeric(Max(n, opt->min));
				JsonbPushValuePair(state, opt->name, &out);
				break;
			}
		case OPT_BOOL:
			if (v->type != jbvBool)
				WrongType(noun, path, "true or false", v);
			JsonbPushValuePair(state, opt->name, v);
			break;
		case OPT_OBJECT:
			if (!IsObject(v))
				WrongType(noun, path, "an object", v);
			JsonbPushValuePair(state, opt->name, v);
			break;
		case OPT_SCHEMA:
			if (!IsObject(v) && v->type != jbvBool)
				WrongType(noun, path, "a JSON Schema (an object or a boolean)", v);
			CheckSchema(v, noun, path);
			JsonbPushValuePair(state, opt->name, v);
			break;
		case OPT_STRING_MAP:
			NormalizeStringMap(state, opt, v, noun, path);
			break;
		case OPT_STRING_LIST:
		case OPT_RECORD_LIST:
			NormalizeList(state, opt, v, noun, path);
			break;
		case OPT_RECORD:
			if (!IsObject(v))
				WrongType(noun, path, "an object", v);
			JsonbPushKey(state, opt->name);
			NormalizeObject(state, v->val.binary.data, opt->fields, noun, path, false);
			if (opt->check)
				opt->check(v->val.binary.data, noun, path);
			break;
		case OPT_URL:
			s = RequireString(noun, path, v);
			CheckUrl(noun, path, s);
			JsonbPushStringPair(state, opt->name, s);
			break;
		case OPT_DURATION:
			s = RequireString(noun, path, v);
			CheckDuration(noun, path, s);
			JsonbPushStringPair(state, opt->name, s);
			break;
		case OPT_INTERVAL:
			s = RequireString(noun, path, v);
			CheckInterval(noun, path, s);
			JsonbPushStringPair(state, opt->name, s);
			break;
		case OPT_JSONPATH:
			s = RequireString(noun, path, v);
			ParseOrReject(F_JSONPATH_IN, noun, path, s, "jsonpath");
			JsonbPushStringPair(state, opt->name, s);
			break;
		case OPT_SECRET:
			s = RequireString(noun, path, v);
			if (strlen(s) < 16)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s \"%s\" must be at least 16 bytes long", noun, path),
						 errhint("Use a random secret, for example encode(gen_random_bytes(32), 'hex') from pgcrypto.")));
			JsonbPushStringPair(state, opt->name, s);
			break;
	}
}

/*
 * Validates every key of obj against spec and pushes the normalised object.
 * In partial mode (a PATCH) required keys may be absent and null clears a key.
 * Returns what pushJsonbValue returns for the closing brace.
 */
static JsonbValue *
NormalizeObject(JsonbParseState **state, JsonbContainer *obj, const OptionSpec *spec,
				const char *noun, const char *prefix, bool partial)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;
	const OptionSpec *opt;
	int			nspec = 0;
	bool	   *seen;

	while (spec[nspec].name)
		nspec++;
	seen = palloc0(sizeof(bool) * nspec);

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;
		char	   *path;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		JsonbIteratorNext(&it, &v, true);
		opt = FindOption(spec, key);
		path = prefix ? psprintf("%s.%s", prefix, key) : key;
		if (opt == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown %s \"%s\"", noun, path),
					 errhint("Valid options are: %s.", OptionNames(spec))));
		if (seen[opt - spec])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is given twice", noun, opt->name),
					 errdetail("\"%s\" is another name for \"%s\".", opt->alias, opt->name)));
		seen[opt - spec] = true;
		if (v.type == jbvNull)
		{
			if (partial && opt->required)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s \"%s\" cannot be removed", noun, path)));
			if (partial)
				JsonbPushValuePair(state, opt->name, &v);
			else
				seen[opt - spec] = false;	/* null means absent */
			continue;
		}
		NormalizeValue(state, opt, &v, noun, prefix ? psprintf("%s.%s", prefix, opt->name) : opt->name);
	}
	for (opt = spec; !partial && opt->name; opt++)
		if (opt->required && !seen[opt - spec])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is required",
							noun, prefix ? psprintf("%s.%s", prefix, opt->name) : opt->name)));
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* Validates and normalises a whole config object; see options.h. */
Jsonb *
NormalizeOptions(Jsonb *input, const OptionSpec *spec, const char *what, bool partial)
{
	JsonbParseState *state = NULL;
	char	   *noun = psprintf("%s option", what);

	if (!JB_ROOT_IS_OBJECT(input))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a %s config must be a JSON object", what),
				 errdetail("The value given is %s.",
						   JB_ROOT_IS_SCALAR(input) ? "a scalar" : "an array")));
	return JsonbValueToJsonb(NormalizeObject(&state, &input->root, spec, noun, NULL, partial));
}
