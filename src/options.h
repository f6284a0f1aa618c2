/*
 * options.h: table-driven validation of JSON option objects.
 *
 * Stream and service configs are JSON objects whose keys are described by
 * OptionSpec tables.  NormalizeOptions checks every key against its table,
 * normalises values (trimming, upper-casing, clamping) and rejects unknown
 * keys and bad values with SQLSTATE 22023, naming the key and what is allowed.
 */
#ifndef STREAMFLOW_OPTIONS_H
#define STREAMFLOW_OPTIONS_H

#include "postgres.h"
#include "utils/jsonb.h"

typedef enum OptionKind
{
	OPT_TEXT,					/* any string */
	OPT_NAME,					/* a non-empty string, trimmed */
	OPT_UPPER,					/* a string, trimmed and upper-cased */
	OPT_IDENT,					/* an id usable in a NOTIFY channel and a URL */
	OPT_ENUM,					/* one of values[] */
	OPT_INT,					/* an integer >= min */
	OPT_INT_CLAMP,				/* an integer; below min becomes min */
	OPT_BOOL,					/* true or false */
	OPT_OBJECT,					/* any JSON object */
	OPT_SCHEMA,					/* a JSON Schema: an object or a boolean */
	OPT_STRING_MAP,				/* an object whose values are strings */
	OPT_STRING_LIST,			/* an array of strings */
	OPT_RECORD,					/* an object checked against fields[] */
	OPT_RECORD_LIST,			/* an array of such objects */
	OPT_URL,					/* an http, https, ws or wss URL */
	OPT_DURATION,				/* "250ms", "1s", "5m", "1h" */
	OPT_INTERVAL,				/* a positive PostgreSQL interval */
	OPT_JSONPATH,				/* a PostgreSQL jsonpath expression */
	OPT_SECRET					/* a string of at least 16 bytes */
} OptionKind;

/* Checks relations between the keys of one record; path names the record. */
typedef void (*RecordCheck) (JsonbContainer *record, const char *noun, const char *path);

typedef struct OptionSpec
{
	const char *name;
	OptionKind	kind;
	const char *const *values;	/* OPT_ENUM: NULL-terminated list */
	const struct OptionSpec *fields;	/* OPT_RECORD(_LIST): {NULL}-terminated */
	RecordCheck check;			/* OPT_RECORD(_LIST), OPT_STRING_MAP: optional check */
	int			min;			/* OPT_INT, OPT_INT_CLAMP */
	bool		required;		/* must be present (always, in records) */
	const char *alias;			/* another accepted spelling of the key */
} OptionSpec;

/* Maximum length of an id: "datastreams/" + id must fit a NOTIFY channel. */
#define STREAMFLOW_MAX_ID_LEN 51

extern Jsonb *NormalizeOptions(Jsonb *input, const OptionSpec *spec, const char *what,
							   bool partial);
extern bool ValueInList(const char *value, const char *const *values);
extern char *JoinValues(const char *const *values);
extern Datum ParseOrReject(Oid inputfn, const char *noun, const char *path, const char *s,
						   const char *what);

#endif
