"""Grade a class with nbgrader so that no submission can rig its score or read what it must not.

    python -m classroom grade autograde --course DIR ASSIGNMENT [--jobs N] [--student ID ...]   # make grade
    python -m classroom grade feedback  --course DIR ASSIGNMENT                                # feedback pages
    python -m classroom grade canvas    --course DIR [--out grades.csv]                        # LMS gradebook

Run as root (or with sudo): every submission runs in a kernel of its own, as an unprivileged account
(``nbgrader-sandbox-1``, ``-2``, ..., one per parallel worker, created on first use), in a private folder
that holds a copy of the submission's folder and nothing else. The course folder is made private to its
owner (mode 0700), so the kernel can open neither the source with its hidden tests, nor other students'
submissions, nor the gradebook. The kernel has an address-space limit (a submission that exhausts memory
fails its own cells) and the notebook a time limit next to nbgrader's per-cell one (a submission that hangs
loses the cells it did not finish, and the others are graded).

Hidden tests that call ``course.grade_equal``/``grade_close``/``grade_member`` record the student's answer as
plain values; the grader compares them, in its own process, with the references that a run of the
untouched source notebook recorded (once per assignment, cached in ``<course>/grading/``). A graded part
passes only if its cell ran without an error in the student's kernel AND every recorded answer matches, so
nothing a submission changes in its kernel (an answer whose ``__eq__`` is always true, replaced course
functions, ``np.allclose`` forced true, overwritten exercise data, a handler that swallows exceptions) can
turn a wrong answer into points. Graded parts whose hidden tests record nothing are graded by the kernel
alone and listed as "kernel only" in the summary.

The reference run also stores what each Keras ``fit`` left (classroom/fitcache.py, in
``<course>/grading/<assignment>/weights/``); a student's kernel whose call of ``fit`` has exactly the
reference's inputs gets that state back instead of training, and any other call trains. The summary counts
the reused calls and names, for each call that trained, the part of its inputs that differed.

``autograde`` grades the students in parallel processes (``--jobs``), prints one line per student as it is
done and a summary (scores, time per student, wall time, peak memory of the grading processes); a
submission that hangs or exhausts memory is marked and the others are graded.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import grp
import hashlib
import json
import os
import pwd
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from coursetools import coursework, exercises
from coursetools.settings import ROOT

# This file, run as root by its own workers and kernel commands. Always with `python -I`: Python then puts neither
# the working directory (a submission's folder) nor this file's folder on sys.path, so that nothing a submission
# holds is imported by root; the packages come from the environment (the course environment's .pth file).
GRADE_PY = Path(__file__).resolve()
FIT_CACHE_MODULE = GRADE_PY.parent / "fitcache.py"

SANDBOX_GROUP = "nbgrader-sandbox"
SANDBOX_PREFIX = "nbgrader-sandbox-"
SANDBOX_ROOT = Path("/var/lib/nbgrader-sandbox")
MAX_WORKERS = 32
# The notebook's limit next to nbgrader's per-cell limit (c.Execute.timeout, 720 s in the course's config):
# the longest chapter runs in 2-5 minutes on a 2-core CPU; 30 minutes leave the same margin as the cell limit.
NOTEBOOK_TIMEOUT = 1800
# Address space of a grading kernel. TensorFlow maps about 3 GiB of address space when it is imported and a
# chapter's training adds little to that; 8 GiB leave room for every chapter and stop a runaway allocation
# long before the machine runs out of memory.
MEMORY_LIMIT = 8 * 2**30
MAX_RECORD_BYTES = 64 * 2**20
# What a sandbox kernel keeps of the grader's environment. The settings of TensorFlow's floating-point path
# (threads, oneDNN) are among them: the reference run trains in the grader's environment, and a student's
# kernel reuses its weights only if it would have computed the same way (classroom/fitcache.py keys on them).
KERNEL_ENV = (
    *("PATH", "LANG", "LC_ALL", "MNIST_NPZ", "TF_CPP_MIN_LOG_LEVEL", "PYTHONDONTWRITEBYTECODE"),
    *("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS"),
    "ONEDNN_MAX_CPU_ISA",
)


class GradingError(RuntimeError):
    """Grading cannot go on; the message says what to do."""


# --------------------------------------------------------------------------------------------------
# Sandbox accounts
# --------------------------------------------------------------------------------------------------


def require_root() -> None:
    if os.geteuid() != 0:
        raise GradingError(
            "grading runs each submission as an unprivileged sandbox account, which needs root: run this "
            "command with sudo (or as root)"
        )


def ensure_account(name: str) -> pwd.struct_passwd:
    """Return the system account ``name``, created (with the group nbgrader-sandbox) if it does not exist."""
    try:
        grp.getgrnam(SANDBOX_GROUP)
    except KeyError:
        subprocess.run(["groupadd", "--system", SANDBOX_GROUP], check=True, capture_output=True)
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--gid",
                SANDBOX_GROUP,
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--comment",
                "nbgrader autograde sandbox",
                name,
            ],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


@contextlib.contextmanager
def sandbox_account():
    """Hold one sandbox account for this process (a lock per account: one kernel per account at a time)."""
    SANDBOX_ROOT.mkdir(parents=True, exist_ok=True)
    os.chmod(SANDBOX_ROOT, 0o711)
    for number in range(1, MAX_WORKERS + 1):
        name = f"{SANDBOX_PREFIX}{number}"
        handle = open(SANDBOX_ROOT / f".{name}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            account = ensure_account(name)
            kill_account_processes(account.pw_uid)
            yield account
        finally:
            kill_account_processes(pwd.getpwnam(name).pw_uid)
            handle.close()
        return
    raise GradingError(f"all {MAX_WORKERS} sandbox accounts are busy: wait for the other grading runs to end")


def kill_account_processes(uid: int) -> None:
    """Kill every process of a sandbox account that this process holds (what a kernel left running)."""
    for _ in range(5):
        found = False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid == uid:
                    os.kill(int(entry.name), signal.SIGKILL)
                    found = True
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
        if not found:
            return
        time.sleep(0.2)


def sandbox_kernel(args) -> None:
    """Start a kernel as the sandbox account (run as root by SandboxKernelManager's command)."""
    account = pwd.getpwnam(args.user)
    if not account.pw_name.startswith(SANDBOX_PREFIX):
        raise SystemExit(f"{args.user} is not a sandbox account")
    folder = Path(args.dir)
    for item in Path.cwd().iterdir():  # the submission's folder (the course package with it), without notebooks
        if item.is_symlink() or item.suffix == ".ipynb":
            continue
        if item.is_file():
            shutil.copy(item, folder / item.name)
        elif item.is_dir():
            shutil.copytree(item, folder / item.name, symlinks=True, ignore=shutil.ignore_patterns("*.ipynb"))
    shutil.copy(args.connection_file, folder / "kernel.json")
    for path in [folder, *folder.rglob("*")]:  # never through a link: a submission's symlink stays a link
        os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
    os.chmod(folder / "kernel.json", 0o600)
    resource.setrlimit(resource.RLIMIT_AS, (args.memory, args.memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2**30, 2**30))
    resource.setrlimit(resource.RLIMIT_NPROC, (2048, 2048))
    env = {name: os.environ[name] for name in KERNEL_ENV if name in os.environ}
    env.update(
        HOME=str(folder),
        USER=account.pw_name,
        LOGNAME=account.pw_name,
        TMPDIR=str(folder / "tmp"),
        MPLCONFIGDIR=str(folder / ".matplotlib"),
        JUPYTER_RUNTIME_DIR=str(folder / ".runtime"),
        IPYTHONDIR=str(folder / ".ipython"),
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    env["COURSE_GRADING_RECORD"] = str(folder / "answers.jsonl")
    if args.fit_cache:  # the reference run's trained weights (classroom/fitcache.py), read-only for the kernel
        env.update(
            COURSE_FIT_CACHE=args.fit_cache,
            COURSE_FIT_CACHE_MODE="read",
            COURSE_FIT_CACHE_MODULE=str(Path(args.fit_cache).parent / FIT_CACHE_MODULE.name),
            COURSE_FIT_CACHE_LOG=str(folder / "fit-cache.jsonl"),
        )
    os.chdir(folder)
    drop_privileges(account)
    command = [str(folder / "kernel.json") if part == args.connection_file else part for part in args.kernel_command]
    os.execve(command[0], command, env)


def drop_privileges(account: pwd.struct_passwd) -> None:
    """Become ``account`` for good (no supplementary groups, real, effective and saved ids all changed)."""
    os.setgroups([])
    os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
    os.setresuid(account.pw_uid, account.pw_uid, account.pw_uid)


def run_as(account: str, command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``command`` as a sandbox account, with the same change of account as a grading kernel."""
    return subprocess.run(
        command,
        cwd="/",
        env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
        preexec_fn=lambda: drop_privileges(pwd.getpwnam(account)),
        capture_output=True,
        text=True,
        **kwargs,
    )


def runs_as(account: str, command: list[str]) -> bool:
    """Return whether ``command`` succeeds when a sandbox account runs it."""
    try:
        return run_as(account, command).returncode == 0
    except (PermissionError, FileNotFoundError, subprocess.SubprocessError):
        return False


def closed_folder(path: Path) -> Path | None:
    """Return the first folder from / down to ``path`` that other accounts cannot pass through, or None."""
    for folder in [*reversed(path.resolve().parents), path.resolve()]:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return folder
    return None


def shared_python(account: str) -> str:
    """Return a Python of the course environment that other accounts can run.

    The course environment's own interpreter is used if the account can run it. Where it lies in a folder
    only its owner can open (a Python installed in root's home, as pyenv does), an environment is made in
    _build/shared-env from a system Python of the same version that everyone can run, with the course
    environment's packages (which others can read) on its path and the course's kernel configuration.
    """
    probe = ["-c", "import ipykernel, numpy"]
    if runs_as(account, [sys.executable, *probe]):
        return sys.executable
    closed = closed_folder(ROOT)
    if closed is not None:
        raise GradingError(
            f"the sandbox accounts cannot reach the repository: {closed} is closed to other accounts (mode "
            f"{stat.filemode(closed.stat().st_mode)}); open it with 'chmod o+x {closed}' or keep the repository "
            "in a folder that every account can pass through, then retry"
        )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    target = ROOT / "_build" / "shared-env"
    python = target / "bin" / "python"
    if python.exists() and runs_as(account, [str(python), *probe]):
        share_scripts(target)
        return str(python)
    system = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    if not system or not runs_as(account, [system, "-c", "pass"]):
        raise GradingError(
            f"the course environment's Python ({sys.executable}) lies where other accounts cannot run it, and "
            f"there is no system {version} to share its packages with: install {version} for all users"
        )
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run([system, "-m", "venv", "--without-pip", str(target)], check=True, capture_output=True)
    import sysconfig

    packages = sysconfig.get_paths()["purelib"]
    shared_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (shared_packages / "course-environment.pth").write_text(f"import site; site.addsitedir({packages!r})\n")
    config = Path(sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.py"
    if config.is_file():
        (target / "etc" / "ipython").mkdir(parents=True, exist_ok=True)
        shutil.copy(config, target / "etc" / "ipython" / config.name)
    for path in [target, *target.rglob("*")]:
        os.chmod(path, os.stat(path).st_mode | 0o444 | (0o111 if path.is_dir() else 0))
    share_scripts(target)
    if not runs_as(account, [str(python), *probe]):
        raise GradingError(f"the shared environment {target} does not run for {account}: remove it and retry")
    return str(python)


def share_scripts(target: Path) -> None:
    """Give the shared environment the course environment's commands (nbgrader, jupyter, alembic, ...),
    started by its own Python."""
    bin_dir = Path(sys.prefix) / "bin"
    for script in bin_dir.iterdir():
        copy = target / "bin" / script.name
        if copy.exists() or not script.is_file() or script.is_symlink():
            continue
        with open(script, "rb") as handle:
            first = handle.readline()
        if not (first.startswith(b"#!") and b"python" in first):
            continue
        body = script.read_bytes()[len(first) :]
        copy.write_bytes(f"#!{target / 'bin' / 'python'}\n".encode() + body)
        os.chmod(copy, 0o755)


def make_kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class SandboxKernelManager(AsyncKernelManager):
        """Starts the kernel through ``grade.py sandbox-kernel`` as a sandbox account, in a private folder."""

        sandbox_user = ""
        sandbox_dir = ""
        sandbox_python = sys.executable
        memory_limit = MEMORY_LIMIT
        fit_cache = ""

        def format_kernel_cmd(self, extra_arguments=None):
            command = super().format_kernel_cmd(extra_arguments)
            if command and Path(command[0]).name.startswith("python"):
                command[0] = self.sandbox_python
            return [
                sys.executable,
                "-I",
                str(GRADE_PY),
                "sandbox-kernel",
                "--user",
                self.sandbox_user,
                "--dir",
                self.sandbox_dir,
                "--connection-file",
                self.connection_file,
                "--memory",
                str(self.memory_limit),
                "--fit-cache",
                self.fit_cache,
                "--",
                *command,
            ]

    return SandboxKernelManager


# --------------------------------------------------------------------------------------------------
# nbgrader preprocessors: execution in the sandbox, verification of the recorded answers
# --------------------------------------------------------------------------------------------------


def error_output(name: str, message: str) -> dict:
    import nbformat

    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def make_preprocessors():
    """Return the classes SandboxExecute and VerifyAnswers (defined once nbgrader is imported)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbgrader.preprocessors import Execute, NbGraderPreprocessor
    from nbgrader.utils import is_grade, is_solution
    from traitlets import Integer, Unicode

    kernel_manager_class = make_kernel_manager_class()

    class SandboxExecute(Execute):
        """nbgrader's Execute, with the kernel in the sandbox and a time limit for the whole notebook."""

        sandbox_user = Unicode("").tag(config=True)
        sandbox_python = Unicode(sys.executable).tag(config=True)
        notebook_timeout = Integer(NOTEBOOK_TIMEOUT).tag(config=True)
        memory_limit = Integer(MEMORY_LIMIT).tag(config=True)
        fit_cache = Unicode("", help="the shared folder of the reference run's trained weights").tag(config=True)

        def __init__(self, *args, **kwargs):
            kwargs["kernel_manager_class"] = kernel_manager_class
            super().__init__(*args, **kwargs)

        def create_kernel_manager(self):
            km = super().create_kernel_manager()
            km.sandbox_user = self.sandbox_user
            km.sandbox_dir = str(self._sandbox_dir)
            km.memory_limit = self.memory_limit
            km.sandbox_python = self.sandbox_python
            km.fit_cache = self._fit_cache
            return km

        def on_cell_executed(self, **kwargs):
            super().on_cell_executed(**kwargs)
            self._executed.add(kwargs["cell_index"])

        def _cell_timeout(self, cell):
            remaining = self._deadline - time.monotonic()
            return max(1, int(min(self.timeout or self.notebook_timeout, remaining)))

        def preprocess(self, nb, resources=None, km=None):
            if not self.sandbox_user:
                raise GradingError("SandboxExecute needs a sandbox account (SandboxExecute.sandbox_user)")
            account = pwd.getpwnam(self.sandbox_user)
            self._sandbox_dir = SANDBOX_ROOT / f"{account.pw_name}-{uuid.uuid4().hex}"
            self._sandbox_dir.mkdir(mode=0o700)
            (self._sandbox_dir / "tmp").mkdir()
            self._executed = set()
            notebook = (resources or {}).get("nbgrader", {}).get("notebook", "")
            weights = Path(self.fit_cache) / notebook if self.fit_cache and notebook else None
            self._fit_cache = str(weights) if weights is not None and weights.is_dir() else ""
            for cell in nb.cells:
                if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
                    cell.source = withhold_references(cell.source)
            self._deadline = time.monotonic() + self.notebook_timeout
            self.timeout_func = self._cell_timeout
            stopped = []

            def watchdog():
                stopped.append(f"the notebook's time limit ({self.notebook_timeout} s) was reached")
                kill_account_processes(account.pw_uid)

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
                kill_account_processes(account.pw_uid)
                for index, cell in enumerate(nb.cells):
                    names = {o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"}
                    if "CellTimeoutError" in names:
                        stopped.append(f"cell {index} reached the time limit")
                    if "MemoryError" in names:
                        stopped.append(f"cell {index} reached the memory limit")
                record = self._sandbox_dir / "answers.jsonl"
                answers = ""
                if record.is_file() and not record.is_symlink():
                    with open(record, "rb") as handle:
                        answers = handle.read(MAX_RECORD_BYTES).decode("utf-8", "replace")
                fit_log = self._sandbox_dir / "fit-cache.jsonl"
                fits = fit_events(fit_log) if fit_log.is_file() and not fit_log.is_symlink() else []
                shutil.rmtree(self._sandbox_dir, ignore_errors=True)
            resources.setdefault("grading", {})
            resources["grading"]["answers"] = answers
            resources["grading"]["fits"] = fit_counts(fits)
            resources["grading"]["fit_events"] = fits
            resources["grading"]["stopped"] = stopped[0] if stopped else ""
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


def fit_events(path: Path) -> list[dict]:
    """The calls of fit a log of classroom/fitcache.py records: event (hit, miss, stored, not cacheable), detail,
    and the digests of the key's parts; at most 1 MB of it (a kernel writes its own log)."""
    events = []
    try:
        with open(path, "rb") as handle:
            lines = handle.read(2**20).decode("utf-8", "replace").splitlines()
    except OSError:
        return events
    for line in lines:
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
# References: one run of the untouched source notebook per assignment
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
    source: Path, notebook_name: str, extra_arguments: list[str], timeout: int, weights: Path | None = None
) -> tuple[dict, dict]:
    """Run a source notebook (solutions and hidden tests) in a fresh kernel; return grade_id -> key -> the
    references its hidden tests recorded, and how many calls of fit it stored in ``weights`` (the trained
    weights that students' kernels reuse, see classroom/fitcache.py). Raises GradingError if the solution fails
    its own tests."""
    import nbformat
    from nbclient import NotebookClient
    from nbgrader.utils import is_grade, is_solution

    with tempfile.TemporaryDirectory(prefix="grading-reference-") as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(source, work)
        record = Path(tmp) / "answers.jsonl"
        record.touch()
        notebook = nbformat.read(work / notebook_name, as_version=4)
        per_cell: dict[str, dict[str, list]] = {}
        seen = [0]

        def collect(cell, cell_index, execute_reply):
            lines = record.read_text().splitlines()
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

        saved = dict(os.environ)
        os.environ["COURSE_GRADING_RECORD"] = str(record)
        if weights is not None:
            os.environ.update(
                COURSE_FIT_CACHE=str(weights),
                COURSE_FIT_CACHE_MODE="write",
                COURSE_FIT_CACHE_MODULE=str(FIT_CACHE_MODULE),
                COURSE_FIT_CACHE_LOG=str(Path(tmp) / "fit-cache.jsonl"),
            )
        os.environ.pop("PYTEST_CURRENT_TEST", None)  # ipykernel would otherwise capture no file descriptor
        try:
            client = NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name="python3",
                allow_errors=True,
                extra_arguments=extra_arguments,
                resources={"metadata": {"path": str(work)}},
                on_cell_executed=collect,
            )
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        fits = fit_events(Path(tmp) / "fit-cache.jsonl")
    return per_cell, fits


def references(course: Path, assignment: str, timeout: int) -> Path:
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
    for path in sorted(source.glob("*.ipynb")):
        notebooks[path.stem], events = reference_run(
            source, path.name, kernel_arguments(course), timeout, weights / path.stem
        )
        fits[path.stem] = fit_counts(events)
        calls[path.stem] = [entry["parts"] for entry in events]
    target.write_text(
        json.dumps({"source_sha256": digest, "notebooks": notebooks, "fits": fits, "fit_calls": calls}, indent=1)
    )
    return target


def share_fit_cache(course: Path, assignment: str) -> Path:
    """Copy the reference run's trained weights where the sandbox accounts can open them, not list them.

    The folder (under SANDBOX_ROOT, root's, modes 0711 and 0644) holds the weights of each notebook and
    classroom/fitcache.py, which a grading kernel loads; an entry opens only with the inputs of its call of fit
    (see classroom/fitcache.py), so a kernel that can read the folder gets nothing it could not train itself."""
    weights = course / "grading" / assignment / "weights"
    digest = hashlib.sha256(
        (sha256_of(weights) if weights.is_dir() else "none").encode() + FIT_CACHE_MODULE.read_bytes()
    ).hexdigest()[:16]
    base = SANDBOX_ROOT / "fit-cache"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o711)
    target = base / f"{assignment}-{digest}"
    for stale in base.glob(f"{assignment}-*"):
        if stale != target:
            shutil.rmtree(stale, ignore_errors=True)
    if not target.is_dir():
        partial = base / f".{assignment}-{uuid.uuid4().hex}"
        if weights.is_dir():
            shutil.copytree(weights, partial)
        else:
            partial.mkdir()
        shutil.copy(FIT_CACHE_MODULE, partial / FIT_CACHE_MODULE.name)
        for path in [partial, *partial.rglob("*")]:
            os.chown(path, 0, 0)
            os.chmod(path, 0o711 if path.is_dir() else 0o644)
        try:
            partial.rename(target)
        except OSError:  # another grading process made it first
            shutil.rmtree(partial, ignore_errors=True)
    return target


# --------------------------------------------------------------------------------------------------
# One student (a worker process)
# --------------------------------------------------------------------------------------------------


def load_config(course: Path):
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = course / "nbgrader_config.py"
    return PyFileConfigLoader(path.name, str(course)).load_config() if path.is_file() else Config()


def grading_config(
    course: Path, reference_file: Path, account: str, notebook_timeout: int, memory: int, fit_cache: str = ""
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
    config.SandboxExecute.sandbox_user = account
    config.SandboxExecute.sandbox_python = shared_python(account)
    config.SandboxExecute.notebook_timeout = notebook_timeout
    config.SandboxExecute.memory_limit = memory
    config.SandboxExecute.fit_cache = fit_cache
    config.VerifyAnswers.reference_file = str(reference_file)
    return config, verify_answers


def grade_student(args) -> dict:
    """Autograde one student's submission in the sandbox; return what happened (run in a worker process)."""
    from nbgrader.apps import NbGraderAPI

    course = Path(args.course).resolve()
    start = time.monotonic()
    with sandbox_account() as account:
        config, verify_answers = grading_config(
            course, Path(args.references), account.pw_name, args.notebook_timeout, args.memory, args.fit_cache
        )
        seen = {}
        original = verify_answers.preprocess

        reference_calls = json.loads(Path(args.references).read_text()).get("fit_calls", {})

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
        result = api.autograde(args.assignment, args.student, force=True, create=True)
    outcome = {
        "student": args.student,
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
        "error": "" if result.get("success") else (result.get("error") or result.get("log") or "")[-3000:],
    }
    outcome.update(student_score(course, args.assignment, args.student))
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


def check_sandbox_cannot_read(course: Path, account: str, python: str) -> None:
    """Refuse to grade if a sandbox account can list the course folder or read its gradebook or source."""
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
    result = run_as(account, [python, "-c", probe, *map(str, targets)])
    readable = result.stdout.split()[:-2]
    if result.stdout.split()[-2:] != ["probe", "done"]:
        raise GradingError(f"the sandbox account {account} cannot run {python}: {result.stderr[-500:]}")
    if readable:
        raise GradingError(
            f"the sandbox account {account} can read {readable}: make the course folder private "
            f"(chmod 700 {course}) and its parents not writable by others"
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
    require_root()
    course = course.resolve()
    lock_down(course)
    with sandbox_account() as account:
        python = shared_python(account.pw_name)
        check_sandbox_cannot_read(course, account.pw_name, python)
    config = load_config(course)
    cell_timeout = int(config.Execute.get("timeout", 720)) if "Execute" in config else 720
    start = time.monotonic()
    reference_file = references(course, assignment, cell_timeout)
    fit_cache = share_fit_cache(course, assignment)
    reference_seconds = time.monotonic() - start
    submitted = submitted_students(course, assignment)
    chosen = students or submitted
    missing = [s for s in (students or roster(course)) if s not in submitted]
    chosen = [s for s in chosen if s in submitted]
    print(
        f"{assignment}: {len(chosen)} submissions, {jobs} worker(s), notebook limit {notebook_timeout} s, "
        f"cell limit {cell_timeout} s, memory limit {memory / 2**30:g} GiB (references: {reference_seconds:.0f} s)",
        file=out,
        flush=True,
    )
    sampler = MemorySampler()
    sampler.start()
    outcomes = []
    grading_start = time.monotonic()

    def run(student: str) -> dict:
        command = [
            sys.executable,
            "-I",
            str(GRADE_PY),
            "grade-one",
            "--course",
            str(course),
            "--assignment",
            assignment,
            "--student",
            student,
            "--references",
            str(reference_file),
            "--notebook-timeout",
            str(notebook_timeout),
            "--memory",
            str(memory),
            "--fit-cache",
            str(fit_cache),
        ]
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=notebook_timeout * 4 + 300
            )
        except subprocess.TimeoutExpired:
            return {"student": student, "success": False, "error": "the grading process did not end"}
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        if not lines:
            return {"student": student, "success": False, "error": (result.stderr or result.stdout)[-3000:]}
        return json.loads(lines[-1])

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run, student): student for student in chosen}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            score = outcome.get("score")
            shown = f"{score:g}/{outcome['max_score']:g}" if score is not None else "-"
            print(
                f"[{progress_bar(len(outcomes), len(chosen))}] {len(outcomes):>3}/{len(chosen)} "
                f"{outcome['student']:<20} {shown:>9} {outcome.get('seconds', 0):>6.1f} s  {status_of(outcome)}"
                + (f"  ({fits_text(fits_of(outcome))})" if fits_text(fits_of(outcome)) else ""),
                file=out,
                flush=True,
            )
    wall = time.monotonic() - grading_start
    give_back(course)
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


# --------------------------------------------------------------------------------------------------
# Feedback without hidden tests; a gradebook for an LMS
# --------------------------------------------------------------------------------------------------


def make_feedback_preprocessor():
    from nbgrader.preprocessors import NbGraderPreprocessor
    from nbgrader.utils import is_grade

    class HideHiddenTests(NbGraderPreprocessor):
        """Feedback shows a failed hidden test's message, never its code: hidden test regions are removed
        from check cells, and an error is shown as its name and message, without the traceback's code."""

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type == "code" and is_grade(cell):
                cell.source = exercises.visible(cell.source)
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error":
                        output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
            return cell, resources

    return HideHiddenTests


def generate_feedback(course: Path, assignment: str, student: str | None = None) -> dict:
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.preprocessors import GetGrades

    config = load_config(course.resolve())
    config.CourseDirectory.root = str(course.resolve())
    config.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, make_feedback_preprocessor()]
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
    grade.add_argument("--jobs", type=int, default=1, help="parallel workers (one kernel each)")
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
    one = commands.add_parser("grade-one")  # a worker: one student, prints a JSON line
    for name in ("--course", "--assignment", "--student", "--references"):
        one.add_argument(name, required=True)
    one.add_argument("--notebook-timeout", type=int, required=True)
    one.add_argument("--memory", type=int, required=True)
    one.add_argument("--fit-cache", default="", help="the shared folder of the reference run's trained weights")
    kernel = commands.add_parser("sandbox-kernel")  # run by SandboxKernelManager, as root
    kernel.add_argument("--user", required=True)
    kernel.add_argument("--dir", required=True)
    kernel.add_argument("--connection-file", required=True)
    kernel.add_argument("--memory", type=int, required=True)
    kernel.add_argument("--fit-cache", default="")
    kernel.add_argument("kernel_command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    try:
        if args.command == "sandbox-kernel":
            args.kernel_command = args.kernel_command[1:] if args.kernel_command[:1] == ["--"] else args.kernel_command
            sandbox_kernel(args)
        elif args.command == "grade-one":
            print(json.dumps(grade_student(args)))
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
