"""Self-check questions of chapter 1, 2D convolution (shown by ``course.self_check("01_conv2d", section)``).

Each question belongs to the section that teaches what it asks. Numeric answers, and the wrong values that
typical misconceptions give, are computed with the course's own functions, the ones the chapter checks
against TensorFlow. Not graded.
"""

import course
from course import Choice, Mistake, Numeric, Option

QUESTIONS = [
    Numeric(
        id="valid-output-rows",
        section="sliding",
        prompt="A 3×3 kernel slides over a 6×6 input, stride 1, padding='valid'. How many rows does the output have?",
        answer=course.conv_output_size(6, 3, 1, "valid"),
        explanation="the window's top row can start at rows 0, 1, 2 and 3, so n − k + 1 = 6 − 3 + 1 = 4.",
        mistakes=(
            Mistake(
                6 - 3,
                "Off by one: 6 − 3 counts the steps between window positions, not the positions. "
                "Count the first position too.",
            ),
            Mistake(
                course.conv_output_size(6, 3, 1, "same"),
                "That is the size with padding='same'. "
                "'valid' adds no zeros, so the window must fit inside the input and the output shrinks.",
            ),
            Mistake(
                6 - 3 + 2, "The window cannot hang over the edge with 'valid': its last position starts at row n − k."
            ),
        ),
        other="Count where the window's top row can start so that all 3 of its rows stay inside the 6 rows.",
    ),
    Choice(
        id="cross-correlation",
        section="cross-correlation",
        prompt="What does Keras' Conv2D compute at each position of the window?",
        options=(
            Option(
                "The sum of the window times the kernel as stored, weight by weight",
                right=True,
                feedback="Keras computes a cross-correlation: no flip. The impulse experiment shows it: the "
                "output holds the kernel rotated by 180°, which only happens when the kernel is not flipped.",
            ),
            Option(
                "The sum of the window times the kernel rotated by 180°",
                feedback="That is convolution in the mathematical sense, which flips the kernel. Deep-learning "
                "libraries skip the flip; since the weights are learnt, nothing is lost.",
            ),
            Option(
                "The largest value in the window",
                feedback="That is max pooling, which has no weights. A convolution weighs every cell.",
            ),
            Option(
                "The mean of the window, whatever the weights of the kernel happen to be",
                feedback="Only an averaging kernel (all weights 1/9 for 3×3) gives the mean; the kernel's "
                "weights decide what the output is.",
            ),
        ),
    ),
    Choice(
        id="batch-layout",
        section="layouts",
        prompt="A batch of 32 colour (RGB) images of 28×28 pixels goes into a Conv2D with Keras' default settings. "
        "What shape must it have?",
        options=(
            Option(
                "(32, 28, 28, 3)",
                right=True,
                feedback="Keras' default is channels last: batch, height, width, channels.",
            ),
            Option(
                "(32, 3, 28, 28)",
                feedback="Channels first is PyTorch's layout (and Keras' data_format='channels_first'), not "
                "Keras' default.",
            ),
            Option(
                "(28, 28, 3)", feedback="That is one image. Layers work on batches: the first axis counts the images."
            ),
            Option(
                "(28, 28, 3, 32)",
                feedback="The batch axis comes first. A kernel's shape ends with its count (height, width, "
                "input channels, filters), which may be the source of the mix-up.",
            ),
        ),
    ),
    Numeric(
        id="same-zeros-top",
        section="padding",
        prompt="A 5×5 kernel, stride 1, padding='same', on a 28×28 input. How many rows of zeros are added on top?",
        # 'same': the ceil(n / s) windows need (o − 1)·s + k cells, n are there; the smaller half goes on top.
        answer=((course.conv_output_size(28, 5, 1, "same") - 1) * 1 + 5 - 28) // 2,
        explanation="'same' with stride 1 needs k − 1 = 4 extra rows in all, split evenly: 2 on top, 2 at the bottom.",
        mistakes=(
            Mistake(
                (course.conv_output_size(28, 5, 1, "same") - 1) * 1 + 5 - 28,
                "That is the total, top and bottom together. TensorFlow splits it between the two sides.",
            ),
            Mistake(
                0,
                "That is 'valid', which adds no zeros. With "
                "'same' the output keeps the input's size, so the window needs zeros beyond the border.",
            ),
            Mistake(
                5 // 2 + 1,
                "Almost: half the kernel, rounded down, is what one side needs (a 5×5 window "
                "centred on the corner pixel hangs 2 rows over the edge).",
            ),
        ),
        other="Ask how many rows a 5×5 window centred on the top-left pixel hangs over the edge.",
    ),
    Numeric(
        id="stride2-same-rows",
        section="strides",
        prompt="A 3×3 kernel with stride 2 and padding='same' on a 28×28 input. How many rows does the output have?",
        answer=course.conv_output_size(28, 3, 2, "same"),
        explanation="'same' gives ceil(n / s) = ceil(28 / 2) = 14, whatever the kernel size.",
        mistakes=(
            Mistake(
                course.conv_output_size(28, 3, 2, "valid"),
                "That is 'valid' (floor((28 − 3) / 2) + 1). "
                "With 'same', zeros are added so that the output has ceil(n / s) rows.",
            ),
            Mistake(
                course.conv_output_size(28, 3, 1, "same"),
                "The stride is left out: with stride 2 the window "
                "moves two rows at a time, so there are about half as many positions.",
            ),
        ),
        other="With 'same', the kernel size does not matter: divide the input size by the stride and round up.",
    ),
    Numeric(
        id="dilated-valid-rows",
        section="output-size",
        prompt="A 3×3 kernel with dilation 2, stride 1, padding='valid', on a 28×28 input. How many rows does "
        "the output have?",
        answer=course.conv_output_size(28, 3, 1, "valid", 2),
        explanation="dilation 2 spreads the 3 taps over k + (k − 1)(d − 1) = 5 rows, so 28 − 5 + 1 = 24.",
        mistakes=(
            Mistake(
                course.conv_output_size(28, 3, 1, "valid"),
                "The dilation is left out: the taps of a dilated "
                "kernel are d apart, so the window spans 5 rows, not 3.",
            ),
            Mistake(
                course.conv_output_size(28, 6, 1, "valid"),
                "The dilated size is k + (k − 1)(d − 1) = 5, "
                "not k·d = 6: there are gaps only between the taps, not after the last one.",
            ),
        ),
        other="Work out how many rows a 3-tap window spans when its taps are 2 rows apart.",
    ),
    Numeric(
        id="odd-zero-bottom",
        section="output-size",
        prompt="A 4×4 kernel, stride 1, padding='same', on a 28×28 input. How many rows of zeros does TensorFlow add "
        "at the bottom?",
        answer=-(-((course.conv_output_size(28, 4, 1, "same") - 1) * 1 + 4 - 28) // 2),
        explanation="28 outputs need (28 − 1)·1 + 4 = 31 rows, 3 more than the 28 there are; the smaller half, 1, "
        "goes on top and the odd zero after the input: 2 at the bottom.",
        mistakes=(
            Mistake(
                ((course.conv_output_size(28, 4, 1, "same") - 1) * 1 + 4 - 28) // 2,
                "That many go on top. When the zeros do not split evenly, "
                "TensorFlow puts the extra one after (bottom, right), not before.",
            ),
            Mistake(
                (course.conv_output_size(28, 4, 1, "same") - 1) * 1 + 4 - 28,
                "That is the total, top and bottom together. TensorFlow splits it between the two sides.",
            ),
        ),
        other="Count the rows that 28 windows of 4 rows, one row apart, cover; compare with the 28 rows of the input.",
    ),
    Choice(
        id="parameter-count",
        section="channels",
        prompt="Conv2D(filters=16, kernel_size=3) on an input with 8 channels. How many trainable parameters?",
        options=(
            Option(
                f"{3 * 3 * 8 * 16 + 16}",
                right=True,
                feedback="Each of the 16 filters has 3·3·8 weights, one per position and input channel, "
                "and one bias: 16·(72 + 1) = 1168.",
            ),
            Option(
                f"{3 * 3 * 8 * 16}",
                feedback="The weights are right, but each filter also has a bias (use_bias=True by default).",
            ),
            Option(
                f"{3 * 3 * 16 + 16}",
                feedback="The input channels are left out: a filter reaches through all 8 channels, so it has "
                "3·3·8 weights, not 3·3.",
            ),
            Option(
                f"{(3 * 3 + 1) * 8 * 16}",
                feedback="One bias per filter, not one per filter and input channel: the 8 channels are "
                "summed into one number before the bias is added.",
            ),
        ),
    ),
    Choice(
        id="outline-on-a-ramp",
        section="real-image",
        prompt="The outline filter [[0, −1, 0], [−1, 4, −1], [0, −1, 0]] meets a part of an image that brightens "
        "evenly from left to right, by 0.1 per column (the same in every row). What does it return there, away "
        "from the borders?",
        options=(
            Option(
                "0",
                right=True,
                feedback="The centre counts 4 times; its left and right neighbours are 0.1 darker and 0.1 "
                "brighter, which cancel, and the neighbours above and below equal it: 4v − (v − 0.1) − "
                "(v + 0.1) − v − v = 0. A filter like this answers where the brightness bends, not where it "
                "changes at a steady rate.",
            ),
            Option(
                f"{4 * 0.1:.1f}",
                feedback="That counts the centre's weight 4 times the step; but the step enters through the "
                "neighbours, where −(v − 0.1) − (v + 0.1) cancels it.",
            ),
            Option(
                f"{(1 + 2 + 1) * (-0.1 - 0.1):.1f}, the vertical-edge filter's answer",
                feedback="The vertical-edge filter [[1, 0, −1], [2, 0, −2], [1, 0, −1]] does return "
                "4 · (−0.2) = −0.8 there: it compares the left with the right. The outline filter compares the "
                "centre with all four neighbours, whose mean on a ramp is the centre itself.",
            ),
            Option(
                "It depends on how bright the ramp is, not only on its slope",
                feedback="The weights add up to 0, so any constant added to the image cancels: only the way "
                "the brightness changes counts.",
            ),
        ),
    ),
]
