/*
 * worker_errors.c: HTTP error answers.
 *
 * Every error the worker answers is a JSON object {"error": reason,
 * "detail": ..., ...}.  Route handlers raise PostgreSQL errors for bad input
 * like any SQL function does; the request loop maps their SQLSTATE to an
 * HTTP status here, so a stream that does not exist is 404 whether the REST
 * routes, the webhook or a later transport looked it up.
 */
#include "postgres.h"

#include "utils/elog.h"
#include "utils/json.h"

#include "worker_errors.h"

/* The HTTP status for an error raised while answering; 500 for our own faults. */
int
HttpStatusForError(int sqlerrcode)
{
	switch (sqlerrcode)
	{
		case ERRCODE_UNDEFINED_OBJECT:
			return 404;
		case ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE:
			return 409;
		case ERRCODE_PROGRAM_LIMIT_EXCEEDED:
			return 413;
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
			return 403;
		case ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION:
			return 401;
		case ERRCODE_QUERY_CANCELED:
			return 503;			/* streamflow.worker_statement_timeout */
	}
	/* class 22, data exception: the client's input */
	if (ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION)
		return 400;
	return 500;
}

/* Sets an error answer {"error": error, "detail": detail}; detail may be NULL. */
void
ResponseError(Response *resp, int status, const char *error, const char *detail)
{
	ResponseErrorWith(resp, status, error, detail, NULL, NULL);
}

/*
 * Sets an error answer with one more member key whose value is the JSON text
 * json (a violations array, say).
 */
void
ResponseErrorWith(Response *resp, int status, const char *error, const char *detail,
				  const char *key, const char *json)
{
	resp->status = status;
	resp->content_type = NULL;
	resetStringInfo(&resp->body);
	appendStringInfoString(&resp->body, "{\"error\":");
	escape_json(&resp->body, error);
	if (detail != NULL)
	{
		appendStringInfoString(&resp->body, ",\"detail\":");
		escape_json(&resp->body, detail);
	}
	if (key != NULL)
	{
		appendStringInfoChar(&resp->body, ',');
		escape_json(&resp->body, key);
		appendStringInfo(&resp->body, ":%s", json);
	}
	appendStringInfoChar(&resp->body, '}');
}

/*
 * Sets the answer for an error the client caused: its message, detail, hint
 * and SQLSTATE.
 */
void
ResponseFromError(Response *resp, int status, ErrorData *edata)
{
	ResponseError(resp, status, edata->message, edata->detail);
	/* reopen the object to add the hint and code */
	resp->body.len--;
	if (edata->hint != NULL)
	{
		appendStringInfoString(&resp->body, ",\"hint\":");
		escape_json(&resp->body, edata->hint);
	}
	appendStringInfo(&resp->body, ",\"code\":\"%s\"}", unpack_sql_state(edata->sqlerrcode));
}
