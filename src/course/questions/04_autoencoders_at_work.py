"""Self-check questions of chapter 4, autoencoders at work (``course.self_check("04_autoencoders_at_work", section)``).

Each question belongs to the section that teaches what it asks: the denoiser's design, fair baselines, the
threshold and its precision, the controlled comparison of code widths, residual maps and their baselines, and
novelty detection. Numeric answers, and the wrong values that typical misconceptions give, are computed with
the course's own functions. Not graded.
"""

import course
from course import Choice, Mistake, Numeric, Option

QUESTIONS = [
    Choice(
        id="why-no-narrow-code",
        section="denoising",
        prompt="A denoising autoencoder's code holds 392 numbers for a 784-pixel image. Why does it not simply "
        "learn to copy its input?",
        options=(
            Option(
                "Its target is the clean image, so a copy keeps the noise, and the noise costs loss",
                right=True,
                feedback="The targets, not the bottleneck, stop the copying: the loss compares the output with "
                "the clean digit, so the network must drop what does not fit a digit.",
            ),
            Option(
                "392 numbers are too few to hold a copy of 784 pixels",
                feedback="A bottleneck of half the pixels would still let through most of an image, noise "
                "included; it is the clean target that makes copying a poor answer.",
            ),
            Option(
                "The sigmoid at the output cannot reproduce noisy pixel values",
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
        prompt="In that encoder, neighbouring code positions are 4 pixels apart. How large is the window of the "
        "image that one code position is computed from?",
        options=(
            Option(
                f"{1 + 2 * 1 + 2 * 2 + 2 * 4}×{1 + 2 * 1 + 2 * 2 + 2 * 4} pixels",
                right=True,
                feedback="Each 3×3 layer widens the window by 2 steps of the spacing its input has: "
                "1 + 2·1 + 2·2 + 2·4 = 15.",
            ),
            Option(
                "4×4 pixels",
                feedback="4 is the spacing of the code positions (the product of the strides), not the "
                "size of the window each one sees: neighbouring windows overlap.",
            ),
            Option(
                f"{1 + 2 + 2 + 2}×{1 + 2 + 2 + 2} pixels",
                feedback="That adds the kernels as if every layer worked at the image's resolution; after a "
                "stride-2 layer, one step of the next kernel spans 2 image pixels, then 4.",
            ),
        ),
    ),
    Choice(
        id="clipped-background",
        section="baselines",
        prompt="Gaussian noise with σ = 0.3 is added to an image whose background is exactly 0, then clipped to "
        "[0, 1]. What is the mean of the background after a wide Gaussian blur?",
        options=(
            Option(
                "About 0.12: clipping removed the negative half of the noise, and a blur keeps the mean",
                right=True,
                feedback="The clipped noise has mean σ/√(2π) ≈ 0.12; an average, however wide, keeps it. "
                "Zeroing pixels below a threshold after the blur removes it.",
            ),
            Option(
                "About 0: a blur averages the noise away",
                feedback="Averaging cancels noise whose mean is 0. Clipped noise has a positive mean, a bias "
                "that no average removes.",
            ),
            Option(
                "About 0.3, the noise's standard deviation",
                feedback="σ is the spread of the noise, not its mean; after clipping the mean is σ/√(2π), "
                "less than half of σ.",
            ),
        ),
    ),
    Choice(
        id="grid-edge",
        section="baselines",
        prompt="You tune a median filter on validation images over the sizes 3, 5 and 7, and 7 wins. What next?",
        options=(
            Option(
                "Add larger sizes and tune again on the validation images",
                right=True,
                feedback="A winner on the edge of its grid says that the best setting may lie outside it; "
                "a baseline is only fair once its optimum sits inside the grid.",
            ),
            Option(
                "Keep 7: it is the best of the sizes tried",
                feedback="The best of the sizes tried is not the best filter: a weaker baseline makes the "
                "model look better than it is.",
            ),
            Option(
                "Choose the size that does best on the test images",
                feedback="Test images measure the result once; a setting chosen on them makes the "
                "measurement optimistic.",
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
                f"About {0.5 * 0.001 / (0.5 * 0.001 + 0.01 * 0.999):.2f}",
                right=True,
                feedback="Per 1,000 parts: 0.5 defects caught, against 0.01 · 999 ≈ 10 false alarms, so "
                "precision is 0.5 / 10.5 ≈ 0.05.",
            ),
            Option(
                "About 0.5",
                feedback="That is the recall, the fraction of defects caught; precision depends on how many "
                "good parts are flagged as well.",
            ),
            Option(
                "About 0.99",
                feedback="That is one minus the false-alarm rate; with defects this rare, the false alarms "
                "outnumber the defects twenty to one.",
            ),
        ),
    ),
    Choice(
        id="controlled-comparison",
        section="code-width",
        prompt="A denoiser (spatial 392-number code, trained on noisy inputs) detects defects worse than a "
        "detector (vector 16-number code, trained on clean inputs). What does that say about code width?",
        options=(
            Option(
                "Nothing on its own: the models also differ in architecture and in their training inputs",
                right=True,
                feedback="With three differences at once, any of them could cause the gap. Change the width "
                "alone, keep everything else, and use more than one seed.",
            ),
            Option(
                "That a narrow code makes the better detector",
                feedback="That is the conclusion the comparison cannot support: width is only one of the "
                "things that differ between the two models.",
            ),
            Option(
                "That a wide code makes the better detector, since it reconstructs normal images better",
                feedback="Neither direction follows from a comparison of models that differ in more than their width.",
            ),
        ),
    ),
    Choice(
        id="pixel-auc-baseline",
        section="residuals",
        prompt="Ranking pixels by their plain value gives a pixel-level AUC of 0.99 for ink scratches, above the "
        "detector's residual. Why?",
        options=(
            Option(
                "Almost all pixels outside the masks are black background, which any bright-pixel score ranks "
                "below a scratch of full ink",
                right=True,
                feedback="The negatives are mostly easy; a pixel-level AUC needs model-free baselines (or a "
                "per-region measure) before it says anything about the model.",
            ),
            Option(
                "The detector was trained badly",
                feedback="The detector finds the scratches well; the point is that a score that uses no model "
                "finds them just as well on these images.",
            ),
            Option(
                "Pixel values carry the mask of the defect",
                feedback="The mask is used only to count the result; the score is the image itself, and a "
                "scratch of full ink on a black background is bright.",
            ),
        ),
    ),
    Choice(
        id="inverted-auc",
        section="novelty",
        prompt="A novelty detector scores an AUC of 0.30 for a new class, the same for several seeds. What does "
        "that mean?",
        options=(
            Option(
                "The score ranks the new class systematically below the known ones; reversed, it would score 0.70",
                right=True,
                feedback="An AUC far below 0.5 is information, the wrong way round: the score measures "
                "something (here: how easy an image is to redraw) that is lower for the new class.",
            ),
            Option(
                "The detector is no better than a coin toss",
                feedback="A coin toss scores 0.5. 0.30, repeated across seeds, is a consistent ranking in the "
                "wrong direction.",
            ),
            Option(
                "It catches 30 % of the new images",
                feedback="The AUC is not a recall at some threshold: it is the probability that a new image "
                "scores higher than a known one.",
            ),
        ),
    ),
]
