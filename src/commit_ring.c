/*
 * commit_ring.c: the in-core commit ring, a byte ring in shared memory
 * through which committed frames reach the transport worker.
 *
 * bus.c renders each frame's message before commit and, at
 * XACT_EVENT_COMMIT, hands the transaction's frames to CommitRingWrite,
 * which copies them under an LWLock (no allocation, no error) and sets the
 * worker's latch once.  Positions are byte offsets that only grow (uint64):
 * "reserved" is the end of what writers have claimed, "written" the end of
 * the last complete commit.  A writer never waits for the reader: when the
 * ring is full it overwrites the oldest bytes, and the reader notices, by
 * comparing positions, that what it was about to read may be gone; it then
 * reports the loss so that the worker catches up from streamflow.frames.
 *
 * Only a preloaded streamflow has a ring (shmem_request_hook and
 * shmem_startup_hook); otherwise, or while no worker is attached, writers
 * skip it.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "commit_ring.h"

#define RING_TRANCHE "streamflow commit ring"

/* The ring in shared memory. */
typedef struct RingShared
{
	LWLock	   *lock;			/* serialises writers and the latch pointer */
	pg_atomic_uint64 reserved;	/* end of the bytes writers have claimed */
	pg_atomic_uint64 written;	/* end of the last complete commit */
	pg_atomic_uint64 read;		/* the reader's cursor after its last read */
	pg_atomic_uint64 laps;		/* reads that found entries lost */
	pg_atomic_uint32 worker_pid;	/* 0 while no worker is attached */
	Latch	   *worker_latch;	/* the attached worker's latch */
	uint64		size;			/* bytes in data */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} RingShared;

/* An entry in the ring: this header, the stream id and the message, NUL-terminated. */
typedef struct RingEntryHeader
{
	uint32		length;			/* whole entry, MAXALIGNed */
	int32		message_len;	/* -1: a reference without message */
	int64		sequence;
	uint32		id_len;
	uint32		unused;
	TimestampTz committed_at;	/* when the commit was copied in */
} RingEntryHeader;

static int	ring_size_kb = 16 * 1024;
int			ring_max_message = 64 * 1024;

static RingShared *ring = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* The reader's copy of the entry being consumed (worker only). */
static char *read_buf = NULL;
static uint32 read_buf_size = 0;

static void CommitRingShmemRequest(void);
static void CommitRingShmemStartup(void);
static void CommitRingDetachWorker(int code, Datum arg);

/* Defines the ring GUCs and, when preloaded, requests its shared memory. */
void
CommitRingInit(void)
{
	DefineCustomIntVariable("streamflow.ring_size",
							gettext_noop("Size of the shared-memory ring through which committed frames reach the streamflow worker."),
							gettext_noop("When the worker falls further behind than this, it catches up from streamflow.frames."),
							&ring_size_kb, 16 * 1024, 64, 1024 * 1024,
							process_shared_preload_libraries_in_progress ? PGC_POSTMASTER : PGC_SIGHUP,
							GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("streamflow.ring_max_message",
							gettext_noop("Largest frame message copied into the commit ring; larger frames are passed as references."),
							gettext_noop("The worker reads a referenced frame from streamflow.frames. At most a quarter of streamflow.ring_size is used."),
							&ring_max_message, 64 * 1024, 0, MaxAllocSize, PGC_SIGHUP,
							GUC_UNIT_BYTE, NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = CommitRingShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = CommitRingShmemStartup;
}

/* Bytes of shared memory the ring takes. */
static Size
CommitRingShmemSize(void)
{
	return add_size(offsetof(RingShared, data), mul_size(ring_size_kb, 1024));
}

/* Asks for the ring's shared memory and its lock. */
static void
CommitRingShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(CommitRingShmemSize());
	RequestNamedLWLockTranche(RING_TRANCHE, 1);
}

/* Finds (or creates and initialises) the ring in shared memory. */
static void
CommitRingShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ring = ShmemInitStruct("streamflow commit ring", CommitRingShmemSize(), &found);
	if (!found)
	{
		ring->lock = &(GetNamedLWLockTranche(RING_TRANCHE))->lock;
		pg_atomic_init_u64(&ring->reserved, 0);
		pg_atomic_init_u64(&ring->written, 0);
		pg_atomic_init_u64(&ring->read, 0);
		pg_atomic_init_u64(&ring->laps, 0);
		pg_atomic_init_u32(&ring->worker_pid, 0);
		ring->worker_latch = NULL;
		ring->size = (uint64) ring_size_kb * 1024;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Whether committed frames should be written to the ring (a worker reads it). */
bool
CommitRingActive(void)
{
	return ring != NULL && pg_atomic_read_u32(&ring->worker_pid) != 0;
}

/* The largest message a writer copies into the ring. */
int
CommitRingMaxMessage(void)
{
	uint64		quarter = ring ? ring->size / 4 : 0;

	return (int) Min((uint64) ring_max_message, quarter);
}

/* Bytes an entry takes in the ring. */
static uint32
EntryLength(const RingEntry *e)
{
	return MAXALIGN(sizeof(RingEntryHeader) + strlen(e->stream_id) + 1 +
					(e->message ? e->message_len + 1 : 0));
}

/* Copies len bytes to ring position pos, wrapping around the end. */
static void
CopyIn(uint64 pos, const void *src, uint64 len)
{
	uint64		off = pos % ring->size;
	uint64		first = Min(len, ring->size - off);

	memcpy(ring->data + off, src, first);
	if (len > first)
		memcpy(ring->data, (const char *) src + first, len - first);
}

/* Copies len bytes from ring position pos, wrapping around the end. */
static void
CopyOut(uint64 pos, void *dst, uint64 len)
{
	uint64		off = pos % ring->size;
	uint64		first = Min(len, ring->size - off);

	memcpy(dst, ring->data + off, first);
	if (len > first)
		memcpy((char *) dst + first, ring->data, len - first);
}

/* Writes one entry at pos. */
static void
WriteEntry(uint64 pos, const RingEntry *e, uint32 length, TimestampTz committed_at)
{
	RingEntryHeader h;
	static const char zero = '\0';

	memset(&h, 0, sizeof(h));
	h.length = length;
	h.message_len = e->message ? e->message_len : -1;
	h.sequence = e->sequence;
	h.id_len = strlen(e->stream_id);
	h.committed_at = committed_at;
	CopyIn(pos, &h, sizeof(h));
	pos += sizeof(h);
	CopyIn(pos, e->stream_id, h.id_len + 1);
	pos += h.id_len + 1;
	if (e->message)
	{
		CopyIn(pos, e->message, e->message_len);
		CopyIn(pos + e->message_len, &zero, 1);
	}
}

/*
 * Copies a committed transaction's entries into the ring, in order, and
 * wakes the worker.  Runs at XACT_EVENT_COMMIT: no allocation, no error.
 * Entries that the same commit would overwrite at once are not copied (the
 * positions still advance, so the reader sees the loss).
 */
void
CommitRingWrite(const RingEntry *entries, int n)
{
	uint64		total = 0;
	uint64		pos;
	uint64		skip = 0;
	Latch	   *latch;
	TimestampTz now;
	int			first = 0;
	int			i;

	if (!CommitRingActive() || n <= 0)
		return;
	for (i = 0; i < n; i++)
		total += EntryLength(&entries[i]);
	/* a commit larger than the ring keeps only its newest entries */
	while (total - skip > ring->size)
		skip += EntryLength(&entries[first++]);
	now = GetCurrentTimestamp();	/* a clock read: cannot fail */

	LWLockAcquire(ring->lock, LW_EXCLUSIVE);
	pos = pg_atomic_read_u64(&ring->reserved);
	pg_atomic_write_u64(&ring->reserved, pos + total);
	pg_write_barrier();
	pos += skip;
	for (i = first; i < n; i++)
	{
		uint32		length = EntryLength(&entries[i]);

		WriteEntry(pos, &entries[i], length, now);
		pos += length;
	}
	pg_write_barrier();
	pg_atomic_write_u64(&ring->written, pos);
	latch = ring->worker_latch;
	LWLockRelease(ring->lock);
	if (latch)
		SetLatch(latch);
}

/* Makes the calling worker the ring's reader, woken at every commit. */
void
CommitRingAttachWorker(void)
{
	if (ring == NULL)
		return;
	LWLockAcquire(ring->lock, LW_EXCLUSIVE);
	ring->worker_latch = MyLatch;
	pg_atomic_write_u32(&ring->worker_pid, MyProcPid);
	LWLockRelease(ring->lock);
	on_shmem_exit(CommitRingDetachWorker, (Datum) 0);
}

/* At worker exit: writers stop writing until a worker attaches again. */
static void
CommitRingDetachWorker(int code, Datum arg)
{
	LWLockAcquire(ring->lock, LW_EXCLUSIVE);
	if (pg_atomic_read_u32(&ring->worker_pid) == (uint32) MyProcPid)
	{
		pg_atomic_write_u32(&ring->worker_pid, 0);
		ring->worker_latch = NULL;
	}
	LWLockRelease(ring->lock);
}

/* The ring position after the newest complete commit. */
uint64
CommitRingHead(void)
{
	if (ring == NULL)
		return 0;
	return pg_atomic_read_u64(&ring->written);
}

/* Bytes in the ring (0 when not preloaded). */
uint64
CommitRingSize(void)
{
	return ring ? ring->size : 0;
}

/* How many reads found entries lost since the server started. */
uint64
CommitRingLaps(void)
{
	return ring ? pg_atomic_read_u64(&ring->laps) : 0;
}

/* Whether the bytes from pos on are still what the writer left there. */
static bool
StillThere(uint64 pos)
{
	pg_read_barrier();
	return pg_atomic_read_u64(&ring->reserved) <= pos + ring->size;
}

/* Makes read_buf hold at least len bytes. */
static void
ReserveReadBuffer(uint32 len)
{
	if (len <= read_buf_size)
		return;
	if (read_buf)
		pfree(read_buf);
	read_buf_size = Max(len, 1024);
	read_buf = MemoryContextAlloc(TopMemoryContext, read_buf_size);
}

/* Reports entries lost: the cursor jumps to the newest commit. */
static bool
Lapped(uint64 *cursor)
{
	*cursor = pg_atomic_read_u64(&ring->written);
	pg_atomic_write_u64(&ring->read, *cursor);
	pg_atomic_fetch_add_u64(&ring->laps, 1);
	return false;
}

/*
 * Calls consumer for every entry after *cursor, in the order written, and
 * advances *cursor.  Returns false when entries were lost (the writers
 * lapped the reader); the caller then catches up from streamflow.frames.
 * The entry's strings are valid only during the call.
 */
bool
CommitRingRead(uint64 *cursor, RingConsumer consumer, void *arg)
{
	uint64		written;

	if (ring == NULL)
		return true;
	written = pg_atomic_read_u64(&ring->written);
	pg_read_barrier();
	if (*cursor > written || written - *cursor > ring->size)
		return Lapped(cursor);
	while (*cursor < written)
	{
		RingEntryHeader h;
		RingEntry	entry;

		CopyOut(*cursor, &h, sizeof(h));
		if (!StillThere(*cursor))
			return Lapped(cursor);
		if (h.length < sizeof(h) + h.id_len + 1 || h.length > ring->size)
			elog(ERROR, "streamflow commit ring entry at " UINT64_FORMAT " is corrupt", *cursor);
		ReserveReadBuffer(h.length);
		CopyOut(*cursor + sizeof(h), read_buf, h.length - sizeof(h));
		if (!StillThere(*cursor))
			return Lapped(cursor);
		entry.stream_id = read_buf;
		entry.sequence = h.sequence;
		entry.message = h.message_len >= 0 ? read_buf + h.id_len + 1 : NULL;
		entry.message_len = Max(h.message_len, 0);
		entry.committed_at = h.committed_at;
		*cursor += h.length;
		consumer(&entry, arg);
	}
	pg_atomic_write_u64(&ring->read, *cursor);
	return true;
}
