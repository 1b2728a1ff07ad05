# Two commands on a fresh machine with Python 3.11+:  make run  |  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint types install system-deps bench bench-nation bench-scale clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: set up, migrate ./var/jinbao.db, load the demo data, serve on http://$(HOST):$(PORT)
run: $(STAMP)
	$(BIN)/jinbao db upgrade
	$(BIN)/jinbao demo load
	$(BIN)/jinbao serve --host $(HOST) --port $(PORT)

## make test: lint, types and the whole test suite
test: $(STAMP) system-deps lint types
	$(BIN)/pytest

# The test suite drives a real PostgreSQL, a real Chromium, and reads printed forms back with
# OCR (Tesseract, Simplified Chinese). As root on Debian, install them when missing; otherwise
# say so (those tests then skip, or fail under CI=true). Paper forms need fonts-noto-cjk.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx chi_sim; } \
	  || missing="$$missing tesseract-ocr tesseract-ocr-chi-sim"; \
	{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } \
	  || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: not installed and cannot install (need root and apt-get):$$missing"; \
	  fi; \
	fi

## make bench: the benchmarks (not tests): our hot paths against the raw engine, both engines.
## SIZE sets the scale (persons); make bench SIZE=1000000 for the size the goals are stated at.
SIZE ?= 100000
BENCH_PERSONS ?= $(SIZE)
BENCH_TRANSFERS ?= 300
bench: $(STAMP) system-deps
	for engine in sqlite postgresql; do \
	  $(BIN)/python -m bench.bench_posting --engine $$engine --persons $(BENCH_PERSONS) && \
	  $(BIN)/python -m bench.bench_interest --engine $$engine --persons $$(( $(BENCH_PERSONS) / 2 )) && \
	  $(BIN)/python -m bench.bench_payments --engine $$engine --persons $$(( $(BENCH_PERSONS) / 2 )) && \
	  $(BIN)/python -m bench.bench_transfer --engine $$engine --persons $(BENCH_TRANSFERS) && \
	  $(BIN)/python -m bench.bench_record --engine $$engine --persons $$(( $(BENCH_PERSONS) / 10 )) && \
	  $(BIN)/python -m bench.bench_ledger --engine $$engine --persons $$(( $(BENCH_PERSONS) / 20 )) && \
	  $(BIN)/python -m bench.bench_load --engine $$engine --persons $$(( $(BENCH_PERSONS) / 2 )) || exit 1; \
	done

## make bench-nation: the goals' own size, SIZE persons × 10 years by `jinbao sim generate` on
## BENCH_ENGINE (postgresql), then a person's record, the interest job and the ledger check on it.
## SIZE=1000000 takes about 61 GB of disk and, on a 2-core machine, about 36 minutes to generate
## (session 18) and 15 for the rest.
BENCH_ENGINE ?= postgresql
bench-nation: $(STAMP) system-deps
	$(BIN)/python -m bench.bench_nation --engine $(BENCH_ENGINE) --persons $(SIZE)

## make bench-scale: which read endpoints grow with the nation, timed on nations of
## SCALE_PERSONS and eight times as many (ten years each; about 6 minutes at the default).
SCALE_PERSONS ?= 5000
bench-scale: $(STAMP) system-deps
	$(BIN)/python -m bench.scale_reads --engine $(BENCH_ENGINE) --persons $(SCALE_PERSONS)

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

types: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
