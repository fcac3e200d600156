"""Grade a class with nbgrader so that no submission can rig its score or read what it must not.

    python -m classroom grade autograde --course DIR ASSIGNMENT [--jobs N] [--student ID ...]   # make grade
    python -m classroom grade feedback  --course DIR ASSIGNMENT                                # feedback pages
    python -m classroom grade canvas    --course DIR [--out grades.csv]                        # LMS gradebook
    python -m classroom grade clean                                                            # make grade-clean

Run as root (or with sudo). Every notebook, a student's and the reference run of the source alike, runs in a
sandbox of its own (classroom/sandbox.py): a kernel in its own PID, network, mount, IPC and UTS namespaces
(bubblewrap), as an unprivileged account of its own (``grading-sandbox-1``, ``-2``, ...; one per sandbox running
at a time), that sees the operating system and the course environment read-only, its own folder (a copy of the
submission's files) and a private /tmp and /dev/shm, nothing else: not the course folder with the source and its
hidden tests, the gradebook or other submissions, not another kernel or the grader's processes, sockets and locks.
The grader talks to the kernel over Unix sockets in the sandbox's folder. When a notebook ends, every process it
started ends with it. The kernel has an address-space limit (a submission that exhausts memory fails its own
cells), the notebook a time limit next to nbgrader's per-cell one, and its outputs limits per cell and per
notebook (a submission that hangs, exhausts memory or floods its output is marked, and the others are graded).

A submission reaches the sandbox only through a copy that root makes without following links, of regular files and
folders only, up to SUBMISSION_FILES files and SUBMISSION_BYTES bytes; what is left out is noted in the summary.

Hidden tests that call ``course.grade_equal``/``grade_close``/``grade_member`` record the student's answer as
plain values; the grader compares them, in its own process, with the references that the reference run recorded
(once per assignment, cached in ``<course>/grading/``); the student's kernel gets the hidden tests with every
reference withheld. A graded part passes only if its cell ran without an error in the student's kernel AND every
recorded answer matches, so nothing a submission changes in its kernel (an answer whose ``__eq__`` is always true,
replaced course functions, ``np.allclose`` forced true, overwritten exercise data, a handler that swallows
exceptions) can turn a wrong answer into points. Graded parts whose hidden tests record nothing are graded by the
kernel alone and listed as "kernel only" in the summary. Feedback shows no hidden test: check cells lose their
hidden regions, and every output is cleared of hidden-test text, whatever the kernel printed.

The reference run also stores what each Keras ``fit`` left (classroom/fitcache.py, in
``<course>/grading/<assignment>/weights/``); a student's kernel whose call of ``fit`` has exactly the
reference's inputs gets that state back instead of training, and any other call trains. The summary counts
the reused calls and names, for each call that trained, the part of its inputs that differed.

``autograde`` grades the students in parallel processes (``--jobs``), prints one line per student as it is done
and a summary (scores, time per student, wall time, peak memory of the grading processes). At the end it removes
the sandbox accounts, locks and copies of trained weights it made (``clean`` removes what a run that was killed
left). Where the machine cannot make namespaces it grades one submission at a time, or refuses ``--jobs`` above 1,
and says why.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import html
import json
import os
import pwd
import re
import resource
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from classroom import sandbox
from classroom.sandbox import GradingError, Sandbox
from coursetools import coursework, exercises
from coursetools.settings import GRADING_CELL_TIMEOUT, NOTEBOOK_TIMEOUT

# This file, run as root by its own workers. Always with `python -I`: Python then puts neither the working
# directory nor this file's folder on sys.path; the packages come from the environment (its .pth file).
GRADE_PY = Path(__file__).resolve()
FIT_CACHE_MODULE = GRADE_PY.parent / "fitcache.py"

MAX_WORKERS = sandbox.MAX_ACCOUNTS - 1  # one account is the reference run's
# A notebook's limit (NOTEBOOK_TIMEOUT) and nbgrader's per-cell limit (GRADING_CELL_TIMEOUT, the course config's
# c.Execute.timeout) come from coursetools.settings.
# Address space of a grading kernel. TensorFlow maps about 3 GiB of address space when it is imported and a
# chapter's training adds little to that; 8 GiB leave room for every chapter and stop a runaway allocation
# long before the machine runs out of memory.
MEMORY_LIMIT = 8 * 2**30
MAX_RECORD_BYTES = 64 * 2**20
# Outputs kept per cell and per notebook, in lines and bytes of text (the chapters' largest cell shows about 400 KB
# and 110 lines, a whole chapter 1.2 MB and 1,300 lines); a single message of the kernel above MESSAGE_BYTES is
# refused by the socket before it is read. What is cut is replaced by a note in the cell.
CELL_OUTPUT = (1_000, 2**20)
NOTEBOOK_OUTPUT = (10_000, 8 * 2**20)
MESSAGE_BYTES = 4 * 2**20
ERROR_CHARACTERS = 10_000  # of an error's message and of each line of its traceback, which are always kept
# What a submission brings besides its notebooks (the course package is about 30 files).
SUBMISSION_FILES = 1_000
SUBMISSION_BYTES = 100 * 2**20
MAX_NOTEBOOKS = 100
# What a sandbox kernel keeps of the grader's environment. The settings of TensorFlow's floating-point path
# (threads, oneDNN) are among them: the reference run trains in the grader's environment, and a student's
# kernel reuses its weights only if it would have computed the same way (classroom/fitcache.py keys on them).
KERNEL_ENV = (
    *("LANG", "LC_ALL", "MNIST_NPZ", "TF_CPP_MIN_LOG_LEVEL", "PYTHONDONTWRITEBYTECODE"),
    *("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS"),
    "ONEDNN_MAX_CPU_ISA",
)


def kernel_environment(folder: Path, fit_cache: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a grading kernel in the sandbox whose folder is ``folder``."""
    env = {name: os.environ[name] for name in KERNEL_ENV if name in os.environ}
    env.update(
        MPLCONFIGDIR=str(folder / ".matplotlib"),
        IPYTHONDIR=str(folder / ".ipython"),
        JUPYTER_RUNTIME_DIR=str(folder / ".runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        COURSE_GRADING_RECORD=str(folder / "answers.jsonl"),
    )
    env.update(fit_cache or {})
    return env


def share_font_cache(folder: Path) -> None:
    """Give a sandbox the grader's list of Matplotlib's fonts (its MPLCONFIGDIR), so that the kernel does not build
    one and print "Matplotlib is building the font cache" into the first cell that plots."""
    import matplotlib
    from matplotlib import font_manager  # noqa: F401  (builds the grader's list if it has none)

    (folder / ".matplotlib").mkdir(mode=0o700, exist_ok=True)
    for path in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        sandbox.copy_file(path, folder / ".matplotlib" / path.name)


def data_files() -> list[Path]:
    """Files of the machine a grading kernel reads besides the environment: the MNIST copy that MNIST_NPZ names."""
    path = os.environ.get("MNIST_NPZ")
    return [Path(path)] if path and Path(path).is_file() else []


# --------------------------------------------------------------------------------------------------
# Kernels in the sandbox
# --------------------------------------------------------------------------------------------------


def make_kernel_manager_class():
    import zmq
    import zmq.asyncio
    from jupyter_client.manager import AsyncKernelManager

    class SandboxKernelManager(AsyncKernelManager):
        """Starts the kernel in ``self.sandbox`` (set by ``sandboxed``) and talks to it over Unix sockets in the
        sandbox's folder; a message of the kernel above MESSAGE_BYTES is refused by the client's sockets."""

        sandbox: Sandbox | None = None

        def format_kernel_cmd(self, extra_arguments=None):
            command = super().format_kernel_cmd(extra_arguments)
            if command and Path(command[0]).name.startswith("python"):
                command[0] = self.sandbox.python
            return self.sandbox.command(command)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            self.sandbox.hand_over()
            kw.update(self.sandbox.popen_arguments())
            kw["env"] = dict(kw["env"])
            await super()._async_launch_kernel(kernel_cmd, **kw)
            self.sandbox.started(self.provisioner.process)

        def client(self, **kwargs):
            context = zmq.asyncio.Context()
            context.setsockopt(zmq.MAXMSGSIZE, MESSAGE_BYTES)
            client = super().client(context=context, **kwargs)
            client._created_context = True
            return client

    return SandboxKernelManager


def sandboxed(km, box: Sandbox):
    """Point a SandboxKernelManager at ``box``: the kernel's sockets and connection file in the sandbox's folder,
    and interrupts as messages (a signal would reach bwrap, not the kernel)."""
    km.sandbox = box
    km.transport = "ipc"
    km.ip = str(box.folder / "kernel")
    km.connection_file = str(box.folder / "kernel.json")
    km.kernel_spec.interrupt_mode = "message"
    return km


# --------------------------------------------------------------------------------------------------
# nbgrader preprocessors: execution in the sandbox, verification of the recorded answers
# --------------------------------------------------------------------------------------------------


def error_output(name: str, message: str) -> dict:
    import nbformat

    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def note_output(text: str) -> dict:
    import nbformat

    return nbformat.v4.new_output("stream", name="stderr", text=f"[{text}]\n")


def output_text(content: dict, msg_type: str) -> list[str]:
    if msg_type == "stream":
        return [str(content.get("text", ""))]
    if msg_type == "error":
        return [str(content.get("evalue", "")), *map(str, content.get("traceback", []))]
    return [value if isinstance(value, str) else json.dumps(value) for value in (content.get("data") or {}).values()]


def make_preprocessors():
    """Return the classes SandboxExecute and VerifyAnswers (defined once nbgrader is imported)."""
    import zmq
    from jupyter_core.utils import run_sync
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbgrader.preprocessors import Execute, NbGraderPreprocessor
    from nbgrader.utils import is_grade, is_solution
    from traitlets import Bool, Integer, Unicode

    kernel_manager_class = make_kernel_manager_class()

    class SandboxExecute(Execute):
        """nbgrader's Execute, with the kernel in a sandbox of its own, a time limit for the whole notebook and
        limits on what its outputs keep."""

        sandbox_user = Unicode("").tag(config=True)
        namespaces = Bool(True).tag(config=True)
        notebook_timeout = Integer(NOTEBOOK_TIMEOUT).tag(config=True)
        memory_limit = Integer(MEMORY_LIMIT).tag(config=True)
        fit_cache = Unicode("", help="the shared folder of the reference run's trained weights").tag(config=True)
        # A lost status message (an oversized output dropped by the socket) ends the cell's wait after iopub_timeout
        # instead of stopping the notebook; widgets' state is not kept.
        raise_on_iopub_timeout = Bool(False).tag(config=True)
        store_widget_state = Bool(False).tag(config=True)

        def __init__(self, *args, **kwargs):
            kwargs["kernel_manager_class"] = kernel_manager_class
            super().__init__(*args, **kwargs)

        def create_kernel_manager(self):
            return sandboxed(super().create_kernel_manager(), self._sandbox)

        def on_cell_executed(self, **kwargs):
            super().on_cell_executed(**kwargs)
            self._executed.add(kwargs["cell_index"])

        def _cell_timeout(self, cell):
            remaining = self._deadline - time.monotonic()
            return max(1, int(min(self.timeout or self.notebook_timeout, remaining)))

        # outputs within limits ------------------------------------------------------------------------

        def _cut(self, cell_index: int, reason: str) -> None:
            self._cuts.setdefault(cell_index, reason)

        def _within_limits(self, msg, cell_index: int) -> bool:
            """Count an output against its cell's and the notebook's limits; a stream is cut to what fits, any
            other output that does not fit is dropped (and the cell gets a note), but an error is always kept."""
            content, msg_type = msg["content"], msg["msg_type"]
            if msg_type == "error":  # always kept (nbgrader scores a cell by its errors), shortened to fit
                content["evalue"] = str(content.get("evalue", ""))[:ERROR_CHARACTERS]
                content["traceback"] = [str(line)[:ERROR_CHARACTERS] for line in content.get("traceback", [])[:100]]
                return True
            texts = output_text(content, msg_type)
            size = sum(len(text.encode("utf-8", "replace")) for text in texts)
            lines = sum(text.count("\n") for text in texts)
            used = self._used.setdefault(cell_index, [0, 0])
            room_lines = min(CELL_OUTPUT[0] - used[0], NOTEBOOK_OUTPUT[0] - self._total[0])
            room_bytes = min(CELL_OUTPUT[1] - used[1], NOTEBOOK_OUTPUT[1] - self._total[1])
            if lines > room_lines or size > room_bytes:
                whole = NOTEBOOK_OUTPUT[0] - self._total[0] < CELL_OUTPUT[0] - used[0] or (
                    NOTEBOOK_OUTPUT[1] - self._total[1] < CELL_OUTPUT[1] - used[1]
                )
                limit = NOTEBOOK_OUTPUT if whole else CELL_OUTPUT
                self._cut(
                    cell_index,
                    f"output cut by the grader: the {'notebook' if whole else 'cell'}'s output passed "
                    f"{limit[0]:,} lines or {limit[1] / 2**20:g} MiB; the rest is not kept",
                )
                if msg_type != "stream" or room_lines <= 0 or room_bytes <= 0:
                    return False
                text = texts[0].encode("utf-8", "replace")[:room_bytes].decode("utf-8", "ignore")
                text = "".join(text.splitlines(keepends=True)[:room_lines])
                content["text"] = text
                texts = [text]
                size, lines = len(text.encode()), text.count("\n")
            used[0] += lines
            used[1] += size
            self._total[0] += lines
            self._total[1] += size
            return True

        def process_message(self, msg, cell, cell_index):
            msg_type = msg["msg_type"]
            if msg_type.startswith("comm"):
                return None  # widgets are not graded
            if msg_type in ("stream", "display_data", "execute_result", "error", "update_display_data"):
                if not self._within_limits(msg, cell_index):
                    return None
            return super().process_message(msg, cell, cell_index)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if self._monitor is None and self.kc is not None:
                self._monitor = self.kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
            try:
                return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            finally:
                # An oversized message closes the socket; its status "idle" is then lost too, so a cell that ended
                # without one waits a little for the socket's report.
                # (A markdown cell or an empty one runs nothing and has no status to wait for.)
                ran = cell.get("cell_type") == "code" and bool(cell.get("source", "").strip())
                idle = "iopub.status.idle" in cell.get("metadata", {}).get("execution", {})
                dropped, wait = False, 5000 if ran and not idle else 0
                while self._monitor is not None and await self._monitor.poll(wait):
                    await self._monitor.recv_multipart()
                    dropped, wait = True, 0
                if dropped:  # the socket refused an oversized message and closed: connect it again
                    url = self.kc._make_url("iopub")
                    self.kc.iopub_channel.socket.disconnect(url)
                    self.kc.iopub_channel.socket.connect(url)
                    self._cut(
                        cell_index,
                        f"output cut by the grader: an output of more than {MESSAGE_BYTES / 2**20:g} MiB was "
                        "dropped (this cell's or the one's before), with what was printed while it was on its way",
                    )
                if cell_index in self._cuts:
                    cell.outputs.append(note_output(self._cuts[cell_index]))

        # nbclient binds execute_cell to its own async_execute_cell: bind it to this one
        execute_cell = run_sync(async_execute_cell)

        # the notebook -----------------------------------------------------------------------------------

        def preprocess(self, nb, resources=None, km=None):
            if not self.sandbox_user:
                raise GradingError("SandboxExecute needs a sandbox account (SandboxExecute.sandbox_user)")
            account = pwd.getpwnam(self.sandbox_user)
            notebook = (resources or {}).get("nbgrader", {}).get("notebook", "")
            weights = Path(self.fit_cache) / notebook if self.fit_cache and notebook else None
            fit_cache = {}
            if weights is not None and weights.is_dir():  # the reference run's trained weights, read-only
                fit_cache = {
                    "COURSE_FIT_CACHE": str(weights),
                    "COURSE_FIT_CACHE_MODE": "read",
                    "COURSE_FIT_CACHE_MODULE": str(Path(self.fit_cache) / FIT_CACHE_MODULE.name),
                }
            shared = [Path(self.fit_cache)] if fit_cache else []
            box = Sandbox.create(
                account, [*shared, *data_files()], memory=self.memory_limit, namespaces=self.namespaces
            )
            box.env.update(kernel_environment(box.folder, fit_cache))
            share_font_cache(box.folder)
            if fit_cache:
                box.env["COURSE_FIT_CACHE_LOG"] = str(box.folder / "fit-cache.jsonl")
            folder = (resources or {}).get("metadata", {}).get("path")
            if folder:  # the submission's files (the course package among them), as nbgrader laid them out
                sandbox.copy_tree(Path(folder), box.folder, skip=lambda name: name.endswith(".ipynb"))
            self._sandbox = box
            self._executed, self._used, self._total, self._cuts, self._monitor = set(), {}, [0, 0], {}, None
            for cell in nb.cells:
                if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
                    cell.source = withhold_references(cell.source)
            self._deadline = time.monotonic() + self.notebook_timeout
            self.timeout_func = self._cell_timeout
            stopped = []

            def watchdog():
                stopped.append(f"the notebook's time limit ({self.notebook_timeout} s) was reached")
                box.kill()

            timer = threading.Timer(self.notebook_timeout + 5, watchdog)
            timer.daemon = True
            timer.start()
            try:
                nb, resources = super().preprocess(nb, resources, km)
            except (DeadKernelError, CellTimeoutError, RuntimeError) as error:
                reason = stopped[0] if stopped else f"the kernel stopped ({type(error).__name__}: {error})"
                stopped.append(reason)
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type == "code" and index not in self._executed:
                        cell.outputs = [error_output("GradingStopped", f"not run: {reason}")]
            finally:
                timer.cancel()
                box.end()  # nothing of the sandbox runs past this line: its files can be read
                for index, cell in enumerate(nb.cells):
                    names = {o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"}
                    if "CellTimeoutError" in names:
                        stopped.append(f"cell {index} reached the time limit")
                    if "MemoryError" in names:
                        stopped.append(f"cell {index} reached the memory limit")
                answers = box.read("answers.jsonl", MAX_RECORD_BYTES).decode("utf-8", "replace")
                fits = fit_events(box.read("fit-cache.jsonl", 2**20).decode("utf-8", "replace"))
                box.remove()
            resources.setdefault("grading", {})
            resources["grading"]["answers"] = answers
            resources["grading"]["fits"] = fit_counts(fits)
            resources["grading"]["fit_events"] = fits
            resources["grading"]["stopped"] = stopped[0] if stopped else ""
            resources["grading"]["outputs_cut"] = len(self._cuts)
            return nb, resources

    class VerifyAnswers(NbGraderPreprocessor):
        """Fail every graded cell whose recorded answers do not match the pristine references."""

        reference_file = Unicode("").tag(config=True)

        def preprocess(self, nb, resources):
            references = json.loads(Path(self.reference_file).read_text())["notebooks"]
            notebook = resources["nbgrader"]["notebook"]
            expected = references.get(notebook, {})
            answers = parse_answers(resources.get("grading", {}).get("answers", ""))
            verdicts = {}
            for cell in nb.cells:
                if not is_grade(cell) or is_solution(cell) or cell.cell_type != "code":
                    continue
                grade_id = cell.metadata["nbgrader"]["grade_id"]
                if grade_id not in expected:
                    verdicts[grade_id] = "kernel only"
                    continue
                failure = verify_cell(expected[grade_id], answers)
                verdicts[grade_id] = "failed" if failure else "verified"
                if failure:
                    cell.outputs.insert(0, error_output("AssertionError", failure))
            resources.setdefault("grading", {})["verdicts"] = verdicts
            return nb, resources

    return SandboxExecute, VerifyAnswers


GRADE_CALLS = {"grade_equal": 2, "grade_close": 2, "grade_member": 2}  # name -> position of the reference


def withhold_references(source: str) -> str:
    """Return a check cell's source with the reference of every course.grade_* call in its hidden tests
    replaced by None (and ``withheld=True``): the student's kernel, where a hook could read a cell before it
    runs, never sees a reference; the grader compares the recorded answers with the pristine ones."""
    import ast

    class Withhold(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in GRADE_CALLS:
                position = GRADE_CALLS[name]
                if len(node.args) > position:
                    node.args[position] = ast.Constant(None)
                node.keywords = [k for k in node.keywords if k.arg != "withheld"]
                for keyword in node.keywords:
                    if keyword.arg in ("reference", "allowed"):  # given by name: keep the name, drop the value
                        keyword.value = ast.Constant(None)
                node.keywords.append(ast.keyword("withheld", ast.Constant(True)))
            return node

    def rewrite(match: re.Match) -> str:
        try:
            tree = ast.parse(textwrap.dedent(match.group("body")))
        except SyntaxError:
            return match.group(0)
        start, end = match.start("body") - match.start(), match.end("body") - match.start()
        return match.group(0)[:start] + ast.unparse(Withhold().visit(tree)) + "\n" + match.group(0)[end:]

    return exercises.HIDDEN_TESTS.sub(rewrite, source)


def fit_events(text: str) -> list[dict]:
    """The calls of fit a log of classroom/fitcache.py records: event (hit, miss, stored, not cacheable), detail,
    and the digests of the key's parts (a kernel writes its own log: at most what the caller read of it)."""
    events = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            events.append(
                {
                    "event": str(entry["event"]),
                    "detail": str(entry.get("detail", ""))[:300],
                    "parts": {str(k): str(v) for k, v in dict(entry.get("parts") or {}).items()},
                }
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return events


def fit_counts(events: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in events:
        counts[entry["event"]] = counts.get(entry["event"], 0) + 1
    return counts


def fit_differences(events: list[dict], reference_calls: list[dict]) -> list[str]:
    """For each call of fit that trained, what differed from the reference run's call at the same place:
    the parts of the key (``random``, ``fit.x``, ``model``, ...), or why it could not be looked up."""
    differences = []
    for index, entry in enumerate(events):
        if entry["event"] == "not cacheable":
            differences.append(f"call {index + 1}: not cacheable ({entry['detail']})")
        elif entry["event"] == "miss":
            reference = reference_calls[index] if index < len(reference_calls) else None
            if reference is None:
                differences.append(f"call {index + 1}: the reference run made no such call")
                continue
            parts = sorted(p for p in {*entry["parts"], *reference} if entry["parts"].get(p) != reference.get(p))
            differences.append(f"call {index + 1}: differs in {', '.join(parts) or 'nothing (entry unreadable)'}")
    return differences


def parse_answers(text: str) -> dict[str, list]:
    """Return the student's recorded answers: key -> answers in the order they were recorded."""
    answers: dict[str, list] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("key"), str) and "answer" in entry:
            answers.setdefault(entry["key"], []).append(entry["answer"])
    return answers


def verify_cell(expected: dict[str, list], answers: dict[str, list]) -> str:
    """Return the message of the first reference a cell's answers do not match, or "" if all match (compared by
    the grader's own course package, never a submission's)."""
    from course import grading

    for key, references in expected.items():
        given = answers.get(key, [])
        if len(given) != len(references):
            return references[0]["message"]
        for answer, reference in zip(given, references):
            if not grading.plain_match(
                answer, reference["reference"], reference["kind"], reference["atol"], reference["rtol"]
            ):
                return reference["message"]
    return ""


# --------------------------------------------------------------------------------------------------
# References: one run of the untouched source notebook per assignment, in a sandbox too
# --------------------------------------------------------------------------------------------------


def sha256_of(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def kernel_arguments(course: Path) -> list[str]:
    config = load_config(course)
    return list(config.Execute.get("extra_arguments", [])) if "Execute" in config else []


def reference_run(
    source: Path,
    notebook_name: str,
    extra_arguments: list[str],
    timeout: int,
    account: pwd.struct_passwd,
    namespaces: bool = True,
    weights: Path | None = None,
) -> tuple[dict, list[dict]]:
    """Run a source notebook (solutions and hidden tests) in a sandbox as ``account``; return grade_id -> key ->
    the references its hidden tests recorded, and the calls of fit it stored, whose trained weights are copied to
    ``weights`` (those that students' kernels reuse, see classroom/fitcache.py). Raises GradingError if the solution
    fails its own tests."""
    import nbformat
    from nbclient import NotebookClient
    from nbgrader.utils import is_grade, is_solution

    notebook = nbformat.read(source / notebook_name, as_version=4)
    box = Sandbox.create(account, data_files(), memory=MEMORY_LIMIT, namespaces=namespaces)
    fit_cache = {}
    if weights is not None:
        fit_cache = {
            "COURSE_FIT_CACHE": str(box.folder / "weights"),
            "COURSE_FIT_CACHE_MODE": "write",
            "COURSE_FIT_CACHE_MODULE": str(box.folder / FIT_CACHE_MODULE.name),
            "COURSE_FIT_CACHE_LOG": str(box.folder / "fit-cache.jsonl"),
        }
        sandbox.copy_file(FIT_CACHE_MODULE, box.folder / FIT_CACHE_MODULE.name)
    box.env.update(kernel_environment(box.folder, fit_cache))
    share_font_cache(box.folder)
    sandbox.copy_tree(source, box.folder, skip=lambda name: name.endswith(".ipynb"))
    per_cell: dict[str, dict[str, list]] = {}
    seen = [0]

    def collect(cell, cell_index, execute_reply):
        lines = box.read("answers.jsonl", MAX_RECORD_BYTES).decode("utf-8", "replace").splitlines()
        new, seen[0] = lines[seen[0] :], len(lines)
        if not (is_grade(cell) and not is_solution(cell)):
            return
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise GradingError(
                    f"the source's solution fails its own check {grade_id}: {output.get('ename')}: "
                    f"{output.get('evalue')}; fix the source notebook before grading"
                )
        from course import grading

        for line in new:
            entry = json.loads(line)
            if not grading.plain_match(
                entry["answer"], entry["reference"], entry["kind"], entry["atol"], entry["rtol"]
            ):
                raise GradingError(f"the solution does not match its reference {entry['key']} in {grade_id}")
            per_cell.setdefault(grade_id, {}).setdefault(entry["key"], []).append(
                {k: entry[k] for k in ("kind", "reference", "atol", "rtol", "message")}
            )

    class SandboxClient(NotebookClient):
        def create_kernel_manager(self):
            return sandboxed(super().create_kernel_manager(), box)

    try:
        client = SandboxClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            extra_arguments=extra_arguments,
            resources={"metadata": {"path": str(box.folder)}},
            on_cell_executed=collect,
            kernel_manager_class=make_kernel_manager_class(),
        )
        client.execute()
    finally:
        box.end()
        fits = fit_events(box.read("fit-cache.jsonl", 2**20).decode("utf-8", "replace"))
        if weights is not None and (box.folder / "weights").is_dir() and not (box.folder / "weights").is_symlink():
            sandbox.copy_tree(box.folder / "weights", weights)
        box.remove()
    return per_cell, fits


def references(course: Path, assignment: str, timeout: int, namespaces: bool = True) -> Path:
    """Return the file of the assignment's references, made by a reference run if the source changed."""
    source = course / "source" / assignment
    if not source.is_dir():
        raise GradingError(f"no source folder {source}: run `nbgrader generate_assignment {assignment}` there first")
    digest = sha256_of(source)
    target = course / "grading" / assignment / "references.json"
    weights = target.parent / "weights"
    if target.is_file():
        cached = json.loads(target.read_text())
        if cached.get("source_sha256") == digest and "fits" in cached and weights.is_dir():
            return target
    shutil.rmtree(weights, ignore_errors=True)
    weights.mkdir(parents=True)
    notebooks, fits, calls = {}, {}, {}
    with sandbox.hold_account() as account:
        for path in sorted(source.glob("*.ipynb")):
            notebooks[path.stem], events = reference_run(
                source, path.name, kernel_arguments(course), timeout, account, namespaces, weights / path.stem
            )
            fits[path.stem] = fit_counts(events)
            calls[path.stem] = [entry["parts"] for entry in events]
    target.write_text(
        json.dumps({"source_sha256": digest, "notebooks": notebooks, "fits": fits, "fit_calls": calls}, indent=1)
    )
    return target


def share_fit_cache(course: Path, assignment: str, run: str) -> Path:
    """Copy the reference run's trained weights where this run's sandboxes read them (read-only): a folder of
    root's, modes 0711 and 0644, with classroom/fitcache.py, which a grading kernel loads. An entry opens only with
    the inputs of its call of fit (see classroom/fitcache.py), so a kernel that reads the folder gets nothing it
    could not train itself. Removed when the run ends."""
    weights = course / "grading" / assignment / "weights"
    base = sandbox.root_folder(sandbox.SANDBOX_ROOT / "fit-cache", 0o711)
    target = base / f"{assignment}-{run}"
    if weights.is_dir():
        sandbox.copy_tree(weights, target)
    else:
        target.mkdir()
    sandbox.copy_file(FIT_CACHE_MODULE, target / FIT_CACHE_MODULE.name)
    for directory, _, files in os.walk(target):
        os.chmod(directory, 0o711)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o644)
    return target


# --------------------------------------------------------------------------------------------------
# One student (a worker process)
# --------------------------------------------------------------------------------------------------


def load_config(course: Path):
    """The course's nbgrader_config.py (run by root: it must be a regular file that only its owner, root or the
    course's owner, can change)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = course / "nbgrader_config.py"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Config()
    owner = os.stat(course).st_uid
    if not stat.S_ISREG(info.st_mode) or info.st_uid not in (0, owner) or info.st_mode & 0o022:
        raise GradingError(
            f"{path} must be a regular file that only the course's owner can change (not a link, not writable by "
            "group or others): grading runs it as root"
        )
    return PyFileConfigLoader(path.name, str(course)).load_config()


def grading_config(
    course: Path,
    reference_file: Path,
    account: str,
    notebook_timeout: int,
    memory: int,
    fit_cache: str = "",
    namespaces: bool = True,
    submitted: Path | None = None,
):
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    sandbox_execute, verify_answers = make_preprocessors()
    config = load_config(course)
    config.CourseDirectory.root = str(course)
    if submitted is not None:  # the copy of the submissions that grading reads (see stage_submission)
        config.CourseDirectory.submitted_directory = str(submitted)
    config.Autograde.autograde_preprocessors = [
        sandbox_execute,
        verify_answers,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    config.LimitOutput.max_lines = -1  # SandboxExecute limits the outputs, and notes where; tracebacks stay limited
    config.SandboxExecute.sandbox_user = account
    config.SandboxExecute.namespaces = namespaces
    config.SandboxExecute.notebook_timeout = notebook_timeout
    config.SandboxExecute.memory_limit = memory
    config.SandboxExecute.fit_cache = fit_cache
    config.VerifyAnswers.reference_file = str(reference_file)
    return config, verify_answers


def stage_submission(course: Path, assignment: str, student: str, staging: Path) -> list[str]:
    """Copy a student's submission to ``staging/<student>/<assignment>`` (where nbgrader then reads it): regular
    files and folders only, never through a link; its notebooks (up to MAX_NOTEBOOKS), then other files up to
    SUBMISSION_FILES files and SUBMISSION_BYTES bytes in all; return notes on what was left out."""
    folder = course / "submitted" / student / assignment
    for path in (folder.parent, folder):
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            raise GradingError(f"{path} is not a folder (a link is not followed): nothing of it is graded")
    target = staging / student / assignment
    target.parent.mkdir(mode=0o700, parents=True)

    def notebook(name: str) -> bool:
        return "/" not in name and name.endswith(".ipynb")

    report = sandbox.copy_tree(folder, target, MAX_NOTEBOOKS, None, skip=lambda name: not notebook(name))
    report.files = report.bytes = 0  # notebooks do not count against the limits of other files
    sandbox.copy_tree(folder, target, SUBMISSION_FILES, SUBMISSION_BYTES, skip=notebook, report=report)
    return report.notes()


def grade_student(job: dict) -> dict:
    """Autograde one student's submission in the sandbox; return what happened (run in a worker process)."""
    from nbgrader.apps import NbGraderAPI

    course = Path(job["course"]).resolve()
    start = time.monotonic()
    staging = sandbox.root_folder(sandbox.RUN_DIR, 0o700) / uuid.uuid4().hex
    staging.mkdir(mode=0o700)
    try:
        notes = stage_submission(course, job["assignment"], job["student"], staging)
        with sandbox.hold_account() as account:
            config, verify_answers = grading_config(
                course, Path(job["references"]), account.pw_name, job["notebook_timeout"], job["memory"],
                job["fit_cache"], job["namespaces"], staging,
            )  # fmt: skip
            seen = {}
            original = verify_answers.preprocess
            reference_calls = json.loads(Path(job["references"]).read_text()).get("fit_calls", {})

            def keep(self, nb, resources):  # the verdicts and the stop reason of each notebook, for the summary
                nb, resources = original(self, nb, resources)
                notebook = resources["nbgrader"]["notebook"]
                grading = dict(resources.get("grading", {}), answers=None)
                events = grading.pop("fit_events", [])
                grading["fit_differences"] = fit_differences(events, reference_calls.get(notebook, []))
                seen[notebook] = grading
                return nb, resources

            verify_answers.preprocess = keep
            api = NbGraderAPI(config=config)
            result = api.autograde(job["assignment"], job["student"], force=True, create=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    notes += [f"{name}: outputs of {n['outputs_cut']} cell(s) cut" for name, n in seen.items() if n.get("outputs_cut")]
    outcome = {
        "student": job["student"],
        "success": bool(result.get("success")),
        "seconds": round(time.monotonic() - start, 1),
        "peak_rss_mib": round(
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024
        ),
        "notebooks": seen,
        "notes": notes,
        "error": "" if result.get("success") else (result.get("error") or result.get("log") or "")[-3000:],
    }
    outcome.update(student_score(course, job["assignment"], job["student"]))
    return outcome


def student_score(course: Path, assignment: str, student: str) -> dict:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(
        f"sqlite:///{course / 'gradebook.db'}", load_config(course).CourseDirectory.get("course_id", "")
    ) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return {"score": None, "max_score": None, "late": False}
        return {
            "score": float(submission.score),
            "max_score": float(submission.max_score),
            "late": bool(submission.total_seconds_late > 0),
            "needs_manual_grade": bool(submission.needs_manual_grade),
        }


# --------------------------------------------------------------------------------------------------
# A class
# --------------------------------------------------------------------------------------------------


def lock_down(course: Path) -> None:
    """Make the course folder its owner's alone, so that no sandbox account can open anything in it."""
    if not stat.S_ISDIR(os.lstat(course).st_mode):
        raise GradingError(f"{course} is not a folder")
    os.chmod(course, 0o700)
    database = course / "gradebook.db"
    if database.exists():
        os.chmod(database, 0o600)


def give_back(course: Path) -> None:
    """Give what grading wrote in a course back to the course folder's owner (an instructor's account)."""
    owner = course.stat()
    if owner.st_uid == os.geteuid():
        return
    for path in [course, *course.rglob("*")]:
        if path.lstat().st_uid != owner.st_uid:
            os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)


def check_sandbox_cannot_read(course: Path, namespaces: bool) -> None:
    """Refuse to grade if a sandbox can list the course folder or read its gradebook or source (a probe run in a
    sandbox like a grading kernel's)."""
    probe = (
        "import os, sys\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        open(path, 'rb').close() if os.path.isfile(path) else os.listdir(path)\n"
        "        print(path)\n"
        "    except OSError:\n"
        "        pass\n"
        "print('probe done')\n"
    )
    targets = [course, course / "gradebook.db", course / "source", course / "submitted"]
    with sandbox.hold_account() as account:
        box = Sandbox.create(account, namespaces=namespaces)
        try:
            result = box.run([box.python, "-I", "-c", probe, *map(str, targets)])
        finally:
            box.remove()
    readable = result.stdout.split()[:-2]
    if result.stdout.split()[-2:] != ["probe", "done"]:
        raise GradingError(f"a sandbox cannot run {box.python}: {result.stderr[-500:]}")
    if readable:
        raise GradingError(
            f"a sandbox account can read {readable}: make the course folder private (chmod 700 {course}) and "
            "its parents not writable by others"
        )


def submitted_students(course: Path, assignment: str) -> list[str]:
    folder = course / "submitted"
    return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir()) if folder.is_dir() else []


def roster(course: Path) -> list[str]:
    from nbgrader.api import Gradebook

    if not (course / "gradebook.db").is_file():
        return []
    with Gradebook(
        f"sqlite:///{course / 'gradebook.db'}", load_config(course).CourseDirectory.get("course_id", "")
    ) as gb:
        return sorted(student.id for student in gb.students)


class MemorySampler(threading.Thread):
    """The peak of the summed resident memory of this process and all its descendants."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.running = True

    def run(self):
        import psutil

        me = psutil.Process()
        while self.running:
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.5)


def status_of(outcome: dict) -> str:
    if not outcome.get("success"):
        return "ERROR"
    stopped = [n["stopped"] for n in outcome.get("notebooks", {}).values() if n.get("stopped")]
    if stopped:
        return "STOPPED: " + stopped[0]
    return "late" if outcome.get("late") else "graded"


def fits_of(outcome: dict) -> dict[str, int]:
    """The calls of fit in a student's kernels: reused from the reference run ("hit") or trained."""
    total: dict[str, int] = {}
    for notebook in outcome.get("notebooks", {}).values():
        for event, count in (notebook.get("fits") or {}).items():
            total[event] = total.get(event, 0) + count
    return total


def fits_text(fits: dict[str, int]) -> str:
    reused, trained = fits.get("hit", 0), fits.get("miss", 0) + fits.get("not cacheable", 0)
    return f"fits reused {reused}/{reused + trained}" if reused + trained else ""


def progress_bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else width
    return "#" * filled + "." * (width - filled)


def score_text(outcome: dict) -> str:
    score = outcome.get("score")
    return f"{score:g}/{outcome['max_score']:g}" if score is not None else "-"


def grade_in_worker(job: dict, timeout: float) -> dict:
    """Grade one student in a worker process (``python -I grade.py grade-one``), its job given on stdin so that no
    command line shows it; return its outcome."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    try:
        result = subprocess.run(
            [sys.executable, "-I", str(GRADE_PY), "grade-one"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"student": job["student"], "success": False, "error": "the grading process did not end"}
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"student": job["student"], "success": False, "error": (result.stderr or result.stdout)[-3000:]}
    return json.loads(lines[-1])


def autograde_class(
    course: Path,
    assignment: str,
    students: list[str] | None = None,
    jobs: int = 1,
    notebook_timeout: int = NOTEBOOK_TIMEOUT,
    memory: int = MEMORY_LIMIT,
    out=sys.stdout,
) -> dict:
    """Grade every submission of an assignment (or ``students``) with ``jobs`` parallel workers."""
    sandbox.require_root()
    problem = sandbox.namespaces_problem()
    if problem and jobs > 1:
        raise GradingError(
            f"grading in parallel needs a sandbox in namespaces of its own for each submission, and {problem}: "
            "grade with --jobs 1 (one submission at a time, every process of a submission ended before the next), "
            "or make namespaces possible"
        )
    jobs = max(1, min(jobs, MAX_WORKERS))
    namespaces = not problem
    course = course.resolve()
    lock_down(course)
    check_sandbox_cannot_read(course, namespaces)
    config = load_config(course)
    cell_timeout = (
        int(config.Execute.get("timeout", GRADING_CELL_TIMEOUT)) if "Execute" in config else GRADING_CELL_TIMEOUT
    )
    run = uuid.uuid4().hex[:12]
    start = time.monotonic()
    try:
        reference_file = references(course, assignment, cell_timeout, namespaces)
        fit_cache = share_fit_cache(course, assignment, run)
        reference_seconds = time.monotonic() - start
        summary = grade_submissions(
            course, assignment, students, jobs, notebook_timeout, memory, out, reference_file, fit_cache,
            namespaces, problem, reference_seconds, cell_timeout,
        )  # fmt: skip
    finally:
        shutil.rmtree(sandbox.SANDBOX_ROOT / "fit-cache" / f"{assignment}-{run}", ignore_errors=True)
        removed = sandbox.remove_idle_accounts()
        give_back(course)
    summary["accounts_removed"], summary["run"] = removed, run
    print(
        f"  cleaned up: {len(removed)} sandbox account(s) and their locks removed, the copy of the trained weights "
        "removed (the references and weights stay in the course's grading/ folder)",
        file=out,
    )
    return summary


def grade_submissions(
    course, assignment, students, jobs, notebook_timeout, memory, out, reference_file, fit_cache, namespaces,
    problem, reference_seconds, cell_timeout,
) -> dict:  # fmt: skip
    submitted = submitted_students(course, assignment)
    chosen = students or submitted
    missing = [s for s in (students or roster(course)) if s not in submitted]
    chosen = [s for s in chosen if s in submitted]
    print(
        f"{assignment}: {len(chosen)} submissions, {jobs} worker(s), notebook limit {notebook_timeout} s, "
        f"cell limit {cell_timeout} s, memory limit {memory / 2**30:g} GiB "
        f"(references: {reference_seconds:.0f} s)",
        file=out,
        flush=True,
    )
    if problem:
        print(f"  without namespaces ({problem}): one submission at a time", file=out, flush=True)
    sampler = MemorySampler()
    sampler.start()
    outcomes = []
    grading_start = time.monotonic()

    def job(student: str) -> dict:
        return {"course": str(course), "assignment": assignment, "student": student, "references": str(reference_file),
                "notebook_timeout": notebook_timeout, "memory": memory, "fit_cache": str(fit_cache),
                "namespaces": namespaces}  # fmt: skip

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_in_worker, job(s), notebook_timeout * 4 + 300): s for s in chosen}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            print(
                f"[{progress_bar(len(outcomes), len(chosen))}] {len(outcomes):>3}/{len(chosen)} "
                f"{outcome['student']:<20} {score_text(outcome):>9} {outcome.get('seconds', 0):>6.1f} s  "
                f"{status_of(outcome)}" + (f"  ({fits_text(fits_of(outcome))})" if fits_text(fits_of(outcome)) else ""),
                file=out,
                flush=True,
            )
    wall = time.monotonic() - grading_start
    sampler.running = False
    sampler.join()
    kernel_only = sorted(
        {
            grade_id
            for o in outcomes
            for n in o.get("notebooks", {}).values()
            for grade_id, verdict in n.get("verdicts", {}).items()
            if verdict == "kernel only"
        }
    )
    fits: dict[str, int] = {}
    for outcome in outcomes:
        for event, count in fits_of(outcome).items():
            fits[event] = fits.get(event, 0) + count
    summary = {
        "assignment": assignment,
        "jobs": jobs,
        "namespaces": namespaces,
        "graded": sum(1 for o in outcomes if o.get("success")),
        "errors": [o["student"] for o in outcomes if not o.get("success")],
        "stopped": [o["student"] for o in outcomes if status_of(o).startswith("STOPPED")],
        "late": [o["student"] for o in outcomes if o.get("late")],
        "not_submitted": missing,
        "kernel_only_parts": kernel_only,
        "wall_seconds": round(wall, 1),
        "reference_seconds": round(reference_seconds, 1),
        "seconds_per_student": round(wall / len(outcomes), 1) if outcomes else None,
        "peak_memory_mib": round(sampler.peak / 2**20),
        "fits": fits,
        "students": {o["student"]: o for o in sorted(outcomes, key=lambda o: o["student"])},
    }
    print(
        f"{assignment}: {summary['graded']} graded, {len(summary['errors'])} errors, {len(summary['stopped'])} "
        f"stopped by a limit, {len(summary['late'])} late, {len(missing)} not submitted; "
        f"{wall:.0f} s wall time with {jobs} worker(s) ({summary['seconds_per_student']} s per student), "
        f"peak memory {summary['peak_memory_mib']} MiB"
        + (f"; {fits_text(fits)} (trained weights of the reference run)" if fits_text(fits) else ""),
        file=out,
        flush=True,
    )
    if outcomes:
        width = max(20, *(len(o["student"]) for o in outcomes))
        print(f"  {'student':<{width}} {'score':>9} {'time (s)':>9}  status", file=out)
        for student, outcome in summary["students"].items():
            print(
                f"  {student:<{width}} {score_text(outcome):>9} {outcome.get('seconds', 0):>9.1f}  {status_of(outcome)}",
                file=out,
            )
            for note in outcome.get("notes", []):
                print(f"  {'':<{width}} {'':>9} {'':>9}  note: {note}", file=out)
    if missing:
        print(f"  not submitted: {', '.join(missing)}", file=out)
    for student in summary["errors"]:
        print(f"  error grading {student}: {summary['students'][student]['error'][-500:]}", file=out)
    if kernel_only:
        print(
            f"  graded in the student's kernel only (their hidden tests record no answer): {', '.join(kernel_only)}",
            file=out,
        )
    return summary


def clean() -> list[str]:
    """Remove what grading keeps between runs on this machine and no running grading holds: the sandbox accounts
    and their group, locks, per-run folders and copies of trained weights (make grade-clean)."""
    sandbox.require_root()
    removed = [f"account {name}" for name in sandbox.remove_idle_accounts()]
    if sandbox.SANDBOX_ROOT.is_dir() and not sandbox.sandbox_accounts():
        shutil.rmtree(sandbox.SANDBOX_ROOT)
        removed.append(str(sandbox.SANDBOX_ROOT))
    return removed


# --------------------------------------------------------------------------------------------------
# Feedback without hidden tests; a gradebook for an LMS
# --------------------------------------------------------------------------------------------------

HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
WITHHELD = "[hidden test withheld]"
# A run of this many characters (spaces left out) of a hidden test's code in an output withholds that run.
SHINGLE = 16


class HiddenText:
    """The hidden tests of a notebook's check cells, as the source has them and as the student's kernel got them
    (references withheld), to find in outputs: any SHINGLE characters of their code in a row, spaces left out, a
    run that lies inside one string literal excepted (the failure messages, which feedback shows)."""

    def __init__(self, cells, public=()):
        """``public``: texts every student has (the released notebook, the course package that travels with it);
        a run of hidden-test code that also stands in one of them is no secret, and an output that shows it (a
        self-check question, a visible line of code) is kept."""
        from nbgrader.utils import is_grade

        self.shingles: set[str] = set()
        for cell in cells:
            if cell.get("cell_type") != "code" or not is_grade(cell):
                continue
            for source in {cell.source, withhold_references(cell.source)}:
                for match in exercises.HIDDEN_TESTS.finditer(source):
                    self.add(textwrap.dedent(match.group("body")))
        for text in public:
            squeezed = "".join(text.split())
            self.shingles -= {squeezed[i : i + SHINGLE] for i in range(len(squeezed) - SHINGLE + 1)}

    def add(self, code: str) -> None:
        import io
        import tokenize

        literal = [False] * len(code)
        offsets = [0]
        for line in code.splitlines(keepends=True):
            offsets.append(offsets[-1] + len(line))
        try:
            for token in tokenize.generate_tokens(io.StringIO(code).readline):
                if token.type == tokenize.STRING:
                    start = offsets[token.start[0] - 1] + token.start[1]
                    end = offsets[token.end[0] - 1] + token.end[1]
                    literal[start + 1 : end - 1] = [True] * max(0, end - start - 2)
        except (tokenize.TokenError, IndentationError, SyntaxError):
            pass
        kept = [(char, inside) for char, inside in zip(code, literal) if not char.isspace()]
        text = "".join(char for char, _ in kept)
        for start in range(len(text) - SHINGLE + 1):
            if not all(inside for _, inside in kept[start : start + SHINGLE]):
                self.shingles.add(text[start : start + SHINGLE])

    def found(self, text: str) -> bool:
        squeezed = "".join(text.split())
        return any(marker in text for marker in HIDDEN_MARKERS) or any(
            squeezed[i : i + SHINGLE] in self.shingles for i in range(len(squeezed) - SHINGLE + 1)
        )

    def clear(self, text: str) -> str:
        """``text`` with every run of hidden-test code in it replaced by WITHHELD; an HTML text that holds some
        (perhaps written with entities) is replaced whole."""
        for marker in HIDDEN_MARKERS:
            text = text.replace(marker, WITHHELD)
        positions = [i for i, char in enumerate(text) if not char.isspace()]
        squeezed = "".join(text[i] for i in positions)
        covered = [False] * len(text)
        for i in range(len(squeezed) - SHINGLE + 1):
            if squeezed[i : i + SHINGLE] in self.shingles:
                for j in range(positions[i], positions[i + SHINGLE - 1] + 1):
                    covered[j] = True
        if any(covered):
            pieces, withheld = [], False
            for char, hidden in zip(text, covered):
                if hidden and not withheld:
                    pieces.append(WITHHELD)
                elif not hidden:
                    pieces.append(char)
                withheld = hidden
            text = "".join(pieces)
        if self.found(html.unescape(text)):
            return WITHHELD
        return text


def public_texts(course: Path | None, assignment: str | None, notebook: str | None) -> list[str]:
    """What every student of ``assignment`` has, read from the instructor's source folder (never a student's): the
    notebook without its solution regions and hidden tests, and the text files of the course package beside it."""
    if course is None or not assignment or not notebook:
        return []
    folder = course / "source" / assignment
    texts = []
    path = folder / f"{notebook}.ipynb"
    if path.is_file() and not path.is_symlink():
        for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
            source = "".join(cell.get("source", ""))
            if cell.get("cell_type") == "code":
                source = exercises.SOLUTION_REGION.sub("", exercises.HIDDEN_TESTS.sub("", source))
            texts.append(source)
    package = folder / "course"
    if package.is_dir() and not package.is_symlink():
        texts += [
            file.read_text(encoding="utf-8", errors="replace")
            for file in sorted(package.rglob("*"))
            if file.suffix in {".py", ".js", ".css", ".json"} and file.is_file() and not file.is_symlink()
        ]
    return texts


def make_feedback_preprocessor(course: Path | None = None):
    from nbgrader.preprocessors import NbGraderPreprocessor
    from nbgrader.utils import is_grade

    class HideHiddenTests(NbGraderPreprocessor):
        """Feedback shows a failed hidden test's message, never its code: hidden regions are removed from check
        cells, an error is shown as its name and message without the traceback's code, and every output of every
        cell is cleared of the hidden tests' lines, whatever the kernel printed."""

        def preprocess(self, nb, resources):
            names = resources.get("nbgrader", {})
            hidden = HiddenText(nb.cells, public_texts(course, names.get("assignment"), names.get("notebook")))
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                grade = is_grade(cell)
                if grade:
                    cell.source = exercises.visible(cell.source)
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error" and grade:
                        output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
                    clean_output(output, hidden)
            return nb, resources

    return HideHiddenTests


def clean_output(output: dict, hidden: HiddenText) -> None:
    """Clear one output of hidden-test text: its text, error name, message and traceback, and every data format."""
    if "text" in output:
        output["text"] = hidden.clear(str(output["text"]))
    for key in ("ename", "evalue"):
        if key in output:
            output[key] = hidden.clear(str(output[key]))
    if "traceback" in output:
        output["traceback"] = [hidden.clear(str(line)) for line in output["traceback"]]
    for mime, value in list(output.get("data", {}).items()):
        if isinstance(value, str):
            output["data"][mime] = hidden.clear(value)
        elif hidden.found(json.dumps(value)):
            output["data"][mime] = WITHHELD


def generate_feedback(course: Path, assignment: str, student: str | None = None) -> dict:
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.preprocessors import GetGrades

    config = load_config(course.resolve())
    config.CourseDirectory.root = str(course.resolve())
    config.GenerateFeedback.preprocessors = [
        GetGrades,
        CSSHTMLHeaderPreprocessor,
        make_feedback_preprocessor(course.resolve()),
    ]
    result = NbGraderAPI(config=config).generate_feedback(assignment, student, force=True)
    give_back(course.resolve())
    return result


def canvas_rows(course: Path) -> tuple[list[str], list[dict]]:
    """Return Canvas's gradebook columns and one row per student: one column per assignment and graded
    exercise (``01_conv2d: ex-conv2d-predict``), points as numbers, "not submitted" left empty."""
    rows = coursework.score_rows(course)
    columns: dict[str, float] = {}
    students: dict[str, dict] = {}
    for row in rows:
        column = f"{row['assignment']}: {row['exercise']}"
        columns[column] = columns.get(column, 0.0)
        student = students.setdefault(
            row["student"],
            {
                "Student": row["student"],
                "ID": "",
                "SIS User ID": row["student"],
                "SIS Login ID": row["student"],
                "Section": "",
            },
        )
        if row.get("status", "graded") == "not submitted":
            student.setdefault(column, "")
            continue
        student[column] = (student.get(column) or 0.0) + row["score"]
    maxima: dict[str, float] = {}
    seen = set()
    for row in rows:
        column = f"{row['assignment']}: {row['exercise']}"
        if (column, row["part"]) not in seen:
            seen.add((column, row["part"]))
            maxima[column] = maxima.get(column, 0.0) + row["max_score"]
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *columns]
    points = {"Student": "    Points Possible", **{c: f"{maxima[c]:g}" for c in columns}}
    return header, [points, *(students[s] for s in sorted(students))]


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classroom grade", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("autograde", help="autograde every submission of an assignment in the sandbox")
    grade.add_argument("assignment")
    grade.add_argument("--course", type=Path, required=True)
    grade.add_argument("--jobs", type=int, default=1, help="parallel workers (one sandbox each)")
    grade.add_argument("--student", action="append", help="grade only this student (repeat for more)")
    grade.add_argument("--notebook-timeout", type=int, default=NOTEBOOK_TIMEOUT, help="seconds per notebook")
    grade.add_argument("--memory", type=float, default=MEMORY_LIMIT / 2**30, help="GiB of address space per kernel")
    grade.add_argument("--summary", type=Path, help="write the summary as JSON to this file")
    feedback = commands.add_parser("feedback", help="feedback pages that show hidden tests' messages, not code")
    feedback.add_argument("assignment")
    feedback.add_argument("--course", type=Path, required=True)
    feedback.add_argument("--student")
    canvas = commands.add_parser("canvas", help="per-exercise points as a CSV that Canvas's gradebook imports")
    canvas.add_argument("--course", type=Path, required=True)
    canvas.add_argument("--out", type=Path)
    commands.add_parser("clean", help="remove the sandbox accounts, locks and folders that no grading holds")
    commands.add_parser("grade-one")  # a worker: one student, its job as JSON on stdin; prints a JSON line
    args = parser.parse_args(argv)

    try:
        if args.command == "grade-one":
            print(json.dumps(grade_student(json.loads(sys.stdin.read()))))
        elif args.command == "autograde":
            summary = autograde_class(
                args.course, args.assignment, args.student, args.jobs, args.notebook_timeout, int(args.memory * 2**30)
            )
            if args.summary:
                args.summary.write_text(json.dumps(summary, indent=1))
            return 1 if summary["errors"] else 0
        elif args.command == "feedback":
            result = generate_feedback(args.course, args.assignment, args.student)
            if not result.get("success"):
                print(result.get("error") or result.get("log"), file=sys.stderr)
                return 1
            print(f"wrote the feedback of {args.assignment} to {args.course / 'feedback'}")
        elif args.command == "clean":
            removed = clean()
            print("removed: " + (", ".join(removed) if removed else "nothing (no grading left anything)"))
        elif args.command == "canvas":
            header, rows = canvas_rows(args.course)
            out = open(args.out, "w", newline="") if args.out else sys.stdout
            with contextlib.ExitStack() as stack:
                if args.out:
                    stack.enter_context(out)
                writer = csv.DictWriter(out, fieldnames=header, restval="")
                writer.writeheader()
                writer.writerows(rows)
    except GradingError as error:
        print(f"grade.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
