"""The latent-space explorer: drag a point through a 2-number latent space and watch a trained decoder draw.

``latent_explorer(decoder, codes, labels)`` returns a figure to display in a cell: the codes as a scatter plot
coloured by digit, a point that the reader drags (mouse, finger, arrow keys or two sliders), and beside it the
image the decoder draws for that point, redrawn as the point moves. ``latent_explorer_pair`` shows two decoders
side by side at the same point (chapter 5: the plain autoencoder and the VAE, with the prior's 95 % circle).

Everything is in the cell's output, so that it works on the site, from a file opened from disk and in JupyterLab
without a kernel: the decoder's weights (float32, exactly the trained model's), the codes (to 1/65,535 of their
range), the script (explorer.js, whose forward pass is written with the operations of chapters 1 and 2: dense,
ReLU, the transposed convolution as scatter-add, the sigmoid) and the style (explorer.css). The page checks its
own arithmetic against Keras: the widget stores what Keras draws at a few fixed points, and the page shows the
largest difference it finds there.

The weights change from one training run to the next, and from one machine to another in the last digits:
a chapter tags the cell that displays an explorer ``nbval-ignore-output`` and asserts what matters in Python.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from html import escape
from importlib import resources

import numpy as np

__all__ = ["latent_explorer", "latent_explorer_pair", "LatentExplorer"]

# The colours of the digits: matplotlib's tab10, as the chapters' scatter plots use.
DIGIT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip
PRIOR_95_RADIUS = float(np.sqrt(-2 * np.log(0.05)))  # P(|z| < r) = 1 - exp(-r^2 / 2) for z ~ N(0, I) in 2-D
NEIGHBOURS = 10  # the status line counts the digits of this many nearest codes


class LatentExplorer:
    """A latent-space explorer to display in a cell (``text/html``), with a text equivalent (``text/plain``).

    Attributes: ``check_points`` (the fixed points, shape (n, 2)), ``keras_outputs`` (each decoder's images at
    those points as Keras computes them, shape (n, height, width), in the order of ``names``), ``weight_bytes``
    (each decoder's exported weights in bytes, float32) and ``html_bytes`` (the whole output).
    """

    def __init__(self, html, text, names, check_points, keras_outputs, weight_bytes):
        self.html = html
        self.text = text
        self.names = list(names)
        self.check_points = check_points
        self.keras_outputs = keras_outputs
        self.weight_bytes = weight_bytes
        self.html_bytes = len(html.encode("utf-8"))

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, "text/plain": self.text}

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text

    def check_report(self, digits: int = 3) -> str:
        """Return what Keras draws at the check points, one line per point and decoder (mean and brightest pixel).

        The page computes the same points with its own script and shows the largest difference per pixel;
        the browser test requires it to be under 1e-4.
        """
        lines = [f"What Keras draws at the {len(self.check_points)} check points (the page computes the same points):"]
        for index, (z1, z2) in enumerate(self.check_points):
            lines.append(f"  z = ({z1:+.2f}, {z2:+.2f})")
            for name, images in zip(self.names, self.keras_outputs):
                image = images[index]
                row, col = np.unravel_index(int(np.argmax(image)), image.shape)
                lines.append(
                    f"    {name}: mean pixel {image.mean():.{digits}f}, "
                    f"brightest {image.max():.{digits}f} at row {row}, column {col}"
                )
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Export: the decoder's layers as plain arrays for explorer.js
# --------------------------------------------------------------------------------------------------
def _floats_text(values) -> str:
    """float32 values as base64 text, byte-planed: first byte 0 of every value, then byte 1, ... (little-endian).

    The sign-and-exponent bytes of trained weights repeat much more than the mantissa bytes; kept together,
    they compress better when a web host gzips the page (about 12 % fewer bytes sent).
    """
    raw = np.ascontiguousarray(np.asarray(values, dtype="<f4").ravel())
    planes = raw.view(np.uint8).reshape(-1, 4).T
    return base64.b64encode(planes.tobytes()).decode("ascii")


def _codes_text(codes: np.ndarray, low: np.ndarray, high: np.ndarray) -> str:
    """Codes as base64 text of uint16 steps between ``low`` and ``high`` per coordinate, byte-planed."""
    steps = np.rint((codes - low) / (high - low) * 65535).astype("<u2")
    planes = steps.view(np.uint8).reshape(-1, 2).T
    return base64.b64encode(planes.tobytes()).decode("ascii")


def _quantised(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The codes as the page reads them back (uint16 steps of their range), and that range."""
    low, high = codes.min(axis=0).astype(float), codes.max(axis=0).astype(float)
    high = np.where(high > low, high, low + 1.0)
    steps = np.rint((codes - low) / (high - low) * 65535)
    return low + steps / 65535 * (high - low), low, high


def _decoder_layers(decoder) -> tuple[list[dict], list[np.ndarray], tuple[int, int]]:
    """The decoder's layers as dicts for explorer.js, its weights in that order, and the image's (height, width)."""
    from keras import layers as kl

    input_shape = tuple(decoder.input_shape)[1:]
    if int(np.prod(input_shape)) != 2:
        raise ValueError(
            f"the explorer draws 2-number latent spaces: this decoder takes inputs of shape {input_shape} "
            f"({int(np.prod(input_shape))} numbers); pass a decoder built for 2 numbers, such as course.conv_decoder(2)"
        )
    shape = input_shape if len(input_shape) == 3 else (1, 1, 2)  # (height, width, channels) of the feature map
    specs, arrays = [], []
    for layer in decoder.layers:
        kind = type(layer).__name__
        if isinstance(layer, kl.InputLayer):
            continue
        if isinstance(layer, (kl.Flatten, kl.Reshape)):
            target = (int(np.prod(shape)),) if isinstance(layer, kl.Flatten) else tuple(layer.target_shape)
            if int(np.prod(target)) != int(np.prod(shape)):
                raise ValueError(f"layer {layer.name!r} reshapes {shape} to {target}: the sizes differ")
            shape = (1, 1, target[0]) if len(target) == 1 else tuple(target)
            continue  # a flat array in (row, column, channel) order needs no reshaping
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        if activation not in ("relu", "sigmoid", "linear"):
            raise ValueError(
                f"layer {layer.name!r} has the activation {activation!r}; the explorer's script knows relu, sigmoid "
                "and linear"
            )
        weights = [np.asarray(w, dtype="float32") for w in layer.get_weights()]
        kernel = weights[0]
        bias = weights[1] if len(weights) > 1 else np.zeros(kernel.shape[-2 if kind == "Conv2DTranspose" else -1])
        if isinstance(layer, kl.Dense):
            if shape[:2] != (1, 1):
                raise ValueError(f"layer {layer.name!r}: a Dense layer here needs a flat input, got shape {shape}")
            specs.append({"type": "dense", "inputs": int(kernel.shape[0]), "outputs": int(kernel.shape[1]),
                          "activation": activation})  # fmt: skip
            arrays += [kernel, bias]  # kernel: (inputs, outputs)
            shape = (1, 1, int(kernel.shape[1]))
        elif isinstance(layer, kl.Conv2DTranspose):
            from ..shapes import transposed_conv_output_size

            if tuple(layer.dilation_rate) != (1, 1) or layer.output_padding is not None:
                raise ValueError(f"layer {layer.name!r}: the explorer's script has no dilation or output_padding")
            if layer.data_format != "channels_last":
                raise ValueError(f"layer {layer.name!r}: the explorer's script reads channels_last feature maps")
            height, width, channels = shape
            kernel_h, kernel_w, filters, _ = kernel.shape
            stride_h, stride_w = (int(s) for s in layer.strides)
            out_h = transposed_conv_output_size(height, kernel_h, stride_h, layer.padding)
            out_w = transposed_conv_output_size(width, kernel_w, stride_w, layer.padding)
            # 'same' crops at the top and left what Conv2D(padding='same') pads there for an output of this
            # size (chapter 2): half of max(k - s, 0), rounded down; 'valid' crops nothing.
            same = layer.padding == "same"
            crop_top = max(kernel_h - stride_h, 0) // 2 if same else 0
            crop_left = max(kernel_w - stride_w, 0) // 2 if same else 0
            specs.append({
                "type": "transposed", "input": [int(height), int(width), int(channels)],
                "output": [int(out_h), int(out_w), int(filters)], "kernel": [int(kernel_h), int(kernel_w)],
                "stride": [stride_h, stride_w], "crop": [int(crop_top), int(crop_left)], "activation": activation,
            })  # fmt: skip
            # Keras stores (kernel rows, kernel columns, filters, input channels); the script reads
            # (kernel rows, kernel columns, input channels, filters), so that one input value's stamp is contiguous.
            arrays += [kernel.transpose(0, 1, 3, 2), bias]
            shape = (int(out_h), int(out_w), int(filters))
        else:
            raise ValueError(
                f"layer {layer.name!r} is a {kind}: the explorer's script draws decoders made of Dense, Flatten, "
                "Reshape and Conv2DTranspose layers (chapter 3's and chapter 5's)"
            )
    if shape[2] != 1:
        raise ValueError(f"the decoder's output has {shape[2]} channels; the explorer draws grey-scale images (1)")
    return specs, arrays, (int(shape[0]), int(shape[1]))


def _keras_images(decoder, points: np.ndarray) -> np.ndarray:
    """What Keras draws at ``points`` (shape (n, 2)): images of shape (n, height, width)."""
    from keras import ops

    inputs = points.astype("float32").reshape(len(points), *tuple(decoder.input_shape)[1:])
    images = ops.convert_to_numpy(decoder(inputs, training=False))
    return images.reshape(len(points), images.shape[1], images.shape[2]).astype("float64")


# --------------------------------------------------------------------------------------------------
# The page: HTML around the data, the script and the style
# --------------------------------------------------------------------------------------------------
@cache
def _assets() -> tuple[str, str]:
    """explorer.css (whitespace collapsed) and explorer.js, files of this package, without their header comments."""
    folder = resources.files(__package__)
    css = " ".join((folder / "explorer.css").read_text(encoding="utf-8").split("*/", 1)[1].split())
    script = (folder / "explorer.js").read_text(encoding="utf-8").split("*/", 1)[1].strip()
    return css, script


def _as_codes(codes, name: str) -> np.ndarray:
    array = np.asarray(codes, dtype="float64")
    if array.ndim != 2 or array.shape[1] != 2 or len(array) < 2:
        raise ValueError(
            f"{name} must be an array of shape (N, 2), one 2-number code per image; got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"{name} holds NaN or infinite values: pass the codes of the images, as the encoder outputs them"
        )
    return array


def _as_labels(labels, count: int) -> np.ndarray:
    array = np.asarray(labels)
    if array.shape != (count,):
        raise ValueError(f"labels must have one digit per code, shape ({count},); got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 9:
        raise ValueError("labels must be integer digits from 0 to 9 (such as y_val)")
    return array.astype(int)


def _as_point(point, name: str) -> np.ndarray:
    array = np.asarray(point, dtype="float64").reshape(-1)
    if array.shape != (2,) or not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be a point (z1, z2) of two finite numbers; got {point!r}")
    return array


def _square(centre: np.ndarray, half: float) -> list[float]:
    return [float(centre[0] - half), float(centre[0] + half), float(centre[1] - half), float(centre[1] + half)]


def _neighbours_text(point, codes, labels) -> tuple[str, float]:
    """'the nearest code belongs to a 3 (0.12 away), and 7 of the 10 nearest to 3s', and the nearest distance."""
    distances = np.linalg.norm(codes - point, axis=1)
    order = np.argsort(distances, kind="stable")[:NEIGHBOURS]
    nearest = int(labels[order[0]])
    counts = np.bincount(labels[order], minlength=10)
    common = int(np.argmax(counts))
    return (
        f"the nearest code belongs to {'an' if nearest == 8 else 'a'} {nearest} ({distances[order[0]]:.2f} away), and {counts[common]} of the "
        f"{len(order)} nearest to {common}s",
        float(distances[order[0]]),
    )


def _number(value: float) -> str:
    return f"{value:.2f}".replace("-", "\u2212")


def _views(code_sets, extent, prior_circle, start) -> list[dict]:
    """The map's views: the codes' cloud, three times wider (far outside the codes), and the prior's circle.

    The first is the square around the 1st to 99th percentile of each coordinate, a tenth wider (or ``extent``),
    and holds the start.
    """
    everything = np.concatenate(code_sets)
    low, high = np.percentile(everything, [1, 99], axis=0)
    if prior_circle:
        low, high = np.minimum(low, -PRIOR_95_RADIUS), np.maximum(high, PRIOR_95_RADIUS)
    centre, half = (low + high) / 2, float(max(high - low)) / 2 * 1.1
    if extent is not None:
        box = np.asarray(extent, dtype="float64").reshape(-1)
        if box.shape != (4,) or not (box[0] < box[1] and box[2] < box[3]):
            raise ValueError("extent must be (z1_min, z1_max, z2_min, z2_max) with each minimum below its maximum")
        centre, half = np.array([box[:2].mean(), box[2:].mean()]), float(max(box[1] - box[0], box[3] - box[2])) / 2
        if np.any(np.abs(start - centre) > half):
            raise ValueError(f"start {tuple(start.tolist())} lies outside the extent: choose a start inside it")
    half = max(half, float(np.abs(start - centre).max()) * 1.05)
    views = [{"label": "the codes", "extent": _square(centre, half)},
             {"label": "3 times wider", "extent": _square(centre, 3 * half)}]  # fmt: skip
    if prior_circle:
        views.append({"label": "the prior's circle", "extent": _square(np.zeros(2), 1.25 * PRIOR_95_RADIUS)})
    return views


def _panel(decoder, codes, labels, name, check_points) -> tuple[dict, np.ndarray, np.ndarray, int]:
    """One decoder's data for the page; the codes as the page reads them, Keras's images at the check points, and
    the weights' bytes."""
    specs, arrays, image_shape = _decoder_layers(decoder)
    offset = 0
    for spec, kernel, bias in zip(specs, arrays[::2], arrays[1::2]):
        spec["weights"], spec["biases"] = offset, offset + kernel.size
        offset += kernel.size + bias.size
    weights = np.concatenate([a.ravel() for a in arrays]).astype("float32")
    quantised, code_low, code_high = _quantised(codes)
    images = _keras_images(decoder, check_points).astype("float32")
    medians = [
        [float(v) for v in np.median(quantised[labels == digit], axis=0)] if np.any(labels == digit) else None
        for digit in range(10)
    ]
    # the typical distance from a code to its nearest neighbour (over 500 codes): "far from every code" is 5 times it
    sample = np.random.default_rng(0).choice(len(quantised), size=min(500, len(quantised)), replace=False)
    gaps = np.linalg.norm(quantised[sample, None] - quantised[None], axis=-1)
    gaps[np.arange(len(sample)), sample] = np.inf
    data = {
        "name": name, "image": list(image_shape), "layers": specs, "weights": _floats_text(weights),
        "codes": _codes_text(codes, code_low, code_high), "codeLow": code_low.tolist(),
        "codeHigh": code_high.tolist(), "medians": medians, "spacing": float(np.median(gaps.min(axis=1))),
        "keras": _floats_text(images),
    }  # fmt: skip
    return data, quantised, images, int(weights.nbytes)


def _text(names, codes_of, count, start, quantised_sets, labels, prior_circle) -> tuple[str, str]:
    """The text equivalent: what the figure shows at the starting point, and what the reader can do."""
    doing = (
        "Drag the point across the map with the mouse or a finger, or select the map and move the point with the "
        "arrow keys (hold Shift for larger steps, Home to go back to the start); the two sliders set each "
        "coordinate. The digit buttons highlight the codes of one digit; the view buttons zoom the map."
    )
    where = f"z = ({_number(start[0])}, {_number(start[1])})"
    if len(names) == 1:
        neighbours, _ = _neighbours_text(start, quantised_sets[0], labels)
        shows = (
            f"The map shows the codes of the {count:,} {codes_of} as dots, one colour per digit, with each digit's "
            f"numeral at the median of its codes. The point starts at {where}, where {neighbours}. Beside the map "
            "is the image the decoder draws for the point, redrawn as it moves."
        )
        return shows, doing
    parts = [
        f"in the {name}'s map {_neighbours_text(start, quantised, labels)[0]}"
        for name, quantised in zip(names, quantised_sets)
    ]
    circle = (
        f" The dashed circle (radius {PRIOR_95_RADIUS:.2f}) holds 95 % of the draws from the prior N(0, I)."
        if prior_circle
        else ""
    )
    shows = (
        f"Two maps on the same axes, each with the codes of the {count:,} {codes_of} as dots, one colour per digit, "
        f"and each digit's numeral at the median of its codes: left the {names[0]}'s, right the {names[1]}'s."
        f"{circle} The point is the same in both maps; it starts at {where}: {'; '.join(parts)}. Below the maps "
        "are the images the two decoders draw for the point, redrawn as it moves."
    )
    return shows, doing


def _html(key, title, doing, shows, names, data_panels, labels, views, data) -> str:
    css, script = _assets()
    legend = "".join(
        f'<button type="button" class="ca-lx-digit" data-digit="{d}" aria-pressed="false">'
        f'<span class="ca-lx-swatch" style="background:{DIGIT_COLOURS[d]}"></span>{d}</button>'
        for d in range(10)
        if np.any(labels == d)
    )
    view_buttons = "".join(
        f'<button type="button" class="ca-lx-view" data-view="{i}" aria-pressed="{str(i == 0).lower()}">'
        f"{escape(view['label'])}</button>"
        for i, view in enumerate(views)
    )
    owners = [f"{name}'s " if len(names) > 1 else "" for name in names]  # "the VAE's codes", "the codes"
    maps = "".join(
        f'<div class="ca-lx-map"><p class="ca-lx-name">{escape(name)}</p>'
        f'<div class="ca-lx-plot" tabindex="0" role="application" aria-roledescription="latent-space map" '
        f'aria-label="Map of the {escape(owner)}codes: arrow keys move the point" aria-describedby="{key}-status">'
        '<canvas class="ca-lx-dots" aria-hidden="true"></canvas><span class="ca-lx-pin" aria-hidden="true"></span>'
        "</div></div>"
        for name, owner in zip(names, owners)
    )
    drawings = "".join(
        f'<div class="ca-lx-drawing"><canvas class="ca-lx-image" width="{panel["image"][1]}" '
        f'height="{panel["image"][0]}" role="img" aria-label="What the {escape(owner)}decoder draws at the point">'
        f'</canvas><p class="ca-lx-says">{escape(panel["name"])}</p></div>'
        for panel, owner in zip(data_panels, owners)
    )
    sliders = "".join(
        f'<label class="ca-lx-slider">z<sub>{i + 1}</sub> <input type="range" data-axis="{i}" '
        f'aria-label="latent coordinate z{i + 1}"></label>'
        for i in range(2)
    )
    return (
        # data-lm-suppress-shortcuts: in JupyterLab, the keys pressed in the figure move the point, not the cells
        f'<figure class="ca-lx{" ca-lx-pair" if len(names) > 1 else ""}" id="{key}" aria-labelledby="{key}-title" '
        "data-lm-suppress-shortcuts>"
        f"<style>{css}</style>"
        f'<p class="ca-lx-title" id="{key}-title">{escape(title)}</p>'
        f'<p class="ca-lx-how" hidden>{escape(doing)}</p>'
        f'<p class="ca-lx-noscript">The interactive figure needs the page\'s script, which has not run here (in '
        f"JupyterLab: trust the notebook). The description below says what it shows.</p>"
        f'<div class="ca-lx-body" hidden><div class="ca-lx-maps">{maps}</div>'
        f'<div class="ca-lx-side"><div class="ca-lx-drawings">{drawings}</div>'
        f'<p class="ca-lx-status" id="{key}-status"></p>'
        f'<div class="ca-lx-sliders">{sliders}</div>'
        f'<div class="ca-lx-buttons" role="group" aria-label="Highlight the codes of one digit">'
        f'<span class="ca-lx-label">Highlight:</span>{legend}</div>'
        f'<div class="ca-lx-buttons" role="group" aria-label="Zoom the map">'
        f'<span class="ca-lx-label">View:</span>{view_buttons}</div>'
        f'<button type="button" class="ca-lx-reset">Back to the start</button>'
        f'<p class="ca-lx-check"></p></div></div>'
        f'<p class="ca-lx-live ca-lx-sr" aria-live="polite"></p>'
        f'<figcaption class="ca-lx-caption">{escape(shows)}</figcaption>'
        f'<script type="application/json" class="ca-lx-data">{data}</script>'
        f"<script>{script}</script></figure>"
    )


def _explorer(decoders, code_sets, labels, *, names, title, start, extent, prior_circle, check_points, codes_of):
    code_sets = [_as_codes(c, f"the codes for {n}" if len(names) > 1 else "codes") for c, n in zip(code_sets, names)]
    labels = _as_labels(labels, len(code_sets[0]))
    for codes, name in zip(code_sets, names):
        if len(codes) != len(labels):
            raise ValueError(f"every set of codes needs one code per label ({len(labels)}); {name}: {len(codes)}")
    if start is None:
        start = np.zeros(2) if prior_circle else np.median(np.concatenate(code_sets), axis=0)
    start = _as_point(start, "start")
    views = _views(code_sets, extent, prior_circle, start)
    if check_points is None:  # the start, the origin (or the first view's centre), two corners of the wide view
        first, widest = views[0]["extent"], views[1]["extent"]
        origin = np.zeros(2) if np.linalg.norm(start) > 1e-9 else np.array([np.mean(first[:2]), np.mean(first[2:])])
        check_points = [start, origin, (widest[0], widest[2]), (widest[1], widest[3])]
    check_points = np.array([_as_point(p, "each check point") for p in check_points], dtype="float32")

    panels = [_panel(d, c, labels, n, check_points) for d, c, n in zip(decoders, code_sets, names)]
    data_panels = [panel[0] for panel in panels]
    spec = {
        "labels": "".join(str(d) for d in labels), "colours": DIGIT_COLOURS, "start": start.tolist(),
        "views": views, "circle": PRIOR_95_RADIUS if prior_circle else None, "checks": check_points.tolist(),
        "codesOf": codes_of, "neighbours": NEIGHBOURS, "panels": data_panels,
    }  # fmt: skip
    data = json.dumps(spec, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    key = "ca-lx-" + hashlib.sha1(data.encode("utf-8")).hexdigest()[:10]
    shows, doing = _text(names, codes_of, len(labels), start, [p[1] for p in panels], labels, prior_circle)
    html = _html(key, title, doing, shows, names, data_panels, labels, views, data)
    text = "\n".join([f"Latent-space explorer: {title}", shows, doing])
    return LatentExplorer(html, text, names, check_points, [p[2] for p in panels], [p[3] for p in panels])


def latent_explorer(
    decoder,
    codes,
    labels,
    *,
    title: str = "Drag the point: what the decoder draws across the latent space",
    start=None,
    extent=None,
    prior_circle: bool = False,
    check_points=None,
    codes_of: str = "validation images",
) -> LatentExplorer:
    """Return a latent-space explorer of one decoder: drag a point over its codes and watch the decoder draw.

    ``decoder`` is a Keras decoder of a 2-number code (``course.conv_decoder(2)``, with or without
    ``position_bias``; Dense, Flatten, Reshape and Conv2DTranspose layers with relu, sigmoid or no activation);
    ``codes`` the codes of some images, shape (N, 2), and ``labels`` their digits, shape (N,). The point starts at
    ``start`` (default: the codes' median, or the origin with ``prior_circle``); ``extent``
    (z1_min, z1_max, z2_min, z2_max) sets the first view (default: the middle 98 % of the codes, a tenth wider);
    a second view is three times wider. ``prior_circle=True`` draws the circle that holds 95 % of N(0, I) and adds
    a view of it. ``check_points`` (default: the start, the origin and two far corners) are the points at which the
    widget stores Keras's images: the page computes them with its own script and shows the largest difference.
    ``codes_of`` names the images in the text (``"test images"``).

    Display the result in a cell tagged ``nbval-ignore-output`` (it holds the trained weights);
    ``print(explorer.check_report())`` prints Keras's images at the check points in short.
    """
    return _explorer(
        [decoder], [codes], labels, names=["decoder"], title=title, start=start, extent=extent,
        prior_circle=prior_circle, check_points=check_points, codes_of=codes_of,
    )  # fmt: skip


def latent_explorer_pair(
    decoders,
    codes,
    labels,
    *,
    names=("plain autoencoder", "VAE"),
    title: str = "Drag the point: two decoders at the same point of the latent space",
    start=None,
    extent=None,
    prior_circle: bool = True,
    check_points=None,
    codes_of: str = "validation images",
) -> LatentExplorer:
    """Return an explorer of two decoders side by side: one point, two maps on the same axes, two drawings.

    ``decoders`` and ``codes`` are pairs (each model's decoder and its codes of the same images: the plain
    autoencoder's codes, the VAE's means), ``labels`` the images' digits, ``names`` the two models' names. By
    default the prior's 95 % circle is drawn and the point starts at the origin, the prior's centre. The other
    arguments are those of :func:`latent_explorer`.
    """
    decoders, codes, names = list(decoders), list(codes), [str(n) for n in names]
    if not (len(decoders) == len(codes) == len(names) == 2):
        raise ValueError("latent_explorer_pair takes two decoders, two sets of codes and two names")
    return _explorer(
        decoders, codes, labels, names=names, title=title, start=start, extent=extent,
        prior_circle=prior_circle, check_points=check_points, codes_of=codes_of,
    )  # fmt: skip
