// The stepping viewer of autograd's HTML diagrams: forward pass, then backward pass.
// Every step is a pure function of its index, so stepping back and forth is exact.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const steps = data.steps;
  const last = steps.length - 1;
  const byKey = new Map();
  for (const node of data.nodes) {
    const element = document.getElementById(node.key);
    byKey.set(node.key, { node: node, element: element });
  }
  const opElements = new Map();
  for (const element of document.querySelectorAll("g.op")) {
    opElements.set(Number(element.dataset.index), element);
  }
  const edges = Array.from(document.querySelectorAll("path.edge"));
  const caption = document.getElementById("caption");
  const phase = document.getElementById("phase");
  const slider = document.getElementById("slider");
  const details = document.getElementById("details");
  const playButton = document.getElementById("play");
  let current = 0;
  let timer = null;

  function forwardAt(index) {
    let n = 0;
    for (let k = 0; k <= index; k += 1) if (steps[k].phase === "forward") n += 1;
    return n;
  }

  function backwardAt(index) {
    let n = 0;
    for (let k = 0; k <= index; k += 1) if (steps[k].phase === "backward") n += 1;
    return n;
  }

  function gradAt(node, index) {
    let shown = null;
    for (const entry of node.grads) {
      if (entry[0] <= index) shown = entry;
    }
    return shown;
  }

  function render(index) {
    current = Math.max(0, Math.min(last, index));
    const step = steps[current];
    for (const item of byKey.values()) {
      const node = item.node;
      const element = item.element;
      const index = Number(element.dataset.index);
      const pending = node.shown > current;
      element.classList.toggle("pending", pending);
      element.classList.toggle("current", step.node === index);
      const op = opElements.get(index);
      if (op) {
        op.classList.toggle("pending", pending);
        op.classList.toggle("current", step.node === index && step.phase !== "seed");
      }
      const dataText = element.querySelector(".t-data");
      if (dataText && node.kind !== "constant") dataText.textContent = pending ? "data ?" : "data " + node.data;
      const gradText = element.querySelector(".t-grad");
      const cell = element.querySelector(".grad-cell");
      if (gradText) {
        const grad = gradAt(node, current);
        gradText.textContent = grad ? "grad " + grad[1] : "grad ?";
        if (cell) cell.setAttribute("fill", grad ? grad[2] : "#eeeeee");
      }
    }
    const active = new Set(step.edges);
    edges.forEach(function (edge, k) {
      const flow = data.flows[k];
      edge.style.stroke = flow && flow[0] <= current && !active.has(k) ? flow[1] : "";
      edge.classList.toggle("active", active.has(k));
      edge.classList.toggle("back", active.has(k) && step.phase === "backward");
    });
    let text = step.text;
    if (current === last && data.note) text += "\n" + data.note;
    caption.textContent = text;
    if (step.phase === "backward" || step.phase === "seed") {
      phase.textContent = "backward " + backwardAt(current) + "/" + data.backward;
    } else {
      phase.textContent = "forward " + forwardAt(current) + "/" + data.forward;
    }
    phase.textContent += "  (step " + current + " of " + last + ")";
    slider.value = String(current);
  }

  function stop() {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
    playButton.textContent = "play";
  }

  function play() {
    if (timer !== null) {
      stop();
      return;
    }
    if (current === last) render(0);
    playButton.textContent = "pause";
    timer = setInterval(function () {
      if (current >= last) {
        stop();
        return;
      }
      render(current + 1);
    }, 700);
  }

  document.getElementById("first").addEventListener("click", function () { stop(); render(0); });
  document.getElementById("prev").addEventListener("click", function () { stop(); render(current - 1); });
  document.getElementById("next").addEventListener("click", function () { stop(); render(current + 1); });
  document.getElementById("last").addEventListener("click", function () { stop(); render(last); });
  playButton.addEventListener("click", play);
  slider.addEventListener("input", function () { stop(); render(Number(slider.value)); });
  document.addEventListener("keydown", function (event) {
    if (event.target && event.target.tagName === "INPUT") return;
    if (event.key === "ArrowRight") { stop(); render(current + 1); }
    else if (event.key === "ArrowLeft") { stop(); render(current - 1); }
    else if (event.key === "Home") { stop(); render(0); }
    else if (event.key === "End") { stop(); render(last); }
    else if (event.key === " ") { event.preventDefault(); play(); }
  });

  function describe(item) {
    const grad = gradAt(item.node, current);
    details.textContent = item.node.details + "\ngradient at this step: " + (grad ? grad[1] : "not yet");
  }
  for (const item of byKey.values()) {
    item.element.addEventListener("mouseenter", function () { describe(item); });
    item.element.addEventListener("focus", function () { describe(item); });
  }
  render(0);
})();
