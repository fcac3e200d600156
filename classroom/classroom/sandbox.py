"""The grading sandbox: a kernel (or any command) in namespaces of its own, as an account of its own.

Run as root by classroom.grade. Each sandbox is started by bubblewrap (``bwrap``, Debian's package
``bubblewrap``), which gives it

- a PID namespace: the first process of the namespace is bwrap's, and when it ends (the kernel ends, the grader
  kills it, or the grading process that started it dies: ``--die-with-parent``) the kernel ends every process of
  the namespace, however it forked; ``end()`` waits until it has;
- a network namespace with a loopback of its own: no other sandbox, grader or machine is reachable; the grader
  talks to the kernel over Unix sockets in the sandbox's own folder (ZeroMQ's ipc transport);
- a mount namespace that holds the operating system read-only (``/usr``, ``/etc``, ``/sys`` and the links to
  them), the course environment read-only, the sandbox's own folder and a private ``/tmp`` and ``/dev/shm``,
  nothing else: no home folder, no repository (with its solutions), no course folder, no other sandbox and none of
  the grader's locks. A folder on the way to the environment that other accounts cannot pass through (a
  clone in ``mktemp -d``, pyenv's Python in ``/root``) is a plain folder there, so the environment can lie anywhere;
- IPC, UTS and cgroup namespaces of its own;

and then becomes its unprivileged account with util-linux's ``setpriv`` (no supplementary groups, no
capabilities, no way to gain privileges again) and takes its resource limits with util-linux's ``prlimit``.
bwrap reads its arguments (the folders, the environment of the kernel) from a pipe, so that a command line
(``ps``) shows none of them. Only one sandbox runs as an account at a time: a worker holds an account through a
lock file in a folder only root can open.

Why bubblewrap: one command makes every namespace and mount, brings the loopback up, reaps, ends with its parent
and reports the pid of the namespace's first process; it is the sandbox of Flatpak, kept by the containers
project and packaged by every Linux distribution. util-linux's ``unshare`` makes the namespaces too, but the
mount table and the loopback would then be a script of ours.

Without namespaces (bwrap missing, or a kernel or container that refuses them) a sandbox is its account alone:
grading then runs one submission at a time, and when a notebook ends every process of its account is ended with
one ``kill(-1)`` made as that account (``end_processes``), before the next submission is graded.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import grp
import json
import os
import pwd
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from coursetools.settings import ROOT

BWRAP = "bwrap"
SANDBOX_GROUP = "grading-sandbox"
SANDBOX_PREFIX = "grading-sandbox-"
# Root's: the sandboxes' folders (each its account's), the grader's locks and per-run folders (root's alone), the
# reference run's trained weights as the kernels read them. `python -m classroom grade clean` removes it.
SANDBOX_ROOT = Path("/var/lib/grading-sandbox")
LOCK_DIR = SANDBOX_ROOT / "locks"
RUN_DIR = SANDBOX_ROOT / "runs"
MAX_ACCOUNTS = 32
# The operating system as a sandbox sees it (read-only); /bin, /lib... are links to /usr on current systems.
SYSTEM_FOLDERS = ("/usr", "/etc", "/sys")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# A sandbox's private /tmp and /dev/shm live in memory: their size is capped.
TMP_BYTES = 512 * 2**20
SHM_BYTES = 256 * 2**20
MAX_FILE_BYTES = 2**30
MAX_PROCESSES = 2048


class GradingError(RuntimeError):
    """Grading cannot go on; the message says what to do."""


# --------------------------------------------------------------------------------------------------
# Root and accounts
# --------------------------------------------------------------------------------------------------


def require_root() -> None:
    if os.geteuid() != 0:
        raise GradingError(
            "grading runs each submission as an unprivileged sandbox account, which needs root: run this "
            "command with sudo (or as root)"
        )


def root_folder(path: Path, mode: int) -> Path:
    """Make ``path`` (and SANDBOX_ROOT above it) a folder of root's with ``mode``, refusing a link or another
    owner: what the grader keeps here must be its own."""
    for folder in (SANDBOX_ROOT, path):
        folder.mkdir(mode=0o711 if folder == SANDBOX_ROOT else mode, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0:
            raise GradingError(f"{folder} is not a folder of root's: remove it (python -m classroom grade clean)")
        os.chmod(folder, 0o711 if folder == SANDBOX_ROOT else mode)
    return path


def ensure_account(name: str) -> pwd.struct_passwd:
    """Return the system account ``name``, created (in the group grading-sandbox, no home, no shell) if needed."""
    try:
        grp.getgrnam(SANDBOX_GROUP)
    except KeyError:
        subprocess.run(["groupadd", "--system", SANDBOX_GROUP], check=True, capture_output=True)
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--gid", SANDBOX_GROUP, "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", "--comment", "nbgrader autograde sandbox", name],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return pwd.getpwnam(name)


def lock_account(number: int) -> int | None:
    """Return an open, exclusively locked file descriptor of account ``number``'s lock, or None if another
    process holds it. The lock files lie in LOCK_DIR, which only root can open."""
    root_folder(LOCK_DIR, 0o700)
    fd = os.open(
        LOCK_DIR / f"{SANDBOX_PREFIX}{number}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
    )
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def hold_account():
    """Hold one sandbox account for this process (one sandbox per account at a time); yield its passwd entry."""
    for number in range(1, MAX_ACCOUNTS + 1):
        fd = lock_account(number)
        if fd is None:
            continue
        try:
            yield ensure_account(f"{SANDBOX_PREFIX}{number}")
        finally:
            os.close(fd)
        return
    raise GradingError(f"all {MAX_ACCOUNTS} sandbox accounts are busy: wait for the other grading runs to end")


def sandbox_accounts() -> list[str]:
    return sorted(p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(SANDBOX_PREFIX))


def account_in_use(name: str) -> bool:
    """Whether a grading process holds the sandbox account ``name`` now."""
    number = int(name.removeprefix(SANDBOX_PREFIX))
    fd = lock_account(number)
    if fd is None:
        return True
    os.close(fd)
    return False


def remove_idle_accounts() -> list[str]:
    """Remove every sandbox account that no grading process holds, with its lock file (and the group once no
    account is left); return the names removed. An account's processes are ended before it goes."""
    removed = []
    for number in range(1, MAX_ACCOUNTS + 1):
        name = f"{SANDBOX_PREFIX}{number}"
        exists = name in sandbox_accounts()
        if not exists and not (LOCK_DIR / f"{name}.lock").exists():
            continue
        fd = lock_account(number)
        if fd is None:
            continue
        try:
            if exists:
                end_processes(pwd.getpwnam(name))
                subprocess.run(["userdel", name], check=True, capture_output=True)
                removed.append(name)
            (LOCK_DIR / f"{name}.lock").unlink(missing_ok=True)
        finally:
            os.close(fd)
    if not sandbox_accounts():
        with contextlib.suppress(KeyError):
            grp.getgrnam(SANDBOX_GROUP)
            subprocess.run(["groupdel", SANDBOX_GROUP], capture_output=True)
    return removed


def drop_privileges(account: pwd.struct_passwd) -> None:
    """Become ``account`` for good (no supplementary groups, real, effective and saved ids all changed)."""
    os.setgroups([])
    os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
    os.setresuid(account.pw_uid, account.pw_uid, account.pw_uid)


def as_account(account: pwd.struct_passwd) -> list[str]:
    """util-linux's setpriv: the command that follows runs as ``account``, without groups, capabilities or any
    way to gain privileges (no_new_privs: a set-user-ID program gives none)."""
    return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups",
            "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]  # fmt: skip


def end_processes(account: pwd.struct_passwd) -> None:
    """End every process of ``account`` at once: kill(-1, SIGKILL) made as the account reaches all its processes
    and no other, and a process that forks cannot slip through (the kernel walks the processes while forking
    waits)."""
    subprocess.run([*as_account(account), "kill", "-KILL", "--", "-1"], capture_output=True, timeout=60)


def run_as(account: str, command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``command`` as a sandbox account, outside any namespace (the hub's accounts use the same change)."""
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
    """Return a Python of the course environment that ``account`` can run outside a sandbox (the hub's users; the
    sandbox without namespaces).

    The course environment's own interpreter if the account can run it. Where it lies in a folder only its owner
    can open (a Python installed in root's home, as pyenv does), an environment is made in _build/shared-env from a
    system Python of the same version that everyone can run, with the course environment's packages on its path
    and the course's kernel configuration. (A sandbox with namespaces needs none of this: its mount namespace
    opens the way to the environment.)
    """
    probe = ["-c", "import ipykernel, numpy"]
    if runs_as(account, [sys.executable, *probe]):
        return sys.executable
    closed = closed_folder(ROOT)
    if closed is not None:
        raise GradingError(
            f"the accounts cannot reach the repository: {closed} is closed to other accounts (mode "
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
    """Give the shared environment the course environment's commands (nbgrader, jupyter, ...), started by its own
    Python."""
    for script in (Path(sys.prefix) / "bin").iterdir():
        copy = target / "bin" / script.name
        if copy.exists() or not script.is_file() or script.is_symlink():
            continue
        with open(script, "rb") as handle:
            first = handle.readline()
        if not (first.startswith(b"#!") and b"python" in first):
            continue
        copy.write_bytes(f"#!{target / 'bin' / 'python'}\n".encode() + script.read_bytes()[len(first) :])
        os.chmod(copy, 0o755)


# --------------------------------------------------------------------------------------------------
# Namespaces
# --------------------------------------------------------------------------------------------------

NAMESPACES = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]


@functools.lru_cache(maxsize=1)
def namespaces_problem() -> str:
    """'' if this machine can run a sandbox in namespaces of its own, else why not (what to do included)."""
    if os.geteuid() != 0:
        return "the sandbox's namespaces are made as root"
    for program, package in ((BWRAP, "bubblewrap"), ("setpriv", "util-linux"), ("prlimit", "util-linux")):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt install {package})"
    try:
        result = subprocess.run(
            [BWRAP, *NAMESPACES, "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--", "true"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"bwrap does not run: {error}"
    if result.returncode:
        return (
            f"bwrap cannot make namespaces on this machine ({result.stderr.strip()[-300:]}); in a container, "
            "grade on the host or in a container allowed to make namespaces"
        )
    return ""


def ancestors(path: Path) -> list[Path]:
    return list(reversed(path.parents))[1:]


@dataclass
class Sandbox:
    """One sandbox: its account, its folder (``SANDBOX_ROOT/<account>-<id>``, the kernel's working folder and
    home), what it reads of the machine besides the operating system, its environment and limits.

    Made with ``Sandbox.create`` (the folder is root's until ``hand_over``); a command runs in it through
    ``command`` and ``popen_arguments``; ``end`` ends every process of it and waits; ``remove`` deletes the folder.
    """

    account: pwd.struct_passwd
    folder: Path
    read_only: list[Path]
    env: dict[str, str]
    memory: int
    namespaces: bool = True
    python: str = sys.executable  # the course environment's Python, as the account runs it
    _fds: list[int] = field(default_factory=list)
    _info: int | None = None
    _pidfd: int | None = None
    _process: subprocess.Popen | None = None

    @classmethod
    def create(cls, account, read_only=(), env=None, memory=8 * 2**30, namespaces=True) -> Sandbox:
        root_folder(SANDBOX_ROOT, 0o711)
        folder = SANDBOX_ROOT / f"{account.pw_name}-{uuid.uuid4().hex[:16]}"
        folder.mkdir(mode=0o700)
        (folder / "tmp").mkdir(mode=0o700)
        exposed = [Path(os.path.abspath(sys.prefix)), Path(os.path.abspath(sys.base_prefix))]
        exposed += [Path(os.path.abspath(path)) for path in read_only]
        base = {
            "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(folder),
            "USER": account.pw_name,
            "LOGNAME": account.pw_name,
            "TMPDIR": "/tmp" if namespaces else str(folder / "tmp"),
        }
        python = sys.executable if namespaces else shared_python(account.pw_name)
        return cls(account, folder, exposed, {**base, **(env or {})}, memory, namespaces, python)

    # what runs in it ------------------------------------------------------------------------------

    def limits(self) -> list[str]:
        return ["prlimit", f"--as={self.memory}", "--core=0", f"--fsize={MAX_FILE_BYTES}",
                f"--nproc={MAX_PROCESSES}", "--"]  # fmt: skip

    def mounts(self) -> list[str]:
        """bwrap's mount table: the operating system and the environment read-only, the sandbox's folder, private
        /tmp and /dev/shm; every folder on the way to one of them is a plain, passable folder of the namespace."""
        args = []
        for folder in SYSTEM_FOLDERS:
            if os.path.isdir(folder):
                args += ["--ro-bind", folder, folder]
        for link in SYSTEM_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
        args += ["--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm"]
        made = {Path("/")}
        covered = [Path(f) for f in SYSTEM_FOLDERS]  # bound whole already; /tmp is an empty one here
        for path, option in [*((p, "--ro-bind") for p in self.read_only), (self.folder, "--bind")]:
            if not path.exists() or any(path == c or c in path.parents for c in covered):
                continue
            for parent in ancestors(path):
                if parent not in made:
                    args += ["--perms", "0755", "--dir", str(parent)]
                    made.add(parent)
            args += [option, str(path), str(path)]
            made.add(path)
        return args

    def command(self, argv: list[str]) -> list[str]:
        """The command line that runs ``argv`` in the sandbox. With namespaces, bwrap reads its arguments (mounts,
        environment) from a pipe made here; pass ``popen_arguments()`` to Popen, then call ``started``."""
        if not self.namespaces:
            return [*as_account(self.account), *self.limits(), *argv]
        args = [*NAMESPACES, "--die-with-parent", "--hostname", "sandbox", *self.mounts(), "--chdir", str(self.folder)]
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]  # for setpriv
        args += ["--clearenv"]
        for name, value in self.env.items():
            args += ["--setenv", name, value]
        info_read, info_write = os.pipe()
        args += ["--info-fd", str(info_write)]
        args_read, args_write = os.pipe()
        data = b"".join(arg.encode() + b"\0" for arg in args)
        if len(data) > 60_000:  # a pipe holds 64 KiB: written whole before bwrap starts
            raise GradingError("the sandbox's arguments are too long")
        os.write(args_write, data)
        os.close(args_write)
        self._fds = [args_read, info_write]
        self._info = info_read
        return [BWRAP, "--args", str(args_read), "--", *as_account(self.account), *self.limits(), *argv]

    def popen_arguments(self) -> dict:
        """Popen's arguments for ``command``'s command line: the pipes bwrap reads, no output to the grader's
        streams, and the environment (without namespaces, the command's own; with them, bwrap's, which clears it)."""
        env = self.env if not self.namespaces else {"PATH": "/usr/local/bin:/usr/bin:/bin"}
        return {"pass_fds": tuple(self._fds), "stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                "stderr": subprocess.DEVNULL, "env": env, "cwd": str(self.folder) if not self.namespaces else "/"}  # fmt: skip

    def started(self, process: subprocess.Popen) -> None:
        """After Popen: close the pipes' ends bwrap has, and open the namespace's first process (from bwrap's
        report) as a pidfd, so that ``end`` can end it and wait for the namespace to be empty."""
        self._process = process
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        if self._info is None:
            return
        data = b""
        deadline = time.monotonic() + 60
        while b"}" not in data and time.monotonic() < deadline:
            ready, _, _ = select.select([self._info], [], [], 1)
            if ready:
                chunk = os.read(self._info, 4096)
                if not chunk:
                    break
                data += chunk
            elif process.poll() is not None:
                break
        os.close(self._info)
        self._info = None
        with contextlib.suppress(ValueError, KeyError, OSError):
            self._pidfd = os.pidfd_open(int(json.loads(data[: data.index(b"}") + 1])["child-pid"]))

    def run(self, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``argv`` in the sandbox and wait (a probe); its output is returned, as text."""
        self.hand_over()
        command = self.command(argv)
        popen = dict(self.popen_arguments(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with subprocess.Popen(command, text=True, **popen) as process:
            self.started(process)
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            finally:
                self.end()
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    # its folder and its end -----------------------------------------------------------------------

    def hand_over(self) -> None:
        """Give the folder and all in it to the account (before the first command). Until then the folder is
        root's and closed (mode 0700), so no account can change what root walks here; links are not followed."""
        uid, gid = self.account.pw_uid, self.account.pw_gid
        for directory, folders, files in os.walk(self.folder):
            for name in folders + files:
                os.chown(os.path.join(directory, name), uid, gid, follow_symlinks=False)
        os.chown(self.folder, uid, gid)

    def kill(self) -> None:
        """End the sandbox now (a time limit): every process of it gets SIGKILL."""
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        elif not self.namespaces:
            end_processes(self.account)
        if self._process is not None:
            with contextlib.suppress(OSError):
                self._process.kill()

    def end(self, timeout: float = 60) -> None:
        """End every process of the sandbox and wait until none is left: with namespaces, the namespace's first
        process is killed (the kernel then kills all others) and its pidfd waited for; without, the account's
        processes are ended with kill(-1)."""
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            select.select([self._pidfd], [], [], timeout)
            os.close(self._pidfd)
            self._pidfd = None
        elif not self.namespaces:
            end_processes(self.account)
        if self._process is not None:
            with contextlib.suppress(OSError):
                self._process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout)

    def read(self, name: str, limit: int) -> bytes:
        """At most ``limit`` bytes of the regular file ``name`` in the folder (b"" if it is missing or anything but
        a regular file: a link is not followed)."""
        try:
            fd = os.open(self.folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return b""
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return b""
            chunks, left = [], limit
            while left > 0:
                chunk = os.read(fd, min(left, 2**20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)  # removes links, never what they point to


# --------------------------------------------------------------------------------------------------
# Copies that never follow a link
# --------------------------------------------------------------------------------------------------


@dataclass
class CopyReport:
    """What ``copy_tree`` copied and what it left out (names relative to the folder copied)."""

    files: int = 0
    bytes: int = 0
    links: list[str] = field(default_factory=list)
    special: list[str] = field(default_factory=list)
    over_limit: int = 0

    def notes(self, what: str = "the submission") -> list[str]:
        notes = []
        self.links, self.special = list(dict.fromkeys(self.links)), list(dict.fromkeys(self.special))
        if self.links:
            notes.append(
                f"{len(self.links)} symbolic link(s) of {what} left out ({', '.join(self.links[:5])}): only regular "
                "files and folders are graded"
            )
        if self.special:
            notes.append(f"{len(self.special)} special file(s) of {what} left out ({', '.join(self.special[:5])})")
        if self.over_limit:
            notes.append(
                f"{self.over_limit} files of {what} left out beyond the limit ({self.files} files, "
                f"{self.bytes / 2**20:.1f} MiB kept)"
            )
        return notes


def copy_tree(
    source: Path,
    target: Path,
    max_files: int | None = None,
    max_bytes: int | None = None,
    skip=lambda name: False,
    report: CopyReport | None = None,
) -> CopyReport:
    """Copy the regular files and folders of ``source`` into ``target`` (made if needed), never through a link: a
    link, a device, a pipe or a socket is left out and named in the report, and so is every file beyond
    ``max_files`` files or ``max_bytes`` bytes (in name order; counted on from ``report``, if given). Files whose
    path relative to ``source`` ``skip`` accepts are not copied. Files are opened without following links and
    copied from the descriptor, so a link swapped in while copying is not followed either."""
    report = report if report is not None else CopyReport()

    def copy(folder: Path, into: Path) -> None:
        into.mkdir(mode=0o700, exist_ok=True)
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        for entry in entries:
            shown = os.path.relpath(entry.path, source)
            if entry.is_symlink():
                report.links.append(shown)
            elif entry.is_dir(follow_symlinks=False):
                copy(Path(entry.path), into / entry.name)
            elif not entry.is_file(follow_symlinks=False):
                report.special.append(shown)
            elif not skip(shown):
                size = entry.stat(follow_symlinks=False).st_size
                if (max_files is not None and report.files >= max_files) or (
                    max_bytes is not None and report.bytes + size > max_bytes
                ):
                    report.over_limit += 1
                elif copy_file(Path(entry.path), into / entry.name):
                    report.files += 1
                    report.bytes += size
                else:
                    report.special.append(shown)

    copy(source, target)
    return report


def copy_file(source: Path, target: Path) -> bool:
    """Copy one regular file without following a link at ``source`` or ``target``; False if it is not one."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        with open(fd, "rb", closefd=False) as reader, open(out, "wb") as writer:
            shutil.copyfileobj(reader, writer, 2**20)
        return True
    finally:
        os.close(fd)
