# IPython kernel configuration for the course environment.
#
# `make` copies this file to `.venv/etc/ipython/`, where every IPython kernel started with the
# environment's Python reads it (JupyterLab, `make execute`, nbval and the benchmark alike).
#
# TensorFlow's C++ runtime writes to the process's file descriptor 2 when it is imported (absl's
# pre-initialisation notice, oneDNN and CUDA probes), whatever TF_CPP_MIN_LOG_LEVEL says. By
# default ipykernel captures the file descriptors of the kernel process and shows what is written
# there as the cell's stderr, so those lines would land in the notebooks. With capture turned off
# they go to the terminal that started the kernel instead, and the cells show only what Python
# code prints. Python's own warnings and print() still reach the cell as usual.
c = get_config()  # noqa: F821  (provided by IPython when it loads the file)
c.IPKernelApp.capture_fd_output = False

# Grading reuses the trained weights of the reference run (classroom/fitcache.py): classroom/grade.py names the
# cache's folder and module in a grading kernel's environment. Without them (every other kernel) nothing
# is loaded and Keras' fit is untouched.
import os  # noqa: E402

if os.environ.get("COURSE_FIT_CACHE") and os.environ.get("COURSE_FIT_CACHE_MODULE"):
    import importlib.util
    import sys

    _spec = importlib.util.spec_from_file_location("course_fitcache", os.environ["COURSE_FIT_CACHE_MODULE"])
    _fitcache = importlib.util.module_from_spec(_spec)
    sys.modules["course_fitcache"] = _fitcache
    _spec.loader.exec_module(_fitcache)
    _fitcache.install()
