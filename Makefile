# The two commands of the README: `make run` (whole suite locally, demo data) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export DATA_DIR ?= ./var
export AMQP_URI ?= amqp://guest:guest@localhost:5672/
export GATEWAY_PORT ?= 8080

.PHONY: install run lint test test-unit test-cluster migrate bench bench-drop clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt

migrate: install
	$(BIN)/python -m services.common.migrate

run: install
	deploy/ensure-infra.sh broker
	$(BIN)/python -m deploy.rabbitmq.migrate_queues
	$(BIN)/python -m services.common.migrate
	ADMIN_PASSWORD="$${ADMIN_PASSWORD:-admin1234}" WEBHOOK_ALLOW_PRIVATE="$${WEBHOOK_ALLOW_PRIVATE:-1}" PATH="$(abspath $(BIN)):$$PATH" \
		$(BIN)/python -m deploy.supervise

# ruff and mypy (configured in pyproject.toml): seconds, so `make test` runs them before anything slow
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# the suite on TEST_WORKERS processes (pytest-xdist), a test file whole on one, the tests that start stacks of
# their own one at a time (tests/conftest.py, run_order); each worker that needs a stack starts its own (own
# vhost, databases and ports), so the workers share nothing but the servers. Beside it, in a pytest of their own,
# the three-node broker tests (`cluster`: they mostly wait on private nodes starting, failing over and rejoining;
# one after the suite they took CI to 27 of its 30 minutes), their report printed after the suite's
TEST_WORKERS ?= 2
CLUSTER_TESTS = -m cluster tests/faults/test_cluster_rpc_failover.py tests/faults/test_cluster_node_killed.py
test: lint
	deploy/ensure-infra.sh broker postgres
	deploy/ensure-browser.sh
	@mkdir -p var
	@$(BIN)/python -m pytest -q -p no:cacheprovider --basetemp=var/pytest-cluster $(CLUSTER_TESTS) \
		> var/test-cluster.log 2>&1 & cluster=$$!; trap 'kill $$cluster 2>/dev/null' INT TERM; \
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=25; suite=$$?; \
	wait $$cluster; clustered=$$?; echo "== the three-node broker tests, run beside the suite:"; \
	cat var/test-cluster.log; exit $$(( suite || clustered ))

test-cluster: install
	deploy/ensure-infra.sh broker postgres
	$(BIN)/python -m pytest -q $(CLUSTER_TESTS)

test-unit: install
	$(BIN)/python -m pytest -q tests/unit tests/service

# every benchmark of tests/bench/README.md in turn; the chain-sized databases stay (make bench-drop)
BENCH_LARGE ?= 1
bench: install
	deploy/ensure-infra.sh broker postgres
	$(BIN)/python -m tests.bench.rpc_hop
	$(BIN)/python -m tests.bench.gateway_read
	$(BIN)/python -m tests.bench.gateway_write
	$(BIN)/python -m tests.bench.event_propagation
	$(BIN)/python -m tests.bench.scale_out
	$(BIN)/python -m tests.bench.memory
	$(BIN)/python -m tests.bench.idle
	$(BIN)/python -m tests.bench.photo_upload
	$(BIN)/python -m tests.bench.customer_channel
	$(BIN)/python -m tests.bench.chain_seed --scale 0.01 --keep-existing
	$(BIN)/python -m tests.bench.chain_seed --scale $(BENCH_LARGE) --keep-existing
	$(BIN)/python -m tests.bench.chain_queries --small 0.01 --large $(BENCH_LARGE) --explain

bench-drop:
	$(BIN)/python -m tests.bench.chain_seed --scale 0.01 --drop
	$(BIN)/python -m tests.bench.chain_seed --scale $(BENCH_LARGE) --drop

clean:
	rm -rf $(VENV) var
