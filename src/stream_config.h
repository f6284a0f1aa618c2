/*
 * stream_config.h: the vocabulary of stream configs shared with other files.
 */
#ifndef STREAMFLOW_STREAM_CONFIG_H
#define STREAMFLOW_STREAM_CONFIG_H

/* The transform names of attribute bindings (seed 000's table). */
extern const char *const StreamTransforms[];

#include "utils/jsonb.h"

/* An attribute_bindings array checked and normalized like create_stream does. */
extern Jsonb *NormalizeBindings(Jsonb *bindings);

#endif
