/*
 * uri.h: RFC 3986 URI references: checking them and resolving one against a
 * base.  Shared by JSON Schema's "uri"/"uri-reference" formats and by $ref
 * resolution against $id.
 */
#ifndef STREAMFLOW_URI_H
#define STREAMFLOW_URI_H

#include "postgres.h"

/* Is s[0..len) an RFC 3986 URI (absolute: needs a scheme) or URI-reference? */
extern bool UriIsValid(const char *s, int len, bool absolute);

/* RFC 3986 section 5.2: reference resolved against base ("" = no base), palloc'd. */
extern char *UriResolve(const char *base, const char *reference);

/* The URI without its "#fragment" part, palloc'd. */
extern char *UriWithoutFragment(const char *uri);

/* The percent-decoded fragment after '#', palloc'd; NULL when there is no '#'. */
extern char *UriFragment(const char *uri);

#endif
