// circopt ui: the circuit tree, the matcher search and the named-tensor
// view, over the JSON API documented in ui/doc.go. Plain JS, no build step.
"use strict";

const ROWH = 20; // tree row height in px; rows are absolutely positioned
const $ = (id) => document.getElementById(id);

const state = {
  info: null,
  trees: {},          // variant index -> {nodes, roots, byName}
  v: 0,               // shown variant
  cmp: "",            // compared variant ("" none)
  expanded: new Set(),// keys of expanded rows (see rowKey)
  rows: [],           // visible rows: {key, id, depth}
  found: new Set(), onpath: new Set(),
  selKey: null,
  source: null,       // {kind:"node", id} or {kind:"tensor", name}
  dims: null, shape: null, sel: null,
  charts: {},
};

async function api(path) {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function setStatus(msg) { $("status").textContent = msg || ""; }

async function loadTree(i) {
  if (!state.trees[i]) {
    const t = await api("/api/tree?v=" + i);
    t.byName = new Map();
    for (const n of t.nodes) if (n.name && !t.byName.has(n.name)) t.byName.set(n.name, n.id);
    state.trees[i] = t;
  }
  return state.trees[i];
}

// A row is a path from a root; its key is a small int interned from its
// parent's key and its node, so keys stay short on deep trees.
let keys = new Map();
function intern(s) {
  let k = keys.get(s);
  if (k === undefined) { k = keys.size + 1; keys.set(s, k); }
  return k;
}
const rootKey = (i, r) => intern("r" + i + ":" + r);
const childKey = (k, c) => intern(k + "/" + c);

// ---- tree: flattened visible rows, only the rows in view are in the DOM ----

function flatten() {
  const t = state.trees[state.v];
  const rows = [];
  // an explicit stack, so a circuit thousands of levels deep cannot overflow the JS stack
  const stack = t.roots.map((r, i) => ({ id: r, key: rootKey(i, r), depth: 0 })).reverse();
  while (stack.length) {
    const row = stack.pop();
    rows.push(row);
    if (!state.expanded.has(row.key)) continue;
    const kids = t.nodes[row.id].children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ id: kids[i], key: childKey(row.key, kids[i]), depth: row.depth + 1 });
  }
  state.rows = rows;
  $("treespacer").style.height = rows.length * ROWH + "px";
  $("treecount").textContent = t.nodes.length + " nodes, " + rows.length + " rows shown";
  renderRows();
}

function renderRows() {
  const box = $("tree"), spacer = $("treespacer");
  const t = state.trees[state.v];
  const first = Math.max(0, Math.floor(box.scrollTop / ROWH) - 5);
  const last = Math.min(state.rows.length, first + Math.ceil(box.clientHeight / ROWH) + 10);
  const frag = document.createDocumentFragment();
  for (let i = first; i < last; i++) {
    const row = state.rows[i], n = t.nodes[row.id];
    const div = document.createElement("div");
    div.className = "row";
    if (state.found.has(n.id)) div.classList.add("found");
    else if (state.onpath.has(n.id)) div.classList.add("onpath");
    if (row.key === state.selKey) div.classList.add("selected");
    div.style.top = i * ROWH + "px";
    div.style.paddingLeft = 4 + row.depth * 14 + "px";
    div.dataset.key = row.key;
    div.dataset.id = n.id;
    const tog = document.createElement("span");
    tog.className = "tog";
    tog.textContent = n.children.length ? (state.expanded.has(row.key) ? "▾" : "▸") : "";
    div.append(tog, document.createTextNode(n.name ? n.name : "#" + n.id));
    const kind = document.createElement("span");
    kind.className = "kind"; kind.textContent = n.kind;
    const shape = document.createElement("span");
    shape.className = "shape"; shape.textContent = "[" + n.shape.join(",") + "]";
    div.append(kind, shape);
    if (n.parents > 1) {
      const s = document.createElement("span");
      s.className = "shared"; s.textContent = "shared ×" + n.parents;
      div.append(s);
    }
    frag.append(div);
  }
  spacer.replaceChildren(frag);
}

function toggle(key) {
  if (state.expanded.has(key)) state.expanded.delete(key); else state.expanded.add(key);
  flatten();
}

function onTreeClick(ev) {
  const div = ev.target.closest(".row");
  if (!div) return;
  if (ev.target.classList.contains("tog")) { toggle(+div.dataset.key); return; }
  state.selKey = +div.dataset.key;
  renderRows();
  selectNode(+div.dataset.id);
}

function expandAll(limit) {
  const t = state.trees[state.v];
  const stack = t.roots.map((r, i) => ({ id: r, key: rootKey(i, r) }));
  for (let n = 0; stack.length && n < limit; n++) {
    const { id, key } = stack.pop();
    if (!t.nodes[id].children.length) continue;
    state.expanded.add(key);
    for (const c of t.nodes[id].children) stack.push({ id: c, key: childKey(key, c) });
  }
  flatten();
}

async function runMatch(ev) {
  ev.preventDefault();
  const m = $("matcher").value;
  if (!m.trim()) return clearMatch();
  try {
    const res = await api("/api/match?v=" + state.v + "&m=" + encodeURIComponent(m));
    const t = state.trees[state.v];
    state.found = new Set(res.found);
    state.onpath = new Set();
    for (const p of res.paths) {
      // a path starts at a root; expand every node along it but the last
      const ri = t.roots.indexOf(p[0]);
      let key = rootKey(ri, p[0]);
      for (let i = 0; i < p.length; i++) {
        state.onpath.add(p[i]);
        if (i < p.length - 1) { state.expanded.add(key); key = childKey(key, p[i + 1]); }
      }
    }
    $("matchinfo").textContent = res.found.length + " found" + (res.truncated ? " (paths truncated)" : "");
    setStatus("");
    flatten();
    const i = state.rows.findIndex((r) => state.found.has(r.id));
    if (i >= 0) $("tree").scrollTop = Math.max(0, (i - 3) * ROWH);
  } catch (e) {
    $("matchinfo").textContent = "";
    setStatus(e.message);
  }
}

function clearMatch() {
  state.found = new Set(); state.onpath = new Set();
  $("matchinfo").textContent = "";
  renderRows();
}

// ---- tensor view ----

async function selectNode(id) {
  state.source = { kind: "node", id };
  const n = state.trees[state.v].nodes[id];
  $("title").textContent = (state.info.variants[state.v].name || "variant " + state.v) + ": " + (n.name || "#" + id) + " " + n.kind + " [" + n.shape.join(",") + "]";
  try {
    const info = await api("/api/node?v=" + state.v + "&id=" + id);
    $("nodetext").textContent = info.text + (info.truncated ? "…\n" : "");
    setDims(info.dims, n.shape);
    await draw();
  } catch (e) { setStatus(e.message); }
}

async function selectTensor(t) {
  state.source = { kind: "tensor", name: t.name };
  $("title").textContent = "tensor " + t.name + " [" + t.shape.join(",") + "]";
  $("nodetext").textContent = "";
  setDims(t.dims, t.shape);
  await draw();
}

function isImage(d) { return d.type === "image" || (d.type || "").startsWith("image:"); }

// default selection: as the server's (last dim x or img, the one before y or f)
function defaultSel(dims, shape) {
  const sel = shape.map(() => "0");
  const n = shape.length;
  if (!n) return sel;
  if (isImage(dims[n - 1])) { sel[n - 1] = "img"; if (n > 1) sel[n - 2] = "f"; return sel; }
  if (dims[n - 1].type === "seq" || n === 1) { sel[n - 1] = "x"; if (n > 1) sel[n - 2] = "f"; return sel; }
  sel[n - 1] = "x"; sel[n - 2] = "y";
  return sel;
}

function setDims(dims, shape) {
  const same = state.shape && state.dims && JSON.stringify(shape) === JSON.stringify(state.shape) &&
    JSON.stringify(dims.map((d) => d.name)) === JSON.stringify(state.dims.map((d) => d.name));
  state.dims = dims; state.shape = shape;
  if (!same) state.sel = defaultSel(dims, shape);
  renderDims();
}

const ROLES = ["x", "y", "f", "img", "index", "mean", "max", "min", "norm", "sum"];

function renderDims() {
  const box = $("dims");
  box.replaceChildren();
  state.dims.forEach((d, i) => {
    const div = document.createElement("div");
    div.className = "dim";
    const sel = document.createElement("select");
    sel.id = "role-" + i;
    for (const r of ROLES) {
      if (r === "img" && !isImage(d)) continue;
      const o = document.createElement("option");
      o.value = r; o.textContent = r === "f" ? "facet" : r;
      sel.append(o);
    }
    const cur = state.sel[i];
    const isIdx = /^-?\d+$/.test(cur);
    sel.value = isIdx ? "index" : cur;
    const num = document.createElement("input");
    num.type = "number"; num.min = 0; num.max = state.shape[i] - 1; num.id = "idx-" + i;
    num.value = isIdx ? cur : 0;
    num.hidden = !isIdx;
    sel.onchange = () => {
      const r = sel.value;
      // a role shown once: whoever had it gives it up (to index 0)
      if (["x", "y", "f", "img"].includes(r)) {
        state.sel.forEach((s, j) => { if (j !== i && (s === r || (r === "img" && (s === "x" || s === "y")) || ((r === "x" || r === "y") && s === "img"))) state.sel[j] = "0"; });
      }
      state.sel[i] = r === "index" ? String(num.value || 0) : r;
      renderDims(); draw();
    };
    num.onchange = () => { state.sel[i] = String(num.value); draw(); };
    const label = document.createElement("span");
    label.textContent = d.name + (d.type ? " (" + d.type + ")" : "") + " " + state.shape[i] + " ";
    div.append(label, sel, num);
    if (isIdx && d.labels) {
      const l = document.createElement("span");
      l.textContent = " " + d.labels[+cur < 0 ? +cur + state.shape[i] : +cur];
      div.append(l);
    }
    box.append(div);
  });
}

function sliceURL(extra) {
  const s = state.source;
  const base = s.kind === "tensor" ? "tensor=" + encodeURIComponent(s.name) : extra;
  return "/api/slice?" + base + "&sel=" + encodeURIComponent(state.sel.join(","));
}

async function draw() {
  const s = state.source;
  if (!s) return;
  setStatus("");
  const jobs = [];
  if (s.kind === "tensor") {
    jobs.push(["a", sliceURL(), ""]);
  } else {
    jobs.push(["a", sliceURL("v=" + state.v + "&id=" + s.id), ""]);
    if (state.cmp !== "") {
      const name = state.trees[state.v].nodes[s.id].name;
      const other = (await loadTree(+state.cmp)).byName.get(name);
      if (other === undefined) {
        jobs.push(["b", null, "variant " + state.cmp + " has no node named " + JSON.stringify(name)]);
      } else {
        jobs.push(["b", sliceURL("v=" + state.cmp + "&id=" + other), ""]);
        jobs.push(["d", sliceURL("v=" + state.v + "&id=" + s.id + "&vs=" + state.cmp), ""]);
      }
    }
  }
  $("panel-b").hidden = !jobs.some((j) => j[0] === "b");
  $("panel-d").hidden = !jobs.some((j) => j[0] === "d");
  await Promise.all(jobs.map(async ([p, url, err]) => {
    if (!url) { $("title-" + p).textContent = err; clearChart(p); return; }
    try {
      const sl = await api(url);
      $("title-" + p).textContent = sl.source + sampledNote(sl);
      render(p, sl, p === "d");
    } catch (e) {
      $("title-" + p).textContent = e.message;
      clearChart(p);
    }
  }));
}

function sampledNote(sl) {
  const steps = [sl.f, sl.y, sl.x].filter((a) => a.step > 1).map((a) => a.name + " every " + a.step);
  return steps.length ? " (sampled: " + steps.join(", ") + ")" : "";
}

function clearChart(p) {
  if (state.charts[p]) { state.charts[p].dispose(); delete state.charts[p]; }
  $("chart-" + p).replaceChildren();
}

function axisLabel(a, i) {
  if (a.labels) return a.labels[i];
  return String(i * a.step);
}

function hoverText(sl, f, y, x, v) {
  const parts = [];
  if (sl.f.dim >= 0) parts.push(sl.f.name + "=" + axisLabel(sl.f, f));
  if (sl.y.dim >= 0) parts.push(sl.y.name + "=" + axisLabel(sl.y, y));
  if (sl.x.dim >= 0) parts.push(sl.x.name + "=" + axisLabel(sl.x, x));
  return parts.join(" ") + "  value " + (v === null ? "NaN/inf" : Number(v).toPrecision(5));
}

function colorScale(lo, hi, diverging) {
  if (diverging || (lo < 0 && hi > 0)) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return { min: -m, max: m, colors: ["#2166ac", "#f7f7f7", "#b2182b"] };
  }
  return { min: lo, max: hi === lo ? lo + 1 : hi, colors: ["#000004", "#51127c", "#b73779", "#fc8961", "#fcfdbf"] };
}

function render(p, sl, diverging) {
  const shown = (sl.x.dim >= 0) + (sl.y.dim >= 0);
  const img = sl.sel.includes("img");
  if (img || (shown === 2 && sl.f.dim >= 0)) return renderGrid(p, sl, diverging);
  if (shown === 2) return renderHeatmap(p, sl, diverging);
  return renderLines(p, sl);
}

function chartFor(p) {
  const el = $("chart-" + p);
  if (!state.charts[p]) { el.replaceChildren(); state.charts[p] = echarts.init(el); }
  return state.charts[p];
}

function renderHeatmap(p, sl, diverging) {
  const c = chartFor(p);
  const pts = [];
  for (let y = 0; y < sl.y.size; y++) for (let x = 0; x < sl.x.size; x++) pts.push([x, y, sl.data[y * sl.x.size + x]]);
  const cs = colorScale(sl.min, sl.max, diverging);
  const cat = (a) => Array.from({ length: a.size }, (_, i) => axisLabel(a, i));
  c.clear();
  c.setOption({
    animation: false,
    tooltip: { formatter: (q) => hoverText(sl, 0, q.value[1], q.value[0], q.value[2]) },
    grid: { left: 60, right: 70, top: 10, bottom: 40 },
    xAxis: { type: "category", data: cat(sl.x), name: sl.x.name, nameLocation: "middle", nameGap: 25 },
    yAxis: { type: "category", data: cat(sl.y), name: sl.y.name, inverse: true },
    visualMap: { min: cs.min, max: cs.max, calculable: true, orient: "vertical", right: 0, top: "center", inRange: { color: cs.colors } },
    series: [{ type: "heatmap", data: pts, progressive: 0 }],
  });
  c.off("mouseover");
  c.on("mouseover", (q) => { $("hover").textContent = hoverText(sl, 0, q.value[1], q.value[0], q.value[2]); });
}

function renderLines(p, sl) {
  const c = chartFor(p);
  const xs = sl.x.dim >= 0 ? sl.x : sl.f.dim >= 0 ? sl.f : sl.x;
  const series = [];
  const nf = sl.x.dim >= 0 ? sl.f.size : 1;
  const nx = sl.x.dim >= 0 ? sl.x.size : sl.f.size;
  for (let f = 0; f < Math.min(nf, 50); f++) {
    const data = [];
    for (let x = 0; x < nx; x++) data.push(sl.data[f * nx + x]);
    series.push({ type: "line", name: sl.x.dim >= 0 && sl.f.dim >= 0 ? sl.f.name + "=" + axisLabel(sl.f, f) : "value", data, showSymbol: nx <= 64, connectNulls: false });
  }
  c.clear();
  c.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0, show: series.length > 1 },
    grid: { left: 60, right: 20, top: 30, bottom: 40 },
    xAxis: { type: "category", data: Array.from({ length: nx }, (_, i) => axisLabel(xs, i)), name: xs.name || "", nameLocation: "middle", nameGap: 25 },
    yAxis: { type: "value", scale: true },
    series,
  });
  c.off("mouseover");
  c.on("mouseover", (q) => {
    const f = sl.x.dim >= 0 ? q.seriesIndex : q.dataIndex, x = sl.x.dim >= 0 ? q.dataIndex : 0;
    $("hover").textContent = hoverText(sl, f, 0, x, q.value);
  });
}

// renderGrid draws one small canvas per facet: images, or heatmaps faceted.
function renderGrid(p, sl, diverging) {
  clearChart(p);
  const el = $("chart-" + p);
  const grid = document.createElement("div");
  grid.className = "grid";
  const cs = colorScale(sl.min, sl.max, diverging);
  const scale = Math.max(1, Math.min(6, Math.floor(112 / Math.max(sl.y.size, sl.x.size))));
  const per = sl.y.size * sl.x.size;
  for (let f = 0; f < sl.f.size; f++) {
    const cell = document.createElement("div");
    cell.className = "cell";
    const cv = document.createElement("canvas");
    cv.width = sl.x.size; cv.height = sl.y.size;
    cv.style.width = sl.x.size * scale + "px"; cv.style.height = sl.y.size * scale + "px";
    const ctx = cv.getContext("2d");
    const im = ctx.createImageData(sl.x.size, sl.y.size);
    for (let k = 0; k < per; k++) {
      const [r, g, b] = color(sl.data[f * per + k], cs);
      im.data[4 * k] = r; im.data[4 * k + 1] = g; im.data[4 * k + 2] = b; im.data[4 * k + 3] = 255;
    }
    ctx.putImageData(im, 0, 0);
    cv.onmousemove = (ev) => {
      const x = Math.floor(ev.offsetX / scale), y = Math.floor(ev.offsetY / scale);
      if (x < sl.x.size && y < sl.y.size) $("hover").textContent = hoverText(sl, f, y, x, sl.data[f * per + y * sl.x.size + x]);
    };
    const cap = document.createElement("div");
    cap.textContent = sl.f.dim >= 0 ? sl.f.name + "=" + axisLabel(sl.f, f) : "";
    cell.append(cv, cap);
    grid.append(cell);
  }
  el.append(grid);
}

function hex(c) { return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)); }

function color(v, cs) {
  if (v === null) return [0, 200, 0]; // NaN or inf
  const stops = cs.colors.map(hex);
  let t = (v - cs.min) / (cs.max - cs.min);
  t = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t)), u = t - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * u));
}

// fromHash opens the view a link names: #tensor=NAME, or
// #v=I&m=MATCHER&id=N&cmp=J (each part optional).
async function fromHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.has("tensor")) {
    const t = state.info.tensors.find((x) => x.name === h.get("tensor"));
    if (t) await selectTensor(t);
    return;
  }
  if (h.has("v") && +h.get("v") !== state.v && state.info.variants[+h.get("v")]) {
    $("variant").value = h.get("v");
    await showVariant(+h.get("v"));
  }
  if (h.has("cmp") && state.info.variants[+h.get("cmp")]) {
    $("compare").value = h.get("cmp");
    state.cmp = h.get("cmp");
  }
  if (h.has("m")) {
    $("matcher").value = h.get("m");
    await runMatch(new Event("submit"));
  }
  if (h.has("id")) {
    const id = +h.get("id"), row = state.rows.find((r) => r.id === id);
    if (row) { state.selKey = row.key; renderRows(); }
    if (state.trees[state.v].nodes[id]) await selectNode(id);
  }
}

// ---- start ----

async function showVariant(i) {
  state.v = i;
  state.expanded = new Set(); state.found = new Set(); state.onpath = new Set(); state.selKey = null;
  keys = new Map();
  await loadTree(i);
  const t = state.trees[i];
  t.roots.forEach((r, k) => state.expanded.add(rootKey(k, r)));
  flatten();
}

async function start() {
  try {
    state.info = await api("/api/info");
  } catch (e) { setStatus(e.message); return; }
  const vs = state.info.variants;
  for (const v of vs) {
    for (const id of ["variant", "compare"]) {
      const o = document.createElement("option");
      o.value = v.index; o.textContent = v.name || "variant " + v.index;
      $(id).append(o);
    }
  }
  const tl = $("tensors");
  for (const t of state.info.tensors) {
    const d = document.createElement("div");
    d.className = "tensor"; d.dataset.name = t.name;
    d.textContent = "▦ " + t.name + " [" + t.shape.join(",") + "] " + t.dims.map((x) => x.name).join(",");
    d.onclick = () => selectTensor(t);
    tl.append(d);
  }
  $("variant").onchange = () => showVariant(+$("variant").value);
  $("compare").onchange = () => { state.cmp = $("compare").value; draw(); };
  $("tree").addEventListener("scroll", renderRows);
  $("tree").addEventListener("click", onTreeClick);
  $("matchform").addEventListener("submit", runMatch);
  $("clearbtn").onclick = () => { $("matcher").value = ""; clearMatch(); };
  $("expandall").onclick = () => expandAll(20000);
  $("collapseall").onclick = () => { state.expanded = new Set(); flatten(); };
  window.addEventListener("resize", () => { renderRows(); for (const c of Object.values(state.charts)) c.resize(); });
  if (vs.length) await showVariant(0);
  else $("tree").hidden = true;
  await fromHash();
  document.body.dataset.ready = "1";
}

start();
