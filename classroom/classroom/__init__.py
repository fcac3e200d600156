"""The classroom: grading a class in a sandbox, the fit cache that grading reuses, a trial JupyterHub.

``python -m classroom grade|hub|bench`` (the Makefile's `make grade`, `make hub`, `make bench-class`). It depends
on the book's tools (``coursetools``) and the course package (``course``); neither depends on it. See
classroom/README.md.
"""
