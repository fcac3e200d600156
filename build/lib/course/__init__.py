"""The helper package of *Convolutional Autoencoders*: what several chapters need, or what would distract a reader.

What a student should learn stays in the notebooks. The package is split by concern:

* ``course.data``: ``load_mnist`` (MNIST exactly as ``tf.keras.datasets.mnist.load_data()`` returns it, or from a
  verified local ``mnist.npz``), ``prepare_images`` and ``mnist_splits``;
* ``course.shapes``: the output size of a convolution and of a transposed convolution, as TensorFlow computes it;
* ``course.models``: chapter 3's encoder and decoder, and ``EpochLog`` (one line per epoch, no progress bars);
* ``course.figures``: one figure resolution for every chapter (set on import), grids of numbers, rows of digits;
* ``course.checks``: exercise checks, hints that name a mistake without giving the answer away;
* ``course.grading``: what the hidden tests of the exercises record and assert;
* ``course.runtimes``: each chapter's run time, as `make bench` measured it;
* ``course.questions`` and ``course.widgets``: self-check questions, step-through figures and the latent-space
  explorer (a trained decoder drawing in the page), small HTML widgets that work offline and without a kernel;
* ``course.answers``: the functions that compute an exercise's answer in one call (a reference convolution, the
  step-through frames). The book's edition has it; the student edition is the package without it;
* ``course.baselines``: what an expert tries first (PCA, the switching median, the linear least-squares
  denoiser, nearest neighbours) and the measures (MSE, PSNR, 2-pixel energy);
* ``course.autoencoder``, ``course.at_work`` and ``course.vae``: chapters 3, 4 and 5's training and measuring
  functions, which the chapters call and `make evidence` runs over several seeds (``course.vae`` imports Keras:
  ``import course.vae``);
* ``course.experiments`` and ``course.evidence``: the experiments behind the chapters' claims, and what
  `make evidence` measured (evidence.json, read by ``course.evidence("03-recipes")``; module
  ``course.evidence_record``).

Every public name is also an attribute of ``course`` itself: ``course.conv_output_size(28, 3, 2, "same")``.
Every docstring has the same form: one line that says what the function returns or does, then the details.
"""

from __future__ import annotations

from .at_work import *  # noqa: F403
from .at_work import __all__ as _at_work
from .autoencoder import *  # noqa: F403
from .autoencoder import __all__ as _autoencoder
from .baselines import *  # noqa: F403
from .baselines import __all__ as _baselines
from .checks import *  # noqa: F403
from .checks import __all__ as _checks
from .data import *  # noqa: F403
from .data import __all__ as _data
from .evidence_record import *  # noqa: F403
from .evidence_record import __all__ as _evidence
from .experiments import CHAPTER_3_RECIPE  # noqa: F401
from .figures import *  # noqa: F403
from .figures import __all__ as _figures
from .grading import *  # noqa: F403
from .grading import __all__ as _grading
from .models import __all__ as _models
from .models import conv_decoder, conv_encoder  # noqa: F401 (EpochLog: made on first use, below)
from .questions import *  # noqa: F403
from .questions import __all__ as _questions
from .runtimes import *  # noqa: F403
from .runtimes import __all__ as _runtimes
from .shapes import *  # noqa: F403
from .shapes import __all__ as _shapes
from .widgets import *  # noqa: F403
from .widgets import __all__ as _widgets

try:
    from .answers import *  # noqa: F403
    from .answers import __all__ as _answers
except ModuleNotFoundError as error:  # the student edition: the package without course.answers
    if error.name != f"{__name__}.answers":
        raise
    _answers = []

__version__ = "1.0.0"  # the package's version: the wheel's (pyproject.toml reads it here) and the kit's

__all__ = [
    "__version__",
    *_data,
    *_shapes,
    *_models,
    *_figures,
    *_checks,
    *_grading,
    *_runtimes,
    *_questions,
    *_widgets,
    *_baselines,
    *_autoencoder,
    *_at_work,
    *_evidence,
    "CHAPTER_3_RECIPE",
    *_answers,
]


def __getattr__(name):
    # EpochLog subclasses a Keras class: course.models makes it on first use, so that importing the package
    # needs no TensorFlow (the loader and the figures work without it).
    if name == "EpochLog":
        from . import models

        cls = models.EpochLog
        globals()["EpochLog"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
