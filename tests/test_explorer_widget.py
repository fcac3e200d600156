"""The latent-space explorer's Python side (course.latent_explorer): what it exports, its text, its errors.

The exported decoder is decoded here with NumPy, by the same arithmetic as explorer.js (dense, ReLU, the
transposed convolution as scatter-add with the 'same' crop, the sigmoid), and compared with Keras: that checks
the export (layouts, offsets, crops) without a browser. The page's own script is checked against Keras in
tests/test_explorer.py (browser).
"""

from __future__ import annotations

import base64
import json
import re
from importlib import resources

import numpy as np
import pytest

import course

rng = np.random.default_rng(3)


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def randomised(decoder, seed: int):
    """The decoder with seeded random weights large enough that its images vary with the code."""
    generator = np.random.default_rng(seed)
    for layer in decoder.layers:
        weights = layer.get_weights()
        if weights:
            kernel, bias = weights
            fan_in = kernel.shape[0] if kernel.ndim == 2 else kernel.shape[0] * kernel.shape[1] * kernel.shape[3]
            layer.set_weights([
                generator.normal(0, 1.5 / np.sqrt(fan_in), kernel.shape).astype("float32"),
                generator.normal(0, 0.3, bias.shape).astype("float32"),
            ])  # fmt: skip
    return decoder


@pytest.fixture(scope="module", params=[False, True], ids=["chapter-3", "position-bias"])
def decoder(request, keras):
    return randomised(course.conv_decoder(2, position_bias=request.param), seed=int(request.param))


@pytest.fixture(scope="module")
def codes_and_labels():
    codes = rng.normal(0, 4, (400, 2)) + [3.0, -1.0]
    return codes, rng.integers(0, 10, 400)


def page_data(widget) -> dict:
    found = re.search(r'<script type="application/json" class="ca-lx-data">(.*?)</script>', widget.html, re.S)
    return json.loads(found.group(1))


def floats(text: str) -> np.ndarray:
    """explorer.js's floats(): byte-planed little-endian float32."""
    planes = np.frombuffer(base64.b64decode(text), np.uint8).reshape(4, -1)
    return np.ascontiguousarray(planes.T).view("<f4").ravel()


def codes_of(panel: dict) -> np.ndarray:
    """explorer.js's codesOf(): uint16 steps between each coordinate's lowest and highest value."""
    planes = np.frombuffer(base64.b64decode(panel["codes"]), np.uint8).reshape(2, -1).astype(float)
    steps = (planes[0] + 256 * planes[1]).reshape(-1, 2)
    low, high = np.array(panel["codeLow"]), np.array(panel["codeHigh"])
    return low + steps / 65535 * (high - low)


def decode(panel: dict, z) -> np.ndarray:
    """explorer.js's decode(), in NumPy: the exported layers one after another."""
    w = floats(panel["weights"]).astype(float)
    feature_map = np.asarray(z, dtype=float)
    for layer in panel["layers"]:
        if layer["type"] == "dense":
            kernel = w[layer["weights"] : layer["biases"]].reshape(layer["inputs"], layer["outputs"])
            feature_map = feature_map.ravel() @ kernel + w[layer["biases"] : layer["biases"] + layer["outputs"]]
        else:
            (height, width, channels), (out_h, out_w, filters) = layer["input"], layer["output"]
            (kernel_h, kernel_w), (stride_h, stride_w), (top, left) = layer["kernel"], layer["stride"], layer["crop"]
            kernel = w[layer["weights"] : layer["biases"]].reshape(kernel_h, kernel_w, channels, filters)
            values = feature_map.reshape(height, width, channels)
            output = np.zeros((out_h, out_w, filters))
            for r in range(height):
                for c in range(width):
                    for kr in range(kernel_h):
                        for kc in range(kernel_w):
                            row, col = r * stride_h + kr - top, c * stride_w + kc - left
                            if 0 <= row < out_h and 0 <= col < out_w:
                                output[row, col] += values[r, c] @ kernel[kr, kc]
            feature_map = output + w[layer["biases"] : layer["biases"] + filters]
        if layer["activation"] == "relu":
            feature_map = np.maximum(feature_map, 0)
        elif layer["activation"] == "sigmoid":
            feature_map = 1 / (1 + np.exp(-feature_map))
    return feature_map.reshape(panel["image"])


def test_the_exported_decoder_draws_what_keras_draws(decoder, codes_and_labels):
    codes, labels = codes_and_labels
    widget = course.latent_explorer(decoder, codes, labels)
    panel = page_data(widget)["panels"][0]
    # near the codes, at the origin and far outside them, where the sigmoid saturates
    points = np.concatenate([codes[:6], [[0, 0], [40, -35], [-90, 120]], rng.uniform(-20, 20, (6, 2))])
    keras_images = decoder.predict(points.reshape(-1, 1, 1, 2).astype("float32"), verbose=0)[..., 0]
    ours = np.array([decode(panel, z) for z in points.astype("float32")])
    assert ours.shape == keras_images.shape == (len(points), 28, 28)
    assert np.ptp(keras_images) > 0.5, "the random weights should draw images that vary"
    assert np.abs(ours - keras_images).max() < 1e-5


def test_the_weights_are_exported_exactly_and_their_size_is_stated(decoder, codes_and_labels):
    widget = course.latent_explorer(decoder, *codes_and_labels)
    panel = page_data(widget)["panels"][0]
    exported = floats(panel["weights"])
    keras_weights = np.concatenate([np.asarray(w, "float32").ravel() for w in decoder.get_weights()])
    assert exported.size == keras_weights.size == decoder.count_params()
    assert sorted(exported.tolist()) == sorted(keras_weights.tolist()), "float32 weights, bit for bit"
    assert widget.weight_bytes == [4 * decoder.count_params()]
    assert widget.html_bytes == len(widget.html.encode("utf-8"))


def test_the_check_points_hold_keras_images(decoder, codes_and_labels):
    codes, labels = codes_and_labels
    widget = course.latent_explorer(decoder, codes, labels, start=(1, 2))
    data = page_data(widget)
    checks = np.array(data["checks"], dtype="float32")
    assert len(checks) == 4 and np.allclose(checks[0], (1, 2)) and np.allclose(checks[1], (0, 0))
    widest = np.array(data["views"][1]["extent"])
    assert np.all(np.abs(checks[2:]) >= np.abs(widest[[0, 2]]).min() - 1e-4), "two check points far out"
    stored = floats(data["panels"][0]["keras"]).reshape(len(checks), 28, 28)
    expected = decoder.predict(checks.reshape(-1, 1, 1, 2), verbose=0)[..., 0]
    np.testing.assert_array_equal(stored, expected.astype("float32"))
    np.testing.assert_array_equal(widget.keras_outputs[0], stored)
    report = widget.check_report().splitlines()
    assert len(report) == 1 + 2 * len(checks) and report[1] == "  z = (+1.00, +2.00)"
    assert report[2].startswith("    decoder: mean pixel") and max(map(len, report)) <= 80


def test_the_first_view_holds_the_codes_and_the_start(keras, codes_and_labels):
    codes, labels = codes_and_labels
    decoder = randomised(course.conv_decoder(2), 4)
    first = page_data(course.latent_explorer(decoder, codes, labels))["views"][0]["extent"]
    low, high = np.percentile(codes, [1, 99], axis=0)
    assert first[0] < low[0] and first[1] > high[0] and first[2] < low[1] and first[3] > high[1]
    assert first[1] - first[0] == pytest.approx(first[3] - first[2]), "square: both axes on one scale"
    far = page_data(course.latent_explorer(decoder, codes, labels, start=(100, -3)))["views"][0]["extent"]
    assert far[0] < 100 < far[1] and far[2] < -3 < far[3]
    with pytest.raises(ValueError, match="outside the extent"):
        course.latent_explorer(decoder, codes, labels, start=(100, 0), extent=(-10, 10, -10, 10))


def test_codes_are_stored_to_a_65535th_of_their_range(codes_and_labels, keras):
    codes, labels = codes_and_labels
    widget = course.latent_explorer(randomised(course.conv_decoder(2), 5), codes, labels)
    stored = codes_of(page_data(widget)["panels"][0])
    step = np.ptp(codes, axis=0) / 65535
    assert np.all(np.abs(stored - codes) <= step / 2 + 1e-12)


def test_the_text_says_what_the_reader_can_do_and_what_the_start_shows(codes_and_labels, keras):
    codes, labels = codes_and_labels
    codes = codes.copy()
    codes[0] = (30.0, 30.0)  # one code far from the rest: a 7, and the start
    labels = labels.copy()
    labels[0] = 7
    widget = course.latent_explorer(randomised(course.conv_decoder(2), 6), codes, labels, start=(30.1, 30.0))
    lines = widget.text.splitlines()
    assert lines[0].startswith("Latent-space explorer: ")
    assert "codes of the 400 validation images" in lines[1]
    assert "starts at z = (30.10, 30.00)" in lines[1] and "the nearest code belongs to a 7 (0.10 away)" in lines[1]
    assert "arrow keys" in lines[2] and "mouse" in lines[2] and "finger" in lines[2]
    assert widget._repr_mimebundle_()["text/plain"] == widget.text
    assert lines[1] in widget.html.replace("&#x27;", "'"), "the figure's caption is the same text"


def test_the_pair_shares_a_point_and_draws_the_prior_circle(keras, codes_and_labels):
    codes, labels = codes_and_labels
    decoders = [randomised(course.conv_decoder(2), 7), randomised(course.conv_decoder(2, position_bias=True), 8)]
    widget = course.latent_explorer_pair(decoders, [codes, codes / 4], labels)
    data = page_data(widget)
    assert [p["name"] for p in data["panels"]] == ["plain autoencoder", "VAE"] == widget.names
    assert data["start"] == [0.0, 0.0] and data["circle"] == pytest.approx(np.sqrt(-2 * np.log(0.05)))
    assert [v["label"] for v in data["views"]] == ["the codes", "3 times wider", "the prior's circle"]
    assert "95 % of the draws from the prior" in widget.text and "in the VAE's map" in widget.text
    assert widget.html.count('class="ca-lx-plot"') == 2 and widget.html.count('class="ca-lx-image"') == 2
    assert len(widget.keras_outputs) == 2 and widget.weight_bytes == [4 * d.count_params() for d in decoders]
    for panel, decoder in zip(data["panels"], decoders):
        z = np.array([1.5, -0.5], dtype="float32")
        expected = decoder.predict(z.reshape(1, 1, 1, 2), verbose=0)[0, :, :, 0]
        assert np.abs(decode(panel, z) - expected).max() < 1e-5


def test_the_output_is_self_contained_and_deterministic(decoder, codes_and_labels):
    widget = course.latent_explorer(decoder, *codes_and_labels)
    html = widget.html
    assert html == course.latent_explorer(decoder, *codes_and_labels).html
    assert not re.search(r"(src|href)\s*=|https?://|@import|url\(", html), "nothing to fetch: file:// must work"
    assert html.count("<script>") == 1 and html.count("<style>") == 1
    assert 'aria-live="polite"' in html and 'role="application"' in html and "<figcaption" in html
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    other = course.latent_explorer(decoder, *codes_and_labels, start=(0.5, 0.5))
    assert not set(ids) & set(re.findall(r'id="([^"]+)"', other.html)), "two explorers on a page need other ids"


def test_the_script_is_plain_javascript_without_a_runtime():
    script = (resources.files("course.widgets") / "explorer.js").read_text(encoding="utf-8")
    assert not re.search(r"https?://|\bimport\b|require\(|\btf\.|onnx|WebAssembly|fetch\(", script)
    for operation in ("function dense(", "function transposedConv(", "Math.max(0,", "1 / (1 + Math.exp("):
        assert operation in script
    assert len(script.splitlines()) < 450, "short enough to read next to chapter 2"


def test_bad_input_gets_an_error_that_says_what_to_do(keras, codes_and_labels):
    codes, labels = codes_and_labels
    decoder = course.conv_decoder(2)
    with pytest.raises(ValueError, match="2-number latent spaces.*3 numbers"):
        course.latent_explorer(course.conv_decoder(3), codes, labels)
    with pytest.raises(ValueError, match="shape \\(N, 2\\)"):
        course.latent_explorer(decoder, codes[:, :1], labels)
    with pytest.raises(ValueError, match="NaN"):
        course.latent_explorer(decoder, np.where(codes > 5, np.nan, codes), labels)
    with pytest.raises(ValueError, match="one digit per code"):
        course.latent_explorer(decoder, codes, labels[:-1])
    with pytest.raises(ValueError, match="integer digits from 0 to 9"):
        course.latent_explorer(decoder, codes, labels + 5)
    with pytest.raises(ValueError, match="extent"):
        course.latent_explorer(decoder, codes, labels, extent=(1, 0, 0, 1))
    with pytest.raises(ValueError, match="start"):
        course.latent_explorer(decoder, codes, labels, start=(np.inf, 0))
    with pytest.raises(ValueError, match="two decoders"):
        course.latent_explorer_pair([decoder], [codes], labels)
    other = keras.Sequential([keras.Input((1, 1, 2)), keras.layers.Conv2D(1, 1, name="not_transposed")])
    with pytest.raises(ValueError, match="'not_transposed' is a Conv2D.*Conv2DTranspose"):
        course.latent_explorer(other, codes, labels)
    tanh = keras.Sequential([keras.Input((1, 1, 2)), keras.layers.Conv2DTranspose(1, 28, activation="tanh")])
    with pytest.raises(ValueError, match="activation 'tanh'"):
        course.latent_explorer(tanh, codes, labels)
