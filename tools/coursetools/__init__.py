"""The book's tools: execute, check, build, release and measure the chapters (``python -m coursetools``).

Every tool reads its settings from :mod:`coursetools.settings` and the chapters from :mod:`coursetools.chapters`
(the notebooks of `_toc.yml`). Nothing here imports the classroom (the grading sandbox, the fit cache, the hub):
the classroom depends on these tools, never the other way round.
"""
