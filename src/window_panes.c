/*
 * window_panes.c: a window's in-memory state, its groups and their panes.
 *
 * A pane holds the accumulators (window_agg.h) of one group's frames of
 * [start, start + slide); a window [e - size, e) is the combination of the
 * size / slide panes it covers.  Adding a frame touches one pane, so it
 * costs O(aggregates) whatever the window's size.  A frame whose earliest
 * window ([P, P + slide) for pane P) has closed is dropped late; a frame of
 * a new group past max_groups is counted and reported, not aggregated.  A
 * frame whose event time lies more than size + grace + WINDOWS_FUTURE_MS
 * ahead of the wall clock is refused and counted (future_frames): its panes
 * would be held until that time.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "binding_path.h"
#include "stream_stats.h"
#include "window_state.h"

/* At most one stream_errors row and WARNING per window per this time. */
#define WINDOWS_OVER_CAP_REPORT_MS 60000
/* How far beyond size + grace ahead of the wall clock an event time may lie. */
#define WINDOWS_FUTURE_MS 60000

static bool TooFarAhead(Window *w, TimestampTz t);
static WindowGroup *FindGroup(Window *w, Jsonb *payload, bool *over_cap);
static void GroupKeyText(const JsonbValue *v, StringInfo out);
static Pane *FindPane(Window *w, WindowGroup *g, TimestampTz start);
static void OverCap(Window *w, Jsonb *payload);
static void SortEnds(TimestampTz *ends, int n);
static uint32 GroupHash(const void *key, Size keysize);
static int	GroupMatch(const void *a, const void *b, Size keysize);

/* An empty group table (key text -> WindowGroup) in cxt. */
HTAB *
WindowGroupsCreate(MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(WindowGroup);
	ctl.hash = GroupHash;
	ctl.match = GroupMatch;
	ctl.hcxt = cxt;
	return hash_create("streamflow window groups", 64, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/*
 * Adds frame seq to its pane of w (which notes its lowest sequence), or
 * counts it late (its earliest window has closed), too far ahead,
 * unreadable (no time: a skipped value) or over the group cap.
 */
void
WindowApplyFrame(Window *w, int64 seq, Jsonb *payload, TimestampTz created_at,
				 bool count_late)
{
	TimestampTz t;
	TimestampTz start;
	WindowGroup *g;
	Pane	   *p;
	bool		over_cap;

	if (!WindowFrameTime(&w->config, payload, created_at, &t))
	{
		/* counted with the pane of the frame's ingest time */
		t = created_at;
		start = WindowPaneStart(&w->config, t);
		if (start + w->config.slide_ms * 1000 <= w->closed_through)
			return;
		g = FindGroup(w, payload, &over_cap);
		if (g == NULL)
			return;
		p = FindPane(w, g, start);
		p->skipped++;
		p->min_seq = Min(p->min_seq, seq);
		return;
	}
	start = WindowPaneStart(&w->config, t);
	if (start + w->config.slide_ms * 1000 <= w->closed_through)
	{
		if (count_late)
		{
			w->late_delta++;
			StatsCountDroppedLate(w->stream_id, 1);
		}
		return;
	}
	if (w->config.event_time && TooFarAhead(w, t))
	{
		if (count_late)
			w->future_delta++;
		return;
	}
	g = FindGroup(w, payload, &over_cap);
	if (g == NULL)
	{
		if (over_cap && count_late)
			OverCap(w, payload);
		return;
	}
	p = FindPane(w, g, start);
	p->skipped += WindowAccAdd(&w->config, p->accs, payload);
	p->frames++;
	p->min_seq = Min(p->min_seq, seq);
}

/* Whether event time t lies more than size + grace + WINDOWS_FUTURE_MS ahead of now. */
static bool
TooFarAhead(Window *w, TimestampTz t)
{
	int64		ahead_ms = w->config.size_ms + w->config.grace_ms + WINDOWS_FUTURE_MS;

	return t > TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ahead_ms);
}

/*
 * The group of payload in w, created when new; NULL (over_cap) past
 * max_groups.  Looked up by the key's JSON text, made without a Jsonb.
 */
static WindowGroup *
FindGroup(Window *w, Jsonb *payload, bool *over_cap)
{
	static StringInfoData text_buf;	/* reused: no allocation per frame */
	StringInfo	text = &text_buf;
	JsonbValue	v;
	char	   *key_text;
	Jsonb	   *key;
	WindowGroup *g;
	bool		found;

	if (text->data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(text);
		MemoryContextSwitchTo(old);
	}
	if (!w->config.has_group_by || !ReadPath(payload, &w->config.group_by, &v))
		v.type = jbvNull;
	resetStringInfo(text);
	GroupKeyText(&v, text);
	*over_cap = false;
	key_text = text->data;
	g = hash_search(w->groups, &key_text, HASH_FIND, NULL);
	if (g != NULL)
		return g;
	if (w->ngroups >= w->config.max_groups)
	{
		*over_cap = true;
		return NULL;
	}
	key = JsonbValueToJsonb(&v);
	key_text = MemoryContextStrdup(w->cxt, text->data);
	g = hash_search(w->groups, &key_text, HASH_ENTER, &found);
	g->key_text = key_text;
	g->key = MemoryContextAlloc(w->cxt, VARSIZE(key));
	memcpy(g->key, key, VARSIZE(key));
	g->npanes = 0;
	g->maxpanes = 4;
	g->panes = MemoryContextAlloc(w->cxt, sizeof(Pane *) * g->maxpanes);
	w->ngroups++;
	return g;
}

/* Appends v as JSON text, as JsonbToCString prints it (scalars without a Jsonb). */
static void
GroupKeyText(const JsonbValue *v, StringInfo out)
{
	switch (v->type)
	{
		case jbvNull:
			appendStringInfoString(out, "null");
			break;
		case jbvBool:
			appendStringInfoString(out, v->val.boolean ? "true" : "false");
			break;
		case jbvString:
			escape_json(out, pnstrdup(v->val.string.val, v->val.string.len));
			break;
		case jbvNumeric:
			appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out,
																			 NumericGetDatum(v->val.numeric))));
			break;
		case jbvBinary:
			(void) JsonbToCString(out, v->val.binary.data, v->val.binary.len);
			break;
		default:
			elog(ERROR, "unexpected group key value type %d", (int) v->type);
	}
}

/* The pane of g starting at start, created (empty) when new. */
static Pane *
FindPane(Window *w, WindowGroup *g, TimestampTz start)
{
	int			i;
	Pane	   *p;

	for (i = g->npanes; i > 0 && g->panes[i - 1]->start >= start; i--)
		if (g->panes[i - 1]->start == start)
			return g->panes[i - 1];
	if (g->npanes == g->maxpanes)
	{
		g->maxpanes *= 2;
		g->panes = repalloc(g->panes, sizeof(Pane *) * g->maxpanes);
	}
	memmove(&g->panes[i + 1], &g->panes[i], sizeof(Pane *) * (g->npanes - i));
	p = MemoryContextAllocZero(w->cxt, offsetof(Pane, accs) + sizeof(WindowAcc) * w->config.naggs);
	p->start = start;
	p->min_seq = PG_INT64_MAX;
	WindowAccInit(&w->config, p->accs);
	g->panes[i] = p;
	g->npanes++;
	return p;
}

/*
 * A frame of a new group past max_groups: counted; at most once a minute per
 * window a WARNING and (with the next transaction) a stream_errors row.
 */
static void
OverCap(Window *w, Jsonb *payload)
{
	TimestampTz now = GetCurrentTimestamp();

	w->over_cap_delta++;
	if (w->over_cap_reported_at != 0 &&
		now < TimestampTzPlusMilliseconds(w->over_cap_reported_at, WINDOWS_OVER_CAP_REPORT_MS))
		return;
	w->over_cap_reported_at = now;
	ereport(WARNING,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("window \"%s\" has max_groups (%d) open groups; frames of new groups are not counted",
					w->name, w->config.max_groups),
			 errdetail("They are counted in streamflow.windows.groups_over_cap; this is reported once a minute at most."),
			 errhint("Create the window again with a larger max_groups, or group by a key with fewer values.")));
	if (w->over_cap_payload == NULL)
	{
		w->over_cap_payload = MemoryContextAlloc(w->cxt, VARSIZE(payload));
		memcpy(w->over_cap_payload, payload, VARSIZE(payload));
	}
}

/*
 * The sorted distinct ends in (after, upto] of windows holding a pane of w;
 * their number.
 */
int
WindowCollectEnds(Window *w, TimestampTz after, TimestampTz upto, TimestampTz **ends)
{
	int64		slide_us = w->config.slide_ms * 1000;
	int64		per_pane = w->config.size_ms / w->config.slide_ms;
	HTAB	   *seen;
	HASHCTL		ctl = {.keysize = sizeof(TimestampTz), .entrysize = sizeof(TimestampTz),
	.hcxt = CurrentMemoryContext};
	HASH_SEQ_STATUS seq;
	WindowGroup *g;
	TimestampTz *e;
	int			n = 0;

	seen = hash_create("streamflow window ends", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	hash_seq_init(&seq, w->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
		for (int i = 0; i < g->npanes; i++)
			for (int64 k = 1; k <= per_pane; k++)
			{
				TimestampTz end = g->panes[i]->start + k * slide_us;

				if (end > after && end <= upto)
					(void) hash_search(seen, &end, HASH_ENTER, NULL);
			}
	*ends = palloc(sizeof(TimestampTz) * Max(hash_get_num_entries(seen), 1));
	hash_seq_init(&seq, seen);
	while ((e = hash_seq_search(&seq)) != NULL)
		(*ends)[n++] = *e;
	SortEnds(*ends, n);
	hash_destroy(seen);
	return n;
}

/* Sorts ends ascending (insertion sort: few ends per close). */
static void
SortEnds(TimestampTz *ends, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && ends[j - 1] > ends[j]; j--)
		{
			TimestampTz t = ends[j];

			ends[j] = ends[j - 1];
			ends[j - 1] = t;
		}
}

/* Combines g's panes of the window ending at end into accs; its frame count. */
int64
WindowCombine(Window *w, WindowGroup *g, TimestampTz end, WindowAcc *accs)
{
	TimestampTz start = end - w->config.size_ms * 1000;
	int64		frames = 0;

	WindowAccInit(&w->config, accs);
	for (int i = 0; i < g->npanes; i++)
	{
		Pane	   *p = g->panes[i];

		if (p->start < start || p->start >= end)
			continue;
		WindowAccCombine(&w->config, accs, p->accs);
		frames += p->frames;
	}
	return frames;
}

/* Frees the panes no open window needs (up to closed_through), then empty groups. */
void
WindowFreeClosedPanes(Window *w)
{
	HASH_SEQ_STATUS seq;
	WindowGroup *g;
	int64		size_us = w->config.size_ms * 1000;

	hash_seq_init(&seq, w->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
	{
		int			keep = 0;

		for (int i = 0; i < g->npanes; i++)
		{
			if (g->panes[i]->start + size_us <= w->closed_through)
				pfree(g->panes[i]);
			else
				g->panes[keep++] = g->panes[i];
		}
		g->npanes = keep;
		if (keep > 0)
			continue;
		pfree(g->panes);
		pfree(g->key);
		(void) hash_search(w->groups, &g->key_text, HASH_REMOVE, NULL);
		w->ngroups--;
	}
}

/*
 * The replay bound once w's windows ending up to through are closed: one
 * below the lowest sequence held by a pane an open window still needs, or
 * last_seq when none is held (window_replay.c says why it is safe).
 */
int64
WindowReplayAfter(Window *w, TimestampTz through)
{
	HASH_SEQ_STATUS seq;
	WindowGroup *g;
	int64		size_us = w->config.size_ms * 1000;
	int64		lowest = w->last_seq + 1;

	hash_seq_init(&seq, w->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
		for (int i = 0; i < g->npanes; i++)
			if (g->panes[i]->start + size_us > through)
				lowest = Min(lowest, g->panes[i]->min_seq);
	return lowest - 1;
}

/*
 * Appends w's open windows holding frames to out as window_current's JSON
 * array (window_current.h).
 */
void
WindowRenderOpen(Window *w, StringInfo out)
{
	TimestampTz *ends;
	int			nends = WindowCollectEnds(w, w->closed_through, DT_NOEND, &ends);
	WindowAcc  *accs = palloc(sizeof(WindowAcc) * Max(w->config.naggs, 1));
	bool		first = true;

	appendStringInfoChar(out, '[');
	for (int e = 0; e < nends; e++)
	{
		HASH_SEQ_STATUS seq;
		WindowGroup *g;

		hash_seq_init(&seq, w->groups);
		while ((g = hash_seq_search(&seq)) != NULL)
		{
			int64		frames = WindowCombine(w, g, ends[e], accs);
			Jsonb	   *values;

			if (frames == 0)
				continue;
			values = WindowAccValues(&w->config, accs);
			appendStringInfo(out, "%s{\"group_key\":%s,\"window_start\":" INT64_FORMAT
							 ",\"window_end\":" INT64_FORMAT ",\"frame_count\":" INT64_FORMAT
							 ",\"aggregates\":",
							 first ? "" : ",", g->key_text,
							 (int64) (ends[e] - w->config.size_ms * 1000), (int64) ends[e], frames);
			(void) JsonbToCString(out, &values->root, VARSIZE(values));
			appendStringInfoChar(out, '}');
			first = false;
		}
	}
	appendStringInfoChar(out, ']');
}

/* Hash of a group key (a pointer to its text). */
static uint32
GroupHash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return string_hash(s, strlen(s) + 1);
}

/* Equality of two group keys; 0 when equal. */
static int
GroupMatch(const void *a, const void *b, Size keysize)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}
