"""Self-check questions of chapter 2, transposed convolution (``course.self_check("02_transposed_conv", section)``).

Each question belongs to the section that teaches what it asks. Numeric answers, and the wrong values that
typical misconceptions give, are computed with the course's own functions, the ones the chapter checks
against TensorFlow. Not graded.
"""

import course
from course import Choice, Mistake, Numeric, Option

QUESTIONS = [
    Choice(
        id="not-an-inverse",
        section="round-trip",
        prompt="A 3×3 'valid' convolution takes a 5×5 image to 3×3, and a 3×3 transposed convolution with the same "
        "kernel takes that back to 5×5. What comes back?",
        options=(
            Option(
                "The shape of the image, but not its values",
                right=True,
                feedback="A convolution loses information (25 numbers become 9, and different images give the "
                "same 9), so no layer can undo it. The transposed convolution restores the shape; a trained "
                "decoder learns weights that make the values useful.",
            ),
            Option(
                "The image itself: a transposed convolution is the inverse of the convolution",
                feedback="'Transposed' is not 'inverse': the matrix of a convolution is not even square, so it "
                "has no inverse. Only the shapes go back.",
            ),
            Option(
                "The image itself, if the kernel is symmetric",
                feedback="Symmetry makes the 180° rotation harmless, but it does not bring back what the "
                "convolution summed away: 9 numbers cannot hold 25.",
            ),
        ),
    ),
    Numeric(
        id="scatter-output-rows",
        section="scatter-add",
        prompt="A 2×2 input, a 3×3 kernel, stride 2, padding='valid'. How many rows does Conv2DTranspose return?",
        answer=course.transposed_conv_output_size(2, 3, 2, "valid"),
        explanation="the stamps start 2 rows apart, at rows 0 and 2, and the last one covers rows 2 to 4: "
        "(n − 1)·s + k = 1·2 + 3 = 5.",
        mistakes=(
            Mistake(
                course.transposed_conv_output_size(2, 3, 2, "same"),
                "That is padding='same', which gives n·s. 'valid' keeps the whole canvas the stamps cover.",
            ),
            Mistake(
                2 * 3,
                "That would be stamps side by side, without overlap. They start s = 2 rows apart but are "
                "k = 3 rows tall, so neighbours overlap by one row.",
            ),
        ),
        other="Place the stamps: one per input row, s rows apart, each k rows tall; where does the last one end?",
    ),
    Numeric(
        id="small-kernel-rows",
        section="small-kernel",
        prompt="A 3×3 input, a 2×2 kernel, stride 3, padding='valid'. How many rows does Conv2DTranspose return?",
        answer=course.transposed_conv_output_size(3, 2, 3, "valid"),
        explanation="Keras gives every input row s output rows, (n − 1)·s + max(k, s) = 2·3 + 3 = 9; the row "
        "between two stamps, and the last one, stay 0.",
        mistakes=(
            Mistake(
                (3 - 1) * 3 + 2,
                "That is (n − 1)·s + k, where the stamps end. With a kernel smaller than the "
                "stride Keras still returns s rows per input row: (n − 1)·s + max(k, s).",
            ),
            Mistake(3 * 2, "That is n·k, stamps side by side with no gap. With stride 3 they start 3 rows apart."),
        ),
        other="The stamps start s rows apart; Keras gives each input row s output rows, even where a stamp is "
        "shorter than that.",
    ),
    Choice(
        id="matrix-view",
        section="matrix-view",
        prompt="C is the 4×16 matrix of a 3×3 'valid' convolution on a 4×4 input (Cx is the convolution). Which "
        "matrix computes the transposed convolution with the same kernel?",
        options=(
            Option(
                "Cᵀ, of shape 16×4",
                right=True,
                feedback="That is where the name comes from: it maps the 4 numbers of a 2×2 map to 16, and "
                "it is also what backpropagation applies to the gradient of a convolution's output.",
            ),
            Option(
                "C⁻¹",
                feedback="C is 4×16, not square: it has no inverse. 'Transposed' means Cᵀ, which restores the "
                "shape, not the values.",
            ),
            Option(
                "C itself, applied to the zero-stuffed input",
                feedback="The zero-stuffed view convolves with the kernel rotated by 180° over a larger, padded "
                "input, which is a different matrix of another shape; the result equals Cᵀy.",
            ),
        ),
    ),
    Choice(
        id="stuffed-rows",
        section="zero-insertion",
        prompt="Zero insertion for stride 3 on a 4×4 input: how many rows has the input once the zeros are "
        "inserted between its rows (before any padding)?",
        options=(
            Option(
                f"{(4 - 1) * 3 + 1}",
                right=True,
                feedback="s − 1 = 2 zero rows go between each pair of neighbouring rows, 3 gaps in all: "
                "4 + 3·2 = 10 = (n − 1)·s + 1.",
            ),
            Option(
                f"{4 * 3}", feedback="That is n·s, as if zeros went after the last row too. They go only between rows."
            ),
            Option(
                f"{4 + 3}", feedback="That inserts one zero row per gap. With stride s there are s − 1 = 2 per gap."
            ),
            Option(
                f"{(4 - 1) * 3 + 1 + 2 * (3 - 1)}",
                feedback="That already includes the k − 1 rows of padding on each side (for a 3×3 kernel); "
                "the question stops before the padding.",
            ),
        ),
    ),
    Numeric(
        id="same-output-rows",
        section="size-rule",
        prompt="Conv2DTranspose with a 3×3 kernel, stride 2, padding='same', on a 7×7 input. How many rows does "
        "the output have (no output_padding)?",
        answer=course.transposed_conv_output_size(7, 3, 2, "same"),
        explanation="'same' undoes the size rule of a 'same' convolution: n·s = 7·2 = 14.",
        mistakes=(
            Mistake(
                course.transposed_conv_output_size(7, 3, 2, "valid"),
                "That is 'valid', (n − 1)·s + k. 'same' crops the canvas to n·s.",
            ),
            Mistake(
                course.transposed_conv_output_size(7, 3, 2, "same", output_padding=0),
                "That is what output_padding=0 asks for. Without output_padding, 'same' returns n·s.",
            ),
            Mistake(
                course.conv_output_size(7, 3, 2, "same"),
                "That is the size an ordinary Conv2D would return; "
                "the transposed convolution goes the other way, to a larger map.",
            ),
        ),
        other="'same' makes the output exactly stride times the input.",
    ),
    Numeric(
        id="same-crop-top",
        section="same-crop",
        prompt="Conv2DTranspose with a 5×5 kernel, stride 2, padding='same', on a 4×4 input. The canvas of stamps "
        "is 11 rows tall and the output 8. How many rows are cropped at the top?",
        # The crop is what the canvas, (n − 1)·s + k rows, has more than the output; the smaller half on top.
        answer=((4 - 1) * 2 + 5 - course.transposed_conv_output_size(4, 5, 2, "same")) // 2,
        explanation="3 rows go, the ones a Conv2D(padding='same') from 8 rows would add: 1 on top and the odd "
        "one, 2, at the bottom.",
        mistakes=(
            Mistake(
                -(-((4 - 1) * 2 + 5 - course.transposed_conv_output_size(4, 5, 2, "same")) // 2),
                "That many go at the bottom. As with a 'same' convolution's "
                "padding, the odd row is at the end (bottom, right).",
            ),
            Mistake(
                (4 - 1) * 2 + 5 - course.transposed_conv_output_size(4, 5, 2, "same"),
                "That is the total crop, top and bottom together.",
            ),
            Mistake(0, "'same' does crop here: the stamps cover 11 rows and the output has only 8."),
        ),
        other="The crop is the padding a Conv2D(padding='same') with the same kernel and stride would add to the "
        "output's size.",
    ),
    Choice(
        id="checkerboard-kernel",
        section="checkerboard",
        prompt="Stride 2. Which kernel size makes every output cell (away from the borders) receive the same "
        "number of stamps, and so avoids checkerboard artifacts from uneven overlap?",
        options=(
            Option(
                "4",
                right=True,
                feedback="A kernel size divisible by the stride makes the overlap even: every inner cell is "
                "covered by k / s = 2 stamps in each direction.",
            ),
            Option(
                "3",
                feedback="With 3 at stride 2, cells are covered by 1 or 2 stamps in turn: the uneven overlap "
                "of the checkerboard.",
            ),
            Option("5", feedback="5 is not divisible by 2 either: cells alternate between 2 and 3 stamps."),
            Option(
                "1",
                feedback="A kernel smaller than the stride leaves gaps that no stamp reaches: those cells stay "
                "0, which is the strongest pattern of all.",
            ),
        ),
    ),
    Choice(
        id="transposed-parameters",
        section="channels",
        prompt="Conv2DTranspose(filters=4, kernel_size=3) on an input with 2 channels. How many trainable parameters?",
        options=(
            Option(
                f"{3 * 3 * 2 * 4 + 4}",
                right=True,
                feedback="As for Conv2D: 3·3 weights for each pair of input channel and filter, and one bias per "
                "filter: 72 + 4 = 76. The stride changes no parameter count.",
            ),
            Option(f"{3 * 3 * 2 * 4}", feedback="The weights are right; each filter also has a bias."),
            Option(
                f"{3 * 3 * 4 + 4}",
                feedback="The input channels are left out: each filter has a 3×3 kernel for each of the 2 "
                "input channels.",
            ),
            Option(
                f"{3 * 3 * 2 * 4 * 2 * 2 + 4}",
                feedback="The stride does not multiply the weights: the same kernel is stamped at every position.",
            ),
        ),
    ),
]
