/*
 * violations.h: the list of problems found in one frame or config.
 *
 * Every check in streamflow (frame rules, bindings, JSON Schema) reports
 * what it found as Violations rather than throwing, so callers can raise
 * them all at once, count them, or record them in stream_errors.
 */
#ifndef STREAMFLOW_VIOLATIONS_H
#define STREAMFLOW_VIOLATIONS_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

typedef struct Violation
{
	char	   *path;			/* JSON path of the offending value, "$.a.b" */
	char	   *keyword;		/* the rule or schema keyword that failed */
	char	   *message;		/* a readable sentence */
} Violation;

extern void AddViolation(List **violations, const char *path, const char *keyword,
						 const char *fmt,...) pg_attribute_printf(4, 5);
extern Jsonb *ViolationsToJsonb(List *violations);
extern void RaiseViolations(List *violations, const char *what) pg_attribute_noreturn();

#endif
