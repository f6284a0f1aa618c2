# streamflow: PGXS build, test and demo entry points.
EXTENSION = streamflow
EXTVERSION = 0.1.0

MODULE_big = streamflow
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))

DATA = $(wildcard sql/$(EXTENSION)--*.sql)

# pg_regress: one file per feature under sql/, outputs under expected/.
REGRESS = setup streams services ingest bus capture roles retention json_schema bindings pipeline windows
REGRESS_WORKDIR ?= ./tmp_check
REGRESS_OPTS = --temp-config=test/regress.conf --temp-instance=$(REGRESS_WORKDIR)/instance --outputdir=$(REGRESS_WORKDIR)

PG_CPPFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Isrc
SHLIB_LINK = $(shell pkg-config --libs libwebsockets libuv)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: a changed header rebuilds every object.
$(OBJS) $(OBJS:.o=.bc): $(wildcard src/*.h)

.PHONY: deps demo demo-stop test bench

# Installs every Debian/npm package the build, tests and demo need.
deps:
	bash scripts/deps.sh

demo: deps
	$(MAKE) -s all
	$(MAKE) -s install >/dev/null
	bash scripts/demo.sh start

demo-stop:
	bash scripts/demo.sh stop

test: deps
	$(MAKE) -s all
	$(MAKE) -s install >/dev/null
	bash scripts/test.sh

# Benchmarks (never part of make test): side-by-side ratios on a tuned throwaway
# cluster; `make bench QUICK=1` (or BENCH_QUICK=1) is the few-minute mode.
bench: deps
	$(MAKE) -s all
	$(MAKE) -s install >/dev/null
	BENCH_QUICK=$(or $(QUICK),$(BENCH_QUICK),0) bash scripts/bench.sh

# Fuzzing (fuzz/streamflow_fuzz.c): clang builds the harness, streamflow's
# engines (not _PG_init nor the network worker: worker*, hub, live_*) and
# libFuzzer into one module
# for `postgres --single`, instrumented for coverage and, unless FUZZ_SANITIZE
# is emptied, AddressSanitizer.
# Everything generated lives in FUZZ_DIR, never in the checkout.
FUZZ_CC ?= clang
FUZZ_DIR ?= $(or $(STREAMFLOW_FUZZ_DIR),/tmp/streamflow-fuzz)
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 45
FUZZ_SANITIZE ?= address
FUZZ_SO = $(FUZZ_DIR)/streamflow_fuzz.so
FUZZ_PREINIT = $(if $(findstring address,$(FUZZ_SANITIZE)),$(FUZZ_DIR)/asan_preinit.so)
FUZZ_SRCS = fuzz/streamflow_fuzz.c $(filter-out src/streamflow.c src/worker%.c src/webhook_in.c src/outbound.c src/outbound_http.c src/outbound_store.c src/client_url.c src/source%.c src/hub.c src/live_%.c src/window_engine.c src/window_panes.c src/window_close.c src/window_replay.c src/window_current.c,$(wildcard src/*.c))
FUZZ_RT = $(shell $(FUZZ_CC) -print-file-name=libclang_rt.fuzzer_no_main-$(shell uname -m).a)
FUZZ_CFLAGS = -g -O1 -fPIC -fno-omit-frame-pointer -fno-strict-aliasing -fwrapv \
	-fsanitize=fuzzer-no-link$(if $(FUZZ_SANITIZE),$(,)$(FUZZ_SANITIZE)) \
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-compound-token-split-by-macro -Wno-ignored-attributes \
	$(if $(wildcard src/json_schema.c),-DHAVE_JSON_SCHEMA) $(if $(wildcard src/bindings.c),-DHAVE_BINDINGS) \
	-Isrc -I$(shell $(PG_CONFIG) --includedir-server) $(shell $(PG_CONFIG) --cppflags) -U_FORTIFY_SOURCE
, := ,

.PHONY: fuzz fuzz-smoke fuzz-build

fuzz-build: $(FUZZ_SO) $(FUZZ_PREINIT)

# -Bsymbolic: the coverage callbacks must bind to this module's libFuzzer, not
# to the weak stubs of the ASan runtime preloaded ahead of it.
$(FUZZ_SO): $(FUZZ_SRCS) $(wildcard src/*.h) Makefile
	@test -f "$(FUZZ_RT)" || { echo "libFuzzer not found ($(FUZZ_RT)): make deps" >&2; exit 1; }
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -shared -Wl,-Bsymbolic -o $@ $(FUZZ_SRCS) $(FUZZ_RT) -lstdc++ -lm

# Preloaded after the ASan runtime: see its header comment.
$(FUZZ_DIR)/asan_preinit.so: fuzz/asan_preinit.c
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) -O1 -fPIC -shared -Wall -o $@ $< -ldl

# A long run (FUZZ_SECONDS); the corpus grows in FUZZ_DIR/corpus across runs.
fuzz: deps fuzz-build
	STREAMFLOW_FUZZ_DIR=$(FUZZ_DIR) FUZZ_CC=$(FUZZ_CC) bash scripts/fuzz.sh run $(FUZZ_SECONDS)

# A short run for make test (scripts/test.sh), which has installed the deps.
fuzz-smoke: fuzz-build
	STREAMFLOW_FUZZ_DIR=$(FUZZ_DIR) FUZZ_CC=$(FUZZ_CC) bash scripts/fuzz.sh run $(FUZZ_SMOKE_SECONDS)
