/*
 * capture.c: the capture(stream) trigger function.
 *
 * Rows of any table become frames {"op", "table", "new", "old"}.  A row-level
 * trigger sends one frame per row; a statement-level trigger with transition
 * tables (REFERENCING NEW TABLE AS ... OLD TABLE AS ...) sends one frame per
 * changed row in a single batch; TRUNCATE sends one frame.  Frames go through
 * streamflow.ingest_batch() called as the user who fired the trigger, so that
 * user needs the streamflow_writer role (or EXECUTE on ingest_batch).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "jsonb_util.h"
#include "spi_util.h"

PG_FUNCTION_INFO_V1(streamflow_capture);

static SPIPlanPtr ingest_plan;

/* "INSERT", "UPDATE", "DELETE" or "TRUNCATE" for the firing event. */
static const char *
TriggerOp(TriggerData *trigdata)
{
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		return "INSERT";
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return "UPDATE";
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		return "DELETE";
	return "TRUNCATE";
}

/* The schema-qualified name of the trigger's table, as "schema.table". */
static char *
TriggerTableName(TriggerData *trigdata)
{
	Relation	rel = trigdata->tg_relation;

	return psprintf("%s.%s", get_namespace_name(RelationGetNamespace(rel)),
					RelationGetRelationName(rel));
}

/* A row as jsonb, with the server's to_jsonb of the table's row type. */
static Jsonb *
RowToJsonb(HeapTuple tuple, TupleDesc tupdesc)
{
	if (tuple == NULL)
		return NULL;
	return DatumToJsonb(heap_copy_tuple_as_datum(tuple, tupdesc), tupdesc->tdtypeid);
}

/* The one-element batch [{"payload": {"op", "table", "new", "old"}}] of a row event. */
static Jsonb *
RowEventBatch(TriggerData *trigdata)
{
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	HeapTuple	newrow = NULL;
	HeapTuple	oldrow = NULL;
	JsonbParseState *state = NULL;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		newrow = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		oldrow = trigdata->tg_trigtuple;
		newrow = trigdata->tg_newtuple;
	}
	else
		oldrow = trigdata->tg_trigtuple;

	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	JsonbPushKey(&state, "payload");
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	JsonbPushStringPair(&state, "op", TriggerOp(trigdata));
	JsonbPushStringPair(&state, "table", TriggerTableName(trigdata));
	JsonbPushJsonbPair(&state, "new", RowToJsonb(newrow, tupdesc));
	JsonbPushJsonbPair(&state, "old", RowToJsonb(oldrow, tupdesc));
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_ARRAY, NULL));
}

/*
 * The batch of a statement event, read from its transition tables with SQL.
 * UPDATE pairs old and new rows by position, as PostgreSQL stores them.
 */
static Jsonb *
StatementEventBatch(TriggerData *trigdata)
{
	Trigger    *trigger = trigdata->tg_trigger;
	const char *op = TriggerOp(trigdata);
	char	   *table = quote_literal_cstr(TriggerTableName(trigdata));
	char	   *frame = "jsonb_build_object('payload', jsonb_build_object('op', %s, 'table', %s, 'new', %s, 'old', %s))";
	char	   *sql;
	bool		isnull;
	Datum		batch;

	if (strcmp(op, "TRUNCATE") == 0)
		sql = psprintf("SELECT jsonb_build_array(%s)",
					   psprintf(frame, "'TRUNCATE'", table, "NULL::jsonb", "NULL::jsonb"));
	else if (strcmp(op, "UPDATE") == 0 && trigger->tgnewtable && trigger->tgoldtable)
		sql = psprintf("SELECT coalesce(jsonb_agg(%s ORDER BY n.i), '[]') FROM"
					   " (SELECT row_number() OVER () AS i, to_jsonb(t) AS r FROM %s t) n"
					   " JOIN (SELECT row_number() OVER () AS i, to_jsonb(t) AS r FROM %s t) o USING (i)",
					   psprintf(frame, "'UPDATE'", table, "n.r", "o.r"),
					   quote_identifier(trigger->tgnewtable), quote_identifier(trigger->tgoldtable));
	else if (strcmp(op, "INSERT") == 0 && trigger->tgnewtable)
		sql = psprintf("SELECT coalesce(jsonb_agg(%s ORDER BY n.i), '[]') FROM"
					   " (SELECT row_number() OVER () AS i, to_jsonb(t) AS r FROM %s t) n",
					   psprintf(frame, "'INSERT'", table, "n.r", "NULL::jsonb"),
					   quote_identifier(trigger->tgnewtable));
	else if (strcmp(op, "DELETE") == 0 && trigger->tgoldtable)
		sql = psprintf("SELECT coalesce(jsonb_agg(%s ORDER BY o.i), '[]') FROM"
					   " (SELECT row_number() OVER () AS i, to_jsonb(t) AS r FROM %s t) o",
					   psprintf(frame, "'DELETE'", table, "NULL::jsonb", "o.r"),
					   quote_identifier(trigger->tgoldtable));
	else
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("statement-level capture of %s needs transition tables", op),
				 errhint("Create the trigger with REFERENCING %s, or FOR EACH ROW.",
						 strcmp(op, "UPDATE") == 0 ? "OLD TABLE AS old_rows NEW TABLE AS new_rows"
						 : strcmp(op, "INSERT") == 0 ? "NEW TABLE AS new_rows" : "OLD TABLE AS old_rows")));

	if (SPI_register_trigger_data(trigdata) != SPI_OK_TD_REGISTER)
		elog(ERROR, "could not register the transition tables of the capture trigger");
	if (SPI_execute(sql, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the transition tables of the capture trigger");
	batch = SPIValue(0, 1, &isnull);
	return DatumGetJsonbP(batch);
}

/* Trigger: turns the event's rows into frames of the stream named by its argument. */
Datum
streamflow_capture(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			argtypes[2] = {TEXTOID, JSONBOID};
	Datum		args[2];
	Jsonb	   *batch;
	HeapTuple	result = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("capture() must be called as a trigger")));
	if (trigdata->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capture() takes exactly one argument, the stream"),
				 errhint("CREATE TRIGGER ... EXECUTE FUNCTION streamflow.capture('my_stream')")));

	SPI_connect();
	batch = TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ? RowEventBatch(trigdata)
		: StatementEventBatch(trigdata);
	if (JB_ROOT_COUNT(batch) > 0)
	{
		args[0] = CStringGetTextDatum(trigdata->tg_trigger->tgargs[0]);
		args[1] = JsonbPGetDatum(batch);
		if (SPI_execute_plan(KeptPlan(&ingest_plan,
										"SELECT streamflow.ingest_batch($1, $2, 'raise')",
										2, argtypes),
							 args, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "capture could not ingest into stream \"%s\"",
				 trigdata->tg_trigger->tgargs[0]);
	}
	SPI_finish();

	/* a BEFORE row trigger must hand the row on unchanged */
	if (TRIGGER_FIRED_BEFORE(trigdata->tg_event) && TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		result = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple
			: trigdata->tg_trigtuple;
	return PointerGetDatum(result);
}
