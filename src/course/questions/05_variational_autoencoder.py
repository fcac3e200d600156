"""Self-check questions of chapter 5, the variational autoencoder (``course.self_check("05_variational_autoencoder", section)``).

Each question belongs to the section that teaches what it asks: the decoder's first layer, the units of the
loss, what a fitted Gaussian tells about the plain autoencoder, the KL term, the reparameterisation trick,
coverage of the prior, the digit score, and the weight of the KL term. Option texts that hold numbers are
computed. Not graded.
"""

import math

import course

Choice, Option = course.Choice, course.Option

_KL_EXAMPLE = 0.5 * (0.0**2 + 4.0 - 1.0 - math.log(4.0))  # mu = 0, sigma^2 = 4

QUESTIONS = [
    Choice(
        id="first-layer-bias",
        section="architecture",
        prompt="A decoder's first layer is Conv2DTranspose(64, 7, padding='valid') applied to a 1×1×2 code. What "
        "does it output for the code z = 0?",
        options=(
            Option(
                "The same 64 numbers (its biases, after the ReLU) at all 49 positions",
                right=True,
                feedback="On a 1×1 input each position gets its own weights times z plus one bias per channel; "
                "at z = 0 only the biases are left, and they are shared by the positions.",
            ),
            Option(
                "A 7×7 map of zeros, whatever the biases are",
                feedback="The weights are multiplied by zero, the biases are not: the layer still adds one bias "
                "per channel.",
            ),
            Option(
                "A different 64 numbers at each position, learned during training",
                feedback="That is what a Dense layer reshaped to 7×7×64 can do, with its bias per position; the "
                "transposed convolution has one bias per channel only.",
            ),
        ),
    ),
    Choice(
        id="summed-reconstruction",
        section="loss",
        prompt="A VAE's reconstruction term is changed from the binary cross-entropy summed over the 784 pixels "
        "to its mean over the pixels; nothing else changes. For the optimizer this is the same as:",
        options=(
            Option(
                "Dividing the learning rate by 784",
                feedback="Both terms would have to shrink for that; here only the reconstruction term does, "
                "so the balance between the terms moves.",
            ),
            Option(
                "Multiplying β by 784 in the summed loss",
                right=True,
                feedback="Dividing one term by 784 and leaving the other alone changes their exchange rate "
                "exactly as β = 784 would (up to an overall factor, which Adam barely notices).",
            ),
            Option(
                "Nothing: Adam rescales the gradient anyway",
                feedback="Adam rescales the gradient of the whole loss, not of each term: the ratio of the two "
                "terms still decides what the model gives up.",
            ),
        ),
    ),
    Choice(
        id="fitted-gaussian-meaning",
        section="plain-samples",
        prompt="The plain autoencoder's samples are smudges when its codes are drawn from N(0, I), and mostly "
        "digits when they are drawn from a Gaussian fitted to its training codes. What does that show?",
        options=(
            Option(
                "The plain autoencoder was trained for too few epochs",
                feedback="More epochs would not move its codes towards N(0, I): nothing in its loss mentions "
                "that distribution.",
            ),
            Option(
                "A VAE is not needed for anything",
                feedback="Fitting a density after training works here, but the VAE gives a prior fixed in "
                "advance, no second fitting step, and a bound on a log-probability.",
            ),
            Option(
                "Its decoder can draw digits; N(0, I) was the wrong distribution for its codes",
                right=True,
                feedback="The same decoder, given codes where its training codes lie, draws digits: the failure "
                "was in where the codes came from.",
            ),
        ),
    ),
    Choice(
        id="kl-of-wide-cloud",
        section="kl",
        prompt="One coordinate of a code has μ = 0 and σ² = 4. What is its KL divergence to N(0, 1), in nats?",
        options=(
            Option(
                "0, because the mean is at the origin",
                feedback="μ² is only one part: σ² − 1 − log σ² penalises a cloud narrower or wider than the "
                "prior, and it is positive for σ² = 4.",
            ),
            Option(
                f"{0.5 * (2.0 - 1.0 - math.log(4.0)):.3f}",
                feedback="That puts σ = 2 where σ² = 4 belongs; a KL divergence is never negative.",
            ),
            Option(
                f"{_KL_EXAMPLE:.3f}",
                right=True,
                feedback="½(μ² + σ² − 1 − log σ²) = ½(0 + 4 − 1 − log 4): a cloud wider than the prior costs nats too.",
            ),
            Option(
                f"{2 * _KL_EXAMPLE:.3f}",
                feedback="That leaves out the factor ½ in front of the closed form.",
            ),
        ),
    ),
    Choice(
        id="reparameterisation-gradient",
        section="reparameterisation",
        prompt="Inside a GradientTape, which way of drawing z ~ N(μ, σ²) lets the gradient reach μ and σ?",
        options=(
            Option(
                "Any draw, since TensorFlow differentiates through random number generators",
                feedback="A draw made by NumPy from numbers copied out of the graph reaches the tape as a "
                "constant: its gradient is None.",
            ),
            Option(
                "z = μ + σ·ε with ε drawn from N(0, 1), or tf.random.normal(shape, mean=μ, stddev=σ)",
                right=True,
                feedback="Both compute z as a differentiable function of μ and σ (tf.random.normal does the "
                "reparameterisation internally).",
            ),
            Option(
                "None: a random draw never has a gradient, so the score-function estimator is needed",
                feedback="The score-function estimator is for distributions without a reparameterisation; "
                "a normal distribution has one, z = μ + σ·ε.",
            ),
        ),
    ),
    Choice(
        id="coverage-measure",
        section="coverage",
        prompt="Why does the share of a VAE's codes inside the prior's 95 % circle not measure how well they "
        "cover the prior?",
        options=(
            Option(
                "The circle holds 95 % of the prior, so the share is always close to 95 %",
                feedback="The share depends on where the encoder puts its codes; the plain autoencoder's codes "
                "mostly lie outside the circle.",
            ),
            Option(
                "Because codes outside the circle decode to noise",
                feedback="The question is about the prior draws that have no code near them, not about codes "
                "outside the circle.",
            ),
            Option(
                "Codes all packed near the origin would score 100 % and leave most of the prior empty",
                right=True,
                feedback="Coverage asks the converse: whether a draw from the prior lands near some code. The "
                "chapter counts the prior draws with a code within 0.2.",
            ),
        ),
    ),
    Choice(
        id="score-blind-spot",
        section="score",
        prompt="Which generator could get a digit score close to 10 although it is a poor generator?",
        options=(
            Option(
                "One whose samples are blurred but show all ten digits equally often",
                feedback="Blur makes the classifier unsure, which lowers the score: the chapter's "
                "reconstructions score far below real digits.",
            ),
            Option(
                "One that always outputs the same ten training images, one of each digit",
                right=True,
                feedback="The score rewards confident and balanced class probabilities; it never compares with "
                "the training images and ignores variety within a digit.",
            ),
            Option(
                "One that draws perfect sevens only",
                feedback="All samples in one class make the average probability equal to each sample's: the "
                "score is then close to 1.",
            ),
        ),
    ),
    Choice(
        id="beta-trade",
        section="beta",
        prompt="The chapter's VAE is retrained with β = 4 instead of 1. What happens on the test images?",
        options=(
            Option(
                "Both terms fall, since the loss is weighted more strongly",
                feedback="The two terms pull against each other: information in the code costs KL and saves "
                "reconstruction error.",
            ),
            Option(
                "The model collapses: every code distribution becomes the prior",
                feedback="Collapse needed β = 784 here; at β = 4 the KL term is smaller but still a few nats, "
                "so the codes still carry information.",
            ),
            Option(
                "The KL term falls and the reconstruction term rises",
                right=True,
                feedback="β is the price of a nat of KL in nats of reconstruction: a higher price buys less "
                "KL and costs detail.",
            ),
        ),
    ),
]
