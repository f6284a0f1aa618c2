/*
 * window_config.h: a window's definition (create_window's config), parsed and
 * checked once, and the per-frame questions every window asks: the frame's
 * time, its group, and the epoch-aligned pane that holds it.  Shared by the
 * SQL side (create_window, window_stats, health) and the worker's engine.
 */
#ifndef STREAMFLOW_WINDOW_CONFIG_H
#define STREAMFLOW_WINDOW_CONFIG_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "binding_path.h"

/* Default and bounds of the config keys (README "Windows"). */
#define WINDOW_DEFAULT_MAX_GROUPS 10000
#define WINDOW_MAX_DURATION_MS (INT64CONST(366) * 24 * 3600 * 1000)
#define WINDOW_MAX_PANES 1000	/* size / slide */

typedef enum WindowType
{
	WINDOW_TUMBLING,
	WINDOW_SLIDING
} WindowType;

typedef enum WindowFn
{
	WINDOW_FN_COUNT,
	WINDOW_FN_SUM,
	WINDOW_FN_AVG,
	WINDOW_FN_MIN,
	WINDOW_FN_MAX,
	WINDOW_FN_RATE
} WindowFn;

typedef struct WindowAggregate
{
	char	   *output;			/* the key in the result's aggregates object */
	WindowFn	fn;
	bool		has_path;		/* count and rate may omit path */
	BindingPath path;			/* payload path of the value */
} WindowAggregate;

typedef struct WindowConfig
{
	WindowType	type;
	int64		size_ms;		/* > 0 */
	int64		slide_ms;		/* == size_ms for tumbling; divides size_ms evenly */
	int64		grace_ms;		/* >= 0, default 0 */
	bool		event_time;		/* false: the frame's created_at (ingest time) */
	BindingPath time_path;		/* event_time: ISO-8601 string or epoch-milliseconds number */
	bool		has_group_by;
	BindingPath group_by;
	int			max_groups;		/* default 10000; >= 1 */
	int			naggs;
	WindowAggregate *aggs;
} WindowConfig;

/* Parses and checks a create_window config; ERROR 22023 naming the key (errdetail, errhint). */
extern void ParseWindowConfig(Jsonb *config, WindowConfig *out);

/* The normalised config as stored in streamflow.windows.config. */
extern Jsonb *WindowConfigToJsonb(const WindowConfig *config);

/* The frame's time for this window; false (never ERROR) when missing or unreadable. */
extern bool WindowFrameTime(const WindowConfig *config, Jsonb *payload, TimestampTz created_at,
							TimestampTz *time);

/* The group of a frame as jsonb ('null' when no group_by or the key is missing). */
extern Jsonb *WindowGroupKey(const WindowConfig *config, Jsonb *payload);

/* Start of the pane (slide-sized slice, aligned to the Unix epoch) holding t. */
extern TimestampTz WindowPaneStart(const WindowConfig *config, TimestampTz t);

/*
 * Helpers the SQL functions share with the parser: a window path ("a.b",
 * "$.a.b", "items[0].x"; ERROR 22023 naming what, e.g. 'window option
 * "group_by"', when malformed), a duration in whole milliseconds from an
 * interval (ERROR 22023 naming what for months or a fraction of a
 * millisecond), and a JSON number as a finite double.
 */
extern void ParseWindowPath(const char *text, const char *what, BindingPath *path);
extern int64 WindowIntervalMs(const Interval *interval, const char *what);
extern bool WindowJsonNumber(const JsonbValue *v, double *out);

#endif
