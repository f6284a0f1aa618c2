/*
 * binding_transform.h: the transforms of attribute bindings (seed 000's
 * table).  A value that does not suit a transform is a Violation, never an
 * error.
 */
#ifndef STREAMFLOW_BINDING_TRANSFORM_H
#define STREAMFLOW_BINDING_TRANSFORM_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/jsonpath.h"

typedef enum TransformKind
{
	TRANSFORM_PASSTHROUGH,
	TRANSFORM_LOWERCASE,
	TRANSFORM_UPPERCASE,
	TRANSFORM_SUM,
	TRANSFORM_AVERAGE,
	TRANSFORM_COUNT,
	TRANSFORM_FILTER,
	TRANSFORM_MAP,
	TRANSFORM_FLATTEN,
	TRANSFORM_JSON_PARSE,
	TRANSFORM_JSON_STRINGIFY
} TransformKind;

/* A binding's transform, compiled once. */
typedef struct Transform
{
	TransformKind kind;
	const char *name;
	JsonPath   *jsonpath;		/* filter and map */
	char	   *problem;		/* why the jsonpath cannot run here; NULL when it can */
} Transform;

extern char *JsonPathVariable(JsonPath *path);
extern void CompileTransform(Transform *t, const char *name, const char *jsonpath);
extern bool TransformIsAggregate(const Transform *t);
extern bool ApplyTransform(const Transform *t, const JsonbValue *v, const char *path,
						   JsonbValue *out, List **violations);

#endif
