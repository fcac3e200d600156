/* The script of the latent-space explorer (course.latent_explorer), written into each explorer's output with
   its data: no network, no kernel, no library. Part 1 is the decoder's forward pass; part 2 reads the data;
   part 3 draws the figure and follows the pointer, the finger and the keys. */
(function () {
  "use strict";

  /* ---- 1. The decoder's forward pass, with the operations of chapters 1 and 2 ----------------------------
     A feature map is a flat array in (row, column, channel) order, like a NumPy array of shape
     (height, width, channels): the value at row r, column c, channel k is map[(r * width + c) * channels + k].
     All weights of one decoder sit in one array, w; each layer knows where its kernel and its biases start. */

  // Dense layer: output[j] = bias[j] + sum over i of input[i] * kernel[i, j]   (kernel: inputs x outputs)
  function dense(input, layer, w) {
    var output = new Float64Array(layer.outputs);
    for (var j = 0; j < layer.outputs; j++) output[j] = w[layer.biases + j];
    for (var i = 0; i < layer.inputs; i++) {
      var row = layer.weights + i * layer.outputs;  // kernel[i, :]
      for (j = 0; j < layer.outputs; j++) output[j] += input[i] * w[row + j];
    }
    return output;
  }

  // Transposed convolution as scatter-add (chapter 2): every input value stamps the kernel, scaled by that
  // value, onto the output; the stamps of neighbouring inputs lie `stride` pixels apart and add up where they
  // overlap. padding='same' crops `crop` rows at the top and columns at the left, and what sticks out at the
  // bottom and the right. Then one bias per filter.
  function transposedConv(input, layer, w) {
    var H = layer.input[0], W = layer.input[1], C = layer.input[2];  // input: H x W x C
    var OH = layer.output[0], OW = layer.output[1], F = layer.output[2];  // output: OH x OW x F filters
    var KH = layer.kernel[0], KW = layer.kernel[1];
    var output = new Float64Array(OH * OW * F);
    for (var r = 0; r < H; r++) for (var c = 0; c < W; c++) for (var k = 0; k < C; k++) {
      var value = input[(r * W + c) * C + k];
      if (value === 0) continue;  // after a ReLU many values are 0: their stamps add nothing
      for (var kr = 0; kr < KH; kr++) {
        var row = r * layer.stride[0] + kr - layer.crop[0];  // the output row that kernel row kr lands on
        if (row < 0 || row >= OH) continue;  // cropped away
        for (var kc = 0; kc < KW; kc++) {
          var col = c * layer.stride[1] + kc - layer.crop[1];
          if (col < 0 || col >= OW) continue;
          var out = (row * OW + col) * F;  // output[row, col, :]
          var stamp = layer.weights + ((kr * KW + kc) * C + k) * F;  // kernel[kr, kc, k, :]
          for (var f = 0; f < F; f++) output[out + f] += value * w[stamp + f];
        }
      }
    }
    for (var p = 0; p < OH * OW; p++) for (f = 0; f < F; f++) output[p * F + f] += w[layer.biases + f];
    return output;
  }

  function activate(map, name) {
    for (var i = 0; i < map.length; i++) {
      if (name === "relu") map[i] = Math.max(0, map[i]);  // ReLU: negative values become 0
      else if (name === "sigmoid") map[i] = 1 / (1 + Math.exp(-map[i]));  // sigmoid: into (0, 1)
    }
    return map;
  }

  // The decoder: its layers one after another, from the code's 2 numbers to the image's pixels. (Flatten and
  // Reshape change nothing in a flat array, so they are not in the list.)
  function decode(decoder, z) {
    var map = Float64Array.from(z);
    decoder.layers.forEach(function (layer) {
      map = layer.type === "dense" ? dense(map, layer, decoder.w) : transposedConv(map, layer, decoder.w);
      activate(map, layer.activation);
    });
    return map;
  }

  /* ---- 2. The data: base64 text written by the widget's Python side (course/widgets/explorer.py) ---------- */

  function bytesOf(text) {
    var chars = atob(text), bytes = new Uint8Array(chars.length);
    for (var i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
    return bytes;
  }

  // float32 values, stored byte-planed: byte 0 of every value, then byte 1, 2 and 3 (little-endian)
  function floats(text) {
    var bytes = bytesOf(text), n = bytes.length / 4, values = new Float32Array(n);
    var one = new DataView(new ArrayBuffer(4));
    for (var i = 0; i < n; i++) {
      for (var b = 0; b < 4; b++) one.setUint8(b, bytes[b * n + i]);
      values[i] = one.getFloat32(0, true);
    }
    return values;
  }

  // codes (z1, z2, z1, z2, ...), stored as uint16 steps between each coordinate's lowest and highest value
  function codesOf(panel) {
    var bytes = bytesOf(panel.codes), n = bytes.length / 2, codes = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var low = panel.codeLow[i % 2], high = panel.codeHigh[i % 2];
      codes[i] = low + (bytes[i] + 256 * bytes[n + i]) / 65535 * (high - low);
    }
    return codes;
  }

  /* ---- 3. The figure ------------------------------------------------------------------------------------- */

  var MARGIN = { left: 40, right: 8, top: 8, bottom: 36 };  // around the plotting square, in CSS pixels

  function number(value) { return value.toFixed(2).replace("-", "\u2212"); }

  function niceStep(range) {  // 1, 2 or 5 times a power of 10, about a fifth of the range
    var raw = range / 5, power = Math.pow(10, Math.floor(Math.log10(raw))), ratio = raw / power;
    return power * (ratio < 1.5 ? 1 : ratio < 3.5 ? 2 : ratio < 7.5 ? 5 : 10);
  }

  function colours(root) {  // the text colour of the page (light or dark theme) and a halo that contrasts with it
    var ink = getComputedStyle(root).color, rgb = (ink.match(/[\d.]+/g) || [0, 0, 0]).map(Number);
    var light = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 128;
    return { ink: ink, halo: light ? "rgb(18, 18, 18)" : "rgb(255, 255, 255)" };
  }

  function setup(root) {
    var spec = JSON.parse(root.querySelector(".ca-lx-data").textContent);
    var labels = Array.prototype.map.call(spec.labels, Number), count = labels.length;
    var plots = root.querySelectorAll(".ca-lx-plot"), images = root.querySelectorAll(".ca-lx-image");
    var says = root.querySelectorAll(".ca-lx-says"), sliders = root.querySelectorAll(".ca-lx-slider input");
    var status = root.querySelector(".ca-lx-status"), live = root.querySelector(".ca-lx-live");
    var panels = spec.panels.map(function (p, index) {
      var canvas = images[index];
      return {
        spec: p, layers: p.layers, w: floats(p.weights), codes: codesOf(p), plot: plots[index],
        dots: plots[index].querySelector(".ca-lx-dots"), marker: plots[index].querySelector(".ca-lx-pin"),
        canvas: canvas, context: canvas.getContext("2d"), pixels: canvas.getContext("2d").createImageData(p.image[1], p.image[0]),
        says: says[index],
      };
    });
    var byDigit = [];  // the indices of each digit's codes
    for (var d = 0; d < 10; d++) byDigit.push([]);
    labels.forEach(function (label, i) { byDigit[label].push(i); });
    var point = spec.start.slice(), view = 0, highlight = -1, pending = false, announceTimer = null;
    var stats = { frames: 0, busy: 0 };

    function extent() { return spec.views[view].extent; }
    function geometry(panel) {
      var width = panel.plot.clientWidth, side = Math.max(width - MARGIN.left - MARGIN.right, 10);
      var e = extent();
      return {
        width: width, height: side + MARGIN.top + MARGIN.bottom, side: side,
        x: function (z1) { return MARGIN.left + (z1 - e[0]) / (e[1] - e[0]) * side; },
        y: function (z2) { return MARGIN.top + (e[3] - z2) / (e[3] - e[2]) * side; },
      };
    }
    function sized(canvas, g) {  // a canvas as large as its box on this screen (sharp on high-density screens)
      var ratio = window.devicePixelRatio || 1;
      canvas.style.height = g.height + "px";
      canvas.width = Math.round(g.width * ratio);
      canvas.height = Math.round(g.height * ratio);
      var context = canvas.getContext("2d");
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      return context;
    }

    // The map: axes, the codes as dots (one colour per digit), the numerals at the digits' medians, the circle.
    function drawMap(panel) {
      var g = geometry(panel), ctx = sized(panel.dots, g), e = extent(), paint = colours(root);
      root.style.setProperty("--ca-lx-halo", paint.halo);
      ctx.clearRect(0, 0, g.width, g.height);
      ctx.font = "12px " + getComputedStyle(root).fontFamily;
      ctx.fillStyle = ctx.strokeStyle = paint.ink;
      ctx.lineWidth = 1;
      ctx.strokeRect(MARGIN.left - 0.5, MARGIN.top - 0.5, g.side + 1, g.side + 1);  // on whole pixels: sharp
      var step = niceStep(e[1] - e[0]), t;
      function tick(i) { t = i * step; return String(parseFloat(t.toFixed(6))).replace("-", "\u2212"); }
      ctx.textAlign = "center"; ctx.textBaseline = "top";
      for (var i = Math.ceil(e[0] / step); i <= Math.floor(e[1] / step); i++) {
        var label = tick(i);
        ctx.fillRect(g.x(t), MARGIN.top + g.side, 1, 4);
        ctx.fillText(label, g.x(t), MARGIN.top + g.side + 5);
      }
      ctx.textAlign = "right"; ctx.textBaseline = "middle";
      for (i = Math.ceil(e[2] / step); i <= Math.floor(e[3] / step); i++) {
        label = tick(i);
        ctx.fillRect(MARGIN.left - 4, g.y(t), 4, 1);
        ctx.fillText(label, MARGIN.left - 6, g.y(t));
      }
      ctx.textAlign = "center"; ctx.textBaseline = "bottom";
      ctx.fillText("latent coordinate z\u2081", MARGIN.left + g.side / 2, g.height);
      ctx.save();
      ctx.translate(11, MARGIN.top + g.side / 2); ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle"; ctx.fillText("latent coordinate z\u2082", 0, 0);
      ctx.restore();
      ctx.save();
      ctx.beginPath(); ctx.rect(MARGIN.left, MARGIN.top, g.side, g.side); ctx.clip();
      var order = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(function (digit) { return digit !== highlight; });
      if (highlight >= 0) order.push(highlight);  // the highlighted digit on top
      order.forEach(function (digit) {
        var dim = highlight >= 0 && digit !== highlight, size = highlight === digit ? 3.5 : dim ? 1.6 : 2.2;
        ctx.globalAlpha = dim ? 0.18 : highlight === digit ? 1 : 0.6;
        ctx.fillStyle = dim ? paint.ink : spec.colours[digit];
        byDigit[digit].forEach(function (i) {
          ctx.fillRect(g.x(panel.codes[2 * i]) - size / 2, g.y(panel.codes[2 * i + 1]) - size / 2, size, size);
        });
      });
      ctx.globalAlpha = 1;
      if (spec.circle) {  // the circle that holds 95 % of the prior's draws
        ctx.setLineDash([6, 4]); ctx.lineWidth = 1.5; ctx.strokeStyle = paint.ink;
        ctx.beginPath();
        ctx.arc(g.x(0), g.y(0), spec.circle / (e[1] - e[0]) * g.side, 0, 2 * Math.PI);
        ctx.stroke(); ctx.setLineDash([]);
      }
      ctx.font = "bold 17px " + getComputedStyle(root).fontFamily;
      ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.lineJoin = "round";
      panel.spec.medians.forEach(function (median, digit) {
        if (!median || (highlight >= 0 && digit !== highlight)) return;
        ctx.lineWidth = 4; ctx.strokeStyle = paint.halo; ctx.strokeText(String(digit), g.x(median[0]), g.y(median[1]));
        ctx.fillStyle = paint.ink; ctx.fillText(String(digit), g.x(median[0]), g.y(median[1]));
      });
      ctx.restore();
    }

    function drawMarker(panel) {  // the point: a ring with a dot (explorer.css), moved over the map, not redrawn
      var g = geometry(panel);
      panel.marker.style.transform = "translate(" + g.x(point[0]) + "px, " + g.y(point[1]) + "px)";
    }

    function drawImage(panel, image) {  // pixel value 0 white, 1 black, like the chapters' figures
      var data = panel.pixels.data;
      for (var i = 0; i < image.length; i++) {
        var grey = Math.round(255 * (1 - Math.min(1, Math.max(0, image[i]))));
        data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = grey;
        data[4 * i + 3] = 255;
      }
      panel.context.putImageData(panel.pixels, 0, 0);
    }

    function neighbours(panel) {  // the nearest codes' digits: "the nearest ... a 3 (0.08 away); ..."
      var best = [];  // [distance, index] of the nearest codes, nearest first
      for (var i = 0; i < count; i++) {
        var dz1 = panel.codes[2 * i] - point[0], dz2 = panel.codes[2 * i + 1] - point[1];
        var distance = Math.sqrt(dz1 * dz1 + dz2 * dz2);
        if (best.length < spec.neighbours || distance < best[best.length - 1][0]) {
          var at = best.length;
          while (at > 0 && best[at - 1][0] > distance) at--;
          best.splice(at, 0, [distance, i]);
          if (best.length > spec.neighbours) best.pop();
        }
      }
      var tally = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      best.forEach(function (pair) { tally[labels[pair[1]]]++; });
      var common = tally.indexOf(Math.max.apply(null, tally));
      var far = best[0][0] > 5 * panel.spec.spacing ? " Far from every code." : "";
      return {
        digit: labels[best[0][1]], distance: best[0][0],
        text: "Nearest of the " + spec.codesOf + (labels[best[0][1]] === 8 ? ": an " : ": a ") + labels[best[0][1]] + " (" + number(best[0][0]) +
          " away); " + tally[common] + " of the " + best.length + " nearest are " + common + "s." + far,
      };
    }

    function describe() {
      return "z = (" + number(point[0]) + ", " + number(point[1]) + ")";
    }

    function frame() {
      pending = false;
      var started = performance.now(), words = [describe() + "."];
      panels.forEach(function (panel) {
        drawImage(panel, decode(panel, point));
        drawMarker(panel);
        var near = neighbours(panel);
        panel.says.textContent = (panels.length > 1 ? panel.spec.name + ". " : "") + near.text;
        panel.plot.setAttribute("data-nearest", near.digit);
        words.push((panels.length > 1 ? panel.spec.name + ": " : "") + near.text);
      });
      status.textContent = describe();
      sliders.forEach(function (slider) { slider.value = point[Number(slider.getAttribute("data-axis"))]; });
      root.setAttribute("data-point", point.join(","));
      stats.frames++;
      stats.busy += performance.now() - started;
      return words.join(" ");
    }

    function request() {
      if (!pending) { pending = true; requestAnimationFrame(frame); }
    }
    function announce() {  // tell a screen reader where the point is, once it stops moving
      clearTimeout(announceTimer);
      announceTimer = setTimeout(function () { live.textContent = frame(); }, 350);
    }
    function moveTo(z1, z2) {
      var e = extent();
      point = [Math.min(e[1], Math.max(e[0], z1)), Math.min(e[3], Math.max(e[2], z2))];
      request();
    }
    function moveToPointer(panel, event) {
      var box = panel.plot.getBoundingClientRect(), g = geometry(panel), e = extent();
      var x = event.clientX - box.left - MARGIN.left, y = event.clientY - box.top - MARGIN.top;
      moveTo(e[0] + x / g.side * (e[1] - e[0]), e[3] - y / g.side * (e[3] - e[2]));
    }
    function redraw() { panels.forEach(drawMap); request(); }

    var dragging = null;  // the pointer that drags the point, while it is down
    panels.forEach(function (panel) {
      var plot = panel.plot;
      plot.addEventListener("pointerdown", function (event) {
        if (event.pointerType === "mouse" && event.button !== 0) return;
        dragging = event.pointerId;
        try { plot.setPointerCapture(event.pointerId); } catch (error) { /* the drag goes on inside the map */ }
        plot.focus({ preventScroll: true });
        moveToPointer(panel, event);
        event.preventDefault();
      });
      plot.addEventListener("pointermove", function (event) {
        if (event.pointerId === dragging) moveToPointer(panel, event);
      });
      ["pointerup", "pointercancel"].forEach(function (type) {
        plot.addEventListener(type, function (event) {
          if (event.pointerId !== dragging) return;
          dragging = null;
          announce();
        });
      });
      plot.addEventListener("keydown", function (event) {
        var e = extent(), step = (e[1] - e[0]) * (event.shiftKey ? 0.1 : 0.02);
        var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
        if (event.key === "Home") moveTo(spec.start[0], spec.start[1]);
        else if (moves[event.key]) moveTo(point[0] + moves[event.key][0], point[1] + moves[event.key][1]);
        else return;
        event.preventDefault();
        announce();
      });
    });
    sliders.forEach(function (slider) {
      slider.addEventListener("input", function () {
        var axis = Number(slider.getAttribute("data-axis")), next = point.slice();
        next[axis] = Number(slider.value);
        moveTo(next[0], next[1]);
        announce();
      });
    });
    function setSliders() {
      var e = extent();
      sliders.forEach(function (slider) {
        var axis = Number(slider.getAttribute("data-axis"));
        slider.min = e[2 * axis]; slider.max = e[2 * axis + 1]; slider.step = (e[1] - e[0]) / 1000;
      });
    }
    root.querySelectorAll(".ca-lx-digit").forEach(function (button) {
      button.addEventListener("click", function () {
        var digit = Number(button.getAttribute("data-digit"));
        highlight = highlight === digit ? -1 : digit;
        root.querySelectorAll(".ca-lx-digit").forEach(function (other) {
          other.setAttribute("aria-pressed", String(Number(other.getAttribute("data-digit")) === highlight));
        });
        live.textContent = highlight >= 0 ? "The codes of the " + highlight + "s are drawn larger, the others faded."
          : "All codes are drawn alike.";
        redraw();
      });
    });
    root.querySelectorAll(".ca-lx-view").forEach(function (button) {
      button.addEventListener("click", function () {
        view = Number(button.getAttribute("data-view"));
        root.querySelectorAll(".ca-lx-view").forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
        setSliders();
        moveTo(point[0], point[1]);  // keeps the point inside the new view
        var e = extent();
        live.textContent = "The map shows z\u2081 from " + number(e[0]) + " to " + number(e[1]) + " and z\u2082 from " +
          number(e[2]) + " to " + number(e[3]) + ".";
        redraw();
      });
    });
    root.querySelector(".ca-lx-reset").addEventListener("click", function () {
      moveTo(spec.start[0], spec.start[1]);
      announce();
    });

    // Redraw the maps when their width or the page's theme (light, dark) changes.
    if (window.ResizeObserver) new ResizeObserver(redraw).observe(plots[0]);
    else window.addEventListener("resize", redraw);
    var themeWatch = new MutationObserver(redraw);
    [document.documentElement, document.body].forEach(function (node) {
      themeWatch.observe(node, { attributes: true, attributeFilter: ["class", "data-theme", "data-mode", "data-jp-theme-light"] });
    });
    if (window.matchMedia) {
      var scheme = window.matchMedia("(prefers-color-scheme: dark)");
      if (scheme.addEventListener) scheme.addEventListener("change", redraw);
    }

    // Check this page's arithmetic: decode the check points and compare with what Keras drew for them.
    var worst = 0;
    panels.forEach(function (panel) {
      var size = panel.spec.image[0] * panel.spec.image[1], keras = floats(panel.spec.keras);
      spec.checks.forEach(function (z, index) {
        var image = decode(panel, z);
        for (var i = 0; i < size; i++) worst = Math.max(worst, Math.abs(image[i] - keras[index * size + i]));
      });
    });
    var checkLine = root.querySelector(".ca-lx-check"), points = spec.checks.length;
    checkLine.textContent = worst < 1e-4
      ? "Checked in this page: at " + points + " points this script draws the same images as Keras, to within " +
        worst.toExponential(1) + " per pixel."
      : "Warning: at " + points + " check points this script's images differ from Keras's by up to " +
        worst.toExponential(1) + " per pixel: the drawings are not the model's.";
    root.setAttribute("data-check", String(worst));

    root.querySelector(".ca-lx-body").hidden = false;
    root.querySelector(".ca-lx-how").hidden = false;
    root.querySelector(".ca-lx-noscript").hidden = true;
    setSliders();
    redraw();
    // What the tests and the benchmark use: decode a point, where a point is on the screen, count the redraws.
    root.caExplorer = {
      decode: function (panel, z) { return Array.from(decode(panels[panel], z)); },
      onScreen: function (panel, z) {
        var g = geometry(panels[panel]), box = panels[panel].plot.getBoundingClientRect();
        return [box.left + g.x(z[0]), box.top + g.y(z[1])];
      },
      moveTo: moveTo, point: function () { return point.slice(); }, extent: extent, stats: stats,
      checkDifference: worst,
    };
  }

  var here = document.currentScript && document.currentScript.closest("figure.ca-lx");
  var roots = Array.prototype.slice.call(document.querySelectorAll("figure.ca-lx:not([data-lx-ready])"));
  if (here && roots.indexOf(here) < 0 && !here.hasAttribute("data-lx-ready")) roots.push(here);
  roots.forEach(function (root) {
    root.setAttribute("data-lx-ready", "");
    try {
      setup(root);
    } catch (error) {
      root.querySelector(".ca-lx-noscript").textContent = "The interactive figure could not start: " + error;
      throw error;
    }
  });
})();
