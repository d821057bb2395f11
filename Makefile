# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT := build/demo

.PHONY: demo test pg-deps mariadb-deps flink-example bench bench-analyzer bench-compile bench-decisions bench-restart clean soak

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,flink,postgres,mysql]'
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p $(DEMO_OUT)
	$(BIN)/pruner analyze examples/ecommerce/plugins examples/reference/plugins
	$(BIN)/pruner compile examples/reference/job.yaml
	$(BIN)/pruner compile examples/ecommerce/job.yaml
	@echo; echo "== the four reference decisions of DESIGN.md =="
	$(BIN)/pruner explain compiled_plans/reference.plan --source items --changed a
	$(BIN)/pruner explain compiled_plans/reference.plan --source items --changed b
	$(BIN)/pruner explain compiled_plans/reference.plan --source sellers --changed c
	$(BIN)/pruner explain compiled_plans/reference.plan --source items --changed f
	@echo; echo "== an inventory update on the ecommerce job =="
	$(BIN)/pruner explain compiled_plans/ecommerce.plan --source items --changed inventory
	@echo; echo "== replaying the bundled ecommerce CDC stream, pruned =="
	$(BIN)/pruner replay examples/ecommerce/job.yaml --plan compiled_plans/ecommerce.plan \
	    --input examples/ecommerce/stream.debezium.jsonl --format debezium-json \
	    --sink-out $(DEMO_OUT)/sink.pruned.jsonl --stats-out $(DEMO_OUT)/stats.pruned.json
	@echo; echo "== the same stream with every unit on every message (the baseline) =="
	$(BIN)/pruner replay examples/ecommerce/job.yaml --plan compiled_plans/ecommerce.plan \
	    --input examples/ecommerce/stream.debezium.jsonl --format debezium-json --mode full --quiet \
	    --sink-out $(DEMO_OUT)/sink.full.jsonl --stats-out $(DEMO_OUT)/stats.full.json
	@$(BIN)/python -c "import json; p, f = (json.load(open('$(DEMO_OUT)/stats.' + m + '.json')) for m in ('pruned', 'full')); \
	  run = lambda s: sum(u['run'] for u in s['units'].values()); \
	  print(f\"units run: pruned {run(p):,} vs full {run(f):,} ({1 - run(p) / run(f):.1%} less work); engine time {p['seconds']:.3f}s vs {f['seconds']:.3f}s\")"
	@echo "sink tables and stats in $(DEMO_OUT)/"

# The live-CDC tests run a real PostgreSQL 15 with the wal2json plugin (Debian packages);
# install them when missing (as root, or through sudo).
PG15 := /usr/lib/postgresql/15
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
pg-deps:
	@if [ ! -x $(PG15)/bin/initdb ] || [ ! -f $(PG15)/lib/wal2json.so ]; then \
	    echo "installing postgresql-15 and postgresql-15-wal2json with apt-get"; \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 postgresql-15-wal2json \
	    || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 postgresql-15-wal2json; }; \
	fi

# The binlog tests run a real MariaDB 10.11 server (Debian's mariadb-server), started by the
# tests in a temp folder; install it when missing.
mariadb-deps:
	@if [ ! -x /usr/sbin/mariadbd ] || ! command -v mariadb-install-db > /dev/null; then \
	    echo "installing mariadb-server with apt-get"; \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server \
	    || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server; }; \
	fi

test: $(STAMP) pg-deps mariadb-deps
	$(BIN)/python -m pytest -q

# The ecommerce job on a local Flink mini-cluster (plugin_sdk.flink), pruned, with keyed state.
flink-example: $(STAMP)
	$(BIN)/python examples/flink/run_ecommerce.py

# The benchmark report: benchmarks/results/latest.md (+ .json, PNG charts). About 5 minutes.
bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-analyzer: $(STAMP)
	$(BIN)/python benchmarks/analyzer_speed.py

bench-compile: $(STAMP)
	$(BIN)/python benchmarks/compile_scaling.py

bench-decisions: $(STAMP)
	$(BIN)/python benchmarks/decision_overhead.py

# Restart time of `pruner follow` after 1,500 and 10,500 transactions, with and without snapshots.
bench-restart: $(STAMP)
	$(BIN)/python benchmarks/follow_restart.py

# The differential oracles (pruned == stateless == full == batch on random jobs and streams)
# with many examples and a random seed: not derandomized (CI=true would be). SEED=N runs one
# seed again; SOAK_EXAMPLES=N is the main oracle's example count (the SQLite, keyed, dedup and
# snapshot oracles run N/5, N/3, N/3 and N/3 more, the analyzer's two generated-module
# properties N/2 each, `pruner diff` against execution on random edits N/2, `pruner backfill`
# and the plan switch against execution on random edits N/2, and the decoder fuzzer
# FUZZ_EXAMPLES=N/2 for each of the six CDC formats: 1,100 gives 7,918 in all). A failing oracle example is written to
# build/soak-failures/<test>-<job>-<digest>/ as a fixture folder (job.yaml, plugins/,
# stream.json) with a CDC file for `pruner replay`, reproduce.sh and README.md: copy it to
# tests/runtime/fixtures/oracle/ to keep it as a regression example. Then `pruner follow` is
# killed with SIGKILL SOAK_FOLLOW_KILLS times (default 40) under a live workload, with the
# same seed, into a sink file and into a PostgreSQL table, from PostgreSQL and from a MariaDB
# binlog, whose run also restarts both databases under the follower (tests/pg/test_follow_crash.py,
# tests/pg/test_pg_sink.py, tests/mysql/test_binlog.py; FOLLOW_KILLS, FOLLOW_SEED). Niced.
SOAK_EXAMPLES ?= 1100
SOAK_FOLLOW_KILLS ?= 40
SOAK_FAILURES := build/soak-failures
soak: $(STAMP) pg-deps mariadb-deps
	@mkdir -p $(SOAK_FAILURES); \
	seed="$(SEED)"; [ -n "$$seed" ] || seed=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); \
	n=$(SOAK_EXAMPLES); total=$$((n + n / 5 + n / 3 + n / 3 + n / 3 + n + n / 2 + n / 2 + 6 * (n / 2))); start=$$(date +%s); \
	touch $(SOAK_FAILURES)/.started; \
	echo "soak: seed $$seed, ORACLE_EXAMPLES=$$n: $$total examples in all, $(SOAK_FOLLOW_KILLS) kills of pruner follow (again: make soak SEED=$$seed SOAK_EXAMPLES=$$n)"; \
	CI= ORACLE_EXAMPLES=$$n ORACLE_SEED=$$seed ORACLE_FAILURES="$(abspath $(SOAK_FAILURES))" \
	nice $(BIN)/python -m pytest -q --hypothesis-seed=$$seed --hypothesis-show-statistics \
	    tests/runtime/test_oracle.py \
	    tests/runtime/test_keyed.py::test_keyed_stages_give_the_full_sink_in_any_delivery_order \
	    tests/runtime/test_keyed.py::test_keyed_dedup_never_changes_the_sink \
	    tests/runtime/test_dedup.py::test_dedup_never_changes_the_sink \
	    tests/runtime/test_snapshot.py::test_an_engine_loaded_from_a_snapshot_goes_on_exactly \
	    && CI= ANALYZER_EXAMPLES=$$((n / 2)) nice $(BIN)/python -m pytest -q --hypothesis-seed=$$seed \
	    tests/transform/test_property.py::test_generated_modules_sound_and_exact \
	    tests/transform/test_property.py::test_execution_oracle \
	    && CI= DIFF_EXAMPLES=$$((n / 2)) BACKFILL_EXAMPLES=$$((n / 2)) nice $(BIN)/python -m pytest -q \
	    --hypothesis-seed=$$seed --hypothesis-show-statistics \
	    tests/test_diff.py::test_the_diff_never_misses_a_field_an_edit_changes \
	    tests/test_backfill.py::test_old_sink_plus_backfill_equals_a_full_run_of_the_new_code \
	    && CI= FUZZ_EXAMPLES=$$((n / 2)) nice $(BIN)/python -m pytest -q --hypothesis-seed=$$seed \
	    tests/cdc/test_fuzz.py::test_bad_lines_are_dead_letters_and_good_lines_decode_as_alone \
	    tests/cdc/test_fast_paths.py \
	    && CI= FOLLOW_KILLS=$(SOAK_FOLLOW_KILLS) FOLLOW_SEED=$$seed nice $(BIN)/python -m pytest -q -s \
	    tests/pg/test_follow_crash.py tests/pg/test_pg_sink.py::test_sigkill_at_random_moments_leaves_the_table_exact \
	    tests/mysql/test_binlog.py::test_sigkills_and_database_restarts_leave_the_table_exact; \
	status=$$?; \
	echo "soak: seed $$seed, $$total examples, $$(($$(date +%s) - start)) s, pytest exit status $$status"; \
	kept=$$(find $(SOAK_FAILURES) -mindepth 1 -maxdepth 1 -type d -newer $(SOAK_FAILURES)/.started); \
	if [ -n "$$kept" ]; then echo "soak: failing examples kept (see README.md in each):"; echo "$$kept" | sed 's/^/  /'; fi; \
	exit $$status

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
