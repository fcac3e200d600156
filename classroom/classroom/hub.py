"""A JupyterHub for the course on this machine: an instructor, N students, nbgrader's exchange (make hub).

    python -m classroom hub start [--students 5] [--port 8000] [--root /srv/convolutional-autoencoders-hub]
    python -m classroom hub release 01_conv2d [--due "2027-02-01 17:00:00"] [--root ...]
    python -m classroom hub stop  [--root ...]                                        # make hub-stop

Run as root. ``start`` creates the local accounts ``ca-instructor`` and ``ca-student-1`` ... ``ca-student-N``
(home folders private to each; ``--prefix`` changes ``ca-``), writes the course with ``coursetools.coursework
assignments`` into the instructor's home (``~ca-instructor/convolutional-autoencoders``, outside ``_build/``,
private to the instructor), sets up nbgrader's exchange in ``<root>/exchange`` and starts JupyterHub on
127.0.0.1 with its proxy (``configurable-http-proxy`` from ``classroom/hub/node_modules``, installed by
``npm ci``). Everyone logs in with their account name and the password that ``start`` prints (JupyterHub's
DummyAuthenticator, one shared password: for a trial class on one machine, not for a real term). Each
user's server runs as that user with the course environment: the course's kernel configuration (no
TensorFlow log lines in cells), ``MNIST_NPZ``, JupyterLab with nbgrader's Assignments tab.

``release`` generates and releases an assignment as the instructor; with ``--due`` the due date is recorded
in the gradebook (a later submission is marked late), written at the top of every released notebook and
shown on the hub's pages. ``stop`` stops the hub and the users' servers, removes the accounts and folders
``start`` created and gives the repository's folders back their modes, nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from coursetools.settings import COURSE_ID, ROOT

from . import sandbox  # accounts, the change of account and the shared environment

HUB = ROOT / "classroom" / "hub"  # the proxy's npm package (package.json, node_modules)

DEFAULT_ROOT = Path("/srv/convolutional-autoencoders-hub")
PREFIX = "ca-"
PROXY = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
MNIST_NPZ = os.environ.get("MNIST_NPZ", str(ROOT.parent / "shared" / "data" / "mnist.npz"))


class HubError(RuntimeError):
    pass


def state_file(root: Path) -> Path:
    return root / "hub" / "state.json"


def load_state(root: Path) -> dict:
    if not state_file(root).exists():
        raise HubError(f"no hub is set up in {root}: start one first (make hub)")
    return json.loads(state_file(root).read_text())


def save_state(root: Path, state: dict) -> None:
    state_file(root).write_text(json.dumps(state))
    os.chmod(state_file(root), 0o600)


def course_dir(instructor: str) -> Path:
    return Path(pwd.getpwnam(instructor).pw_dir) / COURSE_ID


def create_account(name: str) -> None:
    subprocess.run(
        ["useradd", "--create-home", "--shell", "/bin/bash", "--comment", "convolutional-autoencoders hub", name],
        check=True,
        capture_output=True,
    )
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)


def course_environment(root: Path, python: str) -> dict:
    """What every account's server and commands run with: the course environment's commands, MNIST, the
    hub's nbgrader settings and the course environment's Jupyter extensions (JupyterLab, nbgrader's tabs)."""
    return {
        "PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin",
        "MNIST_NPZ": MNIST_NPZ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "JUPYTER_CONFIG_PATH": f"{root / 'etc' / 'jupyter'}:{Path(sys.prefix) / 'etc' / 'jupyter'}",
        "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def user_env(name: str, root: Path) -> dict:
    account = pwd.getpwnam(name)
    return {
        "HOME": account.pw_dir,
        "USER": name,
        "LOGNAME": name,
        **course_environment(root, load_state(root)["python"]),
    }


def as_user(name: str, root: Path, command: list[str], cwd: Path | None = None, check: bool = True):
    """Run ``command`` as account ``name`` (as its server would), in ``cwd`` (default: its home)."""
    account = pwd.getpwnam(name)
    result = subprocess.run(
        command,
        cwd=str(cwd or account.pw_dir),
        env=user_env(name, root),
        preexec_fn=lambda: sandbox.drop_privileges(account),
        capture_output=True,
        text=True,
    )
    if check and result.returncode:
        raise HubError(f"{' '.join(command)} failed for {name}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def nbgrader_as(name: str, root: Path, *args: str, cwd: Path | None = None, check: bool = True):
    state = load_state(root)
    return as_user(name, root, [state["python"], "-m", "nbgrader", *args], cwd=cwd, check=check)


def protect_answers(root: Path, state: dict) -> None:
    """Keep the repository's chapters (solutions and hidden tests) and built course from other accounts;
    their modes are kept in the state, and ``stop`` gives them back."""
    targets = [ROOT / "notebooks"]
    build = ROOT / "_build"
    if build.is_dir():
        targets += [p for p in build.iterdir() if p.name != "shared-env" and p.is_dir()]
    modes = state.setdefault("modes", {})
    for path in targets:
        mode = os.stat(path).st_mode & 0o7777
        modes.setdefault(str(path), mode)
        save_state(root, state)
        os.chmod(path, mode & ~0o077)


def restore_modes(state: dict) -> None:
    for path, mode in state.get("modes", {}).items():
        if os.path.exists(path):
            os.chmod(path, mode)


def hub_config(root: Path, port: int, users: list[str], password: str, token: str, python: str) -> str:
    environment = course_environment(root, python)
    return f"""# JupyterHub configuration of the course's trial hub (written by python -m classroom hub start).
c = get_config()  # noqa: F821

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {port + 1}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{port + 2}"
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(root / "hub" / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{root / "hub" / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(root / "hub" / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(root / "hub" / "jupyterhub.pid")!r}

# Local accounts with one shared password (a trial on one machine; use a real authenticator for a term).
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {set(users)!r}
c.Authenticator.admin_users = {{{users[0]!r}}}

# Each server runs as its user, with the course environment's Python (one every account can run).
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [{python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {environment!r}
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 180

# The due dates of the released assignments (python -m classroom hub release --due), on every page of the hub.
def due_dates(user):
    import html, json, pathlib

    path = pathlib.Path({str(root / "hub" / "due.json")!r})
    due = json.loads(path.read_text()) if path.is_file() else {{}}
    return " ".join(f"<strong>{{html.escape(a)}}</strong> is due {{html.escape(d)}} UTC." for a, d in sorted(due.items()))


c.JupyterHub.template_vars = {{"announcement": due_dates}}

# A token for scripts (the cycle test): start and stop servers, and reach them.
c.JupyterHub.services = [{{"name": "course-driver", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [
    {{"name": "course-driver", "scopes": ["admin:users", "admin:servers", "access:servers", "list:users"],
     "services": ["course-driver"]}},
]
"""


def nbgrader_global_config(root: Path) -> str:
    return f"""# nbgrader settings of every account on the course's hub (JUPYTER_CONFIG_PATH of their servers).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {COURSE_ID!r}
c.Exchange.root = {str(root / "exchange")!r}
c.Exchange.path_includes_course = False
"""


def wait_for(url: str, seconds: float = 120, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise HubError(f"JupyterHub stopped (exit code {process.returncode}) before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=3)
            return
        except OSError:
            time.sleep(0.5)
    raise HubError(f"{url} did not answer within {seconds:.0f} s")


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def start(root: Path, students: int, port: int, prefix: str = PREFIX) -> dict:
    """Set up and start the hub; on a failure, remove what was made so far and raise HubError."""
    sandbox.require_root()
    if state_file(root).exists():
        raise HubError(f"a hub is already set up in {root}: stop it first (make hub-stop)")
    if students < 1:
        raise HubError("--students must be 1 or more")
    busy = [p for p in (port, port + 1, port + 2) if not port_free(p)]
    if busy:
        raise HubError(f"ports {busy} are in use (the hub needs {port}-{port + 2}): choose another with --port")
    if not PROXY.exists():
        if not shutil.which("npm"):
            raise HubError("the hub's proxy comes from npm, which is not installed: install Node.js and npm")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HUB, check=True)
    names = [f"{prefix}instructor"] + [f"{prefix}student-{n}" for n in range(1, students + 1)]
    taken = [n for n in names if _exists(n)]
    if taken:
        raise HubError(
            f"accounts {taken} exist already: stop the hub that made them (make hub-stop) or remove them (userdel -r)"
        )
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise HubError(f"{root} exists and is not empty: choose another --root")
    (root / "hub").mkdir(mode=0o700)
    os.chmod(root, 0o755)
    state = {"root": str(root), "port": port, "accounts": [], "pids": [], "modes": {}}
    save_state(root, state)
    try:
        return _start(root, state, names, port)
    except BaseException:
        log = root / "hub" / "jupyterhub.log"
        tail = log.read_text()[-3000:] if log.is_file() else ""
        stop(root)
        if tail:
            print(f"the hub's log ended with:\n{tail}", file=sys.stderr)
        raise


def _start(root: Path, state: dict, names: list[str], port: int) -> dict:
    for name in names:
        create_account(name)
        state["accounts"].append(name)
        save_state(root, state)
    with sandbox.hold_account() as account:
        python = sandbox.shared_python(account.pw_name)
    state["python"] = python
    save_state(root, state)
    protect_answers(root, state)
    (root / "etc" / "jupyter").mkdir(parents=True)
    (root / "etc" / "jupyter" / "nbgrader_config.py").write_text(nbgrader_global_config(root))
    for path in [root / "etc", root / "etc" / "jupyter", root / "etc" / "jupyter" / "nbgrader_config.py"]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    exchange = root / "exchange"
    exchange.mkdir()
    # nbgrader's exchange: open to all like /tmp (sticky: nobody removes what another made); the course folder
    # below it sets its own permissions (inbound writable, not listable; outbound readable; feedback unlistable)
    os.chmod(exchange, 0o1777)
    instructor_name = names[0]
    course = course_dir(instructor_name)
    subprocess.run(
        [sys.executable, "-m", "coursetools", "assignments", "--out", str(course)],
        check=True,
        capture_output=True,
    )
    with open(course / "nbgrader_config.py", "a") as config:  # nbgrader's commands in the course folder too
        config.write(
            "\n# The exchange of the course's hub (classroom/classroom/hub.py).\n"
            f"c.Exchange.root = {str(exchange)!r}\nc.Exchange.path_includes_course = False\n"
        )
    # the instructor's server finds the course (nbgrader's Formgrader tab) wherever it is started
    settings = Path(pwd.getpwnam(instructor_name).pw_dir) / ".jupyter"
    settings.mkdir()
    (settings / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(course)!r}\n"
    )
    instructor = pwd.getpwnam(instructor_name)
    for path in [course, *course.rglob("*"), settings, *settings.rglob("*")]:
        os.chown(path, instructor.pw_uid, instructor.pw_gid)
    os.chmod(course, 0o700)
    password, token = secrets.token_urlsafe(12), secrets.token_hex(24)
    config = root / "hub" / "jupyterhub_config.py"
    config.write_text(hub_config(root, port, names, password, token, python))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTEST_CURRENT_TEST", None)
    with open(root / "hub" / "jupyterhub.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=root / "hub",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state.update(
        pids=[process.pid], url=f"http://127.0.0.1:{port}", password=password, token=token, python=python,
        instructor=instructor_name, students=names[1:], course=str(course), exchange=str(exchange),
    )  # fmt: skip
    save_state(root, state)
    wait_for(f"{state['url']}/hub/api", process=process)
    return state


def due_date(text: str) -> str:
    """``text`` as "YYYY-MM-DD HH:MM:SS" (UTC), or HubError that says the format."""
    import datetime

    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("T", " "))
    except ValueError:
        raise HubError(f"due date {text!r}: write it as YYYY-MM-DD HH:MM[:SS] (UTC), e.g. 2027-02-01 17:00") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def due_cell(due: str):
    import nbformat

    cell = nbformat.v4.new_markdown_cell(
        f"**Due: {due} UTC.** Submit from the Assignments tab before then; a later submission is marked late."
    )
    cell.id = "due-date"
    return cell


def set_due_date(root: Path, assignment: str, due: str) -> None:
    """Record ``due`` in the gradebook (nbgrader marks a later submission late) and on the hub's pages."""
    state = load_state(root)
    course = Path(state["course"])
    nbgrader_as(state["instructor"], root, "db", "assignment", "add", assignment, f"--duedate={due}", cwd=course)
    dates_file = root / "hub" / "due.json"
    dates = json.loads(dates_file.read_text()) if dates_file.is_file() else {}
    dates[assignment] = due
    dates_file.write_text(json.dumps(dates))
    os.chmod(dates_file, 0o600)


def release(root: Path, assignment: str, due: str | None = None) -> Path:
    """Generate and release an assignment as the instructor; with ``due`` (date and time, UTC), record the
    due date in the gradebook, write it at the top of every released notebook and show it on the hub."""
    import nbformat

    state = load_state(root)
    instructor, course = state["instructor"], Path(state["course"])
    nbgrader_as(instructor, root, "generate_assignment", assignment, "--force", cwd=course)
    if due:
        due = due_date(due)
        set_due_date(root, assignment, due)
        account = pwd.getpwnam(instructor)
        for path in sorted((course / "release" / assignment).glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            notebook.cells = [c for c in notebook.cells if c.get("id") != "due-date"]
            notebook.cells.insert(0, due_cell(due))
            nbformat.write(notebook, path)
            os.chown(path, account.pw_uid, account.pw_gid)
    nbgrader_as(instructor, root, "release_assignment", assignment, "--force", cwd=course)
    return course / "release" / assignment


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def runs(pid: int, program: str) -> bool:
    """Whether process ``pid`` is alive (not a zombie) and runs ``program``."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return "State:\tZ" not in status and program in command


def stop(root: Path) -> list[str]:
    """Stop the hub and its servers, remove the accounts and folders that start created; return what went."""
    sandbox.require_root()
    if not state_file(root).exists():
        return []
    state = json.loads(state_file(root).read_text())
    for pid in state.get("pids", []):
        if not runs(pid, "jupyterhub"):  # gone (or its number taken by another program since)
            continue
        os.killpg(pid, signal.SIGTERM)
        for _ in range(40):
            with contextlib.suppress(ChildProcessError):  # reap it if this process started it
                os.waitpid(pid, os.WNOHANG)
            if not runs(pid, "jupyterhub"):
                break
            time.sleep(0.25)
        else:
            os.killpg(pid, signal.SIGKILL)
    proxy_pid = root / "hub" / "proxy.pid"
    if proxy_pid.exists():
        with contextlib.suppress(ValueError):
            pid = int(proxy_pid.read_text().strip())
            if runs(pid, "configurable-http-proxy"):
                os.kill(pid, signal.SIGTERM)
    removed = []
    for name in state.get("accounts", []):
        if not _exists(name):
            continue
        sandbox.end_processes(pwd.getpwnam(name))
        subprocess.run(["userdel", "--remove", name], capture_output=True)
        if _exists(name):  # a process that started in the meantime: once more
            sandbox.end_processes(pwd.getpwnam(name))
            subprocess.run(["userdel", "--remove", "--force", name], capture_output=True)
        removed.append(name)
    restore_modes(state)
    shutil.rmtree(root)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classroom hub", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("start")
    up.add_argument("--students", type=int, default=5)
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    up.add_argument("--prefix", default=PREFIX, help="the accounts' names begin with this")
    out = commands.add_parser("release")
    out.add_argument("assignment")
    out.add_argument("--due", help="due date and time, UTC (YYYY-MM-DD HH:MM)")
    out.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    down = commands.add_parser("stop")
    down.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            state = start(args.root, args.students, args.port, args.prefix)
            print(f"JupyterHub is at {state['url']} (log: {args.root / 'hub' / 'jupyterhub.log'})")
            print(f"accounts: {state['instructor']} (instructor), {', '.join(state['students'])}")
            print(f"password of every account: {state['password']}")
            print(f"course (the instructor's): {state['course']}; exchange: {state['exchange']}")
            print("release a chapter with: python -m classroom hub release 01_conv2d --due '2027-02-01 17:00'")
            print("stop it with: make hub-stop")
        elif args.command == "release":
            folder = release(args.root, args.assignment, args.due)
            print(f"released {args.assignment} from {folder}" + (f", due {due_date(args.due)} UTC" if args.due else ""))
        else:
            removed = stop(args.root)
            print(f"hub stopped; removed {', '.join(removed) or 'nothing'}")
    except (HubError, sandbox.GradingError) as error:
        print(f"hub.py: {error}", file=sys.stderr)
        return 1
    return 0
