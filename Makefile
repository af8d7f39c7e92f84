# Hearth's two set-up commands: `make run` and `make test`. Both install what is missing
# (Debian packages, llama.cpp from its pinned source, the default models) into a cache
# outside the work tree, skip finished steps, then build.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CACHE ?= $(or $(HEARTH_SETUP_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hearth-setup)
export HEARTH_SETUP_CACHE := $(CACHE)
PYTHON ?= python3
# Six tests at a time: with every test at once, the model-heavy ones starve each other on two
# cores (answers took 5 minutes, deadlines passed); with six the suite takes as long and the
# slowest answer 40 s.
SWIFT_TEST = swift test --skip-build --experimental-maximum-parallelization-width 6
VENV := $(CACHE)/venv-$(shell cat tests/compat/requirements.txt | sha256sum | cut -c1-12)
BENCH_VENV := $(CACHE)/bench-venv-$(shell cat bench/requirements.txt | sha256sum | cut -c1-12)
# LiteLLM's proxy, the peer of bench-gateway (heavy: installed by that target only).
# Playwright, for the browser tests of the web UI (they drive Debian's chromium).
WEB_VENV := $(CACHE)/web-venv-$(shell cat tests/web/requirements.txt | sha256sum | cut -c1-12)
GATEWAY_VENV := $(CACHE)/gateway-venv-$(shell cat bench/gateway-requirements.txt | sha256sum | cut -c1-12)
MODELS ?= smollm2:135m gemma3:270m openwakeword:melspectrogram openwakeword:embedding openwakeword:hey-jarvis openwakeword:alexa openwakeword:hey-mycroft
# Converted from safetensors by hearth itself, so installed once hearth is built.
IMPORTED_MODELS ?= all-minilm:l6-v2 whisper:tiny.en piper-joe:medium
# Commands the build, the knowledge base and the tests need (pdftotext: poppler-utils; tmux drives aish in its live test).
APT_PACKAGES := cmake pkg-config pdftotext:poppler-utils bwrap:bubblewrap tesseract:tesseract-ocr tmux
# Headers the build links against (zlib, for reading the wheels models come in; SQLite;
# libsndfile and libsamplerate, for audio; espeak-ng, for the phonemes of speech).
APT_HEADERS := /usr/include/zlib.h:zlib1g-dev /usr/include/sqlite3.h:libsqlite3-dev \
	/usr/include/sndfile.h:libsndfile1-dev /usr/include/samplerate.h:libsamplerate0-dev \
	/usr/include/espeak-ng/speak_lib.h:libespeak-ng-dev
# JavaScript libraries the web UI embeds at build time (web/vendor.txt names the files).
APT_WEB := /usr/share/javascript/marked/marked.min.js:libjs-marked /usr/share/nodejs/dompurify/dist/purify.min.js:node-dompurify \
	/usr/share/javascript/highlight.js/highlight.min.js:libjs-highlight.js /usr/share/javascript/katex/katex.min.js:libjs-katex
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: redis nats run test setup system llama whisper sherpa wakeword models postgres venv browser web-tests bench-ui bench-venv build build-release unit-tests compat-tests bench-engine bench-knowledge bench-cli bench-gateway bench-tools bench-workers bench-risk bench-voice lint clean help

help:
	@echo "make run           set up, build (release) and serve smollm2:135m on 127.0.0.1:8420"
	@echo "make test          set up, build and run the whole test suite"
	@echo "make unit-tests    only the model-free tests (they start their own PostgreSQL, Redis and NATS)"
	@echo "make web-tests     only the browser tests of the web UI (Playwright + chromium)"
	@echo "make bench-engine  Hearth vs llama-server on the same model and threads"
	@echo "make bench-knowledge  HNSW vs hnswlib, ingestion rate, hybrid query latency (ARGS=--postgres: on PostgreSQL too)"
	@echo "make bench-cli     hearth search as a whole process: through the server vs alone"
	@echo "make bench-ui      the web UI: page weight vs llama-server's, first paint, tokens on screen"
	@echo "make bench-gateway what keys and limits add; Hearth's router vs LiteLLM's proxy (ARGS=--million: memory)"
	@echo "make bench-tools   tool-calling accuracy: Hearth vs llama-server --jinja on 340 cases"
	@echo "make bench-workers tokens/s through one gateway with 1 and 2 workers over NATS, each on a core of its own"
	@echo "make bench-risk    recall of the shell risk check on public lists of dangerous commands"
	@echo "make bench-voice   transcription vs whisper-cli (same source, model, threads); how soon speech starts"

run: setup build-release
	@$(PYTHON) scripts/setup-models.py --hearth .build/release/hearth $(IMPORTED_MODELS)
	.build/release/hearth serve $(ARGS)

test: setup postgres redis nats venv browser
	@scripts/setup-llama.sh --server
	swift build --build-tests
	@$(PYTHON) scripts/setup-models.py --hearth .build/debug/hearth $(IMPORTED_MODELS)
	$(SWIFT_TEST)
	$(VENV)/bin/python -m pytest -q tests/compat
	$(WEB_VENV)/bin/python -m pytest -q tests/web

# Only the browser tests of the web UI (after a build).
web-tests: browser
	$(WEB_VENV)/bin/python -m pytest -q tests/web $(ARGS)

setup: system llama whisper sherpa wakeword models

# Debian packages the build needs; installed only when a command is missing.
system:
	@missing=""; for p in $(APT_PACKAGES); do command -v $${p%%:*} >/dev/null || missing="$$missing $${p##*:}"; done; \
	for h in $(APT_HEADERS) $(APT_WEB); do [ -f "$${h%%:*}" ] || missing="$$missing $${h##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# llama.cpp static libraries, built once per version and CPU; .deps/llama links to them.
llama:
	@scripts/setup-llama.sh
	@mkdir -p .deps && ln -sfn "$$(scripts/setup-llama.sh --prefix)" .deps/llama

# whisper.cpp (speech to text), built once per version and CPU; .deps/whisper links to it.
whisper:
	@scripts/setup-whisper.sh
	@mkdir -p .deps && ln -sfn "$$(scripts/setup-whisper.sh --prefix)" .deps/whisper

# sherpa-onnx (text to speech), unpacked from its wheel; .deps/sherpa links to it.
sherpa:
	@scripts/setup-sherpa.sh
	@mkdir -p .deps && ln -sfn "$$(scripts/setup-sherpa.sh --prefix)" .deps/sherpa

# openWakeWord's models and TensorFlow Lite's C library; .deps/wakeword links to them.
wakeword:
	@scripts/setup-wakeword.sh
	@mkdir -p .deps && ln -sfn "$$(scripts/setup-wakeword.sh --prefix)" .deps/wakeword

models:
	@$(PYTHON) scripts/setup-models.py $(MODELS)

# PostgreSQL 18 with pgvector for the PostgreSQL backend's tests (the tests start it).
postgres:
	@scripts/setup-postgres.sh

# Redis for the tests of what replicas share (the tests start it).
redis:
	@scripts/setup-redis.sh

# The NATS server for the tests of the NATS client (the tests start it).
nats:
	@scripts/setup-nats.sh

# The official Python clients, for compatibility tests and benchmarks.
venv: $(VENV)/.done
$(VENV)/.done: tests/compat/requirements.txt
	@echo "==> creating the Python environment for compatibility tests"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r tests/compat/requirements.txt
	@touch $@

# Debian's chromium and Playwright (driving it, no browser download), for tests/web.
browser: $(WEB_VENV)/.done
	@command -v chromium >/dev/null || { echo "==> installing chromium (browser tests)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
$(WEB_VENV)/.done: tests/web/requirements.txt
	@echo "==> creating the Python environment for browser tests"
	$(PYTHON) -m venv $(WEB_VENV)
	$(WEB_VENV)/bin/pip install -q -r tests/web/requirements.txt
	@touch $@

# The vector-search peer (hnswlib, built from its source package) for bench-knowledge.
bench-venv: $(BENCH_VENV)/.done
$(BENCH_VENV)/.done: bench/requirements.txt
	@echo "==> creating the Python environment for the knowledge benchmark"
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q -r bench/requirements.txt
	@touch $@

build: setup
	swift build

build-release: setup
	swift build -c release --product hearth

# Every model-free test target: all but the *LiveTests targets and the integration tests,
# which need the real models and servers.
unit-tests: setup postgres redis nats
	swift build --build-tests
	$(SWIFT_TEST) --skip 'LiveTests\.|HearthIntegrationTests\.'

compat-tests: setup venv
	swift build --product hearth
	@$(PYTHON) scripts/setup-models.py --hearth .build/debug/hearth $(IMPORTED_MODELS)
	$(VENV)/bin/python -m pytest -q tests/compat

bench-engine: setup venv build-release
	@scripts/setup-llama.sh --server
	$(VENV)/bin/python bench/engine.py --hearth .build/release/hearth \
	  --llama-server "$$(scripts/setup-llama.sh --prefix)/bin/llama-server" $(ARGS)
	$(VENV)/bin/python bench/multimodel.py --hearth .build/release/hearth \
	  --llama-server "$$(scripts/setup-llama.sh --prefix)/bin/llama-server"

bench-knowledge: setup postgres bench-venv build-release
	swift build -c release --product hearth-bench
	@$(PYTHON) scripts/setup-models.py --hearth .build/release/hearth $(IMPORTED_MODELS)
	$(BENCH_VENV)/bin/python bench/knowledge.py --hearth .build/release/hearth --bench .build/release/hearth-bench $(ARGS)

bench-cli: setup build-release
	@$(PYTHON) scripts/setup-models.py --hearth .build/release/hearth $(IMPORTED_MODELS)
	$(PYTHON) bench/cli.py --hearth .build/release/hearth $(ARGS)

# What keys, limits and usage add (bench/gateway.py), then Hearth's router against LiteLLM's
# proxy in front of nginx (bench/gateway_peers.py); nginx and LiteLLM are installed here only.
# The web UI in Debian's chromium: page weight against llama-server's UI, first paint, first
# piece of an answer on screen (ARGS="--screenshots docs/images" for the README's pictures).
bench-ui: setup build-release browser
	@scripts/setup-llama.sh --server
	$(WEB_VENV)/bin/python bench/ui.py --hearth .build/release/hearth \
	  --llama-server "$$(scripts/setup-llama.sh --prefix)/bin/llama-server" $(ARGS)

bench-gateway: setup build-release $(GATEWAY_VENV)/.done
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "==> installing nginx"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx-light >/dev/null; }
	$(PYTHON) bench/gateway.py --hearth .build/release/hearth
	$(PYTHON) bench/gateway_peers.py --hearth .build/release/hearth --litellm-venv $(GATEWAY_VENV) $(ARGS)

$(GATEWAY_VENV)/.done: bench/gateway-requirements.txt
	@echo "==> installing LiteLLM's proxy for bench-gateway"
	$(PYTHON) -m venv $(GATEWAY_VENV)
	$(GATEWAY_VENV)/bin/pip install -q -r bench/gateway-requirements.txt
	@touch $@

bench-tools: setup build-release
	@scripts/setup-llama.sh --server
	$(PYTHON) bench/tools.py --hearth .build/release/hearth \
	  --llama-server "$$(scripts/setup-llama.sh --prefix)/bin/llama-server" $(ARGS)

# Workers over NATS (bench/workers.py): one gateway with one worker, then two, each pinned to
# a core; llama-server on one core for reference.
bench-workers: setup nats build-release
	@scripts/setup-llama.sh --server
	$(PYTHON) bench/workers.py --hearth .build/release/hearth --nats-server "$$(scripts/setup-nats.sh --prefix)" \
	  --llama-server "$$(scripts/setup-llama.sh --prefix)/bin/llama-server" $(ARGS)

bench-voice: setup build-release
	@scripts/setup-whisper.sh --cli
	@$(PYTHON) scripts/setup-models.py --hearth .build/release/hearth whisper:tiny.en piper-joe:medium
	$(PYTHON) bench/voice.py --hearth .build/release/hearth --whisper-cli "$$(scripts/setup-whisper.sh --prefix)/bin/whisper-cli" \
	  --jfk "$$(scripts/setup-whisper.sh --prefix)/jfk.wav" $(ARGS)

bench-risk:
	swift build -c release --product aish
	$(PYTHON) bench/risk.py --aish .build/release/aish $(ARGS)

lint:
	swift format lint --recursive --strict Sources Plugins Tests Package.swift

clean:
	rm -rf .build .deps
