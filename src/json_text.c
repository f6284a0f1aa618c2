/*
 * json_text.c: compact JSON serialisation and error-free JSON parsing, for
 * the json_stringify and json_parse binding transforms.
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/numeric.h"

#include "json_text.h"

/* numeric's limits (numeric.c): display scale and decimal weight. */
#define NUMERIC_TEXT_MAX_DSCALE 16383
#define NUMERIC_TEXT_MAX_DWEIGHT 131071

/* What the parser's callbacks build. */
typedef struct JsonTextBuild
{
	JsonbParseState *state;
	JsonbValue *result;			/* the outermost value once complete */
	char	   *problem;		/* set when a value cannot be held by jsonb */
} JsonTextBuild;

static void BuildObjectStart(void *arg);
static void BuildObjectEnd(void *arg);
static void BuildArrayStart(void *arg);
static void BuildArrayEnd(void *arg);
static void BuildField(void *arg, char *fname, bool isnull);
static void BuildScalar(void *arg, char *token, JsonTokenType type);

/* Appends one scalar (string, number, boolean or null) as JSON text. */
static void
AppendScalar(StringInfo buf, const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			appendStringInfoString(buf, "null");
			break;
		case jbvBool:
			appendStringInfoString(buf, v->val.boolean ? "true" : "false");
			break;
		case jbvNumeric:
			appendStringInfoString(buf, DatumGetCString(DirectFunctionCall1(numeric_out,
																			NumericGetDatum(v->val.numeric))));
			break;
		case jbvString:
			escape_json(buf, pnstrdup(v->val.string.val, v->val.string.len));
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
}

/* Appends a container token by token; the iterator keeps the nesting, not the C stack. */
static void
AppendContainer(StringInfo buf, JsonbContainer *container)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbIteratorToken tok;
	JsonbValue	v;
	bool		first = true;	/* nothing precedes the next item at this level */

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		bool		raw = (tok == WJB_BEGIN_ARRAY || tok == WJB_END_ARRAY) && v.val.array.rawScalar;

		if (raw)
			continue;
		if (!first && (tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT ||
					   tok == WJB_KEY || tok == WJB_ELEM))
			appendStringInfoChar(buf, ',');
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
			case WJB_BEGIN_OBJECT:
				appendStringInfoChar(buf, tok == WJB_BEGIN_ARRAY ? '[' : '{');
				first = true;
				break;
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				appendStringInfoChar(buf, tok == WJB_END_ARRAY ? ']' : '}');
				first = false;
				break;
			case WJB_KEY:
				AppendScalar(buf, &v);
				appendStringInfoChar(buf, ':');
				first = true;	/* the value follows without a comma */
				break;
			default:
				AppendScalar(buf, &v);
				first = false;
				break;
		}
	}
}

/* Appends the JSON text of v with no spaces. */
void
AppendCompactJson(StringInfo buf, const JsonbValue *v)
{
	if (v->type == jbvBinary)
		AppendContainer(buf, v->val.binary.data);
	else
		AppendScalar(buf, v);
}

/*
 * Does a JSON number token fit PostgreSQL's numeric?  numeric_in raises an
 * error past a display scale of 16383 or a decimal weight of 131071.
 */
static bool
NumberFitsNumeric(const char *s)
{
	const char *p = s + (*s == '-');
	int			intdigits = 0;
	int			fracdigits = 0;
	int			first = -1;		/* position of the first non-zero integer digit */
	int			weight = 0;		/* decimal weight of the first non-zero digit */
	bool		zero = true;
	long		exponent = 0;

	for (; isdigit((unsigned char) *p); p++, intdigits++)
		if (first < 0 && *p != '0')
			first = intdigits;
	if (first >= 0)
	{
		zero = false;
		weight = intdigits - 1 - first;
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char) *p); p++)
		{
			fracdigits++;
			if (zero && *p != '0')
			{
				zero = false;
				weight = -fracdigits;
			}
		}
	if (*p == 'e' || *p == 'E')
	{
		errno = 0;
		exponent = strtol(p + 1, NULL, 10);
		if (errno == ERANGE || exponent >= PG_INT32_MAX / 2 || exponent <= -(PG_INT32_MAX / 2))
			return false;
	}
	if (fracdigits - exponent > NUMERIC_TEXT_MAX_DSCALE)
		return false;
	return zero || weight + exponent <= NUMERIC_TEXT_MAX_DWEIGHT;
}

/* Adds a finished value where the parse is: the result, an element or a field value. */
static void
BuildAdd(JsonTextBuild *b, JsonbValue *v)
{
	if (b->state == NULL)
	{
		b->result = palloc(sizeof(JsonbValue));
		*b->result = *v;
	}
	else
		pushJsonbValue(&b->state, b->state->contVal.type == jbvArray ? WJB_ELEM : WJB_VALUE, v);
}

/* Parser callback: "{". */
static void
BuildObjectStart(void *arg)
{
	pushJsonbValue(&((JsonTextBuild *) arg)->state, WJB_BEGIN_OBJECT, NULL);
}

/* Parser callback: "}". */
static void
BuildObjectEnd(void *arg)
{
	JsonTextBuild *b = arg;

	b->result = pushJsonbValue(&b->state, WJB_END_OBJECT, NULL);
}

/* Parser callback: "[". */
static void
BuildArrayStart(void *arg)
{
	pushJsonbValue(&((JsonTextBuild *) arg)->state, WJB_BEGIN_ARRAY, NULL);
}

/* Parser callback: "]". */
static void
BuildArrayEnd(void *arg)
{
	JsonTextBuild *b = arg;

	b->result = pushJsonbValue(&b->state, WJB_END_ARRAY, NULL);
}

/* Parser callback: an object key (already de-escaped). */
static void
BuildField(void *arg, char *fname, bool isnull)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = fname;
	k.val.string.len = strlen(fname);
	pushJsonbValue(&((JsonTextBuild *) arg)->state, WJB_KEY, &k);
}

/* Parser callback: a scalar token. */
static void
BuildScalar(void *arg, char *token, JsonTokenType type)
{
	JsonTextBuild *b = arg;
	JsonbValue	v;

	v.type = jbvNull;
	if (type == JSON_TOKEN_STRING)
	{
		v.type = jbvString;
		v.val.string.val = token;
		v.val.string.len = strlen(token);
	}
	else if (type == JSON_TOKEN_TRUE || type == JSON_TOKEN_FALSE)
	{
		v.type = jbvBool;
		v.val.boolean = (type == JSON_TOKEN_TRUE);
	}
	else if (type == JSON_TOKEN_NUMBER && !NumberFitsNumeric(token))
	{
		if (b->problem == NULL)
			b->problem = psprintf("the number %.40s%s is beyond the range of PostgreSQL's numeric type",
								  token, strlen(token) > 40 ? "..." : "");
	}
	else if (type == JSON_TOKEN_NUMBER)
	{
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(token),
															ObjectIdGetDatum(InvalidOid),
															Int32GetDatum(-1)));
	}
	BuildAdd(b, &v);
}

/* Parses one JSON value; see json_text.h. */
bool
ParseJsonText(const char *text, int len, JsonbValue *out, char **problem)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen((char *) text, len,
													   GetDatabaseEncoding(), true);
	JsonTextBuild b = {0};
	JsonSemAction sem = {0};
	JsonParseErrorType rc;

	sem.semstate = &b;
	sem.object_start = BuildObjectStart;
	sem.object_end = BuildObjectEnd;
	sem.array_start = BuildArrayStart;
	sem.array_end = BuildArrayEnd;
	sem.object_field_start = BuildField;
	sem.scalar = BuildScalar;
	rc = pg_parse_json(lex, &sem);
	if (rc != JSON_SUCCESS)
	{
		char	   *detail = json_errdetail(rc, lex);
		size_t		n = strlen(detail);

		*problem = (n > 0 && detail[n - 1] == '.') ? pnstrdup(detail, n - 1) : detail;
		return false;
	}
	if (b.problem)
	{
		*problem = b.problem;
		return false;
	}
	if (b.result->type == jbvArray || b.result->type == jbvObject)
	{
		Jsonb	   *j = JsonbValueToJsonb(b.result);

		out->type = jbvBinary;
		out->val.binary.data = &j->root;
		out->val.binary.len = VARSIZE(j) - VARHDRSZ;
	}
	else
		*out = *b.result;
	return true;
}
