# Convolutional Autoencoders: build, test and maintain the book.
#
#   make book      create .venv (first time), build the site into _build/html with warnings as errors
#   make pdf       the book as one PDF, printed by Debian's Chromium: _build/pdf/convolutional-autoencoders.pdf
#   make test      run every test: notebooks (nbval), book build, browser, helper module, coursework
#   make test-fast every test but notebook execution, the browser and the exercises' answers; with the book build (under a minute)
#   make check NB=notebooks/01_conv2d.ipynb  one chapter's tests and the book build; re-executed and nbval only if its code changed
#   make test-stability  re-execute every chapter under other floating-point paths and compare (before committing a notebook)
#   make lint      ruff: lint src/, tools/, classroom/, tests/ and notebooks/, and check the formatting of the .py files
#   make lock      re-resolve requirements.txt into requirements-lock.txt (exact versions)
#   make execute   re-execute notebooks in place (all, or NB=notebooks/01_conv2d.ipynb)
#   make student   write student versions of the chapters to _build/student/
#   make assignments  write a ready nbgrader course (config, source/<chapter>/) to _build/nbgrader/
#   make book-student build the solution-free site into _build/html-student/
#   make lab       open the notebooks in JupyterLab with the student environment (.venv-student)
#   make wheel     build the course package's wheel into _build/dist
#   make bench     time each notebook, the book build and page loads; write _build/bench.json
#   make evidence  measure every comparison the chapters claim over several seeds; write src/course/evidence.json
#   make bench-class  what grading costs: per student, or a class with CLASS=20 and 1, 2 and 4 workers (as root)
#   make bench-explorer  the latent-space explorer's redraw rate in Chromium while a point is dragged
#   make grade ASSIGNMENT=01_conv2d COURSE=... JOBS=2  autograde a class, each submission in a sandbox (as root)
#   make grade-clean  remove the sandbox accounts and folders that a killed make grade left (as root)
#   make hub       start a JupyterHub on 127.0.0.1 with an instructor and STUDENTS=5 students (make hub-stop)
#   make test-hub  the whole coursework cycle through a hub: release, fetch, submit, grade, feedback (as root)
#   make clean     remove _build, unless it holds a gradebook (make distclean also removes .venv)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The environment is made again when what it is made from changes: the stamp's name holds a digest of these
# files' contents (not their times, which a fresh clone sets anew).
ENV_FILES := Makefile requirements.txt requirements-lock.txt pyproject.toml tools/ipython_kernel_config.py
ENV_DIGEST := $(shell $(PYTHON) -c 'import hashlib, sys; print(hashlib.sha256(b"".join(open(f, "rb").read() for f in sys.argv[1:])).hexdigest()[:16])' $(ENV_FILES))
STAMP  := $(VENV)/.course-installed-$(ENV_DIGEST)
LOCK_VENV ?= _build/lock-venv
NB     ?=
PYTEST_ARGS ?=
# make test runs two pytest workers (the machine's two cores); each test file stays on one worker, so a
# notebook's cells run in order in one kernel. TEST_JOBS=0 runs everything in one process.
TEST_JOBS ?= 2
# Each worker's kernels get their share of the cores for TensorFlow's ops (cores / workers, at least 1): the
# chapters' small networks gain little from a second thread per op, and a kernel that splits every op over
# cores another kernel uses spends CPU time waiting. Measured on 2 cores: chapter 3 alone took 274 s and 319 CPU
# seconds with one thread, 285 s and 381 with two; chapters 4 and 5 side by side took 284 s and 490 CPU seconds
# with one thread each, 299 s and 521 with two.
# The checked outputs do not depend on it: make test-stability compares them under one thread per op and under
# TensorFlow's default. TEST_THREADS=0 leaves TensorFlow's default.
TEST_THREADS ?= $(shell n=$$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1); j=$(TEST_JOBS); \
  if [ "$$j" -gt 0 ] 2>/dev/null; then t=$$((n / j)); echo $$((t > 0 ? t : 1)); else echo 0; fi)
STABILITY_ARGS ?=
BENCH_ARGS  ?=
EVIDENCE_ARGS ?=

# Quieter TensorFlow in the terminal (cells are kept clean by tools/ipython_kernel_config.py).
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONDONTWRITEBYTECODE := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export JUPYTER_PLATFORM_DIRS := 1

# TensorFlow 2.21's wheels exist for CPython 3.10-3.13 on Linux x86_64/aarch64, macOS on Apple silicon and Windows
# x86_64; the course is tested on 3.11. Checked before anything is created.
define PYTHON_CHECK
import platform, sys
if not (3, 11) <= sys.version_info[:2] <= (3, 13):
    sys.exit(f"This Python is {platform.python_version()}: the course needs CPython 3.11, 3.12 or 3.13 (TensorFlow 2.21's wheels), on Linux x86_64/aarch64, macOS on Apple silicon or Windows x86_64 (or WSL). Set PYTHON=python3.13 (or 3.12, 3.11).")
endef
export PYTHON_CHECK

# The one place where the repository's own code goes on the environment's path: a .pth file that puts tools/
# (the book's tools, `python -m coursetools`) and classroom/ (`python -m classroom`) on sys.path of every Python
# of the environment, kernels included. The course package itself is installed (editable) from src/.
define PATH_FILE
import pathlib, sysconfig
folder = pathlib.Path(sysconfig.get_paths()["purelib"])
root = pathlib.Path.cwd().resolve()
(folder / "convolutional-autoencoders-repository.pth").write_text(f"{root / 'tools'}\n{root / 'classroom'}\n")
endef
export PATH_FILE

.PHONY: book pdf wheel site-url student-env test test-fast check notebook-diffs test-stability lint lock execute student assignments book-student lab bench evidence bench-class bench-explorer grade grade-clean hub hub-stop test-hub clean distclean env

env: $(STAMP)

# Notebook changes that a reviewer can read: `git diff`, `git log -p` and `git show` print a notebook as text
# (tools/coursetools/notebook_text.py; .gitattributes names the driver). Set in this repository only, on every make run.
notebook-diffs:
	@git rev-parse --git-dir > /dev/null 2>&1 && git config diff.notebook.textconv "python3 tools/coursetools/notebook_text.py" || true

$(STAMP): | notebook-diffs
	@$(PYTHON) -c "$$PYTHON_CHECK"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip -c requirements-lock.txt
	$(BIN)/python -m pip install --quiet -r requirements.txt -c requirements-lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	$(BIN)/python -c "$$PATH_FILE"
	mkdir -p $(VENV)/etc/ipython
	cp tools/ipython_kernel_config.py $(VENV)/etc/ipython/ipython_kernel_config.py
	rm -f $(VENV)/.course-installed*
	touch $(STAMP)

# SITE_URL: the site's public address, empty by default. With it, each chapter's first cell installs the course
# package from the site on Colab; with REPOSITORY_URL too (a GitHub repository), the chapters get Colab and Binder
# launch buttons.
SITE_URL ?=
REPOSITORY_URL ?=
export SITE_URL REPOSITORY_URL
book: $(STAMP)
	$(BIN)/python -m coursetools build

# Colab's launch button opens the repository's chapters: for their first cell to install the package from the
# site, they carry its address. Write it (no re-execution needed) and commit the chapters.
site-url: $(STAMP)
	$(BIN)/python -m coursetools site-url $(SITE_URL)

# The course package's wheel, into _build/dist/ (the site and the kit carry it; make book builds it too).
wheel: $(STAMP)
	$(BIN)/python -m coursetools wheel --out _build/dist

# The printable edition: every page of the built site printed to A4 by Chromium, joined in the TOC's order.
pdf: book
	$(BIN)/python -m coursetools pdf --html _build/html --out _build/pdf/convolutional-autoencoders.pdf

test: $(STAMP)
	TF_NUM_INTRAOP_THREADS=$(TEST_THREADS) $(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder --durations=15 $(PYTEST_ARGS)

# Not part of make test: it executes every chapter three more times (see tools/coursetools/stability.py).
test-stability: $(STAMP)
	$(BIN)/python -m coursetools stability $(NB) $(STABILITY_ARGS)

# The slow tests but the book build (tests/test_book.py) are left out: notebook execution, the browser, nbgrader
# round trips and the right and wrong answers of every exercise (`make check NB=...` runs one chapter's).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not notebook and not browser" -k "not slow or test_book.py" $(PYTEST_ARGS)

# The editor's loop for one chapter: the book build and the chapter's tests; re-execution and nbval first if its
# code cells or what they run changed since the last commit (a prose edit skips them); then what failed and where
# (tools/coursetools/check.py).
check: $(STAMP)
	$(BIN)/python -m coursetools check $(NB)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Resolved in an empty environment, so that nothing installed here decides a version; pip reads only metadata.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet --dry-run --ignore-installed --report $(LOCK_VENV)/report.json -r requirements.txt
	$(LOCK_VENV)/bin/python -m pip install --quiet packaging uv
	$(LOCK_VENV)/bin/python tools/coursetools/lock.py $(LOCK_VENV)/report.json > $(LOCK_VENV)/lock.txt
	$(LOCK_VENV)/bin/python -m pip install --quiet --dry-run --ignore-installed --report $(LOCK_VENV)/student.json -r requirements-student.txt -c $(LOCK_VENV)/lock.txt
	$(LOCK_VENV)/bin/python tools/coursetools/lock.py $(LOCK_VENV)/student.json requirements-student.txt requirements-student-lock.txt > $(LOCK_VENV)/student-lock.txt
	$(LOCK_VENV)/bin/python tools/coursetools/platforms.py $(LOCK_VENV)/bin/uv requirements.txt:$(LOCK_VENV)/lock.txt requirements-student.txt:$(LOCK_VENV)/student-lock.txt
	mv $(LOCK_VENV)/lock.txt requirements-lock.txt
	mv $(LOCK_VENV)/student-lock.txt requirements-student-lock.txt
	rm -rf $(LOCK_VENV)

execute: $(STAMP)
	$(BIN)/python -m coursetools execute $(NB)

student: $(STAMP)
	$(BIN)/python -m coursetools student

assignments: $(STAMP)
	$(BIN)/python -m coursetools assignments

book-student: $(STAMP)
	$(BIN)/python -m coursetools book-student

# `make lab` runs the chapters in the student environment, .venv-student/: what running them needs and nothing of
# the maintainer's toolchain (requirements-student.txt, about half the size of .venv), the course package from
# src/ (editable) and the kernel configuration. Made again when what it is made from changes, like .venv.
STUDENT_VENV ?= .venv-student
STUDENT_FILES := Makefile requirements-student.txt requirements-student-lock.txt pyproject.toml tools/ipython_kernel_config.py
STUDENT_DIGEST := $(shell $(PYTHON) -c 'import hashlib, sys; print(hashlib.sha256(b"".join(open(f, "rb").read() for f in sys.argv[1:])).hexdigest()[:16])' $(STUDENT_FILES))
STUDENT_STAMP := $(STUDENT_VENV)/.course-installed-$(STUDENT_DIGEST)

$(STUDENT_STAMP):
	@$(PYTHON) -c "$$PYTHON_CHECK"
	@test -x $(STUDENT_VENV)/bin/python || $(PYTHON) -m venv $(STUDENT_VENV)
	$(STUDENT_VENV)/bin/python -m pip install --quiet --upgrade pip -c requirements-student-lock.txt
	$(STUDENT_VENV)/bin/python -m pip install --quiet -r requirements-student.txt -c requirements-student-lock.txt
	$(STUDENT_VENV)/bin/python -m pip install --quiet --no-deps --editable .
	mkdir -p $(STUDENT_VENV)/etc/ipython
	cp tools/ipython_kernel_config.py $(STUDENT_VENV)/etc/ipython/ipython_kernel_config.py
	rm -f $(STUDENT_VENV)/.course-installed*
	touch $(STUDENT_STAMP)

student-env: $(STUDENT_STAMP)

# JupyterLab refuses to run as root unless told to; students do not run as root.
# The chapters are trusted first: JupyterLab runs the stored outputs' scripts (the step-through figures and
# self-check questions) only in a trusted notebook.
lab: $(STUDENT_STAMP)
	$(STUDENT_VENV)/bin/jupyter trust $(wildcard notebooks/*.ipynb)
	$(STUDENT_VENV)/bin/jupyter lab --notebook-dir=notebooks $$(test "$$(id -u)" = 0 && echo --allow-root)

# Grading runs each notebook in namespaces of its own (bubblewrap: apt install bubblewrap) as an unprivileged
# sandbox account, which needs root; it removes the accounts, locks and copies it made when it ends.
# The course folder is named after the course id (coursetools.settings), read when the recipe runs.
COURSE     ?= $(HOME)/courses/$$($(BIN)/python -c 'from coursetools.settings import COURSE_ID; print(COURSE_ID)')
ASSIGNMENT ?= 01_conv2d
JOBS       ?= 2
grade: $(STAMP)
	$(BIN)/python -m classroom grade autograde $(ASSIGNMENT) --course $(COURSE) --jobs $(JOBS)

# What a make grade that was killed left behind (accounts, locks, /var/lib/grading-sandbox), if no grading runs.
grade-clean: $(STAMP)
	$(BIN)/python -m classroom grade clean

# A JupyterHub on 127.0.0.1 for a trial class (classroom/classroom/hub.py): an instructor and STUDENTS students,
# local accounts made by the command, nbgrader's exchange; as root. Its proxy comes from npm (classroom/hub/package.json).
STUDENTS ?= 5
HUB_PORT ?= 8000
HUB_ROOT ?= /srv/convolutional-autoencoders-hub
classroom/hub/node_modules/.package-lock.json: classroom/hub/package.json classroom/hub/package-lock.json
	cd classroom/hub && npm ci --no-audit --no-fund --loglevel=error

hub: $(STAMP) classroom/hub/node_modules/.package-lock.json
	$(BIN)/python -m classroom hub start --students $(STUDENTS) --port $(HUB_PORT) --root $(HUB_ROOT)

hub-stop: $(STAMP)
	$(BIN)/python -m classroom hub stop --root $(HUB_ROOT)

# Not part of make test (several minutes, most of it grading): the whole coursework cycle through a hub.
test-hub: $(STAMP) classroom/hub/node_modules/.package-lock.json
	COURSE_HUB_TEST=1 $(BIN)/python -m pytest classroom/tests/test_hub.py -s --durations=5 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m coursetools bench $(BENCH_ARGS)

# What grading costs (the classroom's benchmark): per student through make grade's sandbox, or, with CLASS=N, a
# class of N graded with 1, 2 and 4 workers (as root).
CLASS ?= 0
bench-class: $(STAMP)
	$(BIN)/python -m classroom bench $(if $(filter-out 0,$(CLASS)),--class $(CLASS)) $(BENCH_ARGS)

# Trains the chapters' decoder shapes briefly (cached in _build/explorer-bench/), writes pages with explorers and
# drags their point in Chromium, with and without a CPU slowed down 4 times; prints redraws a second.
bench-explorer: $(STAMP)
	$(BIN)/python tests/explorer_pages.py bench

# Not part of make test (most of an hour on 2 cores): each experiment of course.experiments over its seeds, with the
# chapters' own functions; writes src/course/evidence.json, which the chapters cite and tests/test_evidence.py keeps
# fresh. EVIDENCE_ARGS="--only 03-sweep" measures some experiments, "--list" says which entries are stale.
evidence: $(STAMP)
	$(BIN)/python -m coursetools evidence $(EVIDENCE_ARGS)

# A course with grades is never deleted by a clean: the live course belongs outside _build/.
clean:
	@found="$$(find _build -name gradebook.db 2>/dev/null)"; if [ -n "$$found" ]; then \
	  echo "make clean: $$found holds grades; move the course out of _build/ (book/instructors.md) or delete it by hand" >&2; \
	  exit 1; fi
	rm -rf _build .pytest_cache

distclean: clean
	rm -rf $(VENV) $(STUDENT_VENV)
