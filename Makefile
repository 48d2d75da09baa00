# MeetDesk: `make run` sets up .venv and starts MeetDesk; `make test` sets up with dev extras and runs
# every check. Both install what they need on a fresh machine (Python 3.11 + the system libraries below).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Shared libraries the wheels load at run time, and the Debian packages that provide them (the last row: QtMultimedia's
# FFmpeg plugin and its PulseAudio output, which loads and plays muted where no sound server or card exists).
SYSTEM_LIBS := libportaudio.so.2:libportaudio2 libxcb-cursor.so.0:libxcb-cursor0 libEGL.so.1:libegl1 \
               libxkbcommon-x11.so.0:libxkbcommon-x11-0 libGL.so.1:libgl1 libfontconfig.so.1:libfontconfig1 \
               libdbus-1.so.3:libdbus-1-3 libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1 \
               libxcb-shape.so.0:libxcb-shape0 libxcb-xinerama.so.0:libxcb-xinerama0 \
               libxcb-randr.so.0:libxcb-randr0 libxcb-image.so.0:libxcb-image0 \
               libxcb-render-util.so.0:libxcb-render-util0 \
               libpulse.so.0:libpulse0 libXrandr.so.2:libxrandr2 libXext.so.6:libxext6 libX11.so.6:libx11-6 \
               libdrm.so.2:libdrm2

.PHONY: run test lint format system-deps test-deps clean

run: system-deps $(VENV)/.installed
	$(BIN)/meetdesk

test: system-deps test-deps $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest
	# the store's SQL must be portable: the in-process integration tests again, on PostgreSQL
	tests/postgres.sh $(BIN)/pytest -q -m "not slow" tests/integration

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Designer forms (ui/*.ui) and resources (resources/meetdesk.qrc) -> meetdesk/ui/forms/, meetdesk/_rc.py; only what is stale
.PHONY: forms
forms: $(VENV)/.installed
	$(BIN)/python ui/build.py

system-deps:
	@missing=""; \
	for pair in $(SYSTEM_LIBS); do \
	  lib=$${pair%%:*}; pkg=$${pair##*:}; \
	  ldconfig -p 2>/dev/null | grep -q "$$lib" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system libraries:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "MeetDesk needs these system libraries:$$missing"; \
	    echo "Install them with:  sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

# PostgreSQL for the portability pass of `make test` (installed when root, else the pass says why it did not run).
test-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing PostgreSQL for the portability tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

$(VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required (python3.11 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The virtual-background model (from the pinned mediapipe wheel on PyPI); offline, MeetDesk runs without it.
FETCH_MODEL := $(BIN)/python -m meetdesk.client.effects.model || echo "Virtual backgrounds stay off until \
  the segmentation model is fetched (the app says why): run $(BIN)/python -m meetdesk.client.effects.model online."

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	$(FETCH_MODEL)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	$(FETCH_MODEL)
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
