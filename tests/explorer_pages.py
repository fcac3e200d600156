"""Pages with latent-space explorers, for the browser tests (tests/test_explorer.py) and the redraw benchmark.

The decoders are the chapters' shapes, trained briefly on MNIST (10,000 images, 2 epochs; about 20 s on 2 cores):
chapter 3's autoencoder (``course.conv_decoder(2)``), and chapter 5's two models, a plain autoencoder and a VAE,
both with ``course.conv_decoder(2, position_bias=True)``. They are not the chapters' trained models, but they
have their shapes and draw digits, which is what the page's arithmetic and the figure need.

    python tests/explorer_pages.py bench     # the redraw rate in Chromium, with and without a slowed-down CPU

prints how many times a second the page redraws while a point is dragged (the target: at least 30), the time
one redraw takes, and the bytes each explorer adds to a page.
"""

from __future__ import annotations

import gzip
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TRAIN_IMAGES = 10_000
EPOCHS = 2
SEED = 0
CHROMIUM = "/usr/bin/chromium"

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 1rem auto; padding: 0 1rem; color: #222;
  background: #fff; }}
@media (prefers-color-scheme: dark) {{ body {{ color: #e6e6e6; background: #121212; }} }}
</style></head>
<body><main><h1>{title}</h1>
<p>A page with nothing but the explorer, as a cell's output shows it.</p>
{body}
</main></body></html>
"""


@dataclass
class Models:
    """The demo decoders and the codes of the validation images (the first 2,000)."""

    chapter3: object
    plain: object
    vae: object
    chapter3_codes: np.ndarray
    plain_codes: np.ndarray
    vae_means: np.ndarray
    labels: np.ndarray


def _vae_parts(seed: int):
    import keras
    from keras import ops

    import course

    class Sampling(keras.layers.Layer):
        """Splits the encoder's 4 numbers into means and log-variances, adds the KL term, samples a code."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.noise = keras.random.SeedGenerator(seed)

        def call(self, outputs):
            mean, log_var = outputs[..., :2], outputs[..., 2:]
            kl = -0.5 * ops.mean(ops.sum(1 + log_var - mean**2 - ops.exp(log_var), axis=-1))
            self.add_loss(kl / 784)  # the loss below is a mean over the 784 pixels
            return mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=self.noise)

    encoder, decoder = course.conv_encoder(4), course.conv_decoder(2, position_bias=True)
    images = keras.Input((28, 28, 1))
    model = keras.Model(images, decoder(Sampling()(encoder(images))))
    return encoder, decoder, model


def train(folder: Path) -> Models:
    """Train the three demo models into ``folder`` (or load them from there, once trained)."""
    import keras

    import course

    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "labels.npy").is_file():
        data = course.mnist_splits()
        x_train = data.x_train[:TRAIN_IMAGES]
        x_val = data.x_val[:2000]
        for name, position_bias in [("chapter3", False), ("plain", True), ("vae", True)]:
            keras.utils.set_random_seed(SEED)
            if name == "vae":
                encoder, decoder, model = _vae_parts(SEED)
                loss = "binary_crossentropy"
            else:
                encoder, decoder = course.conv_encoder(2), course.conv_decoder(2, position_bias=position_bias)
                images = keras.Input((28, 28, 1))
                model, loss = keras.Model(images, decoder(encoder(images))), "mse"
            model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=loss)
            model.fit(x_train, x_train, batch_size=128, epochs=EPOCHS, shuffle=True, verbose=0)
            codes = encoder.predict(x_val, batch_size=1000, verbose=0).reshape(len(x_val), -1)[:, :2]
            decoder.save(folder / f"{name}.keras")
            np.save(folder / f"{name}_codes.npy", codes)
        np.save(folder / "labels.npy", data.y_val[:2000])
    load = keras.models.load_model
    return Models(
        load(folder / "chapter3.keras"), load(folder / "plain.keras"), load(folder / "vae.keras"),
        np.load(folder / "chapter3_codes.npy"), np.load(folder / "plain_codes.npy"),
        np.load(folder / "vae_codes.npy"), np.load(folder / "labels.npy"),
    )  # fmt: skip


def explorers(models: Models) -> dict:
    """The two explorers the chapters will show: chapter 3's single decoder, chapter 5's pair."""
    import course

    return {
        "single": course.latent_explorer(models.chapter3, models.chapter3_codes, models.labels),
        "pair": course.latent_explorer_pair(
            [models.plain, models.vae], [models.plain_codes, models.vae_means], models.labels
        ),
    }


def write_pages(folder: Path, widgets: dict) -> dict[str, Path]:
    """One page per explorer (single.html, pair.html) and one with both (both.html); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = {}
    for name, body in [
        *((n, w.html) for n, w in widgets.items()),
        ("both", "\n".join(w.html for w in widgets.values())),
    ]:
        pages[name] = folder / f"{name}.html"
        pages[name].write_text(PAGE.format(title=f"Latent-space explorer: {name}", body=body), encoding="utf-8")
    return pages


# The benchmark: a drag in the page, one pointer move per frame along a circle, for `seconds`; counts the
# redraws (frames in which the decoders ran and the figure was drawn) and the time they took.
DRAG = """async ([seconds]) => {
  const root = document.querySelector("figure.ca-lx"), plot = root.querySelector(".ca-lx-plot");
  const box = plot.getBoundingClientRect(), stats = root.caExplorer.stats;
  const cx = box.left + box.width / 2, cy = box.top + box.width / 2, r = box.width / 4;
  const frames0 = stats.frames, busy0 = stats.busy, t0 = performance.now();
  let angle = 0;
  const send = (type) => plot.dispatchEvent(new PointerEvent(type, { pointerId: 1, isPrimary: true, bubbles: true,
      pointerType: "mouse", button: 0, buttons: 1, clientX: cx + r * Math.cos(angle), clientY: cy + r * Math.sin(angle) }));
  send("pointerdown");
  await new Promise(done => {
    const step = () => {
      angle += 0.05; send("pointermove");
      if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(step); else done();
    };
    requestAnimationFrame(step);
  });
  send("pointerup");
  const elapsed = (performance.now() - t0) / 1000, frames = stats.frames - frames0;
  return { perSecond: frames / elapsed, msPerRedraw: (stats.busy - busy0) / frames };
}"""


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def bench(folder: Path, seconds: float = 4.0) -> None:
    from playwright.sync_api import sync_playwright

    models = train(folder / "models")
    widgets = explorers(models)
    pages = write_pages(folder / "pages", widgets)
    print(f"CPU: {cpu_name()}; Chromium at {CHROMIUM}, headless")
    for name, widget in widgets.items():
        sent = len(gzip.compress(widget.html.encode("utf-8"), 6))
        weights = ", ".join(f"{n} {b:,} B" for n, b in zip(widget.names, widget.weight_bytes))
        print(f"{name}: weights {weights} (float32); the output {widget.html_bytes:,} B, {sent:,} B gzip-compressed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        session = page.context.new_cdp_session(page)
        for throttle in (1, 4):
            session.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
            for name in widgets:
                page.goto(pages[name].as_uri())
                page.wait_for_function("() => document.querySelector('figure.ca-lx')?.caExplorer")
                result = page.evaluate(DRAG, [seconds])
                slowed = "" if throttle == 1 else f", CPU slowed {throttle}x"
                print(
                    f"{name}{slowed}: {result['perSecond']:.0f} redraws a second while dragging, "
                    f"{result['msPerRedraw']:.1f} ms per redraw (decoding and drawing)"
                )
        browser.close()


if __name__ == "__main__":
    if sys.argv[1:2] != ["bench"]:
        sys.exit(__doc__)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    root = Path(__file__).resolve().parent.parent
    bench(root / "_build" / "explorer-bench")
