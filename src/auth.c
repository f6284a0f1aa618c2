/*
 * auth.c: API tokens and the access decision for streams.
 *
 * Tokens are created in SQL (streamflow.create_token, sql section "Tokens"):
 * the secret is shown once and only its SHA-256 hash is stored.  A presented
 * token is hashed here, looked up by hash among the tokens not revoked, the
 * stored hash compared in constant time, then its scopes (read, write) and
 * streams (NULL: every stream) decide.  streamflow.auth = none turns every
 * check off.  The worker calls AuthorizeStream from its main loop; SQL users
 * reach the same decision through streamflow.check_token().
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "auth.h"
#include "auth_cache.h"
#include "spi_util.h"

PG_FUNCTION_INFO_V1(streamflow_check_token);
PG_FUNCTION_INFO_V1(streamflow_new_token_secret);

/* Random bytes in a token secret (shown as hex after "sf_"). */
#define TOKEN_SECRET_BYTES 32
/* Longest secret worth hashing; anything longer is no token of ours. */
#define TOKEN_MAX_LEN 256

int			auth_mode = AUTH_MODE_TOKEN;

static const struct config_enum_entry auth_mode_options[] = {
	{"token", AUTH_MODE_TOKEN, false},
	{"none", AUTH_MODE_NONE, false},
	{NULL, 0, false}
};

static SPIPlanPtr lookup_plan;
static SPIPlanPtr touch_plan;

static void TokenHash(const char *token, uint8 *digest);
static void TokenTouch(Datum token_id);

/* Defines streamflow.auth. */
void
AuthInit(void)
{
	DefineCustomEnumVariable("streamflow.auth",
							 gettext_noop("How the streamflow worker authenticates stream requests."),
							 gettext_noop("token: a token from streamflow.create_token() is required; none: no checks."),
							 &auth_mode, AUTH_MODE_TOKEN, auth_mode_options,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	AuthCacheInit();
}

/* SHA-256 of the token's bytes into digest (PG_SHA256_DIGEST_LENGTH bytes). */
static void
TokenHash(const char *token, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) token, strlen(token)) < 0 ||
		pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		const char *why = pg_cryptohash_error(ctx);

		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute a SHA-256 hash: %s", why);
	}
	pg_cryptohash_free(ctx);
}

/*
 * Records that a token was used, at most once a minute per token, and never
 * waits: a row another session holds locked is left as it is.
 */
static void
TokenTouch(Datum token_id)
{
	Oid			argtypes[1] = {INT8OID};
	SPIPlanPtr	plan;

	if (XactReadOnly)
		return;
	plan = KeptPlan(&touch_plan,
					"UPDATE streamflow.tokens SET last_used_at = now()"
					" WHERE id = (SELECT id FROM streamflow.tokens WHERE id = $1"
					" AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"
					" FOR UPDATE SKIP LOCKED)",
					1, argtypes);
	if (SPI_execute_plan(plan, &token_id, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record the use of a token");
}

/* May token read (or write) stream_id?  See auth.h. */
AuthResult
AuthorizeStream(const char *token, const char *stream_id, bool write)
{
	Oid			argtypes[3] = {BYTEAOID, TEXTOID, TEXTOID};
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	bytea	   *hash;
	bytea	   *stored;
	bool		isnull;
	SPIPlanPtr	plan;

	if (auth_mode == AUTH_MODE_NONE)
		return AUTH_OK;
	if (token == NULL || token[0] == '\0')
		return AUTH_MISSING;
	if (strlen(token) > TOKEN_MAX_LEN)
		return AUTH_INVALID;

	TokenHash(token, digest);
	hash = palloc(VARHDRSZ + sizeof(digest));
	SET_VARSIZE(hash, VARHDRSZ + sizeof(digest));
	memcpy(VARDATA(hash), digest, sizeof(digest));
	args[0] = PointerGetDatum(hash);
	args[1] = stream_id ? CStringGetTextDatum(stream_id) : (Datum) 0;
	nulls[1] = stream_id ? ' ' : 'n';
	args[2] = CStringGetTextDatum(write ? "write" : "read");

	plan = KeptPlan(&lookup_plan,
					"SELECT t.token_hash, t.id, $3 = ANY (t.scopes),"
					" t.streams IS NULL OR $2 IS NULL OR EXISTS ("
					"  SELECT 1 FROM streamflow.streams s"
					"  WHERE (s.id = $2 OR s.name = $2) AND s.id = ANY (t.streams))"
					" FROM streamflow.tokens t"
					" WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
					3, argtypes);
	if (SPI_execute_plan(plan, args, nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up a token");
	if (SPI_processed == 0)
		return AUTH_INVALID;

	stored = DatumGetByteaPP(SPIValue(0, 1, &isnull));
	if (isnull || VARSIZE_ANY_EXHDR(stored) != sizeof(digest) ||
		timingsafe_bcmp(VARDATA_ANY(stored), digest, sizeof(digest)) != 0)
		return AUTH_INVALID;
	if (!DatumGetBool(SPIValue(0, 3, &isnull)) || !DatumGetBool(SPIValue(0, 4, &isnull)))
		return AUTH_FORBIDDEN;

	TokenTouch(SPIValue(0, 2, &isnull));
	return AUTH_OK;
}

/* The HTTP status that answers a decision. */
int
AuthHttpStatus(AuthResult r)
{
	switch (r)
	{
		case AUTH_OK:
			return 200;
		case AUTH_MISSING:
		case AUTH_INVALID:
			return 401;
		case AUTH_FORBIDDEN:
			return 403;
	}
	return 403;
}

/* A short reason for the JSON error body (and check_token's answer). */
const char *
AuthReason(AuthResult r)
{
	switch (r)
	{
		case AUTH_OK:
			return "ok";
		case AUTH_MISSING:
			return "missing token";
		case AUTH_INVALID:
			return "invalid token";
		case AUTH_FORBIDDEN:
			return "forbidden";
	}
	return "forbidden";
}

/*
 * SQL: check_token(token text, stream text, scope text) returns text: the
 * worker's decision for token on stream ('ok', 'missing token', 'invalid
 * token', 'forbidden'), for applications that verify streamflow tokens
 * themselves.
 */
Datum
streamflow_check_token(PG_FUNCTION_ARGS)
{
	char	   *token = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *stream = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *scope = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	AuthResult	result;

	if (scope == NULL || (strcmp(scope, "read") != 0 && strcmp(scope, "write") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown token scope \"%s\"", scope ? scope : "NULL"),
				 errhint("Valid scopes are read and write.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	result = AuthorizeStream(token, stream, strcmp(scope, "write") == 0);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(AuthReason(result)));
}

/* SQL: new_token_secret() returns text: "sf_" and 32 strong random bytes in hex. */
Datum
streamflow_new_token_secret(PG_FUNCTION_ARGS)
{
	uint8		bytes[TOKEN_SECRET_BYTES];
	char		secret[3 + 2 * TOKEN_SECRET_BYTES + 1];
	int			i;

	if (!pg_strong_random(bytes, sizeof(bytes)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random token secret")));
	memcpy(secret, "sf_", 3);
	for (i = 0; i < TOKEN_SECRET_BYTES; i++)
		snprintf(secret + 3 + 2 * i, 3, "%02x", bytes[i]);
	PG_RETURN_TEXT_P(cstring_to_text(secret));
}
