/*
 * binding_window.h: the trailing windows of bindings with
 * aggregation_window_ms, kept in streamflow.binding_window_* tables.
 */
#ifndef STREAMFLOW_BINDING_WINDOW_H
#define STREAMFLOW_BINDING_WINDOW_H

#include "bindings.h"

extern WindowAggregate *LoadWindows(const char *stream_id, const BindingSet *set);
extern void AddToWindow(WindowAggregate *into, const WindowAggregate *add, bool subtract);
extern void SaveWindows(const char *stream_id, const BindingSet *set, WindowAggregate *added);

#endif
