"""Self-check questions of chapter 5, the variational autoencoder (``course.self_check("05_variational_autoencoder", section)``).

Each question belongs to the section that teaches what it asks: the decoder's first layer, the units of the
loss, what a fitted Gaussian tells about the plain autoencoder, the KL term, the reparameterisation trick,
coverage of the prior, the digit score, and the weight of the KL term. Option texts that hold numbers are
computed. The questions ask a new case rather than what the cells above them say; the order in which a reader
sees the options is shuffled (course.widgets.option_order). Not graded.
"""

import math

import course

Choice, Option = course.Choice, course.Option

_KL_EXAMPLE = 0.5 * (0.0**2 + 4.0 - 1.0 - math.log(4.0))  # mu = 0, sigma^2 = 4
_DENSE_OUTPUTS = 7 * 7 * 64  # the Dense first layer of the VAE's decoder, reshaped to 7 x 7 x 64

QUESTIONS = [
    Choice(
        id="dense-first-layer-parameters",
        section="architecture",
        prompt="The VAE's decoder starts with Dense(7 · 7 · 64, activation='relu') on the 2-number code, reshaped "
        "to 7×7×64. How many parameters does that layer have?",
        options=(
            Option(
                f"{2 * _DENSE_OUTPUTS:,}",
                feedback="Those are the weights, 2 per output; each of the 3,136 outputs also has its bias.",
            ),
            Option(
                f"{2 * _DENSE_OUTPUTS + _DENSE_OUTPUTS:,}",
                right=True,
                feedback="2 weights and 1 bias for each of the 7·7·64 = 3,136 outputs: a bias per position "
                "and channel, which lets the code 0 decode to an image with a shape.",
            ),
            Option(
                f"{7 * 7 * 2 * 64 + 64:,}",
                feedback="That is chapter 3's Conv2DTranspose(64, 7): the same weights, but one bias per "
                "channel, shared by the 49 positions.",
            ),
            Option(
                f"{2 * 64 + 64}",
                feedback="That counts one position; a Dense layer has weights and a bias for every one of its "
                "3,136 outputs.",
            ),
        ),
    ),
    Choice(
        id="summed-loss-without-adam",
        section="loss",
        prompt="A plain autoencoder is trained by plain gradient descent, without Adam, at a fixed learning rate. "
        "Its loss is changed from the mean over the 784 pixels to their sum. What changes?",
        options=(
            Option(
                "Every step is 784 times larger: like a learning rate 784 times higher",
                right=True,
                feedback="The gradient of a sum is 784 times the gradient of the mean, and plain gradient "
                "descent steps by the gradient itself. Adam divides by the size of recent gradients, which is "
                "why the chapter can sum without changing its learning rate.",
            ),
            Option(
                "Nothing: the best weights are the same, so training follows the same path to them",
                feedback="The minimum is the same, but the path is not: every step is scaled, and at a fixed "
                "learning rate steps 784 times larger may not converge at all.",
            ),
            Option(
                "Every step is 784 times smaller",
                feedback="The sum is 784 times the mean, and so is its gradient: the steps grow.",
            ),
        ),
    ),
    Choice(
        id="fitted-gaussian-meaning",
        section="plain-samples",
        prompt="The plain autoencoder's samples are hybrids when its codes are drawn from N(0, I), and far more "
        "digit-like when they are drawn from a Gaussian fitted to its training codes. What does that show?",
        options=(
            Option(
                "The plain autoencoder was trained for too few epochs to place its codes well",
                feedback="More epochs would not move its codes towards N(0, I): nothing in its loss mentions "
                "that distribution.",
            ),
            Option(
                "Its decoder can draw; N(0, I) was the wrong place for its codes",
                right=True,
                feedback="The same decoder, given codes where its training codes lie, draws far better: the "
                "failure was in where the codes came from.",
            ),
            Option(
                "A VAE is not needed for anything, since fitting a Gaussian afterwards does the same",
                feedback="Fitting a density after training works here, but the VAE gives a prior fixed in "
                "advance, no second fitting step, and a bound on a log-probability.",
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
        id="larger-images",
        section="kl",
        prompt="The chapter's VAE, with the summed loss and β = 1, is trained on the same digits drawn at 56×56 "
        "pixels instead of 28×28. How does the balance between its two terms change?",
        options=(
            Option(
                "Not at all: both terms are per image, so the balance stays the same",
                feedback="Both are per image, but the reconstruction term sums over the pixels, of which "
                "there are now four times as many; the KL term sums over the code's 2 coordinates only.",
            ),
            Option(
                "The reconstruction term weighs about four times more: like a β four times smaller",
                right=True,
                feedback="Four times the pixels, about four times the summed cross-entropy, the same KL: the "
                "model trades less of its reconstruction for a code that matches the prior.",
            ),
            Option(
                "The KL term weighs four times more, since the code must describe four times the pixels",
                feedback="The KL term depends on the code's distribution only, 2 coordinates whatever the "
                "image's size.",
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
                "None: a random draw never has a gradient, so the score-function estimator is always needed",
                feedback="The score-function estimator is for distributions without a reparameterisation; "
                "a normal distribution has one, z = μ + σ·ε.",
            ),
        ),
    ),
    Choice(
        id="moments-are-not-coverage",
        section="coverage",
        prompt="Suppose all of a VAE's code clouds together had mean exactly 0 and covariance exactly I. Would "
        "every draw from N(0, I) then land near some code?",
        options=(
            Option(
                "Yes: a distribution with the prior's mean and covariance is the prior",
                feedback="Only among normal distributions. A ring of codes, or ten clusters with gaps between "
                "them, can have mean 0 and covariance I too.",
            ),
            Option(
                "No: codes in clusters or a ring can have these moments and leave gaps",
                right=True,
                feedback="Two moments do not fix a distribution; coverage asks directly whether the draws have "
                "a code nearby, which is why the chapter measures both.",
            ),
            Option(
                "Only if the clouds are narrow, with a standard deviation well below 1",
                feedback="Narrow clouds make gaps more likely, not less: the question is where the clouds "
                "sit, and the moments do not say.",
            ),
        ),
    ),
    Choice(
        id="explorer-holes",
        section="explorer",
        prompt="In the pair explorer you find a point inside the prior's circle where the plain autoencoder "
        "draws a smudge and the VAE a clear digit. What does that say about drawing codes from N(0, I)?",
        options=(
            Option(
                "A plain decoder trained for longer would draw a clear digit at that point too",
                feedback="Its loss only scores drawings at its codes; where no code lands, longer training "
                "sharpens nothing.",
            ),
            Option(
                "The VAE's decoder can draw more shapes, because it has more weights than the other",
                feedback="The two decoders have exactly the same layers; what differs is where their "
                "training codes lay.",
            ),
            Option(
                "Draws that land in such gaps give smudges; the VAE's codes were pulled over the circle",
                right=True,
                feedback="A decoder draws well where its training codes lay. The KL term spread the VAE's "
                "codes over the prior's circle, so its draws seldom land in a gap.",
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
                feedback="Blur makes the judge unsure, which lowers the score: the chapter's reconstructions "
                "score far below real digits.",
            ),
            Option(
                "One that always outputs the same ten training images",
                right=True,
                feedback="The score rewards confident and balanced class probabilities; it never compares with "
                "the training images and ignores variety within a digit.",
            ),
            Option(
                "One that draws perfect sevens, every one of them different from the others",
                feedback="All samples in one class make the average probability equal to each sample's: the "
                "score is then close to 1, however varied the sevens.",
            ),
        ),
    ),
    Choice(
        id="beta-trade",
        section="beta",
        prompt="The chapter's VAE is retrained with β = 4 instead of 1. What happens on the test images?",
        options=(
            Option(
                "Both terms fall, since the loss now weighs its KL term more strongly",
                feedback="The two terms pull against each other: information in the code costs KL and saves "
                "reconstruction error.",
            ),
            Option(
                "The model collapses: every code distribution becomes the prior itself",
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
