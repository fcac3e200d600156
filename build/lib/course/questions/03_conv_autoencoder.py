"""Self-check questions of chapter 3, the convolutional autoencoder (shown by
``course.self_check("03_conv_autoencoder", section)``).

Each question belongs to the section that teaches what it asks. Numeric answers, and the wrong values that
typical misconceptions give, are computed with the course's size rules, the ones the chapter checks against
Keras. The questions ask a new case rather than what the cells above them say; the order in which a reader sees
the options is shuffled (course.widgets.option_order). Not graded.
"""

import course
from course import Choice, Mistake, Numeric, Option

QUESTIONS = [
    Choice(
        id="wide-code-copies",
        section="idea",
        prompt="Suppose the code had 784 numbers, as many as the image has pixels, instead of 2. What would "
        "training on the reconstruction loss reward then?",
        options=(
            Option(
                "A more compact and more meaningful summary of each of the digits",
                feedback="Nothing asks for compactness when the code is as large as the image: the "
                "bottleneck is what makes a summary necessary.",
            ),
            Option(
                "Telling the ten digits apart, so as to redraw each one better",
                feedback="The loss never sees a label. It rewards redrawing pixels, and a copy redraws them best.",
            ),
            Option(
                "Copying the pixels through, with no knowledge of digits",
                right=True,
                feedback="With room for every pixel, a copy is a perfect reconstruction. Only a narrow code "
                "forces the network to describe images by what they share and how they differ.",
            ),
        ),
    ),
    Choice(
        id="decoder-first-layer-parameters",
        section="architecture",
        prompt="The decoder's first layer is a Conv2DTranspose with a 7×7 kernel that turns a 1×1×2 code into "
        "a 7×7×64 map. How many parameters does it have?",
        options=(
            Option(
                f"{7 * 7 * 2 * 64:,}",
                feedback="The weights are right, but each of the 64 filters also has a bias.",
            ),
            Option(
                f"{7 * 7 * 2 * 64 + 64:,}",
                right=True,
                feedback="7 · 7 · 2 · 64 weights (kernel positions, input channels, filters) plus one bias per "
                "filter: the same formula as for Conv2D.",
            ),
            Option(
                f"{7 * 7 * 64 + 64:,}",
                feedback="This counts one input channel: every filter has a 7×7 slice for each of the 2 code numbers.",
            ),
            Option(
                f"{1 * 1 * 2 * 64 + 64:,}",
                feedback="This uses the code's 1×1 size as the kernel: the kernel is 7×7, whatever the size "
                "of the map it reads.",
            ),
        ),
    ),
    Numeric(
        id="code-side-36",
        section="architecture",
        prompt="The chapter's encoder (two 3×3 stride-2 'same' convolutions, then a 7×7 'valid' one) is fed "
        "36×36 images. What is the side of its code, in pixels?",
        answer=course.conv_output_size(
            course.conv_output_size(course.conv_output_size(36, 3, 2, "same"), 3, 2, "same"), 7, 1, "valid"
        ),
        explanation="36 → 18 → 9 with ⌈n/2⌉ twice, then 9 − 7 + 1 = 3: a 3×3×2 code, which the decoder "
        "built for 1×1×2 cannot take.",
        mistakes=(
            Mistake(
                course.conv_output_size(
                    course.conv_output_size(course.conv_output_size(36, 3, 2, "valid"), 3, 2, "valid"), 7, 1, "valid"
                ),
                "This uses the 'valid' rule for the strided layers; with 'same' the size is n / s rounded up.",
            ),
            Mistake(
                course.conv_output_size(course.conv_output_size(36, 3, 2, "same"), 3, 2, "same"),
                "That is the side after the two strided layers; the 7×7 'valid' layer shrinks it once more.",
            ),
            Mistake(1, "Only inputs of 25 to 28 pixels give a 1×1 code; 36 halves twice to 9, not to 7."),
        ),
        other="Apply the rule layer by layer: ⌈n/2⌉ for each stride-2 'same' layer, then n − 7 + 1.",
    ),
    Choice(
        id="two-recipes-one-run",
        section="training",
        prompt="Two learning-rate rules are tried once each, with one seed, and end 3 % apart in validation MSE. "
        "What can you conclude?",
        options=(
            Option(
                "The rule with the lower error is the better one, by 3 %",
                feedback="One run per rule measures the rule and the seed together: another seed can move a "
                "result by as much.",
            ),
            Option(
                "Nothing yet: runs of one rule with other seeds may differ as much",
                right=True,
                feedback="A difference is a result only if it is larger than the spread between seeds, or "
                "holds on every seed: that is what several seeds per rule measure.",
            ),
            Option(
                "The rules are equally good, since 3 % is too small a gap to matter",
                feedback="3 % can be a real difference, if every seed shows it; one run per rule cannot say "
                "either way.",
            ),
        ),
    ),
    Choice(
        id="linear-autoencoder",
        section="training",
        prompt="An autoencoder whose encoder and decoder are single Dense layers without activation, with a "
        "2-number code, is trained to convergence on the training images. Can it beat PCA with 2 components "
        "on those images?",
        options=(
            Option(
                "No: it is a linear code of 2 numbers, so at best it matches PCA",
                right=True,
                feedback="Its code and its reconstruction are linear maps, and among those PCA's has the "
                "least squared error. A nonlinear decoder is what lets the chapter's model do better.",
            ),
            Option(
                "Yes, with a better learning-rate rule and enough epochs",
                feedback="No rule can take it below the best linear code of 2 numbers, which is PCA's.",
            ),
            Option(
                "Yes, because gradient descent can find what an eigendecomposition misses",
                feedback="PCA's directions are the exact optimum among linear codes; gradient descent can at "
                "best reach it.",
            ),
        ),
    ),
    Choice(
        id="remove-uneven-overlap",
        section="reconstructions",
        prompt="Which change to the decoder's last two transposed convolutions would make every output pixel away "
        "from the border receive the same number of kernel contributions?",
        options=(
            Option(
                "4×4 kernels, a multiple of the stride",
                right=True,
                feedback="With k divisible by s the stamps overlap evenly (chapter 2); resizing then "
                "convolving, with UpSampling2D and Conv2D, avoids the uneven overlap too.",
            ),
            Option(
                "5×5 kernels, to cover more of the image",
                feedback="5 is not a multiple of 2 either: cells still alternate between unequal numbers of "
                "contributions.",
            ),
            Option(
                "A ReLU instead of the sigmoid at the output",
                feedback="An activation acts on each pixel alone; the overlap of the stamps is decided by "
                "kernel size and stride.",
            ),
        ),
    ),
    Choice(
        id="labels-without-labels",
        section="latent-space",
        prompt="The autoencoder never saw a label. Why is the label of the nearest code still a fair test of what "
        "its codes keep?",
        options=(
            Option(
                "Because the encoder learns the labels from the images' shapes",
                feedback="It learns no labels at all; the test only asks where the codes of labelled images land.",
            ),
            Option(
                "It asks whether images of one digit land near each other",
                right=True,
                feedback="A code can keep digits apart without ever being told which is which; the labels "
                "only measure, after training, whether it does.",
            ),
            Option(
                "It is not fair: a code trained without labels cannot be judged by them",
                feedback="Any representation can be judged by what it keeps; the labels are used to measure, "
                "not to train.",
            ),
        ),
    ),
    Choice(
        id="explorer-far-out",
        section="explorer",
        prompt="In the explorer, you keep dragging the point in one direction, until it lies ten times farther "
        "from the centre than any validation code. What happens to the drawing on the way out?",
        options=(
            Option(
                "It fades to an empty image, since no training code lies anywhere near the point",
                feedback="Nothing in training asks for empty images anywhere. Before the sigmoid the decoder "
                "is linear maps and ReLUs, so its values grow with the distance instead of fading.",
            ),
            Option(
                "It settles into one pattern of full ink and blank pixels, which stops changing",
                right=True,
                feedback="Before the sigmoid the decoder is linear maps and ReLUs: far out along one "
                "direction its values grow in proportion to the distance, and the sigmoid turns every "
                "pixel into full ink or none. Each direction has its own settled pattern.",
            ),
            Option(
                "It goes on changing from one digit to another, as it does inside the cloud",
                feedback="Inside the cloud each move crosses into other digits' codes. Far out, a step "
                "changes the point's direction less and less, and the drawing depends on the direction.",
            ),
        ),
    ),
    Choice(
        id="a-better-sampler",
        section="random-codes",
        prompt="This autoencoder's codes spread several times wider than N(0, I), off-centre. Without changing "
        "the model, which random codes would land where its decoder learned to draw?",
        options=(
            Option(
                "Draws from a normal distribution fitted to the training codes",
                right=True,
                feedback="Its mean and covariance are those of the codes, so its draws land in the codes' "
                "region; chapter 5 measures how much that helps.",
            ),
            Option(
                "Draws from N(0, I) multiplied by a larger number, such as 10",
                feedback="A wider N(0, I) still sits at the origin and ignores the codes' shape and centre: "
                "many draws land where no code lies.",
            ),
            Option(
                "Draws from N(0, I), once the model is trained for more epochs",
                feedback="Nothing in the loss pulls the codes towards N(0, I), however long the training.",
            ),
        ),
    ),
    Choice(
        id="what-the-sweep-measures",
        section="bottleneck",
        prompt="Every code size in the sweep trains for the same 626 steps. What does its table of validation "
        "errors measure?",
        options=(
            Option(
                "The lowest error that each code size can reach",
                feedback="Longer training lowers the errors further: the full-budget 2-number model ends well "
                "below the sweep's 2-number model.",
            ),
            Option(
                "The effect of the code size alone, with everything else about the model held fixed",
                feedback="The layers next to the code grow with it, so the number of parameters changes too; "
                "and the budget's length shapes the result.",
            ),
            Option(
                "How low each size gets on that budget: reach and speed mixed",
                right=True,
                feedback="Each number is what a size reaches in those steps: how far it can go and how fast "
                "it gets there, together.",
            ),
        ),
    ),
]
