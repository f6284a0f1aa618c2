/*
 * auth_cache.c: the worker's authorization decisions, remembered per live
 * connection.
 *
 * A WebSocket that publishes many frames asks the same question each time:
 * may this connection's token write stream S?  The first answer is kept in
 * the connection (AUTH_CACHE_SIZE streams, the oldest replaced) and reused
 * while nothing that decides it changed.  A statement that changes
 * streamflow.tokens (create_token, revoke_token, an UPDATE of scopes or
 * streams) or the ids and names of streamflow.streams fires auth_changed(),
 * which bumps a generation counter in shared memory once its transaction
 * has committed (XACT_EVENT_COMMIT comes after the commit is visible to new
 * snapshots).  The worker reads the counter before taking the snapshot its
 * decisions are made in and tags each decision with it, so a decision is
 * reused only while no change it did not see has committed: a revoked
 * token is refused from the next batch of commands on.  A decision is also
 * reused for at most AUTH_CACHE_MAX_AGE_MS, so a token's last_used_at is
 * still recorded once a minute.  Without preload there is no shared memory
 * and nothing is cached.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "auth_cache.h"

#define AUTH_CACHE_SIZE 8
#define AUTH_CACHE_MAX_AGE_MS (60 * 1000)
#define AUTH_CACHE_KEY_LEN 64

PG_FUNCTION_INFO_V1(streamflow_auth_changed);

/* One remembered decision. */
typedef struct AuthCacheEntry
{
	char		stream[AUTH_CACHE_KEY_LEN];	/* as the client named it */
	bool		write;
	AuthResult	result;
	uint64		generation;
	TimestampTz decided_at;
} AuthCacheEntry;

struct AuthCache
{
	int			n;
	int			next;			/* slot replaced next once full */
	AuthCacheEntry entries[AUTH_CACHE_SIZE];
};

static pg_atomic_uint64 *auth_generation = NULL;
static bool bump_at_commit = false;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void AuthCacheShmemRequest(void);
static void AuthCacheShmemStartup(void);
static void AuthCacheXactCallback(XactEvent event, void *arg);

/* Installs the shared counter (when preloaded) and the commit callback. */
void
AuthCacheInit(void)
{
	RegisterXactCallback(AuthCacheXactCallback, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = AuthCacheShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = AuthCacheShmemStartup;
}

/* Asks for the counter's shared memory. */
static void
AuthCacheShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(sizeof(pg_atomic_uint64));
}

/* Finds (or creates) the counter in shared memory. */
static void
AuthCacheShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	auth_generation = ShmemInitStruct("streamflow auth generation", sizeof(pg_atomic_uint64), &found);
	if (!found)
		pg_atomic_init_u64(auth_generation, 0);
	LWLockRelease(AddinShmemInitLock);
}

/* Bumps the generation once a transaction that changed tokens or streams has committed. */
static void
AuthCacheXactCallback(XactEvent event, void *arg)
{
	if (!bump_at_commit)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		if (auth_generation != NULL)
			pg_atomic_fetch_add_u64(auth_generation, 1);
		bump_at_commit = false;
	}
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		bump_at_commit = false;
}

/* SQL trigger auth_changed(): tokens or stream names changed (bump at commit). */
Datum
streamflow_auth_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auth_changed() must be called as a trigger")));
	bump_at_commit = true;
	return PointerGetDatum(NULL);
}

/* The current generation; 0 without shared memory. */
uint64
AuthGeneration(void)
{
	return auth_generation == NULL ? 0 : pg_atomic_read_u64(auth_generation);
}

/* The remembered decision for stream and write, still good, or NULL. */
static AuthCacheEntry *
AuthCacheFind(AuthCache *cache, uint64 generation, const char *stream, bool write,
			  TimestampTz now)
{
	int			i;

	for (i = 0; i < cache->n; i++)
	{
		AuthCacheEntry *e = &cache->entries[i];

		if (e->write == write && e->generation == generation &&
			strcmp(e->stream, stream) == 0 &&
			!TimestampDifferenceExceeds(e->decided_at, now, AUTH_CACHE_MAX_AGE_MS))
			return e;
	}
	return NULL;
}

/* Remembers a decision, replacing a stale one for the same question or the oldest. */
static void
AuthCacheStore(AuthCache *cache, uint64 generation, const char *stream, bool write,
			   AuthResult result, TimestampTz now)
{
	AuthCacheEntry *e = NULL;
	int			i;

	for (i = 0; i < cache->n && e == NULL; i++)
		if (cache->entries[i].write == write && strcmp(cache->entries[i].stream, stream) == 0)
			e = &cache->entries[i];
	if (e == NULL && cache->n < AUTH_CACHE_SIZE)
		e = &cache->entries[cache->n++];
	if (e == NULL)
	{
		e = &cache->entries[cache->next];
		cache->next = (cache->next + 1) % AUTH_CACHE_SIZE;
	}
	strlcpy(e->stream, stream, sizeof(e->stream));
	e->write = write;
	e->result = result;
	e->generation = generation;
	e->decided_at = now;
}

/* AuthorizeStream through the connection's cache (see auth_cache.h). */
AuthResult
AuthorizeCached(AuthCache **cache, uint64 generation, const char *token,
				const char *stream, bool write)
{
	TimestampTz now;
	AuthCacheEntry *hit;
	AuthResult	result;

	if (auth_mode == AUTH_MODE_NONE || auth_generation == NULL || stream == NULL ||
		strlen(stream) >= AUTH_CACHE_KEY_LEN)
		return AuthorizeStream(token, stream, write);
	now = GetCurrentTimestamp();
	if (*cache != NULL && (hit = AuthCacheFind(*cache, generation, stream, write, now)) != NULL)
		return hit->result;
	result = AuthorizeStream(token, stream, write);
	if (*cache == NULL)
		*cache = calloc(1, sizeof(AuthCache));
	if (*cache != NULL)
		AuthCacheStore(*cache, generation, stream, write, result, now);
	return result;
}
