/*
 * worker_body.c: request bodies, read in lws's HTTP_BODY callbacks.
 *
 * Runs inside lws callbacks, so it only mallocs and never raises an error.
 * A body is kept whole (routes need the raw bytes: webhook signatures are
 * computed over them) and refused as soon as it grows past its limit, also
 * when the client announced no Content-Length.  lws 4.1 does not decode a
 * chunked request body (it hands the raw chunk framing to HTTP_BODY and
 * waits for the connection to close), so chunked bodies are decoded here and
 * end at their last chunk.
 */
#include "postgres.h"

#include "worker_body.h"

/* Chunked decoder states (RFC 9112 section 7.1). */
enum
{
	CHUNK_SIZE,					/* hex digits of the chunk size */
	CHUNK_EXTENSION,			/* ";name=value" up to the line's end */
	CHUNK_SIZE_LF,				/* the LF ending the size line */
	CHUNK_DATA,					/* chunk_left bytes of data */
	CHUNK_DATA_CR,				/* the CRLF after the data */
	CHUNK_DATA_LF,
	CHUNK_TRAILER,				/* start of a trailer line (or the final CRLF) */
	CHUNK_TRAILER_LINE,			/* inside a trailer line */
	CHUNK_FINAL_LF,				/* the LF of the final empty line */
	CHUNK_DONE
};

static bool BodyKeep(BodyReader *reader, const char *in, size_t len);
static BodyResult BodyDecodeChunked(BodyReader *reader, const char *in, size_t len);
static int	HexValue(char c);

/* Prepares reader for a body of at most limit bytes. */
void
BodyStart(BodyReader *reader, size_t limit, bool chunked)
{
	memset(reader, 0, sizeof(BodyReader));
	reader->limit = limit;
	reader->chunked = chunked;
	reader->state = CHUNK_SIZE;
}

/* Adds bytes received from the client. */
BodyResult
BodyAppend(BodyReader *reader, const char *in, size_t len)
{
	if (reader->chunked)
		return BodyDecodeChunked(reader, in, len);
	if (len > reader->limit - reader->len)
		return BODY_TOO_LARGE;
	return BodyKeep(reader, in, len) ? BODY_MORE : BODY_TOO_LARGE;
}

/*
 * The client says the body is complete: NUL-terminates it.  False when out of
 * memory or when a chunked body stopped before its last chunk.
 */
bool
BodyFinish(BodyReader *reader)
{
	if (reader->chunked && reader->state != CHUNK_DONE)
		return false;
	if (!BodyKeep(reader, "", 1))
		return false;
	reader->len--;
	return true;
}

/* Frees the bytes read. */
void
BodyFree(BodyReader *reader)
{
	free(reader->data);
	reader->data = NULL;
	reader->len = reader->cap = 0;
}

/* Appends len bytes, growing the buffer by doubling; false when out of memory. */
static bool
BodyKeep(BodyReader *reader, const char *in, size_t len)
{
	if (reader->len + len > reader->cap)
	{
		size_t		cap = Max(reader->cap * 2, 1024);
		char	   *data;

		while (cap < reader->len + len)
			cap *= 2;
		data = realloc(reader->data, cap);
		if (data == NULL)
			return false;
		reader->data = data;
		reader->cap = cap;
	}
	if (len > 0)
		memcpy(reader->data + reader->len, in, len);
	reader->len += len;
	return true;
}

/* The value of a hex digit, or -1. */
static int
HexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes chunked framing, keeping the data bytes. */
static BodyResult
BodyDecodeChunked(BodyReader *reader, const char *in, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		char		c = in[i];

		switch (reader->state)
		{
			case CHUNK_SIZE:
				if (HexValue(c) >= 0)
				{
					/* a size that cannot fit under the limit is refused at once */
					if (reader->chunk_left > reader->limit / 16)
						return BODY_TOO_LARGE;
					reader->chunk_left = reader->chunk_left * 16 + HexValue(c);
					reader->size_digits++;
				}
				else if (reader->size_digits == 0)
					return BODY_MALFORMED;
				else if (c == ';' || c == ' ' || c == '\t')
					reader->state = CHUNK_EXTENSION;
				else if (c == '\r')
					reader->state = CHUNK_SIZE_LF;
				else
					return BODY_MALFORMED;
				i++;
				break;
			case CHUNK_EXTENSION:
				if (c == '\r')
					reader->state = CHUNK_SIZE_LF;
				i++;
				break;
			case CHUNK_SIZE_LF:
				if (c != '\n')
					return BODY_MALFORMED;
				if (reader->chunk_left > reader->limit - reader->len)
					return BODY_TOO_LARGE;
				reader->state = reader->chunk_left == 0 ? CHUNK_TRAILER : CHUNK_DATA;
				reader->size_digits = 0;
				i++;
				break;
			case CHUNK_DATA:
				{
					size_t		n = Min(reader->chunk_left, len - i);

					if (!BodyKeep(reader, in + i, n))
						return BODY_TOO_LARGE;
					reader->chunk_left -= n;
					i += n;
					if (reader->chunk_left == 0)
						reader->state = CHUNK_DATA_CR;
				}
				break;
			case CHUNK_DATA_CR:
				if (c != '\r')
					return BODY_MALFORMED;
				reader->state = CHUNK_DATA_LF;
				i++;
				break;
			case CHUNK_DATA_LF:
				if (c != '\n')
					return BODY_MALFORMED;
				reader->state = CHUNK_SIZE;
				i++;
				break;
			case CHUNK_TRAILER:
				reader->state = c == '\r' ? CHUNK_FINAL_LF : CHUNK_TRAILER_LINE;
				i++;
				break;
			case CHUNK_TRAILER_LINE:
				if (c == '\n')
					reader->state = CHUNK_TRAILER;
				i++;
				break;
			case CHUNK_FINAL_LF:
				if (c != '\n')
					return BODY_MALFORMED;
				reader->state = CHUNK_DONE;
				i++;
				break;
			case CHUNK_DONE:
				/* bytes after the last chunk: a pipelined request is not supported */
				return BODY_MALFORMED;
		}
	}
	return reader->state == CHUNK_DONE ? BODY_DONE : BODY_MORE;
}
