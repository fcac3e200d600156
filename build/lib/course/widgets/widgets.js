/* The script of the course's widgets: sets up every widget on the page that is not set up yet, so that
   several copies on one page do no harm. No network, no kernel. */
(function () {
  "use strict";
  function say(node, text, verdict) {
    node.textContent = text;
    node.classList.remove("is-right", "is-wrong");
    if (verdict) node.classList.add(verdict);
  }
  function choice(form) {
    var live = form.querySelector(".ca-live");
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input.type !== "radio") return;
      form.querySelectorAll(".ca-opt").forEach(function (opt) {
        opt.classList.remove("is-right", "is-wrong");
        opt.querySelector(".ca-mark").textContent = "";
      });
      var opt = input.closest(".ca-opt"), right = input.hasAttribute("data-right");
      opt.classList.add(right ? "is-right" : "is-wrong");
      opt.querySelector(".ca-mark").textContent = right ? "\u2713 right" : "\u2717 not right";
      say(live, (right ? "Right. " : "Not quite. ") + input.getAttribute("data-feedback"), right ? "is-right" : "is-wrong");
    });
  }
  function numeric(form) {
    var live = form.querySelector(".ca-live"), field = form.querySelector("input[type=text]");
    var answer = parseFloat(form.getAttribute("data-answer")), tolerance = parseFloat(form.getAttribute("data-tolerance"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = field.value.trim().replace(",", ".").replace(/\s+/g, ""), value = Number(text);
      if (!text || !isFinite(value)) { say(live, "Type a number, such as 12 or 0.5, then press Check.", null); return; }
      if (Math.abs(value - answer) <= tolerance + 1e-9) {
        say(live, "Right. " + form.getAttribute("data-explanation"), "is-right"); return;
      }
      var feedback = form.getAttribute("data-other");
      form.querySelectorAll("[data-mistake]").forEach(function (item) {
        if (Math.abs(value - parseFloat(item.getAttribute("data-mistake"))) <= tolerance + 1e-9) feedback = item.getAttribute("data-feedback");
      });
      say(live, "Not quite. " + feedback, "is-wrong");
    });
  }
  function steps(root) {
    var frames = root.querySelectorAll(".ca-st-frame"), controls = root.querySelector(".ca-st-controls");
    var counter = root.querySelector(".ca-st-counter"), live = root.querySelector(".ca-st-live");
    var play = root.querySelector("[data-step=play]"), current = 0, timer = null;
    /* A reader who asks for reduced motion steps with Previous and Next; nothing plays by itself. */
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (frames.length < 2) return;  /* one frame: nothing to step */
    root.classList.add("ca-js");
    controls.hidden = false;
    if (still) play.hidden = true;
    function show(index, announce) {
      current = (index + frames.length) % frames.length;
      frames.forEach(function (frame, i) { frame.classList.toggle("is-current", i === current); });
      counter.textContent = "Frame " + (current + 1) + " of " + frames.length;
      if (announce) live.textContent = frames[current].querySelector(".ca-st-caption").textContent;
    }
    function stop() {
      if (timer) clearInterval(timer);
      timer = null;
      play.textContent = "\u25B6 Play";
      play.setAttribute("aria-pressed", "false");
    }
    root.querySelector("[data-step=prev]").addEventListener("click", function () { stop(); show(current - 1, true); });
    root.querySelector("[data-step=next]").addEventListener("click", function () { stop(); show(current + 1, true); });
    play.addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (current === frames.length - 1) show(0, false);
      play.textContent = "\u23F8 Pause";
      play.setAttribute("aria-pressed", "true");
      timer = setInterval(function () {
        show(current + 1, false);
        if (current === frames.length - 1) stop();
      }, parseInt(root.getAttribute("data-interval"), 10) || 1500);
    });
    show(0, false);
  }
  document.querySelectorAll(".ca-w:not([data-ready])").forEach(function (root) {
    root.setAttribute("data-ready", "");
    if (root.classList.contains("ca-st")) { steps(root); return; }
    root.querySelectorAll("form[data-kind=choice]").forEach(choice);
    root.querySelectorAll("form[data-kind=numeric]").forEach(numeric);
  });
})();
