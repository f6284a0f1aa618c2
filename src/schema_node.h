/*
 * schema_node.h: a compiled JSON Schema, shared by schema_compile.c (which
 * builds it) and schema_validate.c (which walks it).
 *
 * Every subschema becomes one SchemaNode holding only the keywords it uses,
 * already checked and converted (numbers to Numeric, patterns to compiled
 * regexes, $ref to a pointer to its target node).
 */
#ifndef STREAMFLOW_SCHEMA_NODE_H
#define STREAMFLOW_SCHEMA_NODE_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "regex/regex.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "schema_format.h"

typedef struct SchemaNode SchemaNode;

/* JSON types as bits, for "type". integer is number with no fraction. */
#define SCHEMA_NULL		0x01
#define SCHEMA_BOOLEAN	0x02
#define SCHEMA_OBJECT	0x04
#define SCHEMA_ARRAY	0x08
#define SCHEMA_NUMBER	0x10
#define SCHEMA_STRING	0x20
#define SCHEMA_INTEGER	0x40

/* A list of subschemas (allOf, anyOf, oneOf, items as an array). */
typedef struct SchemaList
{
	int			n;
	SchemaNode **nodes;
} SchemaList;

/* A compiled "pattern" or patternProperties key. */
typedef struct SchemaRegex
{
	char	   *source;			/* the pattern as written */
	regex_t		re;
} SchemaRegex;

/* One entry of properties / patternProperties / dependencies. */
typedef struct NamedSchema
{
	char	   *name;			/* property name (not NUL-safe: use len) */
	int			len;
	SchemaRegex *regex;			/* patternProperties only */
	SchemaNode *schema;			/* NULL for a dependencies array */
	char	  **required;		/* dependencies array form */
	int		   *required_len;
	int			n_required;
} NamedSchema;

struct SchemaNode
{
	char	   *location;		/* JSON pointer within the document, "#/properties/a" */
	JsonbContainer *source;		/* the schema object; NULL for true/false */
	bool		is_boolean;		/* true or false schema */
	bool		boolean_value;

	/* $ref: in draft-07 every sibling keyword is ignored */
	char	   *ref;			/* absolute reference, for messages */
	SchemaNode *ref_target;

	/* any instance */
	uint8		types;			/* SCHEMA_* bits; 0 when "type" is absent */
	int			n_enum;
	JsonbValue *enum_values;
	bool		has_const;
	JsonbValue	const_value;

	/* numbers */
	Numeric		multiple_of;
	Numeric		maximum;
	Numeric		exclusive_maximum;
	Numeric		minimum;
	Numeric		exclusive_minimum;

	/* strings */
	int64		max_length;		/* -1 when absent, as for every count below */
	int64		min_length;
	SchemaRegex *pattern;
	char	   *format;
	FormatCheck format_check;	/* NULL for an unknown format */

	/* arrays */
	SchemaNode *items;			/* "items" as one schema */
	SchemaList	item_list;		/* "items" as an array of schemas */
	bool		items_is_list;
	SchemaNode *additional_items;
	int64		max_items;
	int64		min_items;
	bool		unique_items;
	SchemaNode *contains;

	/* objects */
	int64		max_properties;
	int64		min_properties;
	int			n_required;
	char	  **required;
	int		   *required_len;
	int			n_properties;
	NamedSchema *properties;	/* sorted by name for binary search */
	int			n_pattern_properties;
	NamedSchema *pattern_properties;
	SchemaNode *additional_properties;
	int			n_dependencies;
	NamedSchema *dependencies;
	SchemaNode *property_names;

	/* combinators */
	SchemaNode *if_schema;
	SchemaNode *then_schema;
	SchemaNode *else_schema;
	SchemaList	all_of;
	SchemaList	any_of;
	SchemaList	one_of;
	SchemaNode *not_schema;

	int			visit;			/* compile-time cycle check: 0 new, 1 on stack, 2 done */
};

/* A whole compiled schema: its root and what must be freed with it. */
struct Schema
{
	SchemaNode *root;
	List	   *regexes;		/* SchemaRegex *, freed with pg_regfree */
	List	   *nodes;			/* every node, for the recursion check */
};

extern bool SchemaRegexCompile(SchemaRegex *rx, const char *pattern, int len, char **error);
extern bool SchemaRegexMatch(SchemaRegex *rx, const char *s, int len);

#endif
