/*
 * pipeline.h: a stream's frame pipeline (bindings, then data_schema),
 * compiled once per stream version and cached for the session.
 */
#ifndef STREAMFLOW_PIPELINE_H
#define STREAMFLOW_PIPELINE_H

#include "bindings.h"
#include "frame.h"
#include "json_schema.h"
#include "outbound_queue.h"
#include "stream_head.h"

typedef struct StreamPipeline
{
	Schema	   *schema;			/* data_schema; NULL when the stream has none */
	BindingSet *bindings;		/* attribute_bindings; NULL when none */
	bool		has_windows;	/* some binding has aggregation_window_ms */
	DeliveryTargets *delivery;	/* frames are delivered there; NULL: nowhere */
} StreamPipeline;

extern StreamPipeline *GetStreamPipeline(StreamHead *head);
extern void RunPipeline(StreamPipeline *pipeline, Frame *frame, WindowAggregate *windows,
						WindowAggregate *batch_added);

#endif
