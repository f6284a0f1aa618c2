/*
 * json_schema.c: the SQL face of the validator, validate() and
 * validation_errors().  The compiled schema is kept in fn_extra, so a query
 * validating many rows against one schema compiles it once.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "json_schema.h"
#include "violations.h"

PG_FUNCTION_INFO_V1(streamflow_validate);
PG_FUNCTION_INFO_V1(streamflow_validation_errors);

/* What fn_extra holds: the schema last compiled by this call site. */
typedef struct CachedSchema
{
	Jsonb	   *document;
	Schema	   *schema;
} CachedSchema;

/* The compiled form of a schema argument, reused while the argument is the same. */
static Schema *
SchemaArgument(FunctionCallInfo fcinfo, Jsonb *document)
{
	CachedSchema *cache = fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (cache != NULL && VARSIZE(cache->document) == VARSIZE(document) &&
		memcmp(cache->document, document, VARSIZE(document)) == 0)
		return cache->schema;

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cache = palloc(sizeof(CachedSchema));
	cache->schema = CompileSchema(document, NULL);
	cache->document = palloc(VARSIZE(document));
	memcpy(cache->document, document, VARSIZE(document));
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = cache;
	return cache->schema;
}

/* SQL: validate(schema jsonb, instance jsonb) returns boolean */
Datum
streamflow_validate(PG_FUNCTION_ARGS)
{
	Schema	   *schema = SchemaArgument(fcinfo, PG_GETARG_JSONB_P(0));

	PG_RETURN_BOOL(ValidateInstance(schema, PG_GETARG_JSONB_P(1), NULL));
}

/* SQL: validation_errors(schema jsonb, instance jsonb) returns table(path, keyword, message) */
Datum
streamflow_validation_errors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Schema	   *schema = SchemaArgument(fcinfo, PG_GETARG_JSONB_P(0));
	List	   *violations = NIL;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	ValidateInstance(schema, PG_GETARG_JSONB_P(1), &violations);
	foreach(lc, violations)
	{
		Violation  *v = lfirst(lc);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(v->path);
		values[1] = CStringGetTextDatum(v->keyword);
		values[2] = CStringGetTextDatum(v->message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}
