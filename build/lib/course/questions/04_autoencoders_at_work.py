"""Self-check questions of chapter 4, autoencoders at work (``course.self_check("04_autoencoders_at_work", section)``).

Each question belongs to the section that teaches what it asks: the denoiser's design, fair baselines, the
threshold and its precision, what a comparison of code widths changed, residual maps and their baselines, and
novelty detection. Numeric answers, and the wrong values that typical misconceptions give, are computed with
the course's own functions. The questions ask a new case rather than what the cells above them say; the order
in which a reader sees the options is shuffled (course.widgets.option_order). Not graded.
"""

import math

import course
from course import Choice, Mistake, Numeric, Option

# Chapter 4's numbers for a detector on a line where defects are rare: recall, false-alarm rate, prevalence.
_RECALL, _FALSE_ALARMS, _PREVALENCE = 0.5, 0.01, 0.001
_PRECISION = _RECALL * _PREVALENCE / (_RECALL * _PREVALENCE + _FALSE_ALARMS * (1 - _PREVALENCE))


def _clipped_noise_mean(sigma: float) -> float:
    """The mean of N(0, sigma^2) noise clipped to [0, 1]: sigma (phi(0) - phi(1 / sigma)) + P(noise > 1)."""
    phi = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return sigma * (phi(0) - phi(1 / sigma)) + 0.5 * math.erfc(1 / sigma / math.sqrt(2))


QUESTIONS = [
    Choice(
        id="why-no-narrow-code",
        section="denoising",
        prompt="A denoising autoencoder's code holds 392 numbers for a 784-pixel image. Why does it not simply "
        "learn to copy its input?",
        options=(
            Option(
                "392 numbers are too few to hold a copy of 784 pixels, noise and all",
                feedback="A bottleneck of half the pixels would still let through most of an image, noise "
                "included; it is the clean target that makes copying a poor answer.",
            ),
            Option(
                "Its target is the clean image, and a copy keeps the noise",
                right=True,
                feedback="The targets, not the bottleneck, stop the copying: the loss compares the output with "
                "the clean digit, so the network must drop what does not fit a digit.",
            ),
            Option(
                "The sigmoid at the output layer cannot reproduce noisy pixel values",
                feedback="A sigmoid can output any value in (0, 1), noisy ones included; nothing in the "
                "output layer forbids a copy.",
            ),
        ),
    ),
    Numeric(
        id="narrower-spatial-code",
        section="denoising",
        prompt="The chapter's spatial encoder (two 3×3, stride-2, 'same' convolutions, then a 3×3 stride-1 'same' "
        "code layer) gets a code layer with 4 filters instead of 8. How many numbers is the code of a 28×28 digit?",
        answer=course.conv_output_size(
            course.conv_output_size(course.conv_output_size(28, 3, 2, "same"), 3, 2, "same"), 3, 1, "same"
        )
        ** 2
        * 4,
        explanation="28 → 14 → 7, and the stride-1 'same' layer keeps 7: 7·7·4 = 196.",
        mistakes=(
            Mistake(
                course.conv_output_size(28, 3, 2, "same") ** 2 * 4,
                "That is after one halving: the encoder has two stride-2 layers.",
            ),
            Mistake(
                course.conv_output_size(course.conv_output_size(28, 3, 2, "same"), 3, 2, "same") ** 2,
                "That counts the positions but not the channels: each of the 7·7 positions holds 4 numbers.",
            ),
            Mistake(
                course.conv_output_size(course.conv_output_size(28, 3, 2, "valid"), 3, 2, "valid") ** 2 * 4,
                "That rounds like 'valid' padding; 'same' padding gives ceil(n / s) at every layer.",
            ),
        ),
        other="Apply the 'same' rule, ceil(n / stride), once per layer, then multiply by the code's channels.",
    ),
    Choice(
        id="receptive-field",
        section="denoising",
        prompt="A fourth 3×3 convolution with stride 1 is added after the code layer of that encoder. How large is "
        "the window of the image that one of its outputs is computed from?",
        options=(
            Option(
                "15×15 pixels, as before: a stride-1 layer widens nothing",
                feedback="A 3×3 kernel reaches one step further on each side, whatever its stride; after two "
                "halvings one step is 4 image pixels.",
            ),
            Option(
                f"{1 + 2 * 1 + 2 * 2 + 2 * 4 + 2 * 4}×{1 + 2 * 1 + 2 * 2 + 2 * 4 + 2 * 4} pixels",
                right=True,
                feedback="Each 3×3 layer widens the window by 2 steps of the spacing its input has; the new "
                "layer works on the 7×7 map, whose steps are 4 pixels: 15 + 2·4 = 23.",
            ),
            Option(
                f"{15 + 2}×{15 + 2} pixels",
                feedback="That widens by 2 image pixels; on the 7×7 map one step of the kernel spans 4 image "
                "pixels, so the window grows by 2·4 = 8.",
            ),
        ),
    ),
    Choice(
        id="clipped-background",
        section="baselines",
        prompt="Gaussian noise with σ = 0.6 is added to an image whose background is exactly 0, then clipped to "
        "[0, 1]. About what is the mean of the noisy background pixels, the level that a blur, being an "
        "average, keeps?",
        options=(
            Option(
                "About 0: a blur averages the noise away, however strong it is",
                feedback="Averaging cancels noise whose mean is 0. Clipped noise has a positive mean, a bias "
                "that no average removes.",
            ),
            Option(
                "About 0.6, the noise's standard deviation",
                feedback="σ is the spread of the noise, not its mean; after clipping the mean is about "
                "σ/√(2π), less than half of σ.",
            ),
            Option(
                f"About {_clipped_noise_mean(0.6):.2f}",
                right=True,
                feedback="Clipping at 0 keeps the positive half of the noise, whose mean is σ/√(2π) ≈ "
                f"{0.6 / math.sqrt(2 * math.pi):.2f}; clipping at 1 takes a little off the top: "
                f"{_clipped_noise_mean(0.6):.2f}. An average, however wide, keeps that bias.",
            ),
        ),
    ),
    Choice(
        id="grid-edge",
        section="baselines",
        prompt="You tune a median filter on validation images over the sizes 3, 5 and 7, and 7 wins. What next?",
        options=(
            Option(
                "Keep 7: it did best of all the sizes that were tried on these images",
                feedback="The best of the sizes tried is not the best filter: a weaker baseline makes the "
                "model look better than it is.",
            ),
            Option(
                "Choose the size that does best on the test images, which count in the end",
                feedback="Test images measure the result once; a setting chosen on them makes the "
                "measurement optimistic.",
            ),
            Option(
                "Add larger sizes and tune again on the validation images",
                right=True,
                feedback="A winner on the edge of its grid says that the best setting may lie outside it; "
                "a baseline is only fair once its optimum sits inside the grid.",
            ),
        ),
    ),
    Choice(
        id="rare-precision",
        section="threshold",
        prompt="A detector catches half of the defects (recall 0.5) and flags 1 % of good parts. If one part in "
        "a thousand is defective, about what fraction of its alarms are real defects?",
        options=(
            Option(
                "About 0.5",
                feedback="That is the recall, the fraction of defects caught; precision depends on how many "
                "good parts are flagged as well.",
            ),
            Option(
                f"About {_PRECISION:.2f}",
                right=True,
                feedback="Per 1,000 parts: 0.5 defects caught, against 0.01 · 999 ≈ 10 false alarms, so "
                "precision is 0.5 / 10.5 ≈ 0.05.",
            ),
            Option(
                "About 0.99",
                feedback="That is one minus the false-alarm rate; with defects this rare, the false alarms "
                "outnumber the defects ten to one.",
            ),
        ),
    ),
    Choice(
        id="controlled-comparison",
        section="code-width",
        prompt="A vector autoencoder with a 392-number code detects scratches better than the same architecture "
        "with a 16-number code; it also has 16 times the parameters. What does that say about code width?",
        options=(
            Option(
                "That a wide code makes the better detector",
                feedback="Width and the number of parameters grew together: the comparison cannot credit "
                "either one alone.",
            ),
            Option(
                "Not much alone: width and capacity changed together",
                right=True,
                feedback="A comparison that changes two things at once cannot tell them apart. It does refute "
                "the rule 'narrower is always better' for this setting, since the wider model was no worse.",
            ),
            Option(
                "That a narrow code makes the better detector after all",
                feedback="The narrow code detected scratches worse, on every seed of the evidence.",
            ),
        ),
    ),
    Choice(
        id="textured-background",
        section="residuals",
        prompt="On these digits, model-free pixel scores locate added ink as well as the detector's residual. On "
        "an inspection line whose parts have a textured surface, which scores would lose most?",
        options=(
            Option(
                "The residual of an autoencoder trained on good textured parts",
                feedback="Such a model learns to redraw the texture, so the texture cancels in its residual; "
                "that is what the model is for.",
            ),
            Option(
                "The model-free scores: on texture, brightness and distance from the mean no longer mark defects",
                right=True,
                feedback="They did well here because the background is exactly 0. On texture every pixel "
                "departs from the mean image and many are bright.",
            ),
            Option(
                "Neither kind: a pixel-level AUC does not depend on the images",
                feedback="It counts how well a score ranks defect pixels above the others, and which pixels "
                "are easy to rank depends entirely on the images.",
            ),
        ),
    ),
    Choice(
        id="inverted-auc",
        section="novelty",
        prompt="A novelty detector scores an AUC of 0.30 for a new class, about the same for every seed. What does "
        "that mean?",
        options=(
            Option(
                "It catches about 30 % of the images of the new class",
                feedback="The AUC is not a recall at some threshold: it is the probability that a new image "
                "scores higher than a known one.",
            ),
            Option(
                "The detector is no better than tossing a coin for each of the images",
                feedback="A coin toss scores 0.5. 0.30, repeated across seeds, is a consistent ranking in the "
                "wrong direction.",
            ),
            Option(
                "A consistent ranking the wrong way round: reversed it scores 0.70",
                right=True,
                feedback="An AUC far below 0.5 is information, the wrong way round: the score measures "
                "something (here: how easy an image is to redraw) that is lower for the new class.",
            ),
        ),
    ),
]
