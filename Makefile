# streamflow: PGXS build, test and demo entry points.
EXTENSION = streamflow
EXTVERSION = 0.1.0

MODULE_big = streamflow
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))

DATA = $(wildcard sql/$(EXTENSION)--*.sql)

# pg_regress: one file per feature under sql/, outputs under expected/.
REGRESS = setup streams services ingest bus capture roles retention json_schema bindings pipeline
REGRESS_WORKDIR ?= ./tmp_check
REGRESS_OPTS = --temp-config=test/regress.conf --temp-instance=$(REGRESS_WORKDIR)/instance --outputdir=$(REGRESS_WORKDIR)

PG_CPPFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Isrc
SHLIB_LINK = $(shell pkg-config --libs libwebsockets libuv)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

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

# Benchmarks (never part of make test): side-by-side ratios on a throwaway cluster.
bench: deps
	$(MAKE) -s all
	$(MAKE) -s install >/dev/null
	bash scripts/bench.sh
