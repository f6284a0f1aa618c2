/*
 * binding_aggregate.h: the aggregating transforms of bindings (sum, average,
 * count), over one frame or over a trailing window of frames.
 */
#ifndef STREAMFLOW_BINDING_AGGREGATE_H
#define STREAMFLOW_BINDING_AGGREGATE_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "binding_transform.h"
#include "bindings.h"

extern bool AggregateFrame(const Transform *t, const JsonbValue *v, const char *path,
						   WindowAggregate *out, List **violations);
extern bool AggregateMerge(const Transform *t, WindowAggregate *into,
						   const WindowAggregate *add, const char *path, List **violations);
extern void AggregateResult(const Transform *t, const WindowAggregate *agg, JsonbValue *out);

#endif
