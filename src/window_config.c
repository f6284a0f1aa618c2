/*
 * window_config.c: create_window's config, parsed and checked into a
 * WindowConfig (every mistake is a 22023 naming the key, with a detail or a
 * hint), written back in normal form for streamflow.windows.config, and the
 * per-frame answers every window needs: the frame's time (ingest time, or an
 * event time read from the payload), its group and its pane.
 *
 * Panes are slide-sized slices aligned to the Unix epoch; a window of size
 * `size` is size / slide consecutive panes, so sliding windows are merged
 * from panes instead of recomputed.  Nothing here reads a table, so the
 * worker, the SQL functions and the fuzz module all share it.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "jsonb_util.h"
#include "options.h"
#include "window_config.h"

/* Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define UNIX_EPOCH_OFFSET_US ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/* The top-level keys, in this order in the seen[] array. */
enum
{
	KEY_TYPE, KEY_SIZE, KEY_SLIDE, KEY_GRACE, KEY_TIME, KEY_GROUP_BY, KEY_MAX_GROUPS,
	KEY_AGGREGATES, NKEYS
};
static const char *const window_keys[] = {"type", "size", "slide", "grace", "time", "group_by",
"max_groups", "aggregates", NULL};
static const char *const window_types[] = {"tumbling", "sliding", NULL};

/* Indexed by WindowFn. */
static const char *const window_fns[] = {"count", "sum", "avg", "min", "max", "rate", NULL};

static void WrongType(const char *key, const char *expected, const JsonbValue *v) pg_attribute_noreturn();
static void Required(const char *key, const char *hint) pg_attribute_noreturn();

static const char *const path_hint = "Write a path such as \"$.price\", \"user.id\" or \"items[0].price\".";

/* Raises the 22023 error for a window option of the wrong JSON type. */
static void
WrongType(const char *key, const char *expected, const JsonbValue *v)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("window option \"%s\" must be %s", key, expected),
			 errdetail("The value given is %s.", JsonbValueTypeName(v))));
}

/* The C string of a string option, or the wrong-type error. */
static char *
RequireString(const char *key, const JsonbValue *v)
{
	if (v->type != jbvString)
		WrongType(key, "a string", v);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* True when v is a JSON object (as a container). */
static bool
IsObject(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/* Parses a window path; see window_config.h. */
void
ParseWindowPath(const char *text, const char *what, BindingPath *path)
{
	const char *steps = text;

	/* "$.a.b" and "$[0]" are the JSON-path spellings of "a.b" and "[0]" */
	if (steps[0] == '$' && (steps[1] == '.' || steps[1] == '[' || steps[1] == '\0'))
		steps += steps[1] == '.' ? 2 : 1;
	ParseBindingPath(steps, false, path);
	if (path->problem)
	{
		/* ParseBindingPath says 'source_attribute "<steps>" <reason>' */
		const char *reason = path->problem;
		char	   *prefix = psprintf("source_attribute \"%s\" ", steps);

		if (strncmp(reason, prefix, strlen(prefix)) == 0)
			reason += strlen(prefix);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid path \"%s\" for %s", text, what),
				 errdetail("The path %s.", reason),
				 errhint("%s", path_hint)));
	}
}

/* A duration in whole milliseconds from an interval; see window_config.h. */
int64
WindowIntervalMs(const Interval *interval, const char *what)
{
	if (interval->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be given in months or years", what),
				 errdetail("Months and years have no fixed length."),
				 errhint("Give it in days or smaller units, such as \"30 days\".")));
	if (interval->time % 1000 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a whole number of milliseconds", what),
				 errdetail("Windows are aligned and measured in milliseconds.")));
	/* cannot overflow: |day| < 2^31 and time / 1000 < 2^54 */
	return (int64) interval->day * SECS_PER_DAY * 1000 + interval->time / 1000;
}

/*
 * A duration option: integer milliseconds or an interval string.  Bounds
 * other than the largest duration are the caller's.
 */
static int64
ParseDuration(const char *key, const JsonbValue *v)
{
	int64		ms;
	char	   *what = psprintf("window option \"%s\"", key);

	if (v->type == jbvString)
	{
		char	   *s = RequireString(key, v);
		Datum		iv = ParseOrReject(F_INTERVAL_IN, "window option", key, s, "interval");

		ms = WindowIntervalMs(DatumGetIntervalP(iv), what);
	}
	else if (v->type == jbvNumeric)
	{
		if (!JsonbValueGetInt64(v, &ms))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be a whole number of milliseconds", what),
					 errdetail("The value given is %s.", JsonbValueToCString(v))));
	}
	else
		WrongType(key, "milliseconds (an integer) or an interval string such as \"1 minute\"", v);
	if (ms > WINDOW_MAX_DURATION_MS || ms < -WINDOW_MAX_DURATION_MS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at most 366 days", what),
				 errdetail("The value given is %s.", JsonbValueToCString(v))));
	return ms;
}

/* Checks a duration is above zero (at or above zero when zero_ok). */
static void
RequirePositive(const char *key, int64 ms, bool zero_ok)
{
	if (ms > 0 || (zero_ok && ms == 0))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("window option \"%s\" must be %s", key, zero_ok ? "zero or more" : "positive"),
			 errdetail("The value given is " INT64_FORMAT " ms.", ms)));
}

/* The index of s in a NULL-terminated list, or -1. */
static int
ListIndex(const char *s, const char *const *values)
{
	int			i;

	for (i = 0; values[i]; i++)
		if (strcmp(s, values[i]) == 0)
			return i;
	return -1;
}

/* Reads the top-level keys of the config into vals[] (NULL: absent or null). */
static void
ReadKeys(Jsonb *config, JsonbValue **vals)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(config))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a window config must be a JSON object"),
				 errdetail("The value given is %s.", JB_ROOT_IS_SCALAR(config) ? "a scalar" : "an array"),
				 errhint("Give an object such as {\"type\": \"tumbling\", \"size\": \"1 minute\", \"aggregates\": {\"n\": {\"fn\": \"count\"}}}.")));
	memset(vals, 0, sizeof(JsonbValue *) * NKEYS);
	it = JsonbIteratorInit(&config->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;
		int			i;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		JsonbIteratorNext(&it, &v, true);
		i = ListIndex(key, window_keys);
		if (i < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown window option \"%s\"", key),
					 errhint("Valid options are: %s.", JoinValues(window_keys))));
		if (v.type != jbvNull)
		{
			vals[i] = palloc(sizeof(JsonbValue));
			*vals[i] = v;
		}
	}
}

/* Raises the "is required" error for a missing key. */
static void
Required(const char *key, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("window option \"%s\" is required", key),
			 errhint("%s", hint)));
}

/* Fills type, size, slide and grace, checking how they fit together. */
static void
ParseShape(JsonbValue **vals, WindowConfig *out)
{
	char	   *type;

	if (vals[KEY_TYPE] == NULL)
		Required("type", "Valid values are: tumbling, sliding.");
	type = RequireString("type", vals[KEY_TYPE]);
	if (ListIndex(type, window_types) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for window option \"type\"", type),
				 errhint("Valid values are: %s.", JoinValues(window_types))));
	out->type = strcmp(type, "sliding") == 0 ? WINDOW_SLIDING : WINDOW_TUMBLING;

	if (vals[KEY_SIZE] == NULL)
		Required("size", "Give the window's length in milliseconds or as an interval, such as \"1 minute\".");
	out->size_ms = ParseDuration("size", vals[KEY_SIZE]);
	RequirePositive("size", out->size_ms, false);

	if (out->type == WINDOW_TUMBLING && vals[KEY_SLIDE] != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window option \"slide\" is only for sliding windows"),
				 errdetail("A tumbling window moves by its whole size."),
				 errhint("Remove \"slide\", or set \"type\" to \"sliding\".")));
	if (out->type == WINDOW_SLIDING && vals[KEY_SLIDE] == NULL)
		Required("slide", "Give how far a sliding window moves each time, such as \"10 seconds\"; it must divide size evenly.");
	out->slide_ms = out->type == WINDOW_SLIDING ? ParseDuration("slide", vals[KEY_SLIDE]) : out->size_ms;
	RequirePositive("slide", out->slide_ms, false);
	if (out->slide_ms > out->size_ms)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window option \"slide\" must not be larger than \"size\""),
				 errdetail("slide is " INT64_FORMAT " ms and size is " INT64_FORMAT " ms.",
						   out->slide_ms, out->size_ms),
				 errhint("Windows that do not overlap are tumbling windows: use \"type\": \"tumbling\".")));
	if (out->size_ms % out->slide_ms != 0)
	{
		int64		below = out->size_ms - out->size_ms % out->slide_ms;

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window option \"slide\" must divide \"size\" evenly"),
				 errdetail("size is " INT64_FORMAT " ms and slide is " INT64_FORMAT " ms.",
						   out->size_ms, out->slide_ms),
				 errhint("With this slide, a size of " INT64_FORMAT " ms or " INT64_FORMAT " ms would do.",
						 below, below + out->slide_ms)));
	}
	if (out->size_ms / out->slide_ms > WINDOW_MAX_PANES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window option \"slide\" is too small for \"size\""),
				 errdetail("A window would span " INT64_FORMAT " slides; at most %d are allowed.",
						   out->size_ms / out->slide_ms, WINDOW_MAX_PANES),
				 errhint("Use a slide of at least " INT64_FORMAT " ms.",
						 (out->size_ms + WINDOW_MAX_PANES - 1) / WINDOW_MAX_PANES)));

	out->grace_ms = vals[KEY_GRACE] ? ParseDuration("grace", vals[KEY_GRACE]) : 0;
	RequirePositive("grace", out->grace_ms, true);
}

/* Fills the time source: "ingest" or {"path": "..."}. */
static void
ParseTime(JsonbValue *v, WindowConfig *out)
{
	JsonbValue *path;

	out->event_time = false;
	if (v == NULL || (v->type == jbvString && v->val.string.len == 6 &&
					  strncmp(v->val.string.val, "ingest", 6) == 0))
		return;
	if (!IsObject(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value %s for window option \"time\"", JsonbValueToCString(v)),
				 errhint("Use \"ingest\" (the frame's created_at) or {\"path\": \"$.ts\"} (an ISO-8601 string or epoch milliseconds in the payload).")));
	if (JsonContainerSize(v->val.binary.data) != 1 ||
		(path = JsonbObjectGet(v->val.binary.data, "path")) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window option \"time\" must have exactly one key, \"path\""),
				 errdetail("The value given is %s.", JsonbValueToCString(v)),
				 errhint("Use {\"path\": \"$.ts\"}.")));
	out->event_time = true;
	ParseWindowPath(RequireString("time.path", path), "window option \"time.path\"", &out->time_path);
}

/* Fills one aggregate from its {"fn": ..., "path": ...} object. */
static void
ParseAggregate(const char *output, JsonbValue *v, WindowAggregate *agg)
{
	char	   *key = psprintf("aggregates.%s", output);
	JsonbIterator *it;
	JsonbValue	k,
				item;
	JsonbIteratorToken tok;
	char	   *fn = NULL;
	char	   *path = NULL;
	int			i;

	if (!IsObject(v))
		WrongType(key, "an object such as {\"fn\": \"avg\", \"path\": \"$.price\"}", v);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		JsonbIteratorNext(&it, &item, true);
		if (strcmp(name, "fn") == 0)
			fn = RequireString(psprintf("%s.fn", key), &item);
		else if (strcmp(name, "path") == 0)
			path = item.type == jbvNull ? NULL : RequireString(psprintf("%s.path", key), &item);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown window option \"%s.%s\"", key, name),
					 errhint("An aggregate has \"fn\" and, for sum, avg, min and max, \"path\".")));
	}
	if (fn == NULL)
		Required(psprintf("%s.fn", key), psprintf("Valid functions are: %s.", JoinValues(window_fns)));
	if ((i = ListIndex(fn, window_fns)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown aggregate function \"%s\" in window option \"%s.fn\"", fn, key),
				 errhint("Valid functions are: %s.", JoinValues(window_fns))));
	agg->output = pstrdup(output);
	agg->fn = (WindowFn) i;
	agg->has_path = path != NULL;
	if (path)
		ParseWindowPath(path, psprintf("window option \"%s.path\"", key), &agg->path);
	else if (agg->fn != WINDOW_FN_COUNT && agg->fn != WINDOW_FN_RATE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window option \"%s.path\" is required for %s", key, fn),
				 errdetail("%s reads a number from each frame's payload.", fn),
				 errhint("Add \"path\", such as {\"fn\": \"%s\", \"path\": \"$.price\"}.", fn)));
}

/* Fills the aggregates from the "aggregates" object. */
static void
ParseAggregates(JsonbValue *v, WindowConfig *out)
{
	static const char *const hint = "Give at least one, such as {\"views\": {\"fn\": \"count\"}, \"avg_price\": {\"fn\": \"avg\", \"path\": \"$.price\"}}.";
	JsonbIterator *it;
	JsonbValue	k,
				item;
	JsonbIteratorToken tok;

	if (v == NULL)
		Required("aggregates", hint);
	if (!IsObject(v))
		WrongType("aggregates", "an object of {\"fn\": ..., \"path\": ...} by output name", v);
	out->naggs = 0;
	out->aggs = palloc0(sizeof(WindowAggregate) * Max(1, JsonContainerSize(v->val.binary.data)));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *output;

		if (tok != WJB_KEY)
			continue;
		output = pnstrdup(k.val.string.val, k.val.string.len);
		JsonbIteratorNext(&it, &item, true);
		if (*output == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("window option \"aggregates\" has an empty output name"),
					 errhint("Name each aggregate, such as \"views\" or \"avg_price\".")));
		ParseAggregate(output, &item, &out->aggs[out->naggs++]);
	}
	if (out->naggs == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window option \"aggregates\" must not be empty"),
				 errhint("%s", hint)));
}

/* Parses and checks a create_window config; see window_config.h. */
void
ParseWindowConfig(Jsonb *config, WindowConfig *out)
{
	JsonbValue *vals[NKEYS];

	memset(out, 0, sizeof(WindowConfig));
	ReadKeys(config, vals);
	ParseShape(vals, out);
	ParseTime(vals[KEY_TIME], out);
	out->has_group_by = vals[KEY_GROUP_BY] != NULL;
	if (out->has_group_by)
		ParseWindowPath(RequireString("group_by", vals[KEY_GROUP_BY]), "window option \"group_by\"",
						&out->group_by);
	out->max_groups = WINDOW_DEFAULT_MAX_GROUPS;
	if (vals[KEY_MAX_GROUPS])
	{
		int64		n;

		if (vals[KEY_MAX_GROUPS]->type != jbvNumeric)
			WrongType("max_groups", "an integer", vals[KEY_MAX_GROUPS]);
		if (!JsonbValueGetInt64(vals[KEY_MAX_GROUPS], &n) || n < 1 || n > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("window option \"max_groups\" must be an integer between 1 and %d", PG_INT32_MAX),
					 errdetail("The value given is %s.", JsonbValueToCString(vals[KEY_MAX_GROUPS])),
					 errhint("It caps how many groups one window keeps; frames of further groups are counted in groups_over_cap.")));
		out->max_groups = (int) n;
	}
	ParseAggregates(vals[KEY_AGGREGATES], out);
}

/* Pushes "key": n. */
static void
PushInt(JsonbParseState **state, const char *key, int64 n)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	JsonbPushValuePair(state, key, &v);
}

/* The normalised config; see window_config.h. */
Jsonb *
WindowConfigToJsonb(const WindowConfig *config)
{
	JsonbParseState *state = NULL;
	JsonbValue *root;
	int			i;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	JsonbPushStringPair(&state, "type", window_types[config->type == WINDOW_SLIDING ? 1 : 0]);
	PushInt(&state, "size", config->size_ms);
	if (config->type == WINDOW_SLIDING)
		PushInt(&state, "slide", config->slide_ms);
	PushInt(&state, "grace", config->grace_ms);
	if (config->event_time)
	{
		JsonbPushKey(&state, "time");
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		JsonbPushStringPair(&state, "path", config->time_path.rendered);
		pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	else
		JsonbPushStringPair(&state, "time", "ingest");
	if (config->has_group_by)
		JsonbPushStringPair(&state, "group_by", config->group_by.rendered);
	PushInt(&state, "max_groups", config->max_groups);
	JsonbPushKey(&state, "aggregates");
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < config->naggs; i++)
	{
		const WindowAggregate *agg = &config->aggs[i];

		JsonbPushKey(&state, agg->output);
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		JsonbPushStringPair(&state, "fn", window_fns[agg->fn]);
		if (agg->has_path)
			JsonbPushStringPair(&state, "path", agg->path.rendered);
		pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	root = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(root);
}

/* A JSON number as a finite double; false for anything else. */
bool
WindowJsonNumber(const JsonbValue *v, double *out)
{
	char	   *text;
	double		d;

	if (v->type != jbvNumeric || numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric))
		return false;
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	d = strtod(text, NULL);
	pfree(text);
	if (isinf(d) || isnan(d))
		return false;
	*out = d;
	return true;
}

/* Reads exactly n digits at *p (before end) into *out, advancing *p. */
static bool
ReadDigits(const char **p, const char *end, int n, int *out)
{
	int			v = 0;

	if (end - *p < n)
		return false;
	while (n-- > 0)
	{
		if (!isdigit((unsigned char) **p))
			return false;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return true;
}

/*
 * Parses the ISO-8601 forms "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.frac]]"
 * and those followed by "Z" or "+HH[:MM]"/"-HH[:MM]" (no zone: UTC).  Written
 * here rather than calling timestamptz_in because that one raises ERRORs
 * (unknown zone names, out-of-range fields) and depends on the session's
 * TimeZone, while the worker and window_stats must agree on every frame.
 */
static bool
ParseIsoTimestamp(const char *s, int len, TimestampTz *out)
{
	const char *p = s;
	const char *end = s + len;
	struct pg_tm tm = {0};
	fsec_t		fsec = 0;
	int			tz = 0;
	Timestamp	result;

	if (!ReadDigits(&p, end, 4, &tm.tm_year) || p == end || *p++ != '-' ||
		!ReadDigits(&p, end, 2, &tm.tm_mon) || p == end || *p++ != '-' ||
		!ReadDigits(&p, end, 2, &tm.tm_mday))
		return false;
	if (p < end)
	{
		if (*p != 'T' && *p != 't' && *p != ' ')
			return false;
		p++;
		if (!ReadDigits(&p, end, 2, &tm.tm_hour) || p == end || *p++ != ':' ||
			!ReadDigits(&p, end, 2, &tm.tm_min))
			return false;
		if (p < end && *p == ':')
		{
			p++;
			if (!ReadDigits(&p, end, 2, &tm.tm_sec))
				return false;
			if (p < end && (*p == '.' || *p == ','))
			{
				int			scale = 100000;

				if (++p == end || !isdigit((unsigned char) *p))
					return false;
				for (; p < end && isdigit((unsigned char) *p); p++, scale /= 10)
					fsec += (*p - '0') * scale;
			}
		}
		if (p < end && (*p == 'Z' || *p == 'z'))
			p++;
		else if (p < end && (*p == '+' || *p == '-'))
		{
			int			sign = *p++ == '-' ? -1 : 1;
			int			hh,
						mm = 0;

			if (!ReadDigits(&p, end, 2, &hh))
				return false;
			if (p < end && *p == ':')
				p++;
			if (p < end && !ReadDigits(&p, end, 2, &mm))
				return false;
			if (hh > MAX_TZDISP_HOUR || mm > 59)
				return false;
			tz = -sign * (hh * SECS_PER_HOUR + mm * SECS_PER_MINUTE);
		}
	}
	if (p != end || tm.tm_year < 1 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
		tm.tm_mday > day_tab[isleap(tm.tm_year)][tm.tm_mon - 1] ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return false;
	if (tm2timestamp(&tm, fsec, &tz, &result) != 0 || !IS_VALID_TIMESTAMP(result))
		return false;
	*out = result;
	return true;
}

/* The frame's time for this window; see window_config.h. */
bool
WindowFrameTime(const WindowConfig *config, Jsonb *payload, TimestampTz created_at,
				TimestampTz *time)
{
	JsonbValue	v;
	double		ms;

	if (!config->event_time)
	{
		*time = created_at;
		return true;
	}
	if (!ReadPath(payload, &config->time_path, &v))
		return false;
	if (v.type == jbvString)
		return ParseIsoTimestamp(v.val.string.val, v.val.string.len, time);
	if (!WindowJsonNumber(&v, &ms) || !(ms > -1e15 && ms < 1e15))
		return false;
	*time = (TimestampTz) rint(ms * 1000.0) - UNIX_EPOCH_OFFSET_US;
	return IS_VALID_TIMESTAMP(*time);
}

/* The group of a frame as jsonb; see window_config.h. */
Jsonb *
WindowGroupKey(const WindowConfig *config, Jsonb *payload)
{
	JsonbValue	v;

	if (!config->has_group_by || !ReadPath(payload, &config->group_by, &v))
		v.type = jbvNull;
	return JsonbValueToJsonb(&v);
}

/* Start of the pane holding t; see window_config.h. */
TimestampTz
WindowPaneStart(const WindowConfig *config, TimestampTz t)
{
	int64		slide_us = config->slide_ms * 1000;
	int64		offset = (t % slide_us + UNIX_EPOCH_OFFSET_US % slide_us) % slide_us;

	if (offset < 0)
		offset += slide_us;
	return t - offset;
}
