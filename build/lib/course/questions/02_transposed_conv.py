"""Self-check questions of chapter 2, transposed convolution (``course.self_check("02_transposed_conv", section)``).

Each question belongs to the section that teaches what it asks. Numeric answers, and the wrong values that
typical misconceptions give, are computed with the course's own functions, the ones the chapter checks
against TensorFlow. Not graded.
"""

import course
from course import Choice, Mistake, Numeric, Option

QUESTIONS = [
    Choice(
        id="what-a-code-loses",
        section="round-trip",
        prompt="A Conv2D with a 2×2 kernel of equal weights 1/4, stride 2, 'valid', turns a 4×4 image into a 2×2 "
        "map of block averages. Which change to the image leaves that map exactly as it was, so that no decoder "
        "can undo it?",
        options=(
            Option(
                "Swapping two pixels of the same 2×2 block",
                right=True,
                feedback="Each output cell sees one block and weighs its four pixels equally, so the block's "
                "average does not change: two different images, one map. No layer after the convolution can "
                "tell them apart.",
            ),
            Option(
                "Swapping two pixels of different blocks, when their values differ",
                feedback="Each block's average then changes, one up and one down: the map records it.",
            ),
            Option(
                "Adding 1 to every pixel",
                feedback="Every block's average rises by 1: the map changes, and a decoder could subtract it.",
            ),
            Option(
                "None: a transposed convolution with the same kernel brings the image back exactly",
                feedback="'Transposed' is not 'inverse': 16 numbers go into 4, so many images share a map, "
                "and a transposed convolution restores only the shape.",
            ),
        ),
    ),
    Numeric(
        id="scatter-output-rows",
        section="scatter-add",
        prompt="A 3×3 input, a 3×3 kernel, stride 2, padding='valid'. How many rows does Conv2DTranspose return?",
        answer=course.transposed_conv_output_size(3, 3, 2, "valid"),
        explanation="the stamps start 2 rows apart, at rows 0, 2 and 4, and the last one covers rows 4 to 6: "
        "(n − 1)·s + k = 2·2 + 3 = 7.",
        mistakes=(
            Mistake(
                course.transposed_conv_output_size(3, 3, 2, "same"),
                "That is padding='same', which gives n·s. 'valid' keeps the whole canvas the stamps cover.",
            ),
            Mistake(
                3 * 3,
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
        id="matrix-view",
        section="matrix-view",
        prompt="C is the matrix of a 3×3 'valid' convolution on a 5×5 input, written so that Cx is the convolution "
        "of the image x read as a vector. What is the shape of the matrix that computes the transposed "
        "convolution with the same kernel?",
        options=(
            Option(
                f"{5 * 5}×{3 * 3}",
                right=True,
                feedback="C maps the 25 pixels to the 9 outputs, so it is 9×25; the transposed convolution "
                "is Cᵀ, 25×9: 9 numbers in, 25 out, the shape of the image again.",
            ),
            Option(
                f"{3 * 3}×{5 * 5}",
                feedback="That is C itself, which maps 25 numbers to 9: the convolution, not its transpose.",
            ),
            Option(
                f"{5 * 5}×{5 * 5}",
                feedback="A square matrix would be needed for an inverse; the transpose of a 9×25 matrix is 25×9.",
            ),
            Option(
                f"{3 * 3}×{3 * 3}, the kernel's",
                feedback="The kernel's 9 weights fill the matrix, but its shape counts outputs and inputs: "
                "the transposed convolution takes 9 numbers to 25.",
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
    Choice(
        id="transposed-parameters",
        section="channels",
        prompt="Conv2DTranspose(filters=8, kernel_size=2, strides=2) on an input with 3 channels. How many "
        "trainable parameters?",
        options=(
            Option(
                f"{2 * 2 * 3 * 8 + 8}",
                right=True,
                feedback="As for Conv2D: 2·2 weights for each pair of input channel and filter, and one bias per "
                "filter: 96 + 8 = 104. The stride changes no parameter count.",
            ),
            Option(f"{2 * 2 * 3 * 8}", feedback="The weights are right; each filter also has a bias."),
            Option(
                f"{2 * 2 * 8 + 8}",
                feedback="The input channels are left out: each filter has a 2×2 kernel for each of the 3 "
                "input channels.",
            ),
            Option(
                f"{2 * 2 * 3 * 8 * 2 * 2 + 8}",
                feedback="The stride does not multiply the weights: the same kernel is stamped at every position.",
            ),
        ),
    ),
    Numeric(
        id="same-output-rows",
        section="size-rule",
        prompt="Conv2DTranspose with a 4×4 kernel, stride 3, padding='same', on a 5×5 input. How many rows does "
        "the output have (no output_padding)?",
        answer=course.transposed_conv_output_size(5, 4, 3, "same"),
        explanation="'same' undoes the size rule of a 'same' convolution: n·s = 5·3 = 15, whatever the kernel.",
        mistakes=(
            Mistake(
                course.transposed_conv_output_size(5, 4, 3, "valid"),
                "That is 'valid', (n − 1)·s + max(k, s). 'same' crops the canvas to n·s.",
            ),
            Mistake(
                5 * 4,
                "That multiplies by the kernel size; with 'same' the output is the input size times the stride.",
            ),
            Mistake(
                course.conv_output_size(5, 4, 3, "same"),
                "That is the size an ordinary Conv2D would return; "
                "the transposed convolution goes the other way, to a larger map.",
            ),
        ),
        other="'same' makes the output exactly stride times the input.",
    ),
    Choice(
        id="checkerboard-kernel",
        section="checkerboard",
        prompt="Stride 4. Which kernel size makes every output cell (away from the borders) receive the same "
        "number of stamps, and so avoids checkerboard artifacts from uneven overlap?",
        options=(
            Option(
                "8",
                right=True,
                feedback="8 is divisible by 4: every inner cell is covered by 8 / 4 = 2 stamps along each axis, "
                "so in 2-D by 2 · 2 = 4.",
            ),
            Option(
                "6",
                feedback="6 is not divisible by 4: along each axis cells are covered by 1 or 2 stamps in turn, so "
                "in 2-D by 1, 2 or 4: the uneven overlap of the checkerboard.",
            ),
            Option(
                "5",
                feedback="5 is not divisible by 4 either: along each axis 1 or 2 stamps, so in 2-D 1, 2 or 4.",
            ),
            Option(
                "3",
                feedback="A kernel smaller than the stride leaves gaps that no stamp reaches: those cells stay "
                "0 while the others get one stamp, the strongest pattern of all.",
            ),
        ),
    ),
]
