/*
 * bindings.h: the attribute binding engine (seed 000): maps a frame's payload
 * to its destination attributes through transforms.
 */
#ifndef STREAMFLOW_BINDINGS_H
#define STREAMFLOW_BINDINGS_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

typedef struct BindingSet BindingSet;

/*
 * The running aggregate of one binding with aggregation_window_ms: the sum of
 * the numbers and the count of the values the trailing window holds.  sum is
 * NULL while nothing has been summed.
 */
typedef struct WindowAggregate
{
	Numeric		sum;
	int64		count;
} WindowAggregate;

/* Compiles a normalized attribute_bindings array; NULL when there are none. */
extern BindingSet *CompileBindings(Jsonb *bindings);

/* How many bindings the set holds. */
extern int	BindingCount(const BindingSet *set);

/* The aggregation window of binding i in ms; 0 when it has none. */
extern int32 BindingWindowMs(const BindingSet *set, int i);

/*
 * Maps data through the bindings.  windows (one entry per binding, or NULL)
 * holds each windowed binding's aggregate over the trailing window before this
 * frame; this frame's contribution is added to it and also reported in added
 * (same indexing) so the caller can persist it or take it back.  With windows
 * NULL a windowed binding aggregates this frame alone.  Problems are appended
 * to *violations; the result is then NULL.
 */
extern Jsonb *ApplyBindings(const BindingSet *set, Jsonb *data, WindowAggregate *windows,
							WindowAggregate *added, List **violations);

#endif
