"""Grading that no submission can rig or read past: classroom/grade.py on a small course (no TensorFlow).

The course has one notebook whose hidden tests hand their answers to course.grade_equal/grade_close. Each
simulated student attacks the grading in one way (an answer whose __eq__ always says yes, the course's grading
functions and NumPy's comparison replaced, the exercise's data overwritten, failed assertions swallowed by an
exception handler, a forged record of answers, the source and the gradebook read or written, an edited
course package, a notebook that hangs, one that exhausts memory) and must score nothing it did not answer.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from gradingcourse import (
    RIG_CELLS,
    RIG_POINTS,
    RIG_SOLUTION,
    RIG_WRONG,
    one_notebook_course,
    outputs_text,
    sandbox_missing,
)

import course
from classroom import grade, sandbox
from coursetools import coursework
from test_nbgrader import nbgrader

# --------------------------------------------------------------------------------------------------
# Plain values
# --------------------------------------------------------------------------------------------------


class Yes(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__

    def __int__(self):
        return 99


@pytest.mark.parametrize(
    "value, expected",
    [
        (Yes(3), 3),
        ((None, 9, 9, 10), [None, 9, 9, 10]),
        ([1, 2], [1, 2]),
        (__import__("numpy").arange(4.0).reshape(2, 2), [[0.0, 1.0], [2.0, 3.0]]),
        (__import__("numpy").int64(7), 7),
        ({(1, 2): (1, 2, 4)}, {"dict": [[[1, 2], [1, 2, 4]]]}),
        ({2, 1}, {"set": [1, 2]}),
        (object(), {"unsupported": "object"}),
    ],
)
def test_plain_turns_answers_into_built_in_values(value, expected):
    result = course.plain(value)
    assert json.dumps(result) == json.dumps(expected)
    assert type(course.plain(Yes(3))) is int


def test_plain_match_compares_without_the_answers_methods():
    assert not course.plain_match(course.plain(Yes(3)), 5)
    assert course.plain_match(1, 1.0) and not course.plain_match(True, 1)
    assert course.plain_match([1.0000001], [1.0], "close", 1e-6) and not course.plain_match([1.1], [1.0], "close", 1e-6)
    assert not course.plain_match([1.0], [1.0, 2.0], "close", 1.0)
    assert course.plain_match([0, 1], [[0, 1], [1, 1]], "member") and not course.plain_match([1, 0], [[0, 1]], "member")
    with pytest.raises(AssertionError, match="not right yet"):
        course.grade_equal("k", Yes(3), 5, "k is not right yet")


# --------------------------------------------------------------------------------------------------
# A class of attacks, graded by classroom/grade.py
# --------------------------------------------------------------------------------------------------

needs_root = pytest.mark.skipif(bool(sandbox_missing()), reason=sandbox_missing() or "-")

WRONG = RIG_WRONG
PROBE_PATHS = "PROBE = ['../../../source/rig/rig.ipynb', '../../../gradebook.db', COURSE_DIR + '/source/rig/rig.ipynb', COURSE_DIR + '/gradebook.db', COURSE_DIR + '/submitted/right/rig/rig.ipynb']\n"
# Each student: the solution cell's source and the score each part must get.
RIGGED = {
    "right": (None, RIG_POINTS),
    "wrong": (WRONG, {}),
    # an answer whose __eq__ always says yes
    "liar": (
        "class Yes(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n\n\n"
        "answer_sum = Yes(0)\nanswer_count = Yes(0)\n\n\ndef double(x):\n    return Yes(0)\n",
        {},
    ),
    # the course's grading functions and NumPy's comparison replaced
    "patched": (
        WRONG + "course.grade_equal = course.grade_close = course.grade_member = lambda *a, **k: None\n"
        "course.plain_match = lambda *a, **k: True\nnp.allclose = np.isclose = lambda *a, **k: True\n",
        {},
    ),
    # the exercise's data overwritten so that the kernel's reference matches a wrong answer
    "data": ("data = np.zeros(6)\nanswer_sum = 0.0\nanswer_count = len(data)\n", {"ex-rig-check-count": 1.0}),
    # an exception handler that swallows every failed assertion, and a forged record of answers
    "swallow": (
        WRONG + "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"
        "import os\nopen(os.environ.get('COURSE_GRADING_RECORD', '/dev/null'), 'a').write("
        '\'{"key": "answer_sum", "answer": 14.0}\\n\')\n',
        {},
    ),
    # a hook that runs each check cell's hidden tests before the cell, to take the references as answers
    "peek": (
        WRONG + "import re\n\n\nclass Catch:\n    def __getattr__(self, name):\n"
        "        def grab(key, answer, reference, *args, **kwargs):\n"
        "            if reference is not None and key in ('answer_sum', 'answer_count'):\n"
        "                globals()[key] = reference\n\n        return grab\n\n\n"
        "def peek(info):\n"
        "    hidden = re.search(r'BEGIN HIDDEN TESTS\\n(.*?)### END', info.raw_cell or '', re.S)\n"
        "    if hidden:\n        try:\n            exec(hidden.group(1), dict(globals(), course=Catch()))\n"
        "        except Exception:\n            pass\n\n\n"
        "get_ipython().events.register('pre_run_cell', peek)\n",
        {},
    ),
    # reads the source with its hidden tests, the gradebook and another submission, and writes the gradebook
    "reader": (
        WRONG + PROBE_PATHS + "for path in PROBE:\n    try:\n        open(path).read(10)\n        print('READ', path)\n"
        "    except OSError:\n        print('DENIED', path)\n"
        "for path in PROBE[1::2]:\n    try:\n        open(path, 'a').write('x')\n        print('WROTE', path)\n"
        "    except OSError:\n        print('DENIED', path)\n",
        {},
    ),
    # a submitted course package whose grading functions always pass (nbgrader puts the source's back)
    "course-edit": (WRONG, {}),
    # right answers, one check cell deleted: that part needs a manual grade
    "deleted": (None, {"ex-rig-check-sum": 1.0, "ex-rig-check-count": 1.0}),
    # hangs: the notebook's time limit stops it, and the others are graded
    "sleeper": ("import time\ntime.sleep(10**6)\n", {}),
    # exhausts memory: the kernel's address-space limit stops the allocation
    "hog": ("chunks = []\nwhile True:\n    chunks.append(np.ones(2**26))\n", {}),
}


def rig_course(root: Path) -> Path:
    """A one-notebook nbgrader course whose hidden tests record answers, with every RIGGED submission."""
    released = one_notebook_course(root, "rig", RIG_CELLS)
    for student, (answer, _) in RIGGED.items():
        folder = root / "submitted" / student / "rig"
        folder.mkdir(parents=True)
        submission = nbformat.from_dict(json.loads(json.dumps(released)))
        solution = next(c for c in submission.cells if c.id == "ex-rig-solution")
        if answer is None:
            solution.source = RIG_SOLUTION
        else:
            solution.source = answer.replace("COURSE_DIR", repr(str(root)))
        if student == "deleted":
            submission.cells = [c for c in submission.cells if c.id != "ex-rig-check-double"]
        nbformat.write(submission, folder / "rig.ipynb")
        shutil.copytree(root / "release" / "rig" / "course", folder / "course")
        if student == "course-edit":
            with open(folder / "course" / "grading.py", "a") as edited:
                edited.write("\n\ndef plain_match(*args, **kwargs):\n    return True\n")
    nbgrader(root, "db", "student", "add", "absent")  # on the roster, never submitted
    return root


@pytest.fixture(scope="module")
def rigged(tmp_path_factory):
    root = rig_course(tmp_path_factory.mktemp("rig") / "course")
    (root / "grading").mkdir()
    printed = io.StringIO()
    summary = grade.autograde_class(root, "rig", jobs=2, notebook_timeout=40, memory=2 * 2**30, out=printed)
    print(printed.getvalue())
    return root, summary, printed.getvalue()


@needs_root
@pytest.mark.slow
def test_no_submission_gains_points_it_did_not_answer(rigged):
    root, summary, _ = rigged
    assert not summary["errors"], summary["errors"]
    got, status = {}, {}
    for row in coursework.score_rows(root):
        if row["student"] != "absent":
            got.setdefault(row["student"], {})[row["part"]] = row["score"]
        status[row["student"], row["part"]] = row["status"]
    expected = {
        student: {part: scores.get(part, 0.0) for part in RIG_POINTS} for student, (_, scores) in RIGGED.items()
    }
    print({s: sum(v.values()) for s, v in got.items()})
    assert got == expected
    assert sorted(summary["stopped"]) == ["hog", "sleeper"]
    assert summary["kernel_only_parts"] == []
    assert summary["not_submitted"] == ["absent"]
    assert {part: status["absent", part] for part in RIG_POINTS} == dict.fromkeys(RIG_POINTS, "not submitted")
    assert status["deleted", "ex-rig-check-double"] == "needs manual grade"
    assert status["deleted", "ex-rig-check-sum"] == status["wrong", "ex-rig-check-sum"] == "graded"


@needs_root
@pytest.mark.slow
def test_a_submission_reads_and_writes_nothing_of_the_course(rigged):
    root, _, _ = rigged
    graded = nbformat.read(root / "autograded" / "reader" / "rig" / "rig.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    assert "DENIED" in text and "READ" not in text and "WROTE" not in text, text
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


@needs_root
@pytest.mark.slow
def test_hung_and_memory_exhausting_submissions_are_marked(rigged):
    root, summary, _ = rigged
    assert "time limit" in grade.status_of(summary["students"]["sleeper"])
    assert "memory limit" in grade.status_of(summary["students"]["hog"])
    hog = nbformat.read(root / "autograded" / "hog" / "rig" / "rig.ipynb", as_version=4)
    errors = [o.get("ename") for c in hog.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert "MemoryError" in errors or "GradingStopped" in errors, errors


@needs_root
@pytest.mark.slow
def test_feedback_shows_a_hidden_tests_message_not_its_code(rigged):
    root, _, _ = rigged
    result = grade.generate_feedback(root, "rig")
    assert result["success"], result
    page = (root / "feedback" / "wrong" / "rig" / "rig.html").read_text()
    assert "answer_sum is not right yet" in page
    assert "grade_close" not in page and "HIDDEN TESTS" not in page
    assert "Cell In[" not in page and "Traceback (most recent call last)" not in page  # no traceback frames


@needs_root
@pytest.mark.slow
def test_canvas_gradebook_has_a_column_per_exercise(rigged):
    root, _, _ = rigged
    header, rows = grade.canvas_rows(root)
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "rig: ex-rig"]
    assert rows[0]["Student"].strip() == "Points Possible" and rows[0]["rig: ex-rig"] == "4"
    by_student = {row["Student"]: row for row in rows[1:]}
    assert by_student["right"]["rig: ex-rig"] == 4.0 and by_student["data"]["rig: ex-rig"] == 1.0
    assert by_student["absent"]["rig: ex-rig"] == ""


@needs_root
@pytest.mark.slow
def test_the_summary_shows_each_submissions_score_and_time(rigged):
    _, summary, printed = rigged
    table = printed.split("student ")[-1]
    for student, outcome in summary["students"].items():
        row = next(line for line in table.splitlines() if line.split()[:1] == [student])
        assert f"{outcome['seconds']:.1f}" in row and grade.score_text(outcome) in row, row


@needs_root
@pytest.mark.slow
def test_grading_leaves_no_account_lock_or_copy_of_weights_behind(rigged):
    _, summary, printed = rigged
    assert "cleaned up" in printed
    for name in sandbox.sandbox_accounts():  # any account left is held by a grading running beside this one
        assert sandbox.account_in_use(name), name
    locks = sorted(p.stem for p in sandbox.LOCK_DIR.glob("*.lock")) if sandbox.LOCK_DIR.is_dir() else []
    assert all(sandbox.account_in_use(name) for name in locks), locks
    assert not (sandbox.SANDBOX_ROOT / "fit-cache" / f"rig-{summary['run']}").exists()
    assert not list(sandbox.SANDBOX_ROOT.glob(f"{sandbox.SANDBOX_PREFIX}*-*")) or any(
        map(sandbox.account_in_use, locks)
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="grading needs root")
def test_grading_in_parallel_without_namespaces_is_refused_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "namespaces_problem", lambda: "bwrap is not installed (apt install bubblewrap)")
    with pytest.raises(grade.GradingError, match="in parallel.*bwrap is not installed.*--jobs 1"):
        grade.autograde_class(tmp_path, "rig", jobs=2)


def test_a_copy_follows_no_link_and_keeps_to_its_limits(tmp_path):
    source, secret = tmp_path / "submission", tmp_path / "secret.txt"
    (source / "extra").mkdir(parents=True)
    secret.write_text("root's")
    for number in range(5):
        (source / "extra" / f"{number}.txt").write_text("x" * 10)
    (source / "answer.ipynb").write_text("{}")
    (source / "secret.txt").symlink_to(secret)
    (source / "outside").symlink_to(tmp_path)
    os.mkfifo(source / "pipe")
    report = sandbox.copy_tree(source, tmp_path / "copy", max_files=3)
    copied = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*"))
    assert copied == ["answer.ipynb", "extra", "extra/0.txt", "extra/1.txt"]
    assert (report.files, report.over_limit) == (3, 3)
    assert report.links == ["outside", "secret.txt"] and report.special == ["pipe"]
    assert [note.split(" ")[:2] for note in report.notes()] == [["2", "symbolic"], ["1", "special"], ["3", "files"]]


def test_feedback_clears_every_output_of_hidden_test_lines():
    cells = [
        nbformat.v4.new_code_cell(
            RIG_CELLS[3][2], metadata={"nbgrader": {"grade": True, "grade_id": "c", "points": 1}}
        ),
        nbformat.v4.new_code_cell("print('hello')"),
    ]
    kernel_saw = grade.withhold_references(RIG_CELLS[3][2])
    cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="before\n" + kernel_saw + "\nafter"),
        nbformat.v4.new_output(
            "display_data", data={"text/html": kernel_saw.replace("'", "&#x27;"), "text/plain": "ok"}
        ),
        nbformat.v4.new_output(
            "error", ename="E", evalue="assert   np.allclose(answer_sum,  np.sum(data))", traceback=[]
        ),
    ]
    cells[0].outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="answer_sum is not right yet",
                                               traceback=["Traceback", RIG_CELLS[3][2]])]  # fmt: skip
    notebook = nbformat.v4.new_notebook(cells=cells)
    preprocessor = grade.make_feedback_preprocessor()()
    notebook, _ = preprocessor.preprocess(notebook, {})
    shown = outputs_text(notebook)
    assert "before" in shown and "after" in shown and "answer_sum is not right yet" in shown
    for hidden in ("HIDDEN TESTS", "grade_close", "np.allclose", "np.sum(data)"):
        assert hidden not in shown, hidden
    assert "HIDDEN" not in notebook.cells[0].source and "expect_type" in notebook.cells[0].source


@needs_root
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("MNIST_NPZ"), reason="chapter 1 reads MNIST: set MNIST_NPZ")
def test_a_right_submission_of_a_chapter_is_graded_and_fed_back_without_an_error(tmp_path):
    # the self-check cells run in the sandbox too: the course package travels with the assignment
    from classroom import bench
    from coursetools.chapters import chapters

    chapter = next(path for path in chapters() if path.stem == "01_conv2d")
    course = bench.solved_class(tmp_path / "course", chapter, ["solved"])
    summary = grade.autograde_class(course, chapter.stem, jobs=1, out=sys.stdout)
    assert not summary["errors"] and not summary["stopped"], summary
    outcome = summary["students"]["solved"]
    assert outcome["score"] == outcome["max_score"] > 0 and outcome["notes"] == []
    graded = nbformat.read(course / "autograded" / "solved" / chapter.stem / chapter.name, as_version=4)
    outputs = [output for cell in graded.cells for output in cell.get("outputs", [])]
    assert [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.get("output_type") == "error"] == []
    assert [o["text"] for o in outputs if o.get("name") == "stderr"] == []
    assert grade.generate_feedback(course, chapter.stem)["success"]
    page = (course / "feedback" / "solved" / chapter.stem / f"{chapter.stem}.html").read_text()
    assert grade.WITHHELD not in page and "no questions for chapter" not in page


def test_the_student_site_leaves_out_the_instructors_page(tmp_path):
    source = coursework.write_site_source(tmp_path / "book")
    assert not (source / "book" / "instructors.md").exists()
    assert "instructors" not in (source / "_toc.yml").read_text()
    assert not any("instructors.md" in page.read_text() for page in (source / "book").rglob("*.md"))


def test_withheld_references_leave_the_rest_of_the_check_as_it_was():
    source = (
        'course.hint_if_known("total", total, {})\n'
        "### BEGIN HIDDEN TESTS\n"
        'course.grade_equal("total", total, sum(values), "total is not right yet")\n'
        'course.grade_close("mean", mean, reference=sum(values) / 3, message="mean is not right yet", atol=0.1)\n'
        "### END HIDDEN TESTS\n"
        'print("done")\n'
    )
    withheld = grade.withhold_references(source)
    assert withheld.splitlines() == [
        'course.hint_if_known("total", total, {})',
        "### BEGIN HIDDEN TESTS",
        "course.grade_equal('total', total, None, 'total is not right yet', withheld=True)",
        "course.grade_close('mean', mean, reference=None, message='mean is not right yet', atol=0.1, withheld=True)",
        "### END HIDDEN TESTS",
        'print("done")',
    ]
    assert "sum(values)" not in withheld
    calls = []
    namespace = {"total": 6, "mean": 2.0, "values": [1, 2, 3]}
    namespace["course"] = type("Course", (), {
        "hint_if_known": staticmethod(lambda *a: None),
        "grade_equal": staticmethod(lambda key, answer, reference, message, **kw: calls.append((key, reference, kw))),
        "grade_close": staticmethod(lambda key, answer, reference, message, **kw: calls.append((key, reference, kw))),
    })  # fmt: skip
    exec(withheld, namespace)  # every call still has the arguments the grading functions require
    assert [(key, reference, kw["withheld"]) for key, reference, kw in calls] == [
        ("total", None, True),
        ("mean", None, True),
    ]


def test_a_repository_in_a_closed_folder_is_named_with_what_to_do():
    # pytest's own temporary folders are closed to other accounts: this one lies in /tmp, open to all
    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        closed = base / "private"
        (closed / "course" / "main").mkdir(parents=True)
        os.chmod(base, 0o755)
        os.chmod(closed, 0o700)
        assert sandbox.closed_folder(closed / "course" / "main") == closed
        os.chmod(closed, 0o711)
        assert sandbox.closed_folder(closed / "course" / "main") is None
    finally:
        shutil.rmtree(base)


# --------------------------------------------------------------------------------------------------
# Trained weights reused: a submission whose training matches the reference run's does not train again
# --------------------------------------------------------------------------------------------------

TRAIN_CELLS = [
    ("setup", None, "import numpy as np\nimport keras\nimport course\n\nkeras.utils.set_random_seed(0)"),
    (
        "data",
        None,
        "rng = np.random.default_rng(0)\ninputs = rng.normal(size=(256, 8)).astype('float32')\n"
        "targets = inputs @ rng.normal(size=(8, 1)).astype('float32')",
    ),
    ("ex-train-solution", "solution", "### BEGIN SOLUTION\nhidden_units = 4\n### END SOLUTION"),
    (
        "train",
        None,
        "model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hidden_units, activation='relu'),\n"
        "                          keras.layers.Dense(1)])\n"
        "model.compile(optimizer=keras.optimizers.Adam(0.01), loss='mse')\n"
        "history = model.fit(inputs, targets, epochs=3, batch_size=32, verbose=0)",
    ),
    (
        "ex-train-check",
        2,
        "course.expect_type('hidden_units', hidden_units, int, 'a whole number')\n"
        "### BEGIN HIDDEN TESTS\n"
        "course.grade_close('trained kernel', model.get_weights()[0], model.get_weights()[0],\n"
        "                   'the trained network is not the one asked for', atol=1e-6)\n"
        "course.grade_close('final loss', history.history['loss'][-1], history.history['loss'][-1],\n"
        "                   'the trained network is not the one asked for', atol=1e-6)\n"
        "### END HIDDEN TESTS",
    ),
]
# Each student: the solution cell's source, the points, and how many calls of fit reuse the reference's.
TRAINED = {
    "same": ("hidden_units = 2 + 2\n", 2.0, {"hit": 1}),  # other code, the same network: reused
    "other": ("hidden_units = 5\n", 0.0, {"miss": 1}),  # another network: trained, and wrong
    # the same network after a NumPy draw that training never uses: the inputs of fit differ (the random
    # state), so it trains, and gets what the reference got
    "draw": ("hidden_units = 4\nnp.random.rand()\n", 2.0, {"miss": 1}),
    # lists and reads the shared weights: it cannot list them, and an entry it finds is only ciphertext
    "reader": (
        "import os\nhidden_units = 5\nfolder = os.environ['COURSE_FIT_CACHE']\n"
        "try:\n    print('LISTED', os.listdir(folder))\nexcept OSError:\n    print('DENIED')\n",
        0.0,
        {"miss": 1},
    ),
}


def training_course(root: Path) -> Path:
    """A one-notebook nbgrader course that trains a small network, with every TRAINED submission."""
    released = one_notebook_course(root, "train", TRAIN_CELLS)
    for student, (answer, _, _) in TRAINED.items():
        folder = root / "submitted" / student / "train"
        folder.mkdir(parents=True)
        submission = nbformat.from_dict(json.loads(json.dumps(released)))
        next(c for c in submission.cells if c.id == "ex-train-solution").source = answer
        nbformat.write(submission, folder / "train.ipynb")
        shutil.copytree(root / "release" / "train" / "course", folder / "course")
    return root


@needs_root
@pytest.mark.slow
def test_grading_reuses_the_reference_runs_training_only_where_it_is_the_same(tmp_path):
    root = training_course(tmp_path / "course")
    summary = grade.autograde_class(root, "train", jobs=2, notebook_timeout=300, memory=8 * 2**30, out=sys.stdout)
    assert not summary["errors"], summary["errors"]
    references = json.loads((root / "grading" / "train" / "references.json").read_text())
    assert references["fits"] == {"train": {"stored": 1}}
    scores = {row["student"]: row["score"] for row in coursework.score_rows(root)}
    assert scores == {student: points for student, (_, points, _) in TRAINED.items()}
    fits = {student: grade.fits_of(outcome) for student, outcome in summary["students"].items()}
    assert fits == {student: reused for student, (_, _, reused) in TRAINED.items()}
    assert summary["fits"] == {"hit": 1, "miss": 3}
    differences = {student: o["notebooks"]["train"]["fit_differences"] for student, o in summary["students"].items()}
    assert differences == {  # what an instructor reads to see why a submission trained
        "same": [],
        "other": ["call 1: differs in model"],
        "draw": ["call 1: differs in random"],
        "reader": ["call 1: differs in model"],
    }
    graded = nbformat.read(root / "autograded" / "reader" / "train" / "train.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    assert "DENIED" in printed and "LISTED" not in printed, printed
    assert not (sandbox.SANDBOX_ROOT / "fit-cache" / f"train-{summary['run']}").exists()  # removed with the run
