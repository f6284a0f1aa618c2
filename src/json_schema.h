/*
 * json_schema.h: JSON Schema draft-07, compiled once and validated many times.
 */
#ifndef STREAMFLOW_JSON_SCHEMA_H
#define STREAMFLOW_JSON_SCHEMA_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

typedef struct Schema Schema;

/*
 * Compiles a schema into CurrentMemoryContext (which must outlive it); a
 * malformed schema raises 22023 naming the keyword, prefixed by "what".
 */
extern Schema *CompileSchema(Jsonb *schema, const char *what);

/*
 * Does instance satisfy the schema?  With violations non-NULL every problem is
 * appended to it; with NULL validation stops at the first.
 */
extern bool ValidateInstance(const Schema *schema, Jsonb *instance, List **violations);

#endif
