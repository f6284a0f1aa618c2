/*
 * schema_format.h: the string formats of JSON Schema draft-07 that streamflow
 * checks (date-time, date, time, email, hostname, ipv4, ipv6, uri,
 * uri-reference, uuid, regex, json-pointer).
 */
#ifndef STREAMFLOW_SCHEMA_FORMAT_H
#define STREAMFLOW_SCHEMA_FORMAT_H

#include "postgres.h"

/* Checks one string (not NUL-terminated) against a format. */
typedef bool (*FormatCheck) (const char *s, int len);

/* The checker of a format; NULL for a format streamflow does not know (it passes). */
extern FormatCheck LookupFormat(const char *name, int len);

#endif
