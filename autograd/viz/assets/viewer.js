// The backprop explainer's viewer: steps through the forward pass, then the backward pass,
// showing the maths of every step (computed in Python and shipped as MathML). Pan, zoom and
// fit; groups open and close; a node's panel shows its whole gradient; a quiz asks for each
// gradient before showing it. The same module serves the static page and the notebook widget.
// Every step is a pure function of its index, so stepping back and forth is exact.

const SVG = "http://www.w3.org/2000/svg";
let instances = 0;

const TEMPLATE = `
<header class="ag-head">
  <h1 class="ag-title"></h1>
  <div class="ag-controls" role="toolbar" aria-label="steps">
    <button type="button" data-act="first" title="first step (Home)">|&#x25C0;</button>
    <button type="button" data-act="prev" title="step back (Left arrow)">&#x25C0;</button>
    <button type="button" data-act="play" title="play or pause (Space)">play</button>
    <button type="button" data-act="next" title="step forward (Right arrow)">&#x25B6;</button>
    <button type="button" data-act="last" title="last step (End)">&#x25B6;|</button>
    <input class="ag-slider" type="range" min="0" value="0" aria-label="step">
    <span class="ag-phase" aria-live="off"></span>
    <button type="button" data-act="quiz" aria-pressed="false"
      title="ask me each gradient before showing it">quiz: off</button>
  </div>
</header>
<div class="ag-caption" aria-live="polite"></div>
<div class="ag-main">
  <div class="ag-stage">
    <svg class="ag-svg" role="img" aria-label="computational graph"><defs></defs>
      <g class="ag-world"></g></svg>
    <div class="ag-view" role="toolbar" aria-label="view">
      <button type="button" data-act="fit" title="fit the graph to the window (F)">fit</button>
      <button type="button" data-act="zoomin" title="zoom in (+)">+</button>
      <button type="button" data-act="zoomout" title="zoom out (-)">&#x2212;</button>
      <label title="keep the current step in view, opening its group"><input type="checkbox"
        class="ag-follow" checked> follow</label>
      <button type="button" data-act="openall" title="open every group">open all</button>
      <button type="button" data-act="closeall" title="close every group">close all</button>
    </div>
    <p class="ag-layout-note"></p>
  </div>
  <aside class="ag-panel" hidden aria-live="polite">
    <button type="button" class="ag-close" data-act="close" title="close (Esc)">&#xD7;</button>
    <div class="ag-panel-body"></div>
  </aside>
</div>
<footer class="ag-legend"></footer>`;

function el(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const key in attrs) node.setAttribute(key, attrs[key]);
  if (parent) parent.appendChild(node);
  return node;
}

function svgText(parent, x, y, text, cls) {
  const node = el("text", { x: x, y: y, class: cls }, parent);
  node.textContent = text;
  return node;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

export function mount(root, data, settings) {
  settings = settings || {};
  const uid = "ag" + (instances += 1);
  root.classList.add("ag-explainer");
  root.classList.toggle("ag-in-widget", !settings.page);
  root.innerHTML = TEMPLATE;
  const $ = (selector) => root.querySelector(selector);
  const steps = data.steps;
  const nodes = data.nodes;
  const groups = data.groups;
  const last = steps.length - 1;
  const svg = $(".ag-svg");
  const world = $(".ag-world");
  const stage = $(".ag-stage");
  const caption = $(".ag-caption");
  const slider = $(".ag-slider");
  const phase = $(".ag-phase");
  const panel = $(".ag-panel");
  const panelBody = $(".ag-panel-body");
  const follow = $(".ag-follow");
  const playButton = root.querySelector('[data-act="play"]');
  const quizButton = root.querySelector('[data-act="quiz"]');
  function showQuizState() {
    quizButton.textContent = "quiz: " + (quizOn ? "on" : "off");
    quizButton.setAttribute("aria-pressed", String(quizOn));
  }
  $(".ag-title").textContent = data.title;
  slider.max = String(last);
  $(".ag-layout-note").textContent = [data.layoutNote,
    data.hidden ? data.hidden + " nodes farthest from the output are not drawn (max_nodes)." : ""]
    .filter(Boolean).join(" ");
  const arrow = el("marker", { id: uid + "-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5",
    markerWidth: "9", markerHeight: "9", orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" }, $("defs"));
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: "context-stroke" }, arrow);

  // -- derived tables -------------------------------------------------------------------------
  const consumers = nodes.map(() => []);
  nodes.forEach((node, i) => node.parents.forEach((p) => { if (p >= 0) consumers[p].push(i); }));
  const backwardIndex = [];
  const forwardIndex = [];
  let nf = 0;
  let nb = 0;
  steps.forEach((step, k) => {
    if (step.phase === "forward") nf += 1;
    if (step.phase === "backward") nb += 1;
    forwardIndex.push(nf);
    backwardIndex.push(nb);
  });
  function outerOf(i) {
    let g = nodes[i].group;
    while (g >= 0 && !groups[g].outer) g = groups[g].parent;
    return g;
  }

  // -- state ----------------------------------------------------------------------------------
  let current = 0;
  let timer = null;
  let sceneIndex = data.start;
  let scene = null;
  let view = { k: 1, x: 0, y: 0 };
  let lastZoom = null;
  let selected = -1;
  let quizOn = !!data.quiz;
  const quiz = new Map(); // step -> { answered: Set of rows, revealed: bool, status: text }
  let banner = "";
  let els = null;

  // -- drawing a scene ------------------------------------------------------------------------
  function drawScene(index) {
    sceneIndex = index;
    scene = data.scenes[index];
    world.textContent = "";
    els = { value: new Map(), op: new Map(), group: new Map(), edges: [], clusters: new Map() };
    pathPainted = true;
    const layerClusters = el("g", { class: "ag-clusters" }, world);
    const layerEdges = el("g", { class: "ag-edges" }, world);
    const layerNodes = el("g", { class: "ag-nodes" }, world);
    for (const key of Object.keys(scene.clusters)) {
      const g = Number(key);
      const [x, y, w, h] = scene.clusters[key];
      const frame = el("g", { class: "ag-cluster", "data-group": g }, layerClusters);
      el("rect", { x: x, y: y, width: w, height: h, rx: 8 }, frame);
      const label = svgText(frame, x + 8, y + 15, groups[g].name + (groups[g].outer && data.scenes.length > 1 ? "  \u25BE close" : ""), "ag-cluster-label");
      label.setAttribute("tabindex", "0");
      label.setAttribute("role", "button");
      label.setAttribute("aria-label", "close group " + groups[g].path);
      els.clusters.set(g, frame);
    }
    for (const [source, target, path, ops] of scene.edges) {
      const edge = el("path", { class: "ag-edge", d: path, "marker-end": "url(#" + uid + "-arrow)" }, layerEdges);
      if (ops.length > 1) edge.classList.add("ag-merged");
      if (source[0] === "v" && nodes[Number(source.slice(1))].kind === "constant") edge.classList.add("ag-from-constant");
      els.edges.push({ el: edge, ops: ops });
    }
    for (const key of Object.keys(scene.boxes)) {
      const [x, y, w, h] = scene.boxes[key];
      const kind = key[0];
      if (key === "more") {
        const g = el("g", { class: "ag-node ag-more" }, layerNodes);
        el("rect", { x: x, y: y, width: w, height: h, rx: 3 }, g);
        svgText(g, x + 8, y + 18, data.hidden + " more nodes", "ag-t");
        svgText(g, x + 8, y + 34, "not drawn (max_nodes)", "ag-t ag-dim");
      } else if (kind === "v") {
        drawValue(layerNodes, Number(key.slice(1)), x, y, w, h);
      } else if (kind === "o") {
        const i = Number(key.slice(1));
        const g = el("g", { class: "ag-node ag-op", "data-index": i, tabindex: "0", role: "button" }, layerNodes);
        g.setAttribute("aria-label", "op " + nodes[i].op + " making " + nodes[i].name);
        el("rect", { x: x, y: y, width: w, height: h, rx: h / 2, class: "ag-op-shape" }, g);
        const t = svgText(g, x + w / 2, y + h / 2 + 4, nodes[i].op, "ag-t ag-op-label");
        t.setAttribute("text-anchor", "middle");
        els.op.set(i, g);
      } else if (kind === "g") {
        const k = Number(key.slice(1));
        const g = el("g", { class: "ag-node ag-group", "data-group": k, tabindex: "0", role: "button" }, layerNodes);
        g.setAttribute("aria-label", "open group " + groups[k].path);
        el("rect", { x: x, y: y, width: w, height: h, rx: 10, class: "ag-group-shape" }, g);
        svgText(g, x + 12, y + 20, groups[k].name, "ag-t ag-group-name");
        svgText(g, x + 12, y + 37, groups[k].summary, "ag-t ag-group-summary");
        svgText(g, x + 12, y + 51, "click to open", "ag-t ag-dim ag-small");
        els.group.set(k, g);
      }
    }
    svg.setAttribute("width", String(Math.ceil(scene.width)));
    svg.setAttribute("height", String(Math.ceil(scene.height)));
    svg.setAttribute("viewBox", "0 0 " + Math.ceil(scene.width) + " " + Math.ceil(scene.height));
    svg.setAttribute("aria-label", "computational graph" + (scene.name === "all" ? "" : ", view " + scene.name));
    root.querySelector('[data-act="openall"]').disabled = !data.scenes.some((s) => s.name === "all") || scene.name === "all";
    root.querySelector('[data-act="closeall"]').disabled = data.scenes.length < 2 || scene.name === "overview";
  }

  function drawValue(parent, i, x, y, w, h) {
    const node = nodes[i];
    const g = el("g", { class: "ag-node ag-value ag-" + node.kind, "data-index": i, tabindex: "0", role: "button" }, parent);
    g.setAttribute("aria-label", node.name + ", " + node.kind);
    if (i === data.root) g.classList.add("ag-root");
    const item = { g: g };
    if (node.kind === "constant") {
      el("rect", { x: x, y: y, width: w, height: h, rx: 6, class: "ag-box" }, g);
      item.data = svgText(g, x + 7, y + 16, node.data, "ag-t");
    } else {
      el("rect", { x: x, y: y, width: w, height: h, rx: 6, class: "ag-box" }, g);
      el("rect", { x: x + 1, y: y + 1, width: w - 2, height: 17, rx: 5, class: "ag-band",
        fill: data.kinds[i === data.root ? "output" : node.kind] }, g);
      svgText(g, x + 8, y + 14, node.short, "ag-t ag-name" + (node.given ? "" : " ag-generated"));
      item.data = svgText(g, x + 8, y + 32, "data " + node.data, "ag-t");
      item.cell = el("rect", { x: x + 3, y: y + 37, width: w - 6, height: 16, rx: 3, class: "ag-cell" }, g);
      item.grad = svgText(g, x + 8, y + 49, "grad ?", "ag-t");
    }
    const title = el("title", {}, g);
    title.textContent = node.name + " (" + node.kind + ")" + (node.formula ? " = " + node.formula : "");
    els.value.set(i, item);
  }

  // -- where things are -------------------------------------------------------------------------
  function boxKey(i) {
    if (scene.boxes["v" + i]) return "v" + i;
    for (let g = nodes[i].group; g >= 0; g = groups[g].parent) {
      if (scene.boxes["g" + g]) return "g" + g;
    }
    return null;
  }
  function rectOf(i) {
    const key = boxKey(i);
    if (!key) return null;
    let [x, y, w, h] = scene.boxes[key];
    const op = scene.boxes["o" + i];
    if (key[0] === "v" && op) {
      const x2 = Math.max(x + w, op[0] + op[2]);
      const y2 = Math.max(y + h, op[1] + op[3]);
      x = Math.min(x, op[0]);
      y = Math.min(y, op[1]);
      w = x2 - x;
      h = y2 - y;
    }
    return [x, y, w, h];
  }
  function sceneShowing(i) {
    // The scene where node i is drawn itself: its outer group's, else every group open.
    const outer = outerOf(i);
    let found = data.scenes.findIndex((s) => s.opens === outer && s.boxes["v" + i]);
    if (found < 0) found = data.scenes.findIndex((s) => s.boxes["v" + i]);
    return found;
  }

  // -- pan and zoom ---------------------------------------------------------------------------
  function applyView() {
    // Pan and zoom move the whole <svg> with a CSS transform: the browser composites it
    // without laying the graph out again (a transform inside the SVG would re-lay its text).
    svg.style.transform = "translate(" + view.x.toFixed(1) + "px," + view.y.toFixed(1) + "px) scale(" + view.k.toFixed(4) + ")";
    // The halo of the current node keeps its width on screen when zoomed far out. Only a
    // change of zoom is written: a style on the root restyles every node of the graph.
    const zoom = view.k < 0.55 ? view.k.toFixed(2) : "";
    if (zoom !== lastZoom) {
      lastZoom = zoom;
      root.classList.toggle("ag-far", zoom !== "");
      if (zoom) root.style.setProperty("--ag-zoom", zoom);
    }
  }
  function stageSize() {
    return [stage.clientWidth || 800, stage.clientHeight || 500];
  }
  function fitRect(rect, maxZoom, minZoom) {
    const [W, H] = stageSize();
    const [x, y, w, h] = rect;
    let k = Math.min((W - 24) / Math.max(w, 1), (H - 24) / Math.max(h, 1));
    k = Math.min(k, maxZoom === undefined ? 1.5 : maxZoom);
    if (minZoom !== undefined) k = Math.max(k, minZoom);
    view.k = k;
    view.x = (W - w * k) / 2 - x * k;
    view.y = (H - h * k) / 2 - y * k;
    if (w * k > W) view.x = 12 - x * k;
    if (h * k > H) view.y = 12 - y * k;
    applyView();
  }
  function fit() {
    fitRect([0, 0, scene.width, scene.height]);
  }
  function fitZoom() {
    const [W, H] = stageSize();
    return Math.min((W - 24) / scene.width, (H - 24) / scene.height);
  }
  function zoomAt(factor, cx, cy) {
    const k = Math.max(0.02, Math.min(4, view.k * factor));
    view.x = cx - (cx - view.x) * (k / view.k);
    view.y = cy - (cy - view.y) * (k / view.k);
    view.k = k;
    applyView();
  }
  function ensureVisible(rect, readable) {
    if (!rect) return;
    const [W, H] = stageSize();
    const margin = 8;
    if (readable && view.k < 0.8) view.k = 0.9;
    if (scene.width * view.k <= W - 23 && scene.height * view.k <= H - 23) {
      fitRect([0, 0, scene.width, scene.height], view.k, view.k);  // it all fits: centre it
      return;
    }
    const [x, y, w, h] = rect;
    if (w * view.k > W - 2 * margin || h * view.k > H - 2 * margin) {
      fitRect(rect, view.k);
      return;
    }
    const left = x * view.k + view.x;
    const top = y * view.k + view.y;
    const inside = left >= margin && top >= margin && left + w * view.k <= W - margin && top + h * view.k <= H - margin;
    if (!inside) {
      view.x = W / 2 - (x + w / 2) * view.k;
      view.y = H / 2 - (y + h / 2) * view.k;
    }
    applyView();
  }

  // -- one step -------------------------------------------------------------------------------
  function gradAt(node, index) {
    let shown = null;
    if (!node.grads) return null;
    for (const entry of node.grads) {
      if (entry[0] <= index) shown = entry;
      else break;
    }
    return shown;
  }
  function quizState(index) {
    if (!quiz.has(index)) quiz.set(index, { answered: new Set(), revealed: false, status: "" });
    return quiz.get(index);
  }
  function asksOf(step) {
    const asks = step.asks || [];
    return asks.length <= 3 ? asks : asks.slice(0, 1);
  }
  function pendingQuiz(index) {
    const step = steps[index];
    if (!quizOn || step.phase !== "backward") return null;
    const asks = asksOf(step);
    if (!asks.length) return null;
    const state = quizState(index);
    if (state.revealed) return null;
    const open = asks.filter((a) => !state.answered.has(a.row));
    return open.length ? { state: state, open: open } : null;
  }

  function paint() {
    const step = steps[current];
    const pending = pendingQuiz(current);
    const gradStep = pending ? current - 1 : current;
    const active = step.phase === "forward" || step.phase === "backward" ? step.node : -1;
    // Only what changed is written: a step touches a handful of the page's elements.
    for (const [i, item] of els.value) {
      const node = nodes[i];
      const hidden = node.shown > current;
      const grad = node.kind === "constant" ? null : gradAt(node, gradStep);
      const state = (hidden ? "p" : "") + (step.node === i ? "c" : "") + "|" + (grad ? grad[0] : -1);
      if (item.state === state) continue;
      item.state = state;
      item.g.classList.toggle("ag-pending", hidden);
      item.g.classList.toggle("ag-current", step.node === i);
      if (node.kind !== "constant") {
        item.data.textContent = hidden ? "data ?" : "data " + node.data;
        item.grad.textContent = grad ? "grad " + grad[1] : "grad ?";
        item.cell.setAttribute("fill", grad ? grad[2] : "#eeeeee");
      }
    }
    for (const [i, g] of els.op) {
      const state = (nodes[i].shown > current ? "p" : "") + (active === i ? "c" : "");
      if (g.state === state) continue;
      g.state = state;
      g.classList.toggle("ag-pending", nodes[i].shown > current);
      g.classList.toggle("ag-current", active === i);
    }
    for (const [k, g] of els.group) {
      const inside = step.node !== null && step.node !== undefined && boxKey(step.node) === "g" + k;
      g.classList.toggle("ag-current", inside);
    }
    for (const edge of els.edges) {
      let on = false;
      let colour = "";
      for (const [i, k] of edge.ops) {
        // Going back, nothing flows into a constant: its edge stays quiet.
        const quiet = step.phase === "backward" && k >= 0 && nodes[i].parents[k] >= 0 &&
          nodes[nodes[i].parents[k]].kind === "constant";
        if (i === active && !quiet) on = true;
        if (edge.ops.length === 1) {
          const back = nodes[i].back;
          if (k >= 0 && back && back[0] <= gradStep && back[1][k]) colour = back[1][k];
          if (k < 0) {
            const grad = gradAt(nodes[i], gradStep);
            if (grad && step.phase !== "start" && current > data.forward) colour = grad[2];
          }
        }
      }
      const state = (on ? (step.phase === "backward" ? "b" : "a") : "") + (on ? "" : colour);
      if (edge.state === state) continue;
      edge.state = state;
      edge.el.classList.toggle("ag-active", on);
      edge.el.classList.toggle("ag-back", on && step.phase === "backward");
      edge.el.style.stroke = on ? "" : colour;
    }
    paintPath();
  }

  function renderCaption() {
    const step = steps[current];
    let body = step.html;
    if (current === last && data.note) body += '<p class="ag-warn">' + escapeHtml(data.note) + "</p>";
    if (current === last && !data.note) body += '<p class="ag-done">Done: every node now holds the gradient of ' + escapeHtml(nodes[data.root].name) + " with respect to it. Click any node to see how its gradient adds up.</p>";
    caption.innerHTML = (banner ? '<p class="ag-banner">' + banner + "</p>" : "") + body;
    const pending = pendingQuiz(current);
    const state = steps[current].phase === "backward" && quizOn ? quizState(current) : null;
    if (state) {
      const asked = new Set(asksOf(step).map((a) => a.row));
      for (const row of caption.querySelectorAll("tr.row")) {
        const r = Number(row.dataset.row);
        const hide = !state.revealed && (asked.has(r) && !state.answered.has(r) || pending !== null);
        row.classList.toggle("ag-hidden-answer", hide);
      }
      if (state.status) caption.insertAdjacentHTML("beforeend", state.status);
    }
    if (pending) {
      const ask = pending.open[0];
      const box = document.createElement("div");
      box.className = "ag-quiz";
      box.innerHTML = '<span class="ag-q">' + ask.q + '</span> <input type="text" inputmode="decimal" class="ag-answer" aria-label="your answer" autocomplete="off" size="10"> <button type="button" class="ag-check">check</button> <button type="button" class="ag-reveal">show me</button> <span class="ag-hint">Multiply the gradient arriving from above by the local derivative.</span>';
      caption.appendChild(box);
      const input = box.querySelector("input");
      box.querySelector(".ag-check").addEventListener("click", () => check(ask, input.value));
      box.querySelector(".ag-reveal").addEventListener("click", () => reveal(""));
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          check(ask, input.value);
        } else if (input.value === "" && ["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) {
          input.blur();  // an empty answer box lets the step keys through
          onKey(event);
        }
        event.stopPropagation();
      });
      if (settings.page || root.contains(document.activeElement)) input.focus({ preventScroll: true });
    }
  }

  function check(ask, typed) {
    const text = String(typed).trim().replace(/\u2212/g, "-");
    const value = Number(text);
    const state = quizState(current);
    if (text === "" || !Number.isFinite(value)) {
      state.status = '<p class="ag-wrong">Type a number, e.g. ' + escapeHtml(ask.shown) + ".</p>";
      render(current);
      return;
    }
    const tolerance = Math.max(1e-3 * Math.abs(ask.value), 5e-4);
    if (Math.abs(value - ask.value) <= tolerance || text === ask.shown) {
      state.answered.add(ask.row);
      state.status = "";
      if (!pendingQuiz(current)) {
        banner = "\u2713 Right: " + escapeHtml(ask.shown) + ".";
        const next = Math.min(last, current + 1);
        render(next, true);
        return;
      }
      state.status = '<p class="ag-right">\u2713 Right: ' + escapeHtml(ask.shown) + ".</p>";
      render(current);
    } else {
      reveal('<p class="ag-wrong">\u2717 Not quite: you typed ' + escapeHtml(text) + "; the worked product is below.</p>");
    }
  }
  function reveal(status) {
    const state = quizState(current);
    state.revealed = true;
    state.status = status || '<p class="ag-right">Here is how it is worked out.</p>';
    render(current);
  }

  function render(index, keepBanner) {
    current = Math.max(0, Math.min(last, index));
    if (!keepBanner) banner = "";
    const step = steps[current];
    const target = step.node;
    if (follow.checked && target !== null && target !== undefined && !scene.boxes["v" + target]) {
      const other = sceneShowing(target);
      if (other >= 0 && other !== sceneIndex) {
        drawScene(other);
        ensureVisible(rectOf(target), true);
      }
    }
    paint();
    renderCaption();
    if (step.phase === "backward" || step.phase === "seed") {
      phase.textContent = "backward " + backwardIndex[current] + "/" + data.backward;
    } else {
      phase.textContent = "forward " + forwardIndex[current] + "/" + data.forward;
    }
    phase.textContent += " \u00B7 step " + current + " of " + last;
    slider.value = String(current);
    root.dataset.step = String(current);
    // Following a step into a graph shown too small to read zooms in to a readable size.
    if (target !== null && target !== undefined && follow.checked) ensureVisible(rectOf(target), view.k < 0.6);
    if (selected >= 0) describe(selected);
  }

  // -- the panel of a node, and its paths to the output ---------------------------------------
  let onPath = new Set();
  let pathPainted = false;
  function paintPath() {
    if (!onPath.size && !pathPainted) return;
    pathPainted = onPath.size > 0;
    for (const [i, item] of els.value) item.g.classList.toggle("ag-onpath", onPath.has(i));
    for (const [i, g] of els.op) g.classList.toggle("ag-onpath", onPath.has(i) && i !== selected);
    for (const [k, g] of els.group) {
      let hit = false;
      for (const i of onPath) if (boxKey(i) === "g" + k) { hit = true; break; }
      g.classList.toggle("ag-onpath", hit);
    }
    for (const edge of els.edges) {
      let hit = false;
      for (const [i, k] of edge.ops) {
        if (onPath.has(i) && i !== selected && (k < 0 || onPath.has(nodes[i].parents[k]))) hit = true;
      }
      edge.el.classList.toggle("ag-onpath", hit);
    }
  }
  function describe(i) {
    const node = nodes[i];
    const grad = gradAt(node, pendingQuiz(current) ? current - 1 : current);
    const group = node.group >= 0 ? groups[node.group].path : "";
    let html = "<h2>" + escapeHtml(node.name) + "</h2>";
    html += '<p class="ag-kind">' + escapeHtml(node.kind) + (i === data.root ? ", the output" : "") + (group ? " \u00B7 in " + escapeHtml(group) : "") + "</p>";
    html += "<p>data <b>" + escapeHtml(node.data) + "</b>" + (node.formula ? " = " + escapeHtml(node.formula) : "") + "</p>";
    if (node.kind === "constant") {
      html += "<p>A constant takes no gradient: nothing flows back into it.</p>";
    } else {
      html += "<p>gradient at this step: <b>" + (grad ? escapeHtml(grad[1]) : "not yet") + "</b></p>";
      html += "<h3>Its gradient, by the chain rule</h3>" + node.expansion;
      html += '<p class="ag-dim">The sum runs over the ops that use ' + escapeHtml(node.name) + ": each passes back its own gradient times its local derivative. Highlighted: every path from " + escapeHtml(node.name) + " to the output.</p>";
    }
    panelBody.innerHTML = html;
  }
  function select(i) {
    selected = i;
    onPath = new Set([i]);
    const queue = [i];
    while (queue.length) {
      const n = queue.pop();
      for (const c of consumers[n]) if (!onPath.has(c)) { onPath.add(c); queue.push(c); }
    }
    panel.hidden = false;
    root.classList.add("ag-with-panel");
    describe(i);
    paintPath();
    if (fitZoom() < 0.6) ensureVisible(rectOf(i), false);
  }
  function unselect() {
    selected = -1;
    onPath = new Set();
    panel.hidden = true;
    root.classList.remove("ag-with-panel");
    paintPath();
  }

  // -- play -----------------------------------------------------------------------------------
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    playButton.textContent = "play";
  }
  function play() {
    if (timer !== null) return stop();
    if (current === last) render(0);
    playButton.textContent = "pause";
    timer = setInterval(() => {
      if (current >= last || pendingQuiz(current)) return stop();
      render(current + 1);
    }, 900);
  }
  function step(delta) {
    stop();
    if (delta > 0 && pendingQuiz(current)) return reveal("");
    render(current + delta);
  }

  // -- input ----------------------------------------------------------------------------------
  function openScene(index, focusGroup) {
    if (index < 0 || index === sceneIndex) return;
    drawScene(index);
    const cluster = focusGroup >= 0 ? scene.clusters[String(focusGroup)] : null;
    if (cluster) fitRect(cluster, 1.2, 0.5);
    else fit();
    paint();
  }
  function act(name) {
    if (name === "first") { stop(); render(0); }
    else if (name === "prev") step(-1);
    else if (name === "next") step(1);
    else if (name === "last") { stop(); render(last); }
    else if (name === "play") play();
    else if (name === "fit") fit();
    else if (name === "zoomin") zoomAt(1.25, stageSize()[0] / 2, stageSize()[1] / 2);
    else if (name === "zoomout") zoomAt(0.8, stageSize()[0] / 2, stageSize()[1] / 2);
    else if (name === "close") unselect();
    else if (name === "openall") openScene(data.scenes.findIndex((s) => s.name === "all"), -1);
    else if (name === "closeall") { follow.checked = false; openScene(data.scenes.findIndex((s) => s.name === "overview"), -1); }
    else if (name === "quiz") {
      quizOn = !quizOn;
      showQuizState();
      render(current);
    }
  }
  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-act]");
    if (button && root.contains(button)) return act(button.dataset.act);
    const group = event.target.closest(".ag-group");
    if (group) {
      const k = Number(group.dataset.group);
      openScene(data.scenes.findIndex((s) => s.opens === outerGroup(k)), outerGroup(k));
      return;
    }
    const label = event.target.closest(".ag-cluster-label");
    if (label) return closeCluster(Number(label.parentNode.dataset.group));
    const node = event.target.closest(".ag-value, .ag-op");
    if (node) select(Number(node.dataset.index));
  });
  function outerGroup(k) {
    while (k >= 0 && !groups[k].outer) k = groups[k].parent;
    return k;
  }
  function closeCluster(k) {
    const outer = outerGroup(k);
    follow.checked = false;
    if (scene.name === "all") openScene(data.scenes.findIndex((s) => s.opens === outer), outer);
    else openScene(data.scenes.findIndex((s) => s.name === "overview"), -1);
  }
  slider.addEventListener("input", () => { stop(); render(Number(slider.value)); });
  follow.addEventListener("change", () => { if (follow.checked) render(current); });

  function onKey(event) {
    const target = event.target;
    if (target && target.tagName === "INPUT" && (target.type === "range" ||
        (target.type === "text" && target.value !== ""))) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key;
    if (key === "ArrowRight") step(1);
    else if (key === "ArrowLeft") step(-1);
    else if (key === "Home") { stop(); render(0); }
    else if (key === "End") { stop(); render(last); }
    else if (key === " " && !(target && target.tagName === "BUTTON")) play();
    else if (key === "f" || key === "F") fit();
    else if (key === "+" || key === "=") act("zoomin");
    else if (key === "-") act("zoomout");
    else if (key === "Escape") unselect();
    else if (key === "Enter" && target && target.closest) {
      const node = target.closest(".ag-value, .ag-op");
      const group = target.closest(".ag-group");
      const label = target.closest(".ag-cluster-label");
      if (node) select(Number(node.dataset.index));
      else if (group) group.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      else if (label) closeCluster(Number(label.parentNode.dataset.group));
      else return;
    } else return;
    event.preventDefault();
  }
  if (settings.page) document.addEventListener("keydown", onKey);
  else {
    root.tabIndex = 0;
    root.addEventListener("keydown", onKey);
  }

  // Drag to pan; the wheel zooms (in a notebook only with Ctrl, so the page still scrolls).
  let drag = null;
  stage.addEventListener("pointerdown", (event) => {
    if (event.target.closest(".ag-node, .ag-cluster-label, .ag-view, button")) return;
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
    stage.setPointerCapture(event.pointerId);
    stage.classList.add("ag-dragging");
  });
  stage.addEventListener("pointermove", (event) => {
    if (!drag) return;
    view.x = drag.vx + event.clientX - drag.x;
    view.y = drag.vy + event.clientY - drag.y;
    applyView();
  });
  const endDrag = () => { drag = null; stage.classList.remove("ag-dragging"); };
  stage.addEventListener("pointerup", endDrag);
  stage.addEventListener("pointercancel", endDrag);
  stage.addEventListener("wheel", (event) => {
    if (!settings.page && !event.ctrlKey) return;
    event.preventDefault();
    const box = stage.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
  }, { passive: false });

  // -- legend ---------------------------------------------------------------------------------
  const kinds = ["parameter", "input", "constant", "intermediate"].filter((kind) => nodes.some((n) => n.kind === kind));
  let legend = '<span class="ag-key"><b>nodes</b> ' + kinds.map((kind) => '<span class="ag-swatch ag-sw-' + kind + '" style="background:' + data.kinds[kind] + '"></span>' + kind).join(" ");
  legend += ' <span class="ag-swatch ag-sw-output" style="background:' + data.kinds.output + '"></span>output';
  if (groups.length) legend += ' <span class="ag-swatch ag-sw-group"></span>group';
  legend += '</span> <span class="ag-key"><b>|grad|</b> ' + data.bands.map(([colour, text]) => '<span class="ag-swatch" style="background:' + colour + '"></span>' + escapeHtml(text)).join(" ") + "</span>";
  legend += ' <span class="ag-key ag-dim">Click a node for its gradient' + (groups.length ? ", a group to open it" : "") + "; drag to pan, " + (settings.page ? "" : "Ctrl+") + "wheel to zoom.</span>";
  $(".ag-legend").innerHTML = legend;

  showQuizState();
  drawScene(sceneIndex);
  fit();
  render(0);
  // Until the learner moves the view, a change of the stage's size (a widget shown late,
  // a window resized) fits the graph again.
  let seen = stage.clientWidth > 0 && stage.clientHeight > 0;
  if (typeof ResizeObserver !== "undefined") {
    new ResizeObserver(() => {
      if (!seen && stage.clientWidth > 0 && stage.clientHeight > 0) {
        seen = true;
        fit();
        render(current, true);
      } else if (fitZoom() >= 0.6) {
        fit();  // a small graph stays whole
      } else if (follow.checked) {
        const target = steps[current].node;
        if (target !== null && target !== undefined) ensureVisible(rectOf(target), false);
      }
    }).observe(stage);
  }
  root.dataset.ready = "1";
  return { render: render, select: select, fit: fit, scene: () => scene.name };
}

// The page data travels as deflated JSON in base64 (see `explainer.pack`).
export async function unpack(text) {
  const bytes = Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return JSON.parse(await new Response(stream).text());
}

export default {
  async render({ model, el }) {
    const draw = async () => mount(el, await unpack(model.get("data")), { page: false });
    await draw();
    model.on("change:data", draw);
  },
};
