/*
 * streamflow_fuzz.c: a libFuzzer target that runs inside a PostgreSQL backend.
 *
 * streamflow's engines (the JSON Schema validator, the attribute binding
 * engine and the stream config normalizer) are backend code: they palloc,
 * ereport and call jsonb, jsonpath and regex code that exists only inside the
 * postgres executable.  So this module, built with clang together with
 * streamflow's C sources and libFuzzer's LLVMFuzzerRunDriver, is loaded into
 * `postgres --single` (scripts/fuzz.sh), and SQL function
 * streamflow_fuzz(text[]) hands the backend to libFuzzer.  libFuzzer never
 * returns: it exits 0 when -max_total_time is up and non-zero on a finding,
 * after writing the reproducer to -artifact_prefix.
 *
 * Input: byte 0 selects the target (byte % 3) and a variant (byte / 3 % 3);
 * the rest is split at its first NUL or newline into two JSON texts.
 *
 *   byte % 3   target     part 1                  part 2
 *   0 ('B')    bindings   attribute_bindings      frame payload
 *   1 ('C')    config     stream config           (unused)
 *   2 ('S')    schema     JSON Schema             instance
 *
 * Variants: bindings: 0 ('?') no window aggregates, 1 ('B') empty ones,
 * 2 ('E') pre-filled ones; config: 0 ('@') partial, otherwise full.
 *
 * Every input runs in a subtransaction and a memory context of its own, both
 * thrown away afterwards.  An ERROR is an acceptable outcome (the input was
 * bad); a crash, a sanitizer report, a timeout, an elog-style internal error
 * (SQLSTATE XX000-XX002), a resource-leak WARNING or a broken invariant of
 * the engines' headers is a finding: the process aborts and libFuzzer saves
 * the input.  Under AddressSanitizer every palloc of an input is a malloc of
 * its own (MallocContext below), so ASan sees overflows and use-after-pfree
 * of palloc'd memory too, not just of the 8kB blocks an AllocSet carves up.
 */
#include "postgres.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "nodes/memnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"

#include "stream_config.h"
#include "violations.h"
#ifdef HAVE_JSON_SCHEMA
#include "json_schema.h"
#endif
#ifdef HAVE_BINDINGS
#include "bindings.h"
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_WITH_ASAN 1
#endif
#endif

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(streamflow_fuzz);

/* libFuzzer's entry point for programs with a main() of their own (LLVM >= 11). */
extern int	LLVMFuzzerRunDriver(int *argc, char ***argv,
								int (*callback) (const uint8_t *data, size_t size));

/* SQL normalize_stream_config(config jsonb, partial boolean), in stream_config.c. */
extern PGDLLEXPORT Datum streamflow_normalize_stream_config(PG_FUNCTION_ARGS);

typedef enum FuzzTarget
{
	TARGET_BINDINGS,
	TARGET_CONFIG,
	TARGET_SCHEMA,
	NUM_TARGETS
} FuzzTarget;

static const char *const target_names[NUM_TARGETS] = {"bindings", "config", "schema"};

/* What the inputs did, printed at exit. */
typedef struct OutcomeCount
{
	FuzzTarget	target;
	int			sqlerrcode;		/* 0: no error */
	uint64		count;
	char		example[72];	/* the first error message seen */
} OutcomeCount;

#define MAX_OUTCOMES 64

static OutcomeCount outcomes[MAX_OUTCOMES];
static int	noutcomes;
static uint64 inputs_run;

static MemoryContext input_context; /* reset after every input */
static bool verbose;			/* STREAMFLOW_FUZZ_VERBOSE: one line per input */
static bool in_input;			/* the emit_log_hook watches only inputs */
static bool parsed;				/* part 1 of the input was JSON */
static char leak_warning[256];	/* a resource-leak WARNING seen during the input */
static emit_log_hook_type prev_emit_log_hook;

static int	FuzzOneInput(const uint8_t *data, size_t size);
static void RunTarget(FuzzTarget target, int variant, const char *text, size_t len);
static Jsonb *ParseJson(const char *text);
static void FuzzBindings(int variant, const char *part1, const char *part2);
static void FuzzConfig(int variant, const char *part1);
static void FuzzSchema(const char *part1, const char *part2);
static void CountOutcome(FuzzTarget target, const ErrorData *edata);
static void PrintSummary(void);
static void FuzzEmitLogHook(ErrorData *edata);
static void Finding(const char *fmt,...) pg_attribute_printf(1, 2) pg_attribute_noreturn();
#ifdef FUZZ_WITH_ASAN
static MemoryContext MallocContextCreate(MemoryContext parent, const char *name);
#endif

/*
 * SQL: streamflow_fuzz(args text[]) returns int.  Runs libFuzzer with args
 * (its usual command line: flags, corpus directories or input files).
 */
Datum
streamflow_fuzz(PG_FUNCTION_ARGS)
{
	ArrayType  *args = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			argc;
	char	  **argv;
	struct rlimit rlim;
	MemoryContext oldcxt;

	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	deconstruct_array(args, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	argv = palloc0((nelems + 2) * sizeof(char *));
	argv[0] = "streamflow_fuzz";
	for (argc = 1; argc <= nelems; argc++)
		argv[argc] = nulls[argc - 1] ? "" : TextDatumGetCString(elems[argc - 1]);
	MemoryContextSwitchTo(oldcxt);

#ifdef FUZZ_WITH_ASAN
	input_context = MallocContextCreate(TopMemoryContext, "streamflow fuzz input");
#else
	input_context = AllocSetContextCreate(TopMemoryContext, "streamflow fuzz input",
										  ALLOCSET_DEFAULT_SIZES);
#endif
	verbose = getenv("STREAMFLOW_FUZZ_VERBOSE") != NULL;

	/*
	 * postgres --single (PostgreSQL 15) never sets the reference point of
	 * check_stack_depth(), which then never fires: deep nesting would crash
	 * with SIGSEGV where a normal backend raises "stack depth limit exceeded".
	 * Take it from here; what lies above is a few kB of executor frames.
	 */
	(void) set_stack_base();

	/*
	 * libFuzzer installs a handler only where none is set, and postgres has
	 * its own for these signals (SIGALRM drives PostgreSQL's timeouts, which
	 * nothing uses here): without this, -timeout would never fire and Ctrl-C
	 * would cancel one input instead of ending the run.
	 */
	pqsignal(SIGALRM, SIG_DFL);
	pqsignal(SIGINT, SIG_DFL);
	pqsignal(SIGTERM, SIG_DFL);
	pqsignal(SIGUSR1, SIG_DFL);
	pqsignal(SIGUSR2, SIG_DFL);
	pqsignal(SIGXFSZ, SIG_DFL);

	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = FuzzEmitLogHook;
	atexit(PrintSummary);

	getrlimit(RLIMIT_STACK, &rlim);
	fprintf(stderr, "streamflow_fuzz: max_stack_depth=%s, stack rlimit=%ldkB, %s, targets:%s%s config\n",
			GetConfigOptionByName("max_stack_depth", NULL, false),
			rlim.rlim_cur == RLIM_INFINITY ? -1L : (long) (rlim.rlim_cur / 1024),
#ifdef FUZZ_WITH_ASAN
			"AddressSanitizer on, one malloc per palloc",
#else
			"no AddressSanitizer",
#endif
#ifdef HAVE_BINDINGS
			" bindings",
#else
			"",
#endif
#ifdef HAVE_JSON_SCHEMA
			" schema"
#else
			""
#endif
		);

	PG_RETURN_INT32(LLVMFuzzerRunDriver(&argc, &argv, FuzzOneInput));
}

/*
 * libFuzzer's callback: runs one input in a subtransaction and a fresh
 * memory context, turning ERRORs into a counted outcome.
 */
static int
FuzzOneInput(const uint8_t *data, size_t size)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	int			nest_level = GetCurrentTransactionNestLevel();
	uint32		holdoff = InterruptHoldoffCount;
	ErrorData  *volatile edata = NULL;
	FuzzTarget	target;
	int			variant;

	if (size == 0)
		return 0;
	target = (FuzzTarget) (data[0] % NUM_TARGETS);
	variant = data[0] / NUM_TARGETS % 3;
	inputs_run++;
	leak_warning[0] = '\0';
	parsed = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(input_context);
	in_input = true;
	PG_TRY();
	{
		RunTarget(target, variant, (const char *) data + 1, size - 1);
		if (InterruptHoldoffCount != holdoff)
			Finding("the input returned with interrupts held off (%u, was %u)",
					InterruptHoldoffCount, holdoff);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(input_context);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	in_input = false;
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;

	if (GetCurrentTransactionNestLevel() != nest_level)
		Finding("transaction nesting level %d after the input, %d before",
				GetCurrentTransactionNestLevel(), nest_level);
	if (leak_warning[0])
		Finding("resource leak: %s", leak_warning);
	CountOutcome(target, edata);
	MemoryContextReset(input_context);

	/* -1: libFuzzer keeps no input whose part 1 is not even JSON */
	return (edata != NULL && !parsed) ? -1 : 0;
}

/* Splits the input into its two JSON texts and runs the target on them. */
static void
RunTarget(FuzzTarget target, int variant, const char *text, size_t len)
{
	size_t		cut = 0;
	char	   *part1;
	char	   *part2;

	while (cut < len && text[cut] != '\0' && text[cut] != '\n')
		cut++;
	part1 = pnstrdup(text, cut);
	part2 = cut < len ? pnstrdup(text + cut + 1, len - cut - 1) : pstrdup("");

	switch (target)
	{
		case TARGET_BINDINGS:
			FuzzBindings(variant, part1, part2);
			break;
		case TARGET_CONFIG:
			FuzzConfig(variant, part1);
			break;
		case TARGET_SCHEMA:
			FuzzSchema(part1, part2);
			break;
		default:
			elog(ERROR, "unknown fuzz target %d", (int) target);
	}
}

/* jsonb_in; bad JSON raises an ERROR like any other bad input. */
static Jsonb *
ParseJson(const char *text)
{
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));

	parsed = true;
	return jb;
}

/* Renders a jsonb as text, so that what an engine built is read once more. */
static void
Render(Jsonb *jb)
{
	if (jb != NULL)
		(void) JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

/*
 * The binding engine: NormalizeBindings (what create_stream accepts), then
 * CompileBindings and ApplyBindings with the variant's window aggregates.
 */
static void
FuzzBindings(int variant, const char *part1, const char *part2)
{
	Jsonb	   *normalized = NormalizeBindings(ParseJson(part1));

#ifdef HAVE_BINDINGS
	BindingSet *set = normalized ? CompileBindings(normalized) : NULL;
	Jsonb	   *data;
	Jsonb	   *result;
	WindowAggregate *windows = NULL;
	WindowAggregate *added;
	List	   *violations = NIL;
	int			n;

	if (set == NULL)
		return;
	data = ParseJson(part2);
	n = BindingCount(set);
	added = palloc0(sizeof(WindowAggregate) * Max(n, 1));
	if (variant > 0)
	{
		windows = palloc0(sizeof(WindowAggregate) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			if (variant == 2 && BindingWindowMs(set, i) > 0)
			{
				windows[i].sum = int64_to_numeric(7);
				windows[i].count = 2;
			}
		}
	}
	result = ApplyBindings(set, data, windows, added, &violations);
	if ((result == NULL) != (violations != NIL))
		Finding("ApplyBindings returned %s with %d violations",
				result ? "a result" : "NULL", list_length(violations));
	Render(result);
	Render(ViolationsToJsonb(violations));
#else
	Render(normalized);
#endif
}

/* The stream config normalizer, through its SQL entry point. */
static void
FuzzConfig(int variant, const char *part1)
{
	Datum		config = JsonbPGetDatum(ParseJson(part1));

	Render(DatumGetJsonbP(DirectFunctionCall2(streamflow_normalize_stream_config,
											  config, BoolGetDatum(variant == 0))));
}

/*
 * The JSON Schema validator: compiles part 1, validates part 2 with and
 * without a violation list; both answers and the list must agree.
 */
static void
FuzzSchema(const char *part1, const char *part2)
{
#ifdef HAVE_JSON_SCHEMA
	Schema	   *schema = CompileSchema(ParseJson(part1), "data_schema");
	Jsonb	   *instance = ParseJson(part2);
	List	   *violations = NIL;
	bool		valid = ValidateInstance(schema, instance, &violations);
	bool		quick = ValidateInstance(schema, instance, NULL);

	if (valid != quick)
		Finding("ValidateInstance says %s with a violation list, %s without",
				valid ? "valid" : "invalid", quick ? "valid" : "invalid");
	if (valid != (violations == NIL))
		Finding("ValidateInstance says %s with %d violations",
				valid ? "valid" : "invalid", list_length(violations));
	Render(ViolationsToJsonb(violations));
#else
	/* until json_schema.c exists: at least parse both texts */
	ParseJson(part1);
	ParseJson(part2);
#endif
}

/*
 * Counts what one input did; an internal error (elog's XX000, or data
 * corruption) is a finding rather than an outcome.
 */
static void
CountOutcome(FuzzTarget target, const ErrorData *edata)
{
	int			code = edata ? edata->sqlerrcode : 0;
	int			i;

	if (verbose && edata)
		fprintf(stderr, "streamflow_fuzz: %s: ERROR %s %.200s\n", target_names[target],
				unpack_sql_state(code), edata->message);
	else if (verbose)
		fprintf(stderr, "streamflow_fuzz: %s: ok\n", target_names[target]);
	if (code == ERRCODE_INTERNAL_ERROR || code == ERRCODE_DATA_CORRUPTED ||
		code == ERRCODE_INDEX_CORRUPTED)
		Finding("internal error %s \"%s\" raised at %s:%d (%s)",
				unpack_sql_state(code), edata->message,
				edata->filename ? edata->filename : "?", edata->lineno,
				edata->funcname ? edata->funcname : "?");

	for (i = 0; i < noutcomes; i++)
		if (outcomes[i].target == target && outcomes[i].sqlerrcode == code)
			break;
	if (i == noutcomes)
	{
		if (noutcomes == MAX_OUTCOMES)
			return;
		noutcomes++;
		outcomes[i].target = target;
		outcomes[i].sqlerrcode = code;
		strlcpy(outcomes[i].example, edata ? edata->message : "",
				sizeof(outcomes[i].example));
	}
	outcomes[i].count++;
}

/* atexit: how many inputs each target ran and how they ended. */
static void
PrintSummary(void)
{
	fprintf(stderr, "streamflow_fuzz: %llu inputs; outcomes by target and SQLSTATE:\n",
			(unsigned long long) inputs_run);
	for (int t = 0; t < NUM_TARGETS; t++)
		for (int i = 0; i < noutcomes; i++)
			if (outcomes[i].target == (FuzzTarget) t)
				fprintf(stderr, "streamflow_fuzz:   %-8s %-5s %10llu  %s\n", target_names[t],
						outcomes[i].sqlerrcode ? unpack_sql_state(outcomes[i].sqlerrcode) : "ok",
						(unsigned long long) outcomes[i].count, outcomes[i].example);
}

/* Notes resource-leak WARNINGs ("relcache reference leak", ...) of an input. */
static void
FuzzEmitLogHook(ErrorData *edata)
{
	if (in_input && edata->elevel == WARNING && edata->message &&
		strstr(edata->message, "leak") != NULL && leak_warning[0] == '\0')
		strlcpy(leak_warning, edata->message, sizeof(leak_warning));
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* Reports a finding and aborts, so that libFuzzer saves the input. */
static void
Finding(const char *fmt,...)
{
	va_list		args;

	fprintf(stderr, "streamflow_fuzz: FINDING: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

#ifdef FUZZ_WITH_ASAN

/*
 * MallocContext: a memory context that mallocs every chunk on its own, so
 * that AddressSanitizer guards each palloc with redzones and quarantines it
 * when pfree'd.  PostgreSQL 15 finds a chunk's context in the pointer just
 * before the chunk, hence the header ending in it.
 */
/*
 * The allocator is left out of coverage: called from deep inside PostgreSQL's
 * JSON parser, it would feed libFuzzer's stack-depth signal with nothing but
 * nesting depth, and the corpus would fill with "[[[[[...".
 */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

typedef struct MallocChunk
{
	dlist_node	node;			/* in the context's list of chunks */
	Size		size;			/* as requested */
	MemoryContext context;		/* must come last: GetMemoryChunkContext */
} MallocChunk;

#define MALLOC_CHUNK_HDRSZ MAXALIGN(sizeof(MallocChunk))
#define MallocChunkOf(pointer) ((MallocChunk *) ((char *) (pointer) - MALLOC_CHUNK_HDRSZ))

typedef struct MallocContextData
{
	MemoryContextData header;
	dlist_head	chunks;
} MallocContextData;

/* Allocates one chunk; NULL when malloc fails (palloc then raises). */
static NO_COVERAGE void *
MallocContextAlloc(MemoryContext context, Size size)
{
	MallocContextData *mc = (MallocContextData *) context;
	MallocChunk *chunk = malloc(MALLOC_CHUNK_HDRSZ + size);

	if (chunk == NULL)
		return NULL;
	chunk->size = size;
	chunk->context = context;
	dlist_push_head(&mc->chunks, &chunk->node);
	context->mem_allocated += size;
	return (char *) chunk + MALLOC_CHUNK_HDRSZ;
}

/* Frees one chunk. */
static NO_COVERAGE void
MallocContextFree(MemoryContext context, void *pointer)
{
	MallocChunk *chunk = MallocChunkOf(pointer);

	dlist_delete(&chunk->node);
	context->mem_allocated -= chunk->size;
	free(chunk);
}

/* Resizes one chunk, which may move. */
static NO_COVERAGE void *
MallocContextRealloc(MemoryContext context, void *pointer, Size size)
{
	MallocContextData *mc = (MallocContextData *) context;
	MallocChunk *chunk = MallocChunkOf(pointer);
	MallocChunk *moved;

	dlist_delete(&chunk->node);
	moved = realloc(chunk, MALLOC_CHUNK_HDRSZ + size);
	if (moved == NULL)
	{
		dlist_push_head(&mc->chunks, &chunk->node);
		return NULL;
	}
	context->mem_allocated += size - moved->size;
	moved->size = size;
	dlist_push_head(&mc->chunks, &moved->node);
	return (char *) moved + MALLOC_CHUNK_HDRSZ;
}

/* Frees every chunk. */
static NO_COVERAGE void
MallocContextReset(MemoryContext context)
{
	MallocContextData *mc = (MallocContextData *) context;
	dlist_mutable_iter iter;

	dlist_foreach_modify(iter, &mc->chunks)
	{
		dlist_delete(iter.cur);
		free(dlist_container(MallocChunk, node, iter.cur));
	}
	context->mem_allocated = 0;
}

/* Frees every chunk and the context itself. */
static NO_COVERAGE void
MallocContextDelete(MemoryContext context)
{
	MallocContextReset(context);
	free(context);
}

/* The memory one chunk takes. */
static NO_COVERAGE Size
MallocContextGetChunkSpace(MemoryContext context, void *pointer)
{
	return MALLOC_CHUNK_HDRSZ + MallocChunkOf(pointer)->size;
}

/* Does the context hold no chunk? */
static NO_COVERAGE bool
MallocContextIsEmpty(MemoryContext context)
{
	return dlist_is_empty(&((MallocContextData *) context)->chunks);
}

/* MemoryContextStats support: chunks count as blocks, nothing is free. */
static NO_COVERAGE void
MallocContextStats(MemoryContext context, MemoryStatsPrintFunc printfunc, void *passthru,
				   MemoryContextCounters *totals, bool print_to_stderr)
{
	MallocContextData *mc = (MallocContextData *) context;
	dlist_iter	iter;
	Size		nchunks = 0;
	Size		space = 0;

	dlist_foreach(iter, &mc->chunks)
	{
		nchunks++;
		space += MALLOC_CHUNK_HDRSZ + dlist_container(MallocChunk, node, iter.cur)->size;
	}
	if (printfunc)
	{
		char		line[100];

		snprintf(line, sizeof(line), "%zu malloc'd chunks; %zu total", nchunks, space);
		printfunc(context, passthru, line, print_to_stderr);
	}
	if (totals)
	{
		totals->nblocks += nchunks;
		totals->totalspace += space;
	}
}

static const MemoryContextMethods MallocContextMethods = {
	MallocContextAlloc,
	MallocContextFree,
	MallocContextRealloc,
	MallocContextReset,
	MallocContextDelete,
	MallocContextGetChunkSpace,
	MallocContextIsEmpty,
	MallocContextStats
#ifdef MEMORY_CONTEXT_CHECKING
	,NULL
#endif
};

/* Creates a MallocContext under parent; name must be a constant. */
static MemoryContext
MallocContextCreate(MemoryContext parent, const char *name)
{
	MallocContextData *mc = malloc(sizeof(MallocContextData));

	StaticAssertStmt(MALLOC_CHUNK_HDRSZ == sizeof(MallocChunk),
					 "the context pointer must end the chunk header");
	if (mc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	dlist_init(&mc->chunks);
	/* the tag only names the context kind in assertions and statistics */
	MemoryContextCreate(&mc->header, T_GenerationContext, &MallocContextMethods,
						parent, name);
	return &mc->header;
}

#endif							/* FUZZ_WITH_ASAN */
