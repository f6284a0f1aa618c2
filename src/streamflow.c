/*
 * streamflow.c: module entry point.  _PG_init only delegates to the
 * subsystems, each of which defines its own GUCs and hooks.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "auth.h"
#include "bus.h"
#include "commit_ring.h"
#include "outbound.h"
#include "source.h"
#include "stream_stats.h"
#include "window_current.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Loads the subsystems. */
void
_PG_init(void)
{
	if (IsBinaryUpgrade)
		return;
	CommitRingInit();
	StatsInit();
	BusInit();
	AuthInit();
	OutboundInit();
	WindowCurrentInit();
	SourcesInit();
	WorkerInit();
	MarkGUCPrefixReserved("streamflow");
}
