# Convolutional Autoencoders: build, test and maintain the book.
#
#   make book      create .venv (first time), build the site into _build/html with warnings as errors
#   make test      run every test: notebooks (nbval), book build, browser, helper module, coursework
#   make execute   re-execute notebooks in place (all, or NB=notebooks/01_conv2d.ipynb)
#   make student   write student versions of the chapters to _build/student/
#   make lab       open the notebooks in JupyterLab with the course environment
#   make bench     time each notebook, the book build and page loads; write _build/bench.json
#   make clean     remove _build (make distclean also removes .venv)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
NB     ?=
PYTEST_ARGS ?=
BENCH_ARGS  ?=

# Quieter TensorFlow in the terminal (cells are kept clean by tools/ipython_kernel_config.py).
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONDONTWRITEBYTECODE := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export JUPYTER_PLATFORM_DIRS := 1

.PHONY: book test execute student lab bench clean distclean env

env: $(STAMP)

$(STAMP): requirements.txt tools/ipython_kernel_config.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11 (or newer)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	mkdir -p $(VENV)/etc/ipython
	cp tools/ipython_kernel_config.py $(VENV)/etc/ipython/ipython_kernel_config.py
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --path-output . --all -W -n --keep-going
	@echo "The book is at: $(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

execute: $(STAMP)
	$(BIN)/python tools/execute.py $(NB)

student: $(STAMP)
	$(BIN)/python tools/student.py --out _build/student

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)
	$(BIN)/python tools/bench.py --out _build/bench.json $(BENCH_ARGS)

clean:
	rm -rf _build .pytest_cache

distclean: clean
	rm -rf $(VENV)
