/*
 * stream_config.c: what a stream or service config may contain.
 *
 * The tables below are the whole vocabulary of DESIGN.md's stream and service
 * configs (seeds 000, 001 and 002); normalize_stream_config() and
 * normalize_service_config() run them through NormalizeOptions.
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/jsonpath.h"

#include "binding_transform.h"
#include "jsonb_util.h"
#include "options.h"
#include "stream_config.h"

PG_FUNCTION_INFO_V1(streamflow_normalize_stream_config);
PG_FUNCTION_INFO_V1(streamflow_normalize_service_config);

static void CheckBinding(JsonbContainer *binding, const char *noun, const char *path);
static void CheckMultiplexing(JsonbContainer *mux, const char *noun, const char *path);
static void CheckHeaders(JsonbContainer *headers, const char *noun, const char *path);

static const char *const stream_statuses[] = {"inactive", "active", "paused", NULL};
static const char *const stream_types[] = {"websocket", "sse", "polling", "webhook", NULL};
static const char *const directions[] = {"source-to-destination", "bidirectional", NULL};
static const char *const data_formats[] = {"json", "text", "binary", NULL};
static const char *const protocols[] = {"ws", "wss", "http", "https", "http-sse",
"http-polling", NULL};
static const char *const bp_strategies[] = {"drop_oldest", "drop_newest", "block", "sample",
NULL};
const char *const StreamTransforms[] = {"passthrough", "lowercase", "uppercase", "sum",
	"average", "count", "filter", "map", "flatten", "json_parse", "json_stringify", NULL};
static const char *const mux_strategies[] = {"round-robin", "broadcast", NULL};
static const char *const service_directions[] = {"inbound", "outbound", "bidirectional", NULL};
static const char *const attribute_types[] = {"string", "number", "integer", "boolean",
"object", "array", "null", "any", NULL};

static const OptionSpec retry_policy_options[] = {
	{"max_retries", OPT_INT, .min = 0},
	{"backoff_ms", OPT_INT, .min = 0},
	{"max_backoff_ms", OPT_INT, .min = 0},
	{"exponential", OPT_BOOL},
	{"jitter", OPT_BOOL},
	{NULL}
};

static const OptionSpec binding_options[] = {
	{"source_attribute", OPT_TEXT, .required = true},
	{"destination_attribute", OPT_TEXT, .required = true},
	{"transform", OPT_ENUM, .values = StreamTransforms},
	{"required", OPT_BOOL},
	{"aggregation_window_ms", OPT_INT, .min = 1},
	{"jsonpath", OPT_JSONPATH},
	{NULL}
};

static const OptionSpec backpressure_options[] = {
	{"max_queue_size", OPT_INT, .min = 1},
	{"strategy", OPT_ENUM, .values = bp_strategies},
	{NULL}
};

static const OptionSpec batching_options[] = {
	{"batch_size", OPT_INT, .min = 1},
	{"batch_timeout_ms", OPT_INT, .min = 0},
	{NULL}
};

static const OptionSpec dead_letter_options[] = {
	{"enabled", OPT_BOOL},
	{"max_retries", OPT_INT, .min = 0},
	{"retention_hours", OPT_INT, .min = 1},
	{"queue_service_id", OPT_TEXT},
	{NULL}
};

static const OptionSpec multiplexing_options[] = {
	{"enabled", OPT_BOOL},
	{"destinations", OPT_STRING_LIST},
	{"strategy", OPT_ENUM, .values = mux_strategies},
	{NULL}
};

static const OptionSpec aggregation_options[] = {
	{"enabled", OPT_BOOL},
	{"sources", OPT_STRING_LIST},
	{"merge_strategy", OPT_TEXT},
	{"deduplication", OPT_BOOL},
	{"dedup_key", OPT_TEXT},
	{NULL}
};

/* Every key a stream config may hold (DESIGN.md, "Streams and services"). */
static const OptionSpec stream_options[] = {
	{"name", OPT_NAME, .required = true},
	{"id", OPT_IDENT, .alias = "stream_id"},
	{"symbol", OPT_UPPER},
	{"description", OPT_TEXT},
	{"frequency", OPT_DURATION},
	{"sla_ms", OPT_INT_CLAMP, .min = 0},
	{"status", OPT_ENUM, .values = stream_statuses},
	{"metadata", OPT_OBJECT},
	{"account_id", OPT_TEXT},
	{"stream_type", OPT_ENUM, .values = stream_types},
	{"direction", OPT_ENUM, .values = directions},
	{"data_format", OPT_ENUM, .values = data_formats},
	{"realtime_protocol", OPT_ENUM, .values = protocols},
	{"buffer_size", OPT_INT, .min = 1},
	{"polling_interval_ms", OPT_INT, .min = 1},
	{"retry_policy", OPT_RECORD, .fields = retry_policy_options},
	{"data_schema", OPT_SCHEMA},
	{"attribute_bindings", OPT_RECORD_LIST, .fields = binding_options, .check = CheckBinding},
	{"source_service_id", OPT_TEXT},
	{"destination_service_id", OPT_TEXT},
	{"source_url", OPT_URL},
	{"destination_url", OPT_URL},
	{"auth_headers", OPT_STRING_MAP, .check = CheckHeaders},
	{"backpressure", OPT_RECORD, .fields = backpressure_options},
	{"batching", OPT_RECORD, .fields = batching_options},
	{"dead_letter_queue", OPT_RECORD, .fields = dead_letter_options},
	{"multiplexing", OPT_RECORD, .fields = multiplexing_options, .check = CheckMultiplexing},
	{"aggregation", OPT_RECORD, .fields = aggregation_options},
	{"retention", OPT_INTERVAL},
	{"webhook_secret", OPT_SECRET},
	{NULL}
};

static const OptionSpec attribute_options[] = {
	{"name", OPT_NAME, .required = true},
	{"type", OPT_ENUM, .values = attribute_types},
	{"description", OPT_TEXT},
	{"required", OPT_BOOL},
	{NULL}
};

/* Every key a service config may hold (seed 000, "Setup Procedures"). */
static const OptionSpec service_options[] = {
	{"name", OPT_NAME, .required = true},
	{"id", OPT_IDENT, .alias = "service_id"},
	{"service_type", OPT_TEXT},
	{"workflow_id", OPT_TEXT},
	{"input_attributes", OPT_RECORD_LIST, .fields = attribute_options},
	{"output_attributes", OPT_RECORD_LIST, .fields = attribute_options},
	{"supports_realtime", OPT_BOOL},
	{"stream_direction", OPT_ENUM, .values = service_directions},
	{"endpoint_url", OPT_URL},
	{NULL}
};

/*
 * auth_headers go into HTTP requests as they are: names must be HTTP tokens
 * and values free of control characters (no header can be smuggled in).
 */
static void
CheckHeaders(JsonbContainer *headers, const char *noun, const char *path)
{
	JsonbIterator *it = JsonbIteratorInit(headers);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *name = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const char *s;
		int			len;
		bool		ok;

		/* NormalizeStringMap has checked that every value is a string */
		if ((tok != WJB_KEY && tok != WJB_VALUE) || v.type != jbvString)
			continue;
		s = v.val.string.val;
		len = v.val.string.len;
		ok = len > 0 || tok == WJB_VALUE;
		if (tok == WJB_KEY)
			name = pnstrdup(s, len);
		for (int i = 0; ok && i < len; i++)
		{
			unsigned char c = (unsigned char) s[i];

			ok = tok == WJB_KEY
				? c < 0x80 && (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL) && c != '\0'
				: (c >= 0x20 || c == '\t') && c != 0x7f;
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s.%s\" is not a valid HTTP header %s", noun, path, name,
							tok == WJB_KEY ? "name" : "value"),
					 errhint("Header names are tokens such as \"Authorization\" or \"X-Client-ID\"; values must not contain control characters such as line breaks.")));
	}
}

/* filter and map evaluate a jsonpath, so a binding using them must give one. */
static void
CheckBinding(JsonbContainer *binding, const char *noun, const char *path)
{
	JsonbValue *transform = JsonbObjectGet(binding, "transform");
	JsonbValue *jsonpath = JsonbObjectGet(binding, "jsonpath");
	bool		needs_path;

	needs_path = transform && transform->type == jbvString &&
		((transform->val.string.len == 6 && strncmp(transform->val.string.val, "filter", 6) == 0) ||
		 (transform->val.string.len == 3 && strncmp(transform->val.string.val, "map", 3) == 0));
	if (jsonpath && jsonpath->type == jbvString)
	{
		char	   *text = pnstrdup(jsonpath->val.string.val, jsonpath->val.string.len);
		char	   *var = JsonPathVariable(DatumGetJsonPathP(DirectFunctionCall1(jsonpath_in,
																				CStringGetDatum(text))));

		if (var != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s.jsonpath\" uses the variable %s, but bindings pass no variables",
							noun, path, var),
					 errhint("Write the value into the path itself, e.g. \"$ ? (@ > 10)\".")));
	}
	if (needs_path && (jsonpath == NULL || jsonpath->type == jbvNull))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s.jsonpath\" is required by transform \"%.*s\"",
						noun, path, transform->val.string.len, transform->val.string.val),
				 errhint("filter takes a jsonpath predicate such as \"$ ? (@ > 10)\"; map takes an expression such as \"$[*].price\".")));
}

/* True when the n bytes at s start with prefix, ignoring case. */
static bool
StartsWith(const char *s, int n, const char *prefix)
{
	int			k = strlen(prefix);

	return n >= k && pg_strncasecmp(s, prefix, k) == 0;
}

/*
 * multiplexing: each destination is an http(s) URL with a host or a service
 * id (whose endpoint_url the SQL side resolves), none twice; an enabled
 * multiplexing (enabled is true unless given false) names at least one.
 */
static void
CheckMultiplexing(JsonbContainer *mux, const char *noun, const char *path)
{
	JsonbValue *enabled = JsonbObjectGet(mux, "enabled");
	JsonbValue *dests = JsonbObjectGet(mux, "destinations");
	bool		on = enabled == NULL || enabled->type != jbvBool || enabled->val.boolean;
	int			n = 0;

	if (dests != NULL && dests->type == jbvBinary)
	{
		JsonbIterator *it = JsonbIteratorInit(dests->val.binary.data);
		JsonbValue	elem;
		JsonbIteratorToken tok;
		List	   *seen = NIL;

		while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
		{
			const char *v;
			int			len;
			bool		url;
			bool		ok;
			ListCell   *lc;

			if (tok != WJB_ELEM || elem.type != jbvString)
				continue;
			v = elem.val.string.val;
			len = elem.val.string.len;
			url = StartsWith(v, len, "http://") || StartsWith(v, len, "https://");
			if (url)
			{
				int			skip = StartsWith(v, len, "http://") ? 7 : 8;

				ok = len > skip && v[skip] != '/';
			}
			else
			{
				ok = len > 0 && len <= STREAMFLOW_MAX_ID_LEN && isalnum((unsigned char) v[0]);
				for (int i = 0; ok && i < len; i++)
					ok = isalnum((unsigned char) v[i]) || strchr("_-.:", v[i]) != NULL;
			}
			if (!ok)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value \"%.*s\" for %s \"%s.destinations[%d]\"",
								len, v, noun, path, n),
						 errhint("A destination is an http:// or https:// URL with a host, or the id of a service with an endpoint_url.")));
			foreach(lc, seen)
				if (strcmp(lfirst(lc), pnstrdup(v, len)) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s \"%s.destinations\" names \"%.*s\" twice",
									noun, path, len, v),
							 errhint("Each destination receives its frames once; list it once.")));
			seen = lappend(seen, pnstrdup(v, len));
			n++;
		}
	}
	if (on && n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s.destinations\" must name at least one destination", noun, path),
				 errhint("List http(s) URLs or service ids, or set \"%s.enabled\" to false.", path)));
}

/*
 * Checks an attribute_bindings array on its own with the stream rules, so
 * apply_bindings() accepts exactly what create_stream() does.
 */
Jsonb *
NormalizeBindings(Jsonb *bindings)
{
	JsonbParseState *state = NULL;
	JsonbValue *config;
	JsonbValue *normalized;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	JsonbPushJsonbPair(&state, "attribute_bindings", bindings);
	config = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	normalized = JsonbObjectGet(&NormalizeOptions(JsonbValueToJsonb(config), stream_options,
												  "stream", true)->root,
								"attribute_bindings");
	return normalized ? JsonbValueToJsonb(normalized) : NULL;
}

/* SQL: normalize_stream_config(config jsonb, partial boolean) returns jsonb */
Datum
streamflow_normalize_stream_config(PG_FUNCTION_ARGS)
{
	Jsonb	   *config = PG_GETARG_JSONB_P(0);
	bool		partial = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);

	PG_RETURN_JSONB_P(NormalizeOptions(config, stream_options, "stream", partial));
}

/* SQL: normalize_service_config(config jsonb) returns jsonb */
Datum
streamflow_normalize_service_config(PG_FUNCTION_ARGS)
{
	Jsonb	   *config = PG_GETARG_JSONB_P(0);

	PG_RETURN_JSONB_P(NormalizeOptions(config, service_options, "service", false));
}
