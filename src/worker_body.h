/*
 * worker_body.h: request bodies read from lws callbacks, plain or chunked,
 * up to streamflow.max_message_bytes.
 */
#ifndef STREAMFLOW_WORKER_BODY_H
#define STREAMFLOW_WORKER_BODY_H

#include "postgres.h"

typedef enum BodyResult
{
	BODY_MORE,					/* keep reading */
	BODY_DONE,					/* the whole body is here (chunked: last chunk seen) */
	BODY_TOO_LARGE,				/* over the limit: answer 413 */
	BODY_MALFORMED				/* broken chunked framing: answer 400 */
} BodyResult;

/* A body being read: malloc'd bytes plus the chunked decoder's state. */
typedef struct BodyReader
{
	char	   *data;			/* malloc'd, NUL-terminated when complete */
	size_t		len;
	size_t		cap;
	size_t		limit;			/* largest body accepted */
	bool		chunked;		/* Transfer-Encoding: chunked */
	int			state;			/* chunked decoder state */
	size_t		chunk_left;		/* bytes left in the current chunk */
	int			size_digits;	/* hex digits read of the chunk size */
} BodyReader;

/* Called from lws callbacks: malloc only, never ereport. */
extern void BodyStart(BodyReader *reader, size_t limit, bool chunked);
extern BodyResult BodyAppend(BodyReader *reader, const char *in, size_t len);
extern bool BodyFinish(BodyReader *reader);
extern void BodyFree(BodyReader *reader);

#endif
