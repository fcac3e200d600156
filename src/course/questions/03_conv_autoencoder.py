"""Self-check questions of chapter 3, the convolutional autoencoder (shown by
``course.self_check("03_conv_autoencoder", section)``).

Each question belongs to the section that teaches what it asks. Numeric answers, and the wrong values that
typical misconceptions give, are computed with the course's size rules, the ones the chapter checks against
Keras. Not graded.
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
                "Passing the pixels through unchanged, which needs no knowledge of digits",
                right=True,
                feedback="With room for every pixel, a copy is a perfect reconstruction. Only a narrow code "
                "forces the network to describe images by what they share and how they differ.",
            ),
            Option(
                "A more compact and more meaningful summary of each digit",
                feedback="Nothing asks for compactness when the code is as large as the image: the "
                "bottleneck is what makes a summary necessary.",
            ),
            Option(
                "Telling the ten digits apart",
                feedback="The loss never sees a label. It rewards redrawing pixels, and a copy redraws them best.",
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
                f"{7 * 7 * 2 * 64 + 64:,}",
                right=True,
                feedback="7 · 7 · 2 · 64 weights (kernel positions, input channels, filters) plus one bias per "
                "filter: the same formula as for Conv2D.",
            ),
            Option(
                f"{7 * 7 * 2 * 64:,}",
                feedback="The weights are right, but each of the 64 filters also has a bias.",
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
        id="what-the-control-shows",
        section="training",
        prompt="The chapter's recipe (warm-up and cosine decay, peak 1e-2) differs from Adam at a constant 1e-3 "
        "in two ways. The control, a constant 1e-2, ended close to the chapter's recipe on the full budget, and "
        "at least a tenth below the constant 1e-3 on the short budget, for every seed. What does the control "
        "tell you?",
        options=(
            Option(
                "The gain comes from the higher rate; the schedule's shape added nothing measurable here",
                right=True,
                feedback="The control has the higher rate without the schedule, did as well as the chapter's "
                "recipe and better than the plain one: the rate is what the plain recipe lacked.",
            ),
            Option(
                "The gain comes from the warm-up and the cosine decay",
                feedback="The control has neither and did as well: a comparison that changes two things at "
                "once cannot credit either one until a control separates them.",
            ),
            Option(
                "A constant rate of 1e-2 is too high to train this model",
                feedback="The control trained as well as the chapter's recipe on this budget; a rate is too "
                "high when the loss stops falling or diverges, which the curves do not show.",
            ),
            Option(
                "Nothing, since every run starts from the same weights",
                feedback="Same weights, same images and same order are what make the runs comparable: the "
                "learning rate is then the only difference left.",
            ),
        ),
    ),
    Choice(
        id="schedule-short-budget",
        section="training",
        prompt="On a short budget of 158 steps, the chapter's recipe ended above the constant-rate control for "
        "every seed, and above the mean-image baseline. What is the sound conclusion?",
        options=(
            Option(
                "Whether a schedule helps depends on the budget, so test it on the budget you will use",
                right=True,
                feedback="The same schedule was harmless on 2,150 steps and harmful on 158: a recipe is a "
                "measured choice for a budget, not a setting to adopt on trust.",
            ),
            Option(
                "Warm-up and cosine decay are always harmful",
                feedback="On the full budget they did no harm: one budget's result does not carry over to another.",
            ),
            Option(
                "The short runs went wrong and should be ignored",
                feedback="Every seed gave the same ordering; results that disagree with the longer run are "
                "information about the budget, not noise to drop.",
            ),
        ),
    ),
    Choice(
        id="checkerboard-on-real-codes",
        section="reconstructions",
        prompt="The decoder's last two layers have a 3×3 kernel and stride 2, which can paint a checkerboard. "
        "Why do the reconstructions carry less energy at the 2-pixel frequencies than the inputs?",
        options=(
            Option(
                "Training taught the decoder weights whose uneven overlaps cancel out on codes of real images",
                right=True,
                feedback="The loss punishes any grid on training images, so the weights learn to hide it there; "
                "nothing guarantees the same away from the codes it was trained on.",
            ),
            Option(
                "Kernel size 3 with stride 2 cannot produce a checkerboard",
                feedback="It can: the stamps overlap unevenly when the kernel size is not a multiple of the "
                "stride, and chapter 2 showed the pattern on a constant map.",
            ),
            Option(
                "The sigmoid at the end removes fine patterns",
                feedback="A sigmoid acts on each pixel alone; it bends values but cannot cancel a pattern "
                "across neighbouring pixels.",
            ),
        ),
    ),
    Choice(
        id="overlap-is-the-squeeze",
        section="latent-space",
        prompt="The nearest training image in pixels has the right label more than 90 % of the time; the nearest "
        "code, only about six times in ten. What explains the overlap of 3s, 5s and 8s in the map?",
        options=(
            Option(
                "Squeezing each image into two numbers loses much of what tells these digits apart",
                right=True,
                feedback="The pixels keep the difference (the pixel test gets them right); two numbers chosen "
                "to redraw pixels do not.",
            ),
            Option(
                "3s, 5s and 8s cannot be told apart from their pixels",
                feedback="The pixel nearest-neighbour test tells them apart most of the time; the labels are "
                "lost in the code, not in the image.",
            ),
            Option(
                "The encoder was trained to group digits by label and made mistakes",
                feedback="The encoder never saw a label: it was trained only to help the decoder redraw pixels.",
            ),
        ),
    ),
    Choice(
        id="why-random-codes-fail",
        section="random-codes",
        prompt="Why do codes drawn from N(0, I) decode to a few kinds of digits and many smudges with this "
        "autoencoder?",
        options=(
            Option(
                "Its codes spread several times wider than N(0, I), so random draws all land in a small patch "
                "near the origin, partly away from any real code",
                right=True,
                feedback="Nothing in training shaped the codes like N(0, I); a VAE adds exactly that.",
            ),
            Option(
                "The decoder cannot draw clean digits from codes it was given",
                feedback="It draws clean digits across most of the map, even in empty corners: the problem is "
                "where the random codes land.",
            ),
            Option(
                "Random codes land far outside the region of real codes",
                feedback="They land inside it, near the origin; the trouble is that they all land in one small "
                "part of it.",
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
                "How low each size gets on that fixed budget: what it can reach mixed with how fast it learns",
                right=True,
                feedback="The 2-number model trained on the full budget reached the error of the sweep's "
                "4-number model, so the sweep's numbers are not the sizes' floors.",
            ),
            Option(
                "The lowest error each code size can reach",
                feedback="Longer training lowers the errors further: the full-budget 2-number model ends well "
                "below the sweep's 2-number model.",
            ),
            Option(
                "The effect of the code size alone, with everything else fixed",
                feedback="The layers next to the code grow with it, so the number of parameters changes too; "
                "and the budget's length shapes the result.",
            ),
        ),
    ),
]
