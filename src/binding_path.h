/*
 * binding_path.h: the dotted attribute paths of bindings ("user_data.email",
 * "items[0].name", "items.0.name"), parsed once, then read from a payload or
 * written into the output object.
 */
#ifndef STREAMFLOW_BINDING_PATH_H
#define STREAMFLOW_BINDING_PATH_H

#include "postgres.h"
#include "utils/jsonb.h"

/* The largest "[n]" a destination may hold: writing it pads the array with nulls. */
#define BINDING_MAX_DEST_INDEX 65535

typedef enum PathStepKind
{
	PATH_KEY,					/* ".name": an object key */
	PATH_INDEX					/* "[n]": an array index */
} PathStepKind;

typedef struct PathStep
{
	PathStepKind kind;
	char	   *key;			/* PATH_KEY */
	int			keylen;
	int32		index;			/* PATH_INDEX, or a digits-only key; else -1 */
} PathStep;

typedef struct BindingPath
{
	int			nsteps;
	PathStep   *steps;
	char	   *rendered;		/* "$.items[0].name", for violations */
	char	   *problem;		/* why the text is no path; NULL when it is one */
} BindingPath;

/* The output object a binding set writes into. */
typedef struct OutputNode OutputNode;

extern void ParseBindingPath(const char *text, bool destination, BindingPath *path);
extern bool ReadPath(Jsonb *data, const BindingPath *path, JsonbValue *out);
extern OutputNode *NewOutput(void);
extern void WritePath(OutputNode *root, const BindingPath *path, const JsonbValue *value);
extern Jsonb *OutputToJsonb(OutputNode *root);

#endif
