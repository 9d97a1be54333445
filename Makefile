# The two quick-start commands: `make demo` (main job) and `make test` (test suite).
# Each creates .venv if needed, installs torch 2.13.0 first (the CPU build; any other spec pulls
# gigabytes of CUDA wheels), then the project, then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.depthlab-installed

.PHONY: demo test lint bench clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test,ray]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/depthlab run all --quick
	$(BIN)/depthlab report

# Debian's headless Chromium for the explore page's browser test (tests/test_lab_explore.py): installed with
# apt when missing and we are root; a failure only means that test is skipped (it says why).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium chromium-driver (apt) for the browser test"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
	       chromium-driver >/dev/null 2>&1; } \
	  || echo "could not install chromium: the browser test will be skipped"; \
	else echo "chromium / chromedriver missing and not root: the browser test will be skipped"; fi

test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f --quick || exit 1; done

clean:
	rm -rf runs report.html explore.html .pytest_cache .hypothesis
