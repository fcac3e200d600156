"""The whole coursework cycle on a real JupyterHub (classroom/hub.py, as `make hub` starts it).

The hub runs on 127.0.0.1 with an instructor and five students, each a local account with its own name prefix
(so that a run never meets the accounts of `make hub` or of an earlier run). The instructor releases chapters 1
and 2 through nbgrader's exchange with a due date, which the released notebook and the hub's pages show. Each
student logs in with its password for a token of its own, starts its server through the hub's REST API and,
through that server (nbgrader's Assignments tab API and the contents API), fetches, answers (right, wrong,
partly right, empty, tampered) and submits; one student submits chapter 2 after the due date has passed. A
cell in every student's kernel runs as the student, without TensorFlow log lines, loads MNIST without a
download, and is denied the exchange's inbox and feedback, the course with its hidden tests, the gradebook,
the repository's chapters and another student's home. The instructor collects, the class is autograded in
the sandbox (classroom/grade.py), feedback is generated and released, and each student fetches its own: its own
score, a failed hidden test's message, no hidden test's code.

Run with `make test-hub` (as root; it takes several minutes, most of it grading).
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import pwd
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from classroom import grade, hub
from coursetools import chapters as toc
from coursetools.settings import ROOT
from test_nbgrader import TF_LOG, submissions

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the hub creates local accounts and runs servers as them (root)"),
    pytest.mark.skipif(
        os.environ.get("COURSE_HUB_TEST") != "1", reason="several minutes of grading: run by make test-hub"
    ),
]

CHAPTERS = toc.chapters()[:2]
COURSE_ID = hub.COURSE_ID
TEST_ROOTS = Path("/srv")
# student number -> what it hands in: the solutions; every part's typical wrong answer; the typical wrong answer
# of some parts (tests/test_nbgrader.py's wrong-1); the released notebook untouched; a wrong answer whose check
# cell was replaced by print("Correct.")
PERSONAS = {1: "right", 2: "wrong", 3: "partly right", 4: "empty", 5: "tampered"}
LATE = (5, CHAPTERS[1].stem)  # this student submits chapter 2 after its due date
FIRST_DUE = "2099-01-01 00:00:00"


def free_ports(count: int = 3) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        if all(hub.port_free(first + n) for n in range(count)):
            return first
    raise RuntimeError("no free ports")


def remove_leftovers() -> None:
    """Stop the hubs of earlier runs that did not clean up (killed before their end), not running ones."""
    for state_path in TEST_ROOTS.glob("convolutional-autoencoders-hub-test-*/hub/state.json"):
        root = state_path.parent.parent
        state = json.loads(state_path.read_text())
        if not state.get("pids") and time.time() - state_path.stat().st_mtime < 600:
            continue  # a hub still being set up
        if not any(hub.runs(pid, "jupyterhub") for pid in state.get("pids", [])):
            hub.stop(root)


@pytest.fixture(scope="module")
def class_hub():
    remove_leftovers()
    tag = uuid.uuid4().hex[:6]
    root = TEST_ROOTS / f"convolutional-autoencoders-hub-test-{tag}"
    prefix = f"cat{tag}-"
    modes = {path: os.stat(path).st_mode for path in (ROOT / "notebooks",)}
    started = time.monotonic()
    try:
        state = hub.start(root, students=len(PERSONAS), port=free_ports(), prefix=prefix)
        yield root, state
    finally:
        removed = hub.stop(root)
        print(f"\nthe hub's whole cycle took {time.monotonic() - started:.0f} s")
        assert set(removed) == {f"{prefix}instructor", *(f"{prefix}student-{n}" for n in PERSONAS)}
        assert not root.exists()
        assert {path: os.stat(path).st_mode for path in modes} == modes
        with open("/etc/passwd") as accounts:
            assert prefix not in accounts.read()


def request(state: dict, method: str, path: str, body=None, token: str | None = None, form: bool = False):
    """A request to the hub (``/hub/...``) or through it to a server (``/user/<name>/...``); JSON back."""
    headers = {"Authorization": f"token {token or state['token']}"} if token != "" else {}
    if form:
        data = urllib.parse.urlencode(body).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        data = json.dumps(body).encode() if body is not None else None
        headers["Content-Type"] = "application/json"
    call = urllib.request.Request(f"{state['url']}{path}", method=method, data=data, headers=headers)
    with urllib.request.urlopen(call, timeout=300) as response:
        text = response.read().decode()
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return text


def student_token(state: dict, user: str) -> str:
    """Log in as the student (name and password) for a token of its own, as a script of the student would."""
    answer = request(
        state, "POST", f"/hub/api/users/{user}/tokens",
        {"auth": {"username": user, "password": state["password"]}, "note": "cycle test"}, token="",
    )  # fmt: skip
    return answer["token"]


def start_server(state: dict, user: str, token: str) -> None:
    request(state, "POST", f"/hub/api/users/{user}/server", token=token)
    for _ in range(240):
        model = request(state, "GET", f"/hub/api/users/{user}", token=token)
        if model.get("servers", {}).get("", {}).get("ready"):
            return
        time.sleep(0.5)
    raise AssertionError(f"the server of {user} did not start")


def assignments(state: dict, user: str, token: str, action: str | None = None, assignment: str = "") -> dict:
    """nbgrader's Assignments tab in the student's server: list, or fetch / submit / fetch_feedback."""
    if action is None:
        answer = request(state, "GET", f"/user/{user}/assignments?course_id={COURSE_ID}", token=token)
    else:
        answer = request(
            state, "POST", f"/user/{user}/assignments/{action}",
            {"course_id": COURSE_ID, "assignment_id": assignment}, token=token, form=True,
        )  # fmt: skip
    assert answer.get("success"), answer
    return {a["assignment_id"]: a for a in answer["value"]}


def run_cell(state: dict, user: str, token: str, code: str, folder: str) -> list[dict]:
    """Run ``code`` in a new kernel of the student's server (in ``folder`` of its home); the cell's outputs."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    kernel = request(state, "POST", f"/user/{user}/api/kernels", {"name": "python3", "path": folder}, token=token)
    url = f"{state['url'].replace('http', 'ws', 1)}/user/{user}/api/kernels/{kernel['id']}/channels"

    async def execute() -> list[dict]:
        connection = await websocket_connect(
            HTTPRequest(url, headers={"Authorization": f"token {token}"}, request_timeout=120)
        )
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": user, "session": msg_id,
                  "version": "5.3"}  # fmt: skip
        content = {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}  # fmt: skip
        message = {"header": header, "parent_header": {}, "metadata": {}, "channel": "shell", "content": content}
        await connection.write_message(json.dumps(message))
        outputs = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            reply = json.loads(await connection.read_message())
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = reply["header"]["msg_type"]
            if kind == "stream" and outputs and outputs[-1].get("name") == reply["content"]["name"]:
                outputs[-1]["text"] += reply["content"]["text"]  # one stream, however the kernel split it
            elif kind in ("stream", "error", "execute_result", "display_data"):
                outputs.append({"type": kind, **reply["content"]})
            if kind == "status" and reply["content"]["execution_state"] == "idle":
                break
        connection.close()
        return outputs

    try:
        return asyncio.run(execute())
    finally:
        request(state, "DELETE", f"/user/{user}/api/kernels/{kernel['id']}", token=token)


PROBE = """
import os, pwd
import tensorflow as tf
import course

(train_images, _), _ = course.load_mnist()
print(pwd.getpwuid(os.getuid()).pw_name, train_images.shape)
for action, path in {probes!r}:
    try:
        os.listdir(path) if action == "list" else open(path, "rb").close()
        print(action, path, "allowed")
    except PermissionError:
        print(action, path, "denied")
"""


PROBE_ONLY = """
import os

for action, path in {probes!r}:
    try:
        os.listdir(path) if action == "list" else open(path, "rb").close()
        print("allowed")
    except PermissionError:
        print("denied")
"""


def contents(state: dict, user: str, token: str, path: str) -> dict:
    return request(state, "GET", f"/user/{user}/api/contents/{urllib.parse.quote(path)}?content=1", token=token)


def feedback_pages(state: dict, user: str, token: str, chapter: Path) -> list[str]:
    """The feedback pages in the student's home, read through its server."""
    pages, folders = [], [f"{chapter.stem}/feedback"]
    while folders:
        for item in contents(state, user, token, folders.pop())["content"]:
            if item["type"] == "directory":
                folders.append(item["path"])
            elif item["name"].endswith(".html"):
                pages.append(contents(state, user, token, item["path"])["content"])
    return pages


def wrong_everywhere(notebooks: dict) -> nbformat.NotebookNode:
    """The solutions with every part's typical wrong answer (all of tests/test_nbgrader.py's wrong-<n>)."""
    combined = nbformat.from_dict(json.loads(json.dumps(notebooks["right"])))
    for name, notebook in notebooks.items():
        if not name.startswith("wrong-"):
            continue
        for cell, wrong in zip(combined.cells, notebook.cells, strict=True):
            right = next(c for c in notebooks["right"].cells if c.id == cell.id)
            if wrong.source != right.source:
                assert wrong.source.startswith(right.source), cell.id
                cell.source += wrong.source[len(right.source) :]
    return combined


def test_a_class_through_the_hub(class_hub):
    root, state = class_hub
    course = Path(state["course"])
    exchange = Path(state["exchange"]) / COURSE_ID
    students = dict(zip(PERSONAS, state["students"], strict=True))
    homes = {n: Path(pwd.getpwnam(name).pw_dir) for n, name in students.items()}

    # the instructor releases chapters 1 and 2 with a due date, shown in the notebook and on the hub's pages
    for chapter in CHAPTERS:
        released = hub.release(root, chapter.stem, due=FIRST_DUE)
        first = nbformat.read(released / chapter.name, as_version=4).cells[0]
        assert first.cell_type == "markdown" and f"Due: {FIRST_DUE} UTC" in first.source
    login_page = request(state, "GET", "/hub/login", token="")
    for chapter in CHAPTERS:
        assert f"<strong>{chapter.stem}</strong> is due {FIRST_DUE} UTC" in login_page

    # every student: a token from its password, its server, and through the server the Assignments tab
    tokens = {n: student_token(state, name) for n, name in students.items()}
    with ThreadPoolExecutor(len(students)) as pool:
        list(pool.map(lambda n: start_server(state, students[n], tokens[n]), students))
    for n, name in students.items():
        listed = assignments(state, name, tokens[n])
        assert {a: listed[a]["status"] for a in listed} == {c.stem: "released" for c in CHAPTERS}
        for chapter in CHAPTERS:
            fetched = assignments(state, name, tokens[n], "fetch", chapter.stem)
            assert fetched[chapter.stem]["status"] == "fetched"
            notebook = contents(state, name, tokens[n], f"{chapter.stem}/{chapter.name}")["content"]
            assert "BEGIN HIDDEN TESTS" not in json.dumps(notebook)
            assert "BEGIN SOLUTION" not in json.dumps(notebook)

    # a cell in every student's kernel: its account, the course's kernel configuration, MNIST, no access
    # to the others' work or to the course's answers
    probes = [
        ("list", str(exchange / "inbound")),
        ("list", str(course)),
        ("read", str(course / "source" / CHAPTERS[0].stem / CHAPTERS[0].name)),
        ("read", str(course / "gradebook.db")),
        ("read", str(ROOT / "notebooks" / CHAPTERS[0].name)),
    ]
    for n, name in students.items():
        other = homes[1 if n != 1 else 2] / CHAPTERS[0].stem / CHAPTERS[0].name
        mine = probes + [("read", str(other))]
        outputs = run_cell(state, name, tokens[n], PROBE.format(probes=mine), CHAPTERS[0].stem)
        assert [o["type"] for o in outputs] == ["stream"] and outputs[0]["name"] == "stdout", outputs
        lines = outputs[0]["text"].splitlines()
        assert lines[0] == f"{name} (60000, 28, 28)"
        assert lines[1:] == [f"{action} {path} denied" for action, path in mine]
        assert not TF_LOG.search(outputs[0]["text"])

    # each student answers (the contents API, as JupyterLab saves) and submits; one submits chapter 2 late
    expected = {}
    for chapter in CHAPTERS:
        notebooks, scores, _ = submissions(chapter, course)
        notebooks["wrong"] = wrong_everywhere(notebooks)
        notebooks["partly right"] = notebooks["wrong-1"]
        points = scores["right"]
        scores["wrong"] = dict.fromkeys(points, 0.0)  # every part of chapters 1 and 2 has a typical wrong answer
        scores["partly right"] = scores["wrong-1"]
        for n, name in students.items():
            persona = PERSONAS[n]
            path = f"{chapter.stem}/{chapter.name}"
            if persona != "empty":
                body = {"type": "notebook", "format": "json", "content": notebooks[persona]}
                request(state, "PUT", f"/user/{name}/api/contents/{urllib.parse.quote(path)}", body, token=tokens[n])
            expected[name, chapter.stem] = sum(scores[persona].values())
            if (n, chapter.stem) != LATE:
                assert assignments(state, name, tokens[n], "submit", chapter.stem)[chapter.stem]["submissions"]
    late_student, late_chapter = students[LATE[0]], LATE[1]
    due = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 1))
    hub.set_due_date(root, late_chapter, due)  # the instructor moves chapter 2's deadline to now
    assert f"<strong>{late_chapter}</strong> is due {due} UTC" in request(state, "GET", "/hub/login", token="")
    time.sleep(2.5)
    assignments(state, late_student, tokens[LATE[0]], "submit", late_chapter)

    # names in the inbox carry a random part: a student who cannot list the inbox cannot guess another's
    inbox = os.listdir(exchange / "inbound")
    assert len(inbox) == len(students) * len(CHAPTERS)
    assert all(re.fullmatch(r".+\+.+\+.+\+[\w-]{12}", name) for name in inbox), inbox

    # the instructor collects, the class is graded in the sandbox, feedback is generated and released
    got, late = {}, set()
    for chapter in CHAPTERS:
        hub.nbgrader_as(state["instructor"], root, "collect", chapter.stem, cwd=course)
        summary = grade.autograde_class(course, chapter.stem, jobs=2)
        assert not summary["errors"], summary["errors"]
        assert summary["not_submitted"] == []
        late |= {(s, chapter.stem) for s in summary["late"]}
        for name, outcome in summary["students"].items():
            got[name, chapter.stem] = outcome["score"]
        print(f"{chapter.stem}: {summary['wall_seconds']} s grading wall time with 2 workers")
        result = grade.generate_feedback(course, chapter.stem)
        assert result["success"], result
        hub.nbgrader_as(state["instructor"], root, "release_feedback", chapter.stem, cwd=course)
    table = "\n".join(
        f"{name:<24} {PERSONAS[n]:<13}"
        + "".join(f" {got[name, c.stem]:>5g}/{sum_points(course, c):g}" for c in CHAPTERS)
        for n, name in students.items()
    )
    print(f"\nstudent                  answers       {'  '.join(c.stem for c in CHAPTERS)}\n{table}")
    assert got == expected
    assert late == {(late_student, late_chapter)}
    nobody = PROBE_ONLY.format(probes=[("list", str(exchange / "feedback")), ("list", str(exchange / "inbound"))])
    for n, name in students.items():
        outputs = run_cell(state, name, tokens[n], nobody, "")
        assert outputs == [{"type": "stream", "name": "stdout", "text": "denied\ndenied\n"}], outputs

    # each student fetches its own feedback through its server: its own score, the messages of the hidden
    # tests it failed, and no line of any hidden test's code
    for n, name in students.items():
        for chapter in CHAPTERS:
            assignments(state, name, tokens[n], "fetch_feedback", chapter.stem)
            pages = feedback_pages(state, name, tokens[n], chapter)
            assert len(pages) == 1, (name, chapter.stem, len(pages))
            page = html.unescape(re.sub(r"<[^>]+>", "", pages[0]))  # the text a student reads
            shown = re.search(r"Score: ([\d.]+) / ([\d.]+)", re.sub(r"\s+", " ", page))
            assert shown and float(shown.group(1)) == got[name, chapter.stem], (name, shown and shown.group(0))
            assert "BEGIN HIDDEN TESTS" not in page
            page_lines = {line.strip() for line in page.splitlines()}
            assert not [line for line in hidden_lines(course, chapter) if line in page_lines], (name, chapter.stem)
            failed = failed_messages(course / "autograded" / name / chapter.stem / chapter.name)
            if PERSONAS[n] == "right":
                assert not failed, failed
            elif PERSONAS[n] != "empty":
                assert failed, (name, chapter.stem)
            for message in failed:
                assert message in page, (name, chapter.stem, message)
            for other in students.values():
                assert other == name or other not in page


def hidden_lines(course: Path, chapter: Path) -> list[str]:
    """The lines of the hidden tests in the source that the released notebook does not hold (none of them may
    reach a student)."""
    source = nbformat.read(course / "source" / chapter.stem / chapter.name, as_version=4)
    released = nbformat.read(course / "release" / chapter.stem / chapter.name, as_version=4)
    known = {line.strip() for cell in released.cells for line in cell.source.splitlines()}
    lines = []
    for cell in source.cells:
        for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            lines += [line.strip() for line in region.splitlines() if len(line.strip()) > 24]
    lines = [line for line in lines if line not in known]
    assert lines, f"{chapter.stem} has no hidden tests"
    return lines


def failed_messages(autograded: Path) -> list[str]:
    """The messages of the AssertionErrors that graded cells of an autograded notebook failed with."""
    notebook = nbformat.read(autograded, as_version=4)
    return [
        output["evalue"]
        for cell in notebook.cells
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error" and output.get("ename") == "AssertionError" and output["evalue"]
    ]


def sum_points(course: Path, chapter: Path) -> float:
    _, scores, _ = submissions(chapter, course)
    return sum(scores["right"].values())
