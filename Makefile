# Two entry points, each doing its own set-up on a fresh machine: `make site` and `make test`;
# `make serve` previews the site while you edit it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: site serve test test-fast browser pango

## Build the bilingual site into site/ on the defaults (extra options: make site ARGS="--weights imagenet").
site: pango $(VENV)/.installed node_modules/.installed
	$(PY) -m generator build $(ARGS)

## Build, serve the site at http://127.0.0.1:8000/ and rebuild it on every edit (make serve ARGS="--port 8001").
serve: pango $(VENV)/.installed node_modules/.installed
	$(PY) -m generator serve $(ARGS)

## Run every test, the browser tests included, one pytest worker per core: what CI runs.
test: pango $(VENV)/.installed-dev browser node_modules/.installed
	$(PY) -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

## Run the tests that start no build, process, kernel re-run or browser of their own: after every change.
test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -n auto --dist worksteal -m "not (build or process or kernel or browser)" $(PYTEST_ARGS)

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# onnxruntime-web, whose files the site ships for the page that runs the model in the reader's browser
# (generator/pipeline/ort_files.py), and axe-core for the accessibility test (tests/test_accessibility.py), at the
# versions package-lock.json pins.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || \
		{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium: test tools cannot download their own browser here. CHROMIUM=/path uses another one.
browser:
	@[ -n "$$CHROMIUM" ] || command -v chromium >/dev/null || \
		{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# Pango and the DejaVu fonts, which WeasyPrint lays the PDFs out with (generator/pdf/): Debian's packages,
# installed only where the library is missing.
pango:
	@{ ldconfig -p | grep -q libpangoft2-1.0 && [ -d /usr/share/fonts/truetype/dejavu ]; } || \
		{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; }
