/*
 * window_sql.c: the SQL side of window definitions: normalize_window_config()
 * and create_window(), which checks the config (window_config.c), creates the
 * derived stream the worker publishes results to (through create_stream) and
 * stores the window in streamflow.windows.  drop_window and the listing are
 * plain SQL (sql/streamflow--0.1.0.sql, section "Windows").
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "spi_util.h"
#include "stream_head.h"
#include "window_config.h"

PG_FUNCTION_INFO_V1(streamflow_normalize_window_config);
PG_FUNCTION_INFO_V1(streamflow_create_window);

/* The config argument, or 22023 when it is SQL NULL. */
static Jsonb *
ConfigArg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a window config must be a JSON object"),
				 errdetail("The value given is NULL.")));
	return PG_GETARG_JSONB_P(argno);
}

/* SQL: normalize_window_config(config) returns the config as create_window stores it. */
Datum
streamflow_normalize_window_config(PG_FUNCTION_ARGS)
{
	WindowConfig config;

	ParseWindowConfig(ConfigArg(fcinfo, 0), &config);
	PG_RETURN_JSONB_P(WindowConfigToJsonb(&config));
}

/* The trimmed window name; 22023 when NULL or empty. */
static char *
WindowName(FunctionCallInfo fcinfo, int argno)
{
	char	   *name;
	char	   *end;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a window name must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	while (*name == ' ' || *name == '\t' || *name == '\n' || *name == '\r')
		name++;
	end = name + strlen(name);
	while (end > name && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	if (*name == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a window name must not be empty"),
				 errhint("The name is also the name of the stream the window's results are published to.")));
	return name;
}

/* True when the one-parameter query finds a row for name. */
static bool
Exists(const char *sql, const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};

	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not run \"%s\"", sql);
	return SPI_processed > 0;
}

/* Raises 42710 when a window or a stream already uses name. */
static void
CheckNameFree(const char *name)
{
	if (Exists("SELECT 1 FROM streamflow.windows WHERE name = $1", name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("window \"%s\" already exists", name),
				 errhint("Choose another name, or drop it first with streamflow.drop_window('%s').", name)));
	if (Exists("SELECT 1 FROM streamflow.streams WHERE id = $1 OR name = $1", name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("stream \"%s\" already exists", name),
				 errdetail("A window publishes its results to a new stream named after the window."),
				 errhint("Choose a window name no stream uses as its name or id.")));
}

/* Creates the derived stream through create_stream; returns its id. */
static char *
CreateDerivedStream(const char *name, const char *source_id)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2] = {CStringGetTextDatum(name), CStringGetTextDatum(source_id)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT streamflow.create_stream(jsonb_build_object("
							  " 'name', $1::text, 'status', 'active',"
							  " 'description', format('Results of window %s over stream %s', $1, $2),"
							  " 'metadata', jsonb_build_object('window', $1::text, 'source_stream_id', $2::text)))->>'id'",
							  2, argtypes, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not create the stream of window \"%s\"", name);
	return TextDatumGetCString(SPIValue(0, 1, &isnull));
}

/*
 * SQL: create_window(stream, name, config) returns streamflow.windows.
 * Windows ending at or before the pane holding now() are never computed;
 * the stream's frames up to its last sequence are never read (the replay
 * bound, window_replay.c).
 */
Datum
streamflow_create_window(PG_FUNCTION_ARGS)
{
	Oid			argtypes[5] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, TIMESTAMPTZOID};
	Datum		args[5];
	WindowConfig config;
	char	   *name = WindowName(fcinfo, 1);
	char	   *source_id;
	HeapTupleHeader result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the stream of a window must not be NULL")));
	ParseWindowConfig(ConfigArg(fcinfo, 2), &config);

	SPI_connect();
	source_id = ResolveStreamId(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	CheckNameFree(name);
	args[0] = CStringGetTextDatum(name);
	args[1] = CStringGetTextDatum(source_id);
	args[2] = CStringGetTextDatum(CreateDerivedStream(name, source_id));
	args[3] = JsonbPGetDatum(WindowConfigToJsonb(&config));
	args[4] = TimestampTzGetDatum(WindowPaneStart(&config, GetCurrentTransactionStartTimestamp()));
	if (SPI_execute_with_args("INSERT INTO streamflow.windows"
							  " (name, stream_id, derived_stream_id, config, closed_through, replay_after_sequence)"
							  " VALUES ($1, $2, $3, $4, $5, coalesce((SELECT last_sequence"
							  " FROM streamflow.stream_state WHERE stream_id = $2), 0)) RETURNING *",
							  5, argtypes, args, NULL, false, 1) != SPI_OK_INSERT_RETURNING ||
		SPI_processed != 1)
		elog(ERROR, "could not store window \"%s\"", name);
	/* SPI_returntuple copies the row out of SPI's memory, into the caller's */
	result = SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc);
	SPI_finish();
	PG_RETURN_DATUM(PointerGetDatum(result));
}
