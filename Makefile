# Two commands do all set-up on a fresh machine (Python 3.11+, pip, make):
#   make demo   - create .venv, install the base tool and the 'demo' extra from the lock, run the embedded demo
#   make test   - install every extra and the dev tools from the lock, ruff, mypy --strict (src and tests), the
#                 whole test suite with its coverage floor, then package-check (the wheel alone in a clean venv)
#                 and the docs site (mkdocs --strict)
# Installs are pinned with hashes: requirements/{base,demo,dev}.txt, compiled from pyproject.toml by `make lock`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
LOCKS := requirements
PACKAGE_CHECK := build/package-check

.PHONY: install dev demo test lint typecheck unit fast integration faults service browser coverage bench lock \
	upgrade package-check docs clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

# One sentinel per lock: the pinned dependencies with their hashes, then the project itself (no dependencies).
$(VENV)/.installed-%: $(BIN)/python pyproject.toml $(LOCKS)/%.txt
	$(PIP) install --require-hashes -r $(LOCKS)/$*.txt
	$(PIP) install --no-deps -e .
	touch $@

install: $(VENV)/.installed-base
dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed-demo
	$(BIN)/s3-storage-analyser demo

lint: dev
	$(BIN)/ruff check src tests benchmarks .ci docs/hooks
	$(BIN)/ruff format --check src tests benchmarks .ci docs/hooks

typecheck: dev
	$(BIN)/mypy --strict src tests

# Tests by level (docs/development.md): tests/unit is pure code, in seconds; `make fast` is every level but
# the tests marked slow (over ~3 s each); `make integration`, `make faults`, `make service`, `make browser` run
# one level. tests/browser drives Debian's headless Chromium (/usr/bin/chromium, `apt-get install chromium`;
# .ci/run installs it): without it those tests are skipped, or fail under CI=true.
unit: dev
	$(BIN)/pytest -n 2 -q -m "not slow" tests/unit

fast: dev
	$(BIN)/pytest -n 2 -q -m "not slow"

integration faults service browser: dev
	$(BIN)/pytest -n 2 -q tests/$@

# The whole suite with the coverage report: fails under the floor ([tool.coverage.report] in pyproject.toml).
coverage: dev
	$(BIN)/pytest -n 2 -q --cov --cov-report=term --durations=20

test: lint typecheck coverage package-check docs

# The documentation site from docs/ into site/; --strict fails on a broken link or anchor, or a stale page.
# Needs no network: no web fonts, no CDN, no plugin that downloads (mkdocs.yml).
docs: dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# The sdist and the wheel (built from the sdist), the wheel alone in a clean venv with the base lock:
# no extra pulled, `s3sa --version`, a CloudWatch report against moto, the missing-extra messages.
# `pip install --no-index` after the lock: the wheel's own requirements must all be in the base lock.
package-check: dev
	rm -rf $(PACKAGE_CHECK) && mkdir -p $(PACKAGE_CHECK)
	$(BIN)/python -m build --outdir $(PACKAGE_CHECK)/dist . > $(PACKAGE_CHECK).log 2>&1 || (cat $(PACKAGE_CHECK).log; exit 1)
	$(PYTHON) -m venv $(PACKAGE_CHECK)/venv
	$(PACKAGE_CHECK)/venv/bin/python -m pip --disable-pip-version-check -q install --require-hashes -r $(LOCKS)/base.txt
	$(PACKAGE_CHECK)/venv/bin/python -m pip --disable-pip-version-check -q install --no-index $(PACKAGE_CHECK)/dist/*.whl
	$(PACKAGE_CHECK)/venv/bin/python -m pip --disable-pip-version-check check
	$(BIN)/python .ci/package_check.py $(PACKAGE_CHECK)/dist $(PACKAGE_CHECK)/venv

bench: dev
	$(BIN)/python benchmarks/listing.py

# Re-compile the locks from pyproject.toml, keeping every pin that still fits (after a change of
# dependencies); `make upgrade` moves every pin to the newest release. base and demo are compiled under
# dev's pins, so the three locks agree. Each pin says why it is there ("via ..."). The project itself comes
# from `pip install --no-deps -e .`, not from a lock: sed drops pip-compile's note that it is not pinned.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --resolver=backtracking \
	--generate-hashes --strip-extras --annotation-style=split --unsafe-package s3-storage-analyser \
	--no-emit-find-links --no-emit-index-url --no-emit-trusted-host
lock: $(BIN)/python
	$(PIP) install pip-tools
	$(PIP_COMPILE) $(UPGRADE) --extra dev -o $(LOCKS)/dev.txt pyproject.toml
	$(PIP_COMPILE) -c $(LOCKS)/dev.txt -o $(LOCKS)/base.txt pyproject.toml
	$(PIP_COMPILE) -c $(LOCKS)/dev.txt --extra demo -o $(LOCKS)/demo.txt pyproject.toml
	sed -i '/^# WARNING: The following packages were not pinned/,/^# s3-storage-analyser$$/d' $(LOCKS)/*.txt

upgrade:
	$(MAKE) lock UPGRADE=--upgrade

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage build dist site *.egg-info src/*.egg-info
