"use strict";
// The circuitscope viewer: one column per run, each showing a text through one snapshot. Data
// comes from the JSON API of docs/viewer.md; nothing is fetched from anywhere else, so the page
// works offline. A view is its URL: ?text=…&run=0,1&snapshot=120,last&head=1.6&pos=12.

const SVG = "http://www.w3.org/2000/svg";

// ---- small helpers ------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function svg(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

function fmt(x, digits = 2) {
  if (x == null || !Number.isFinite(x)) return "–";
  return x.toFixed(digits);
}

function fmtCount(n) {
  if (n == null) return "?";
  if (n >= 1e9) return (n / 1e9).toFixed(n >= 1e10 ? 0 : 1) + " G";
  if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + " M";
  if (n >= 1e3) return (n / 1e3).toFixed(n >= 1e4 ? 0 : 1) + " k";
  return String(n);
}

// A token as text a reader can see: spaces as ·, newlines as ↵.
function showPiece(p) {
  return p.replace(/ /g, "·");
}

function tokenCode(piece) {
  return el("code", { class: "tk", text: showPiece(piece) });
}

// 256-entry colour ramps through evenly spaced stops.
function ramp(stops) {
  const rgb = stops.map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (rgb.length - 1);
    const k = Math.min(rgb.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(rgb[k][c] * (1 - f) + rgb[k + 1][c] * f);
  }
  return lut;
}
// ColorBrewer Blues for attention, Reds for loss: sequential, white at zero.
const BLUES = ramp(["#ffffff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]);
const REDS = ramp(["#ffffff", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#99000d"]);
const MASKED = [236, 238, 242]; // positions a query cannot attend to (the future)
const LAYER_COLOURS = ["#7f8797", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"];

function lutColour(lut, v) {
  const i = Math.max(0, Math.min(255, Math.round(v * 255))) * 3;
  return `rgb(${lut[i]},${lut[i + 1]},${lut[i + 2]})`;
}

function inkOn(lut, v) {
  return v > 0.62 ? "#fff" : "";
}

function drawColourBar(canvas, lut) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let x = 0; x < canvas.width; x++) {
    const i = Math.round((x / (canvas.width - 1)) * 255) * 3;
    for (let y = 0; y < canvas.height; y++) {
      const o = (y * canvas.width + x) * 4;
      img.data[o] = lut[i];
      img.data[o + 1] = lut[i + 1];
      img.data[o + 2] = lut[i + 2];
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const res = await fetch(path, options);
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (!res.ok) throw new Error(data && data.error ? data.error : `${res.status} ${res.statusText}`);
  return data;
}

function decodeBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function debounce(f, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => f(...args), ms);
  };
}

// ---- one forward pass, as the API returned it ----------------------------------------------

class Forward {
  constructor(data) {
    this.data = data;
    this.tokens = data.tokens;
    this.loss = data.loss;
    this.T = data.tokens.length;
    this.L = data.model.n_layers;
    this.H = data.model.n_heads;
    this.tri = (this.T * (this.T + 1)) / 2;
    this.bytes = data.patterns ? decodeBase64(data.patterns.data) : new Uint8Array(0);
  }
  base(l, h) {
    return (l * this.H + h) * this.tri;
  }
  // Attention of query i to key j (0 for j > i), as the page shows it (1/255 steps).
  att(l, h, i, j) {
    if (j > i) return 0;
    return this.bytes[this.base(l, h) + (i * (i + 1)) / 2 + j] / 255;
  }
}

// Draws head (l, h)'s pattern into an n x n image: one pixel per cell when n == T, otherwise the
// largest weight of each block (attention is sparse; a mean would wash out a diagonal).
function patternImage(ctx, fw, l, h, n) {
  const T = fw.T;
  const img = ctx.createImageData(n, n);
  const d = img.data;
  const bytes = fw.bytes;
  const base = fw.base(l, h);
  const cell = new Uint8Array(n * n);
  const colOf = new Int32Array(T);
  for (let j = 0; j < T; j++) colOf[j] = Math.floor((j * n) / T);
  for (let i = 0; i < T; i++) {
    const py = Math.floor((i * n) / T) * n;
    const row = base + (i * (i + 1)) / 2;
    for (let j = 0; j <= i; j++) {
      const v = bytes[row + j];
      const k = py + colOf[j];
      if (v > cell[k]) cell[k] = v;
    }
  }
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      const o = (y * n + x) * 4;
      if (x > y) {
        d[o] = MASKED[0];
        d[o + 1] = MASKED[1];
        d[o + 2] = MASKED[2];
      } else {
        const c = cell[y * n + x] * 3;
        d[o] = BLUES[c];
        d[o + 1] = BLUES[c + 1];
        d[o + 2] = BLUES[c + 2];
      }
      d[o + 3] = 255;
    }
  return img;
}

// ---- the page ----------------------------------------------------------------------------

const page = {
  runs: [],
  probes: [],
  columns: [],
  text: "",
  head: null, // [layer, head] chosen by the user or the URL
};

const DEFAULT_TEXT = "one two three four five. one two three four five.";

class Column {
  constructor(run, snapshotWanted) {
    this.run = run;
    this.snapshotWanted = snapshotWanted || "last";
    this.snapshots = [];
    this.index = 0;
    this.fw = null;
    this.seq = 0;
    this.hover = null;
    this.pinned = null;
    this.sel = null;
    this.heads = null; // summary: kinds per head
    this.headCache = new Map();
    this.attrCache = new Map();
    this.curves = { icl: null, hot: null };
    const t = document.getElementById("column-template").content.firstElementChild.cloneNode(true);
    this.el = t;
    t.dataset.run = run.id;
    t.dataset.state = "loading";
    const m = run.model;
    t.querySelector(".run-name").textContent = run.name;
    t.querySelector(".run-model").textContent =
      `${m.n_layers} layer${m.n_layers === 1 ? "" : "s"} × ${m.n_heads} heads · d_model ${m.d_model} · ` +
      `n_ctx ${m.n_ctx} · ${run.tokenizer} (${m.d_vocab} tokens) · ${m.positional_embedding_type} positions`;
    this.lossMax = Math.log(m.d_vocab);
    drawColourBar(t.querySelector(".loss-bar"), REDS);
    drawColourBar(t.querySelector(".attn-bar"), BLUES);
    t.querySelector(".loss-scale").textContent = `0 … ln ${m.d_vocab} = ${this.lossMax.toFixed(2)} nats (a uniform guess)`;
    this.slider = t.querySelector(".slider");
    this.stepLabel = t.querySelector(".step-label");
    this.status = t.querySelector(".status");
    this.textPanel = t.querySelector(".text-panel");
    this.grid = t.querySelector(".grid");
    this.big = t.querySelector(".big");
    this.bigTip = t.querySelector(".big-tip");
    this.hoverPanel = t.querySelector(".hover-panel");
    this.headPanel = t.querySelector(".head-panel");
    this.hotScore = t.querySelector(".hot-score");
    const later = debounce(() => this.update(), 120);
    this.slider.addEventListener("input", () => {
      this.index = Number(this.slider.value);
      this.showStep();
      this.drawCurves();
      later();
    });
    this.hotScore.addEventListener("change", () => this.drawCurves());
    for (const sel of [".icl-chart", ".hot-chart"])
      t.querySelector(sel).addEventListener("click", (ev) => this.chartClick(ev));
    this.textPanel.addEventListener("mouseover", (ev) => {
      const s = ev.target.closest(".tok");
      if (s) this.setHover(Number(s.dataset.pos));
    });
    this.textPanel.addEventListener("mouseleave", () => this.setHover(this.pinned));
    this.textPanel.addEventListener("click", (ev) => {
      const s = ev.target.closest(".tok");
      if (!s) return;
      const p = Number(s.dataset.pos);
      this.pinned = this.pinned === p ? null : p;
      this.setHover(p);
      syncUrl();
    });
    // Esc unpins; the arrow keys move the pinned position through the text.
    this.textPanel.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        this.pinned = null;
        this.setHover(null);
        syncUrl();
      } else if ((ev.key === "ArrowLeft" || ev.key === "ArrowRight") && this.fw) {
        const from = this.pinned ?? this.hover ?? 0;
        this.pinned = Math.max(0, Math.min(this.fw.T - 1, from + (ev.key === "ArrowLeft" ? -1 : 1)));
        this.setHover(this.pinned);
        this.spans[this.pinned].scrollIntoView({ block: "nearest" });
        syncUrl();
        ev.preventDefault();
      }
    });
    this.big.addEventListener("mousemove", (ev) => this.bigMove(ev));
    this.big.addEventListener("mouseleave", () => {
      this.bigTip.style.display = "none";
      this.setHover(this.pinned);
    });
    this.requestAttribution = debounce((p) => this.loadAttribution(p), 120);
    this.loadHeadsLater = debounce((step) => this.loadHeads(step), 500);
    this.loadHeadLater = debounce(() => this.loadHead(), 300);
  }

  step() {
    return this.snapshots.length ? this.snapshots[this.index].step : null;
  }

  async init() {
    try {
      const s = await api(`/api/run/${this.run.id}/snapshots`);
      this.snapshots = s.snapshots;
    } catch (e) {
      this.setStatus(e.message);
      this.el.dataset.state = "error";
      return;
    }
    if (!this.snapshots.length) {
      this.setStatus("this run has no snapshots yet");
      this.el.dataset.state = "error";
      return;
    }
    const want = this.snapshotWanted;
    let i = this.snapshots.length - 1;
    if (want !== "last") {
      const k = this.snapshots.findIndex((s) => String(s.step) === String(want));
      if (k >= 0) i = k;
      else this.setStatus(`no snapshot at step ${want}; showing the last one`);
    }
    this.index = i;
    this.slider.max = String(this.snapshots.length - 1);
    this.slider.value = String(i);
    this.showStep();
    // The curves may have to be computed; the text comes first.
    await this.update();
    this.loadCurves();
  }

  showStep() {
    const s = this.snapshots[this.index];
    if (!s) return;
    this.stepLabel.textContent = `step ${s.step.toLocaleString("en")}` +
      (s.tokens != null ? ` · ${fmtCount(s.tokens)} tokens` : "") +
      ` · ${this.index + 1} of ${this.snapshots.length}`;
  }

  setStatus(msg, busy = false) {
    this.status.textContent = msg || "";
    this.status.classList.toggle("busy", busy);
  }

  async update() {
    if (!this.snapshots.length) return;
    const seq = ++this.seq;
    const step = this.step();
    this.el.dataset.state = "loading";
    this.setStatus("running the model…", true);
    const t0 = performance.now();
    let data;
    try {
      data = await api("/api/forward", { run: this.run.id, snapshot: step, text: page.text, patterns: "u8", top_k: 5 });
    } catch (e) {
      if (seq !== this.seq) return;
      this.fw = null;
      this.setStatus(e.message);
      this.textPanel.replaceChildren();
      this.grid.replaceChildren();
      this.clearDetail();
      this.hoverPanel.replaceChildren(el("p", { class: "hint", text: "No text to show." }));
      this.el.querySelector(".timing").textContent = "";
      this.el.dataset.state = "error";
      return;
    }
    if (seq !== this.seq) return;
    const t1 = performance.now();
    this.fw = new Forward(data);
    this.attrCache = new Map();
    this.setStatus("");
    if (this.pinned != null && this.pinned >= this.fw.T) this.pinned = null;
    if (!this.sel || this.sel[0] >= this.fw.L || this.sel[1] >= this.fw.H) this.sel = this.defaultHead();
    this.renderText();
    this.renderGrid();
    const t2 = performance.now();
    this.renderDetail();
    this.setHover(this.pinned);
    const t3 = performance.now();
    this.el.dataset.step = String(step);
    this.el.dataset.fetchMs = (t1 - t0).toFixed(1);
    this.el.dataset.thumbnailsMs = (t2 - t1).toFixed(1);
    this.el.dataset.renderMs = (t3 - t1).toFixed(1);
    this.el.querySelector(".timing").textContent =
      `${this.fw.T} tokens · server ${fmt(data.seconds.request * 1000, 0)} ms, response ${fmt(t1 - t0, 0)} ms, ` +
      `thumbnails ${fmt(t2 - t1, 0)} ms, page ${fmt(t3 - t1, 0)} ms`;
    this.el.dataset.state = "ready";
    syncUrl();
    // Head kinds cost the server seconds per snapshot: asked for once the slider rests.
    this.loadHeadsLater(step);
  }

  defaultHead() {
    if (page.head && page.head[0] < this.run.model.n_layers && page.head[1] < this.run.model.n_heads)
      return page.head.slice();
    return this.run.model.n_layers > 0 ? [this.run.model.n_layers - 1, 0] : null;
  }

  // ---- the text ----

  renderText() {
    const fw = this.fw;
    const frag = document.createDocumentFragment();
    this.spans = [];
    for (let i = 0; i < fw.T; i++) {
      const t = fw.tokens[i];
      const s = el("span", { class: "tok" });
      s.dataset.pos = i;
      if (i === 0) {
        s.classList.add("bos");
        s.textContent = "⟨bos⟩";
      } else if (t.text === "") {
        s.classList.add("cont");
      } else if (t.text.includes("\n")) {
        const parts = t.text.split("\n");
        parts.forEach((p, k) => {
          if (k) s.append(el("span", { class: "nl", text: "↵" }), "\n");
          if (p) s.append(p);
        });
      } else {
        s.textContent = t.text;
      }
      const loss = fw.loss[i];
      s.title = `#${i} ${showPiece(t.piece)} (id ${t.id})` + (loss == null ? "" : ` · loss ${loss.toFixed(2)} nats`);
      frag.append(s);
      this.spans.push(s);
    }
    this.textPanel.replaceChildren(frag);
  }

  lossColours() {
    const fw = this.fw;
    for (let i = 0; i < fw.T; i++) {
      const s = this.spans[i];
      const loss = fw.loss[i];
      const v = loss == null ? 0 : Math.min(1, loss / this.lossMax);
      s.style.background = loss == null ? "" : lutColour(REDS, v);
      s.style.color = loss == null ? "" : inkOn(REDS, v);
      s.style.borderBottomColor = "transparent";
      s.classList.remove("future", "hovered", "pinned");
      delete s.dataset.attn;
      delete s.dataset.attnTo;
    }
  }

  setHover(pos) {
    this.hover = pos;
    if (!this.fw) return;
    this.drawOverlays();
    if (pos == null) {
      this.lossColours();
      this.renderHoverPanel();
      return;
    }
    const fw = this.fw;
    const sel = this.sel;
    for (let j = 0; j < fw.T; j++) {
      const s = this.spans[j];
      s.classList.toggle("hovered", j === pos);
      s.classList.toggle("pinned", j === this.pinned);
      if (!sel) continue;
      if (j <= pos) {
        const a = fw.att(sel[0], sel[1], pos, j);
        s.dataset.attn = a.toFixed(4);
        s.style.background = lutColour(BLUES, a);
        s.style.color = inkOn(BLUES, a);
        s.classList.remove("future");
      } else {
        delete s.dataset.attn;
        s.style.background = "";
        s.style.color = "";
        s.classList.add("future");
      }
      if (j >= pos) {
        const b = fw.att(sel[0], sel[1], j, pos);
        s.dataset.attnTo = b.toFixed(4);
        s.style.borderBottomColor = `rgba(230, 97, 1, ${Math.min(1, b * 1.2).toFixed(3)})`;
      } else {
        delete s.dataset.attnTo;
        s.style.borderBottomColor = "transparent";
      }
    }
    this.renderHoverPanel();
  }

  // ---- thumbnails ----

  renderGrid() {
    const fw = this.fw;
    this.grid.replaceChildren();
    this.thumbs = [];
    if (fw.L === 0) {
      this.grid.append(el("p", { class: "hint", text: "This model has no attention heads: only its direct path." }));
      return;
    }
    this.grid.style.gridTemplateColumns = `24px repeat(${fw.H}, minmax(0, 150px))`;
    const n = Math.min(fw.T, 160);
    for (let l = 0; l < fw.L; l++) {
      this.grid.append(el("div", { class: "hint", text: `L${l}` }));
      for (let h = 0; h < fw.H; h++) {
        const c = el("canvas", { width: n, height: n });
        c.dataset.layer = l;
        c.dataset.head = h;
        const ctx = c.getContext("2d");
        ctx.putImageData(patternImage(ctx, fw, l, h, n), 0, 0);
        const overlay = el("canvas", { width: n, height: n, class: "overlay" });
        overlay.style.cssText = "position:absolute;left:0;top:0;pointer-events:none;border-color:transparent";
        const label = el("div", { class: "label" }, el("span", { text: `${l}.${h}` }), el("span", { class: "kind" }));
        const wrap = el("div", { class: "thumb" }, el("div", { style: "position:relative" }, c, overlay), label);
        wrap.title = `head ${l}.${h}: click to enlarge`;
        wrap.dataset.layer = l;
        wrap.dataset.head = h;
        wrap.addEventListener("click", () => this.selectHead(l, h));
        this.grid.append(wrap);
        this.thumbs.push({ l, h, wrap, overlay, n });
      }
    }
    this.markSelected();
    this.labelKinds();
  }

  // The hovered row (and column) on every thumbnail.
  drawOverlays() {
    if (!this.thumbs || !this.fw) return;
    const T = this.fw.T;
    for (const t of this.thumbs) {
      const ctx = t.overlay.getContext("2d");
      ctx.clearRect(0, 0, t.n, t.n);
      if (this.hover == null) continue;
      const y = Math.floor((this.hover * t.n) / T);
      const w = Math.max(1, Math.round(t.n / T));
      ctx.fillStyle = "rgba(230, 97, 1, 0.85)";
      ctx.fillRect(0, y, Math.max(2, t.n / 40), w);
      ctx.fillRect(y, 0, w, Math.max(2, t.n / 40));
      ctx.strokeStyle = "rgba(230, 97, 1, 0.35)";
      ctx.lineWidth = w;
      ctx.beginPath();
      ctx.moveTo(0, y + w / 2);
      ctx.lineTo(y + w, y + w / 2);
      ctx.stroke();
    }
  }

  markSelected() {
    if (!this.thumbs) return;
    for (const t of this.thumbs) t.wrap.classList.toggle("selected", !!this.sel && t.l === this.sel[0] && t.h === this.sel[1]);
  }

  labelKinds() {
    if (!this.thumbs || !this.heads || this.heads.snapshot !== this.step()) return;
    const short = { "previous-token": "prev", induction: "induct", copying: "copy", positional: "pos" };
    for (const t of this.thumbs) {
      const h = this.heads.heads.find((x) => x.layer === t.l && x.head === t.h);
      const kinds = h ? h.kinds.map((k) => short[k] || k) : [];
      t.wrap.querySelector(".kind").textContent = kinds.join(" ");
      t.wrap.title = `head ${t.l}.${t.h}` + (h && h.kinds.length ? ` (${h.kinds.join(", ")})` : "") + ": click to enlarge";
    }
  }

  async loadHeads(step) {
    if (this.run.model.n_layers === 0) return;
    try {
      const h = await api(`/api/heads?run=${this.run.id}&snapshot=${step}`);
      if (step !== this.step()) return;
      this.heads = h;
      this.labelKinds();
    } catch (e) {
      /* the head panel says why when it is opened */
    }
  }

  selectHead(l, h) {
    this.sel = [l, h];
    page.head = [l, h];
    this.markSelected();
    this.renderDetail();
    this.setHover(this.hover);
    syncUrl();
  }

  // ---- the enlarged pattern ----

  clearDetail() {
    this.el.querySelector(".detail-title").textContent = "";
    const ctx = this.big.getContext("2d");
    ctx.clearRect(0, 0, this.big.width, this.big.height);
    this.big.width = this.big.height = 0;
    this.headPanel.replaceChildren();
  }

  renderDetail() {
    const fw = this.fw;
    if (!fw || !this.sel) {
      this.clearDetail();
      return;
    }
    const [l, h] = this.sel;
    this.el.querySelector(".detail-title").textContent =
      `Head ${l}.${h}: attention pattern (row: the query, a destination token; column: the key it reads, a source token)`;
    const T = fw.T;
    const labelled = T <= 64;
    const avail = Math.max(260, Math.min(600, this.el.querySelector(".patterns").clientWidth || 560));
    const margin = labelled ? 78 : 40;
    const plot = avail - margin - 8;
    const dpr = window.devicePixelRatio || 1;
    this.big.width = Math.round(avail * dpr);
    this.big.height = Math.round((avail + 40) * dpr);
    // Shrunk to fit (max-width), the canvas keeps its aspect ratio; bigMove scales back.
    this.big.style.width = `${avail}px`;
    this.big.style.height = "auto";
    const ctx = this.big.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, avail, avail + 40);
    const n = Math.min(T, Math.round(plot * dpr));
    const off = document.createElement("canvas");
    off.width = off.height = n;
    const octx = off.getContext("2d");
    octx.putImageData(patternImage(octx, fw, l, h, n), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, margin, margin, plot, plot);
    ctx.strokeStyle = "#b9c0cc";
    ctx.strokeRect(margin - 0.5, margin - 0.5, plot + 1, plot + 1);
    ctx.fillStyle = "#1d2330";
    ctx.font = "11px system-ui, sans-serif";
    const cellSize = plot / T;
    if (labelled) {
      const label = (i) => {
        const t = fw.tokens[i];
        const s = i === 0 ? "⟨bos⟩" : showPiece(t.piece);
        return s.length > 9 ? s.slice(0, 8) + "…" : s;
      };
      const step = Math.max(1, Math.ceil(11 / cellSize));
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (let i = 0; i < T; i += step) ctx.fillText(label(i), margin - 4, margin + (i + 0.5) * cellSize);
      ctx.save();
      for (let j = 0; j < T; j += step) {
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        ctx.translate(margin + (j + 0.5) * cellSize, margin - 4);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = "left";
        ctx.fillText(label(j), 0, 0);
      }
      ctx.restore();
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    } else {
      const every = T > 500 ? 200 : T > 200 ? 100 : T > 100 ? 50 : 20;
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (let i = 0; i < T; i += every) ctx.fillText(String(i), margin - 4, margin + (i + 0.5) * cellSize);
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      for (let j = 0; j < T; j += every) ctx.fillText(String(j), margin + (j + 0.5) * cellSize, margin - 3);
      ctx.save();
      ctx.translate(11, margin + plot / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center";
      ctx.fillText("query position", 0, 0);
      ctx.restore();
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText("key position →", margin, 12);
    }
    // Colour bar under the plot.
    const barY = margin + plot + 10;
    const barW = Math.min(200, plot);
    for (let x = 0; x < barW; x++) {
      ctx.fillStyle = lutColour(BLUES, x / (barW - 1));
      ctx.fillRect(margin + x, barY, 1, 9);
    }
    ctx.strokeStyle = "#b9c0cc";
    ctx.strokeRect(margin - 0.5, barY - 0.5, barW + 1, 10);
    ctx.fillStyle = "#5d6677";
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    ctx.fillText("0", margin, barY + 12);
    ctx.textAlign = "right";
    ctx.fillText("1 (all attention)", margin + barW, barY + 12);
    ctx.textAlign = "left";
    ctx.fillStyle = "#8a92a0";
    ctx.fillText("grey above the diagonal: the future, masked", margin, barY + 25);
    this.bigGeom = { margin, plot, T, avail };
    if (this.headCache.has(`${this.step()}/${l}.${h}`)) this.loadHead();
    else this.loadHeadLater();
  }

  bigMove(ev) {
    if (!this.fw || !this.bigGeom) return;
    const r = this.big.getBoundingClientRect();
    const { margin, plot, T, avail } = this.bigGeom;
    const k = avail / r.width;
    const x = (ev.clientX - r.left) * k - margin;
    const y = (ev.clientY - r.top) * k - margin;
    if (x < 0 || y < 0 || x >= plot || y >= plot) {
      this.bigTip.style.display = "none";
      return;
    }
    const i = Math.floor((y / plot) * T);
    const j = Math.floor((x / plot) * T);
    const [l, h] = this.sel;
    const name = (k) => (k === 0 ? "⟨bos⟩" : showPiece(this.fw.tokens[k].piece));
    this.bigTip.textContent = j > i
      ? `query #${i} cannot see key #${j} (future)`
      : `query #${i} ${name(i)} → key #${j} ${name(j)}: ${this.fw.att(l, h, i, j).toFixed(3)}`;
    this.bigTip.style.display = "block";
    this.bigTip.style.left = `${Math.min(ev.clientX - r.left + 12, r.width - 220)}px`;
    this.bigTip.style.top = `${ev.clientY - r.top + 12}px`;
    if (i !== this.hover) this.setHover(i);
  }

  // ---- the hovered position ----

  renderHoverPanel() {
    const p = this.hover;
    const fw = this.fw;
    const panel = this.hoverPanel;
    if (p == null || !fw) {
      panel.replaceChildren(el("p", { class: "hint", text: "Hover a token to see where each head looks from it and how its next-token logit splits; click to pin it." }));
      return;
    }
    const t = fw.tokens[p];
    const head = el("h3", {}, `Position ${p}: `, tokenCode(p === 0 ? "⟨bos⟩" : t.piece), ` (id ${t.id})`);
    const parts = [head];
    if (fw.loss[p] != null)
      parts.push(el("div", { text: `loss of this token: ${fw.loss[p].toFixed(3)} nats (p = ${Math.exp(-fw.loss[p]).toFixed(3)})` }));
    // Predictions after p.
    const preds = fw.data.predictions ? fw.data.predictions[p] : [];
    const next = p + 1 < fw.T ? fw.tokens[p + 1].id : null;
    const ptab = el("table", { class: "small" });
    ptab.append(el("tr", {}, el("th", { text: "next token" }), el("th", { text: "p" }), el("th", {})));
    for (const pr of preds) {
      const bar = el("div", { class: "pbar" });
      bar.style.width = `${Math.max(1, pr.p * 100).toFixed(1)}%`;
      if (pr.id === next) bar.style.background = "#1b9e77";
      ptab.append(el("tr", {}, el("td", {}, tokenCode(pr.piece), pr.id === next ? " ✓" : ""),
        el("td", { class: "num", text: pr.p.toFixed(3) }), el("td", { class: "bar-cell" }, bar)));
    }
    parts.push(el("h4", { text: "Top predictions after it" + (next != null ? " (✓ = what came next)" : "") }), ptab);
    // Where every head looks from p.
    if (fw.L > 0) {
      const htab = el("table", { class: "small heads-from" });
      htab.append(el("tr", {}, el("th", { text: "head" }), el("th", { text: "attends most to (weight)" })));
      for (let l = 0; l < fw.L; l++)
        for (let h = 0; h < fw.H; h++) {
          const w = [];
          for (let j = 0; j <= p; j++) w.push([fw.att(l, h, p, j), j]);
          w.sort((a, b) => b[0] - a[0]);
          const cell = el("td", {});
          for (const [a, j] of w.slice(0, 3)) {
            if (a < 0.05 && cell.childNodes.length) break;
            cell.append(tokenCode(j === 0 ? "⟨bos⟩" : fw.tokens[j].piece), ` #${j} ${a.toFixed(2)}  `);
          }
          const row = el("tr", { title: `show head ${l}.${h} on the text`, style: "cursor:pointer" }, el("td", { text: `${l}.${h}` }), cell);
          row.dataset.layer = l;
          row.dataset.head = h;
          row.addEventListener("click", () => this.selectHead(l, h));
          if (this.sel && this.sel[0] === l && this.sel[1] === h) row.style.fontWeight = "600";
          htab.append(row);
        }
      parts.push(el("h4", { text: "Where each head looks from here" }), htab);
    }
    const attr = el("div", { class: "attribution" });
    parts.push(attr);
    panel.replaceChildren(...parts);
    const cached = this.attrCache.get(p);
    if (cached) this.renderAttribution(attr, cached);
    else {
      attr.append(el("p", { class: "hint", text: "splitting the logit…" }));
      this.requestAttribution(p);
    }
  }

  async loadAttribution(p) {
    if (!this.fw || p == null) return;
    const fw = this.fw;
    try {
      const data = await api("/api/forward", {
        run: this.run.id, snapshot: this.step(), text: page.text, patterns: "none", top_k: 0, positions: [p],
      });
      this.attrCache.set(p, data.attribution[0]);
      if (fw !== this.fw || this.hover !== p) return;
      const box = this.hoverPanel.querySelector(".attribution");
      if (box) this.renderAttribution(box, data.attribution[0]);
    } catch (e) {
      const box = this.hoverPanel.querySelector(".attribution");
      if (box) box.replaceChildren(el("p", { class: "hint", text: e.message }));
    }
  }

  renderAttribution(box, a) {
    const fw = this.fw;
    const rows = [{ label: "direct path", v: a.direct, kind: "direct" }];
    if (a.bias) rows.push({ label: "biases", v: a.bias, kind: "direct" });
    for (let l = 0; l < fw.L; l++) {
      for (let h = 0; h < fw.H; h++) rows.push({ label: `head ${l}.${h}`, v: a.heads[l][h], kind: "head", l, h });
      if (a.mlps) rows.push({ label: `MLP ${l}`, v: a.mlps[l], kind: "mlp" });
    }
    const virt = a.virtual_heads.slice(0, 8).map((x) => ({ label: `${x.from} → ${x.to}`, v: x.value, kind: "virtual" }));
    if (a.embedding_terms)
      for (const row of rows)
        if (row.kind === "head" && row.l > 0) row.sub = a.embedding_terms[row.l][row.h];
    const title = el("h4", {}, `Logit of ${a.target} `, tokenCode(a.token.piece),
      `: ${a.logit.toFixed(2)} (p = ${a.probability.toFixed(3)}), term by term`);
    const chart = barChart(rows, virt);
    const foot = el("div", { class: "hint" },
      `Terms sum to ${a.sum.toFixed(3)}` +
      (a.embedding_terms ? "; a later head's bar = its own term from the embedding (light part noted) plus its virtual heads. " : ". ") +
      (virt.length ? `Virtual heads: pattern-frozen paths through two heads, top ${virt.length} of ${a.n_virtual_heads} by size. ` : "") +
      (a.note || ""));
    box.replaceChildren(title, chart, foot);
  }

  // ---- per-head panel ----

  async loadHead() {
    const step = this.step();
    if (!this.sel) return;
    const [l, h] = this.sel;
    const key = `${step}/${l}.${h}`;
    const panel = this.headPanel;
    let data = this.headCache.get(key);
    if (!data) {
      panel.replaceChildren(el("h3", { text: `Head ${l}.${h}` }),
        el("p", { class: "hint", text: "computing this snapshot's head scores and circuits (once per snapshot)…" }));
      try {
        data = await api(`/api/head?run=${this.run.id}&snapshot=${step}&layer=${l}&head=${h}`);
      } catch (e) {
        panel.replaceChildren(el("h3", { text: `Head ${l}.${h}` }), el("p", { text: e.message }));
        return;
      }
      this.headCache.set(key, data);
    }
    if (!this.sel || this.sel[0] !== l || this.sel[1] !== h || this.step() !== step) return;
    renderHeadPanel(panel, data);
  }

  // ---- curves over training ----

  // Each curve is drawn when it arrives: head scores over training may take the server seconds.
  loadCurves() {
    api(`/api/icl?run=${this.run.id}`)
      .catch((e) => ({ icl: null, note: e.message }))
      .then((icl) => {
        this.curves.icl = icl;
        this.drawCurves();
      });
    api(`/api/heads_over_training?run=${this.run.id}`)
      .catch((e) => ({ data: null, note: e.message }))
      .then((hot) => {
        this.curves.hot = hot;
        this.drawCurves();
      });
  }

  currentTokens() {
    const s = this.snapshots[this.index];
    if (!s) return null;
    if (s.tokens != null) return s.tokens;
    const icl = this.curves.icl && this.curves.icl.icl;
    if (icl) {
      const k = icl.steps.indexOf(s.step);
      if (k >= 0) return icl.tokens[k];
    }
    return null;
  }

  drawCurves() {
    const icl = this.curves.icl;
    const hot = this.curves.hot;
    const iclSvg = this.el.querySelector(".icl-chart");
    const hotSvg = this.el.querySelector(".hot-chart");
    const marker = this.currentTokens();
    if (icl && icl.icl) {
      const c = icl.icl;
      const pc = c.phase_change;
      this.iclGeom = lineChart(iclSvg, {
        x: c.tokens,
        series: [
          { y: c.icl_score, colour: "#9ecae1", width: 1, dots: true },
          { y: c.icl_score_smoothed, colour: "#2166ac", width: 2 },
        ],
        yLabel: "ICL score (nats)",
        window: pc ? [pc.start_tokens, pc.end_tokens] : null,
        windowLabel: pc ? "phase change" : null,
        marker,
      });
    } else {
      this.iclGeom = null;
      emptyChart(iclSvg, !icl ? "loading the ICL curve…" : icl.note ? `no ICL curve: ${icl.note}` : "no ICL curve");
    }
    const score = this.hotScore.value;
    const d = hot && hot.data;
    if (d && d[score]) {
      const series = [];
      for (let l = 0; l < d.n_layers; l++)
        for (let h = 0; h < d.n_heads; h++) {
          const sel = this.sel && this.sel[0] === l && this.sel[1] === h;
          series.push({
            y: d[score].map((s) => s[l][h]),
            colour: LAYER_COLOURS[l % LAYER_COLOURS.length],
            width: sel ? 2.5 : 1,
            opacity: sel ? 1 : 0.55,
            name: `${l}.${h}`,
          });
        }
      const legend = [];
      for (let l = 0; l < d.n_layers; l++) legend.push([`layer ${l}`, LAYER_COLOURS[l % LAYER_COLOURS.length]]);
      this.hotGeom = lineChart(hotSvg, {
        x: d.tokens, series, yLabel: score.replace("_", " "), yMin: 0, yMax: 1, marker,
        window: icl && icl.icl && icl.icl.phase_change ? [icl.icl.phase_change.start_tokens, icl.icl.phase_change.end_tokens] : null,
        legend,
      });
    } else {
      this.hotGeom = null;
      emptyChart(hotSvg, !hot ? "computing head scores over training…" : hot.note || "no head scores over training");
    }
  }

  // Clicking a chart moves the slider to the snapshot nearest in training tokens.
  chartClick(ev) {
    const geom = ev.currentTarget.classList.contains("icl-chart") ? this.iclGeom : this.hotGeom;
    if (!geom || !this.snapshots.length) return;
    const r = ev.currentTarget.getBoundingClientRect();
    const vx = ((ev.clientX - r.left) / r.width) * geom.width;
    const t = geom.invert(vx);
    let best = this.index;
    let bestD = Infinity;
    const icl = this.curves.icl && this.curves.icl.icl;
    this.snapshots.forEach((s, k) => {
      let tok = s.tokens;
      if (tok == null && icl) {
        const m = icl.steps.indexOf(s.step);
        if (m >= 0) tok = icl.tokens[m];
      }
      if (tok == null) return;
      const dd = Math.abs(Math.log(Math.max(tok, 1)) - Math.log(Math.max(t, 1)));
      if (dd < bestD) {
        bestD = dd;
        best = k;
      }
    });
    if (best !== this.index) {
      this.index = best;
      this.slider.value = String(best);
      this.showStep();
      this.drawCurves();
      this.update();
    }
  }
}

// ---- charts --------------------------------------------------------------------------------

function emptyChart(s, message) {
  s.replaceChildren();
  s.setAttribute("viewBox", "0 0 420 150");
  // Wrapped by words into lines of about 64 characters.
  const lines = [];
  for (const word of message.split(" ")) {
    if (lines.length && (lines[lines.length - 1] + " " + word).length <= 64) lines[lines.length - 1] += " " + word;
    else lines.push(word);
  }
  lines.slice(0, 5).forEach((line, i) => {
    const t = svg("text", { x: 210, y: 75 + (i - (Math.min(lines.length, 5) - 1) / 2) * 14, "text-anchor": "middle", class: "muted" }, s);
    t.textContent = line;
  });
}

function niceTicks(lo, hi, count) {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-6; v += step) out.push(Math.abs(v) < step * 1e-6 ? 0 : v);
  out.digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return out;
}

// A line chart over training tokens on a log axis (snapshots at 0 tokens sit at the left edge).
function lineChart(s, o) {
  const W = 420;
  const H = 150;
  const m = { l: 46, r: 10, t: 18, b: 24 };
  s.replaceChildren();
  s.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const xs = o.x;
  const pos = xs.filter((t) => t > 0);
  if (!pos.length) {
    emptyChart(s, "no snapshots past step 0");
    return null;
  }
  const lo = Math.log10(Math.min(...pos)) - 0.05;
  const hi = Math.log10(Math.max(...pos)) + 0.05;
  const X = (t) => m.l + ((Math.log10(Math.max(t, Math.pow(10, lo))) - lo) / (hi - lo || 1)) * (W - m.l - m.r);
  let ymin = o.yMin;
  let ymax = o.yMax;
  if (ymin == null || ymax == null) {
    const all = o.series.flatMap((se) => se.y).filter((v) => v != null && Number.isFinite(v));
    const a = Math.min(...all);
    const b = Math.max(...all);
    const pad = (b - a) * 0.08 || 0.1;
    if (ymin == null) ymin = a - pad;
    if (ymax == null) ymax = b + pad;
  }
  const Y = (v) => m.t + (1 - (v - ymin) / (ymax - ymin || 1)) * (H - m.t - m.b);
  const ticks = niceTicks(ymin, ymax, 4);
  for (const v of ticks) {
    svg("line", { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), class: "gridline" }, s);
    const t = svg("text", { x: m.l - 4, y: Y(v) + 3.5, "text-anchor": "end" }, s);
    t.textContent = v.toFixed(ticks.digits);
  }
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    const x = X(Math.pow(10, e));
    svg("line", { x1: x, x2: x, y1: H - m.b, y2: H - m.b + 4, class: "axis" }, s);
    const t = svg("text", { x, y: H - m.b + 14, "text-anchor": "middle" }, s);
    t.textContent = fmtCount(Math.pow(10, e)).replace(" ", "");
  }
  const xl = svg("text", { x: W - m.r, y: H - 1, "text-anchor": "end", class: "muted" }, s);
  xl.textContent = "training tokens (log)";
  svg("line", { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, class: "axis" }, s);
  svg("line", { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: "axis" }, s);
  if (o.window) {
    const x1 = X(o.window[0]);
    const x2 = X(o.window[1]);
    svg("rect", { x: x1, y: m.t, width: Math.max(1, x2 - x1), height: H - m.t - m.b, fill: "rgba(230, 97, 1, 0.13)" }, s);
    if (o.windowLabel) {
      // Kept inside the plot: a late window would push a centred label past the right edge.
      const cx = Math.min((x1 + x2) / 2, W - m.r - 40);
      const t = svg("text", { x: cx, y: m.t + 11, "text-anchor": "middle", fill: "#b35806" }, s);
      t.textContent = o.windowLabel;
    }
  }
  for (const se of o.series) {
    let d = "";
    xs.forEach((t, i) => {
      const v = se.y[i];
      if (v == null || !Number.isFinite(v)) return;
      d += `${d ? "L" : "M"}${X(t).toFixed(1)},${Y(v).toFixed(1)}`;
    });
    const path = svg("path", { d, fill: "none", stroke: se.colour, "stroke-width": se.width || 1, "stroke-opacity": se.opacity ?? 1 }, s);
    if (se.name) svg("title", {}, path).textContent = se.name;
    if (se.dots)
      xs.forEach((t, i) => {
        if (se.y[i] != null) svg("circle", { cx: X(t), cy: Y(se.y[i]), r: 1.6, fill: se.colour }, s);
      });
  }
  const yt = svg("text", { x: 4, y: 11, "text-anchor": "start", class: "muted" }, s);
  yt.textContent = o.yLabel;
  if (o.legend) {
    let x = W - m.r;
    for (const [name, colour] of o.legend.slice().reverse()) {
      const t = svg("text", { x, y: 11, "text-anchor": "end", fill: colour, "font-weight": 600 }, s);
      t.textContent = name;
      x -= name.length * 6.3 + 12;
    }
  }
  if (o.marker != null) {
    const x = X(o.marker);
    svg("line", { x1: x, x2: x, y1: m.t, y2: H - m.b, stroke: "#1d2330", "stroke-width": 1.2, "stroke-dasharray": "3 2", class: "marker" }, s);
  }
  return {
    width: W,
    invert: (vx) => Math.pow(10, lo + ((vx - m.l) / (W - m.l - m.r)) * (hi - lo)),
  };
}

// Horizontal bars around zero: the logit's terms, then the largest virtual heads.
function barChart(rows, virt) {
  const all = rows.concat(virt.length ? [{ label: "virtual heads", header: true }] : [], virt);
  const rowH = 15;
  const W = 360;
  const labelW = 92;
  const valueW = 46;
  const H = all.length * rowH + 6;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "attr", width: W });
  const maxAbs = Math.max(1e-9, ...all.filter((r) => !r.header).map((r) => Math.abs(r.v)));
  const plotW = W - labelW - valueW;
  const zero = labelW + plotW / 2;
  const scale = plotW / 2 / maxAbs;
  svg("line", { x1: zero, x2: zero, y1: 0, y2: H, class: "axis" }, s);
  all.forEach((r, i) => {
    const y = i * rowH + 3;
    const t = svg("text", { x: labelW - 6, y: y + 10, "text-anchor": "end" }, s);
    t.textContent = r.label;
    if (r.header) {
      t.setAttribute("class", "muted");
      return;
    }
    const w = Math.abs(r.v) * scale;
    const x = r.v >= 0 ? zero : zero - w;
    const colour = r.v >= 0 ? (r.kind === "virtual" ? "#6baed6" : "#2166ac") : (r.kind === "virtual" ? "#fc9272" : "#b2182b");
    svg("rect", { x, y: y + 2, width: Math.max(0.5, w), height: rowH - 5, fill: colour }, s);
    if (r.sub != null && Number.isFinite(r.sub)) {
      const ws = Math.abs(r.sub) * scale;
      const xs = r.sub >= 0 ? zero : zero - ws;
      svg("rect", { x: xs, y: y + rowH - 5, width: Math.max(0.5, ws), height: 2, fill: "#fdb863" }, s);
    }
    const v = svg("text", { x: W - 2, y: y + 10, "text-anchor": "end" }, s);
    v.textContent = (r.v >= 0 ? "+" : "") + r.v.toFixed(2);
    svg("title", {}, t).textContent = r.sub != null ? `${r.label}: ${r.v.toFixed(3)} (from the embedding alone: ${r.sub.toFixed(3)})` : `${r.label}: ${r.v.toFixed(3)}`;
  });
  return s;
}

// Eigenvalues in the complex plane, scaled by the largest modulus.
function eigenPlot(title, ev, score) {
  const S = 140;
  const s = svg("svg", { viewBox: `0 0 ${S} ${S + 16}`, width: S, height: S + 16, class: "eig" });
  const c = S / 2;
  const r = S / 2 - 8;
  svg("circle", { cx: c, cy: c, r, fill: "none", class: "gridline" }, s);
  svg("line", { x1: 4, x2: S - 4, y1: c, y2: c, class: "axis" }, s);
  svg("line", { x1: c, x2: c, y1: 4, y2: S - 4, class: "axis" }, s);
  const maxAbs = Math.max(1e-12, ...ev.map(([re, im]) => Math.hypot(re, im)));
  for (const [re, im] of ev)
    svg("circle", { cx: c + (re / maxAbs) * r, cy: c - (im / maxAbs) * r, r: 2.6, fill: re >= 0 ? "#2166ac" : "#b2182b", "fill-opacity": 0.8 }, s);
  const t = svg("text", { x: c, y: S + 12, "text-anchor": "middle" }, s);
  t.textContent = `${title}: copying ${fmt(score)}`;
  svg("title", {}, s).textContent = `${title} eigenvalues / max |λ| = ${maxAbs.toPrecision(3)}; blue: positive real part`;
  return s;
}

function renderHeadPanel(panel, d) {
  const kinds = el("span", { class: "kinds" }, ...(d.kinds.length ? d.kinds.map((k) => el("span", { text: k })) : [el("span", { text: "no kind", style: "background:#eee;color:#555" })]));
  const parts = [el("h3", {}, `Head ${d.name} at step ${d.snapshot} `, kinds)];
  const th = (d.common && d.common.thresholds) || {};
  const sc = d.scores;
  const rows = [
    ["prefix matching (induction)", sc.prefix_matching, th.induction, "attention to the token after an earlier copy of the current one"],
    ["previous token", sc.previous_token, th.previous_token, "attention to the position just before"],
    ["positional", sc.positional, th.positional, "how little where it looks depends on the tokens"],
    ["copying r (measured)", sc.copying_r, th.copying_r, "share of its logit raise that goes to the tokens it attends to"],
    ["OV copying (eigenvalues)", sc.ov_copying_score, th.ov_copying, "Re Σλ / Σ|λ| of W_E W_OV W_U"],
    ["QK copying (eigenvalues)", sc.qk_copying_score, null, "Re Σλ / Σ|λ| of W_E W_QK W_Eᵀ"],
  ];
  const tab = el("table", { class: "small" });
  tab.append(el("tr", {}, el("th", { text: "score" }), el("th", { text: "value" }), el("th", { text: "names a kind at ≥", title: "the threshold above which the score names the head's kind (docs/evaluators.md)" })));
  for (const [name, v, t, help] of rows) {
    if (v === undefined) continue;
    const tr = el("tr", { title: help }, el("td", { text: name }), el("td", { class: "num", text: fmt(v, 3) }), el("td", { class: "num", text: t == null ? "" : fmt(t, 2) }));
    tab.append(tr);
  }
  parts.push(tab);
  if (d.common && d.common.heads_note) parts.push(el("p", { class: "hint", text: d.common.heads_note }));
  parts.push(el("h4", { text: "OV and QK eigenvalues (complex plane, unit circle = largest |λ|)" }),
    el("div", { class: "eigs" }, eigenPlot("OV", d.eigenvalues.ov, sc.ov_copying_score), eigenPlot("QK", d.eigenvalues.qk, sc.qk_copying_score)));
  const tri = d.skip_trigrams || [];
  parts.push(el("h4", { text: "Top skip-trigrams: source … destination → output" }));
  if (!tri.length) parts.push(el("p", { class: "hint", text: (d.common && d.common.skip_trigram_sources) || "none" }));
  else {
    const t = el("table", { class: "small" });
    t.append(el("tr", {}, el("th", { text: "source" }), el("th", { text: "… destination" }), el("th", { text: "→ output" }), el("th", { text: "strength" })));
    for (const x of tri.slice(0, 10))
      t.append(el("tr", {}, el("td", {}, tokenCode(x.source)), el("td", {}, tokenCode(x.destination)), el("td", {}, tokenCode(x.output)), el("td", { class: "num", text: fmt(x.strength, 1) })));
    parts.push(t);
  }
  const comp = d.composition || { into: [], from: [] };
  const base = d.common && d.common.composition_baseline;
  const compTable = (title, list) => {
    if (!list.length) return;
    const sorted = list.slice().sort((a, b) => Math.max(b.q, b.k, b.v) - Math.max(a.q, a.k, a.v)).slice(0, 6);
    parts.push(el("h4", { text: title + (base ? ` (random baseline ${fmt(base.mean, 3)})` : "") }));
    const t = el("table", { class: "small" });
    t.append(el("tr", {}, el("th", { text: "head" }), el("th", { text: "Q" }), el("th", { text: "K" }), el("th", { text: "V" })));
    for (const x of sorted) {
      const cell = (v) => {
        const td = el("td", { class: "num", text: fmt(v, 3) });
        if (base && v > base.mean + 3 * base.std) td.style.fontWeight = "700";
        return td;
      };
      t.append(el("tr", {}, el("td", { text: `${x.layer}.${x.head}` }), cell(x.q), cell(x.k), cell(x.v)));
    }
    parts.push(t);
  };
  compTable("Composition into later heads", comp.into);
  compTable("Composition from earlier heads", comp.from);
  if (!comp.into.length && !comp.from.length && d.common && d.common.composition_note)
    parts.push(el("p", { class: "hint", text: d.common.composition_note }));
  panel.replaceChildren(...parts);
}

// ---- page set-up and the URL ---------------------------------------------------------------

function syncUrl() {
  const q = new URLSearchParams();
  q.set("text", page.text);
  q.set("run", page.columns.map((c) => c.run.id).join(","));
  q.set("snapshot", page.columns.map((c) => (c.snapshots.length ? c.step() : c.snapshotWanted)).join(","));
  if (page.head) q.set("head", `${page.head[0]}.${page.head[1]}`);
  const pinned = page.columns.find((c) => c.pinned != null);
  if (pinned) q.set("pos", String(pinned.pinned));
  history.replaceState(null, "", `?${q.toString()}`);
}

function buildColumns(ids, snapshots) {
  const main = document.getElementById("columns");
  main.replaceChildren();
  page.columns = ids.map((id, k) => new Column(page.runs[id], snapshots[k]));
  for (const c of page.columns) main.append(c.el);
  return Promise.all(page.columns.map((c) => c.init()));
}

function updateAll() {
  for (const c of page.columns) c.update();
}

async function start() {
  const msg = document.getElementById("message");
  try {
    const [runs, probes] = await Promise.all([api("/api/runs"), api("/api/probes")]);
    page.runs = runs.runs;
    page.probes = probes.probes;
  } catch (e) {
    msg.textContent = `cannot reach the server: ${e.message}`;
    return;
  }
  const q = new URLSearchParams(location.search);
  page.text = q.has("text") ? q.get("text") : DEFAULT_TEXT;
  let ids = (q.get("run") || "0").split(",").map((s) => {
    const n = Number(s);
    if (Number.isInteger(n) && n >= 0 && n < page.runs.length) return n;
    const k = page.runs.findIndex((r) => r.name === s);
    return k;
  });
  if (ids.some((i) => i < 0)) msg.textContent = `unknown run in the link: ${q.get("run")}`;
  ids = [...new Set(ids.filter((i) => i >= 0))];
  if (!ids.length) ids = [0];
  const snaps = (q.get("snapshot") || "").split(",");
  if (q.has("head")) {
    const m = /^(\d+)\.(\d+)$/.exec(q.get("head"));
    if (m) page.head = [Number(m[1]), Number(m[2])];
    else msg.textContent = `head must look like 1.6, got ${q.get("head")}`;
  }
  const text = document.getElementById("text");
  text.value = page.text;
  const probe = document.getElementById("probe");
  for (const p of page.probes) probe.append(el("option", { value: p.name, text: p.name.replace(/_/g, " "), title: p.description }));
  const match = page.probes.find((p) => p.text === page.text);
  if (match) probe.value = match.name;
  probe.addEventListener("change", () => {
    const p = page.probes.find((x) => x.name === probe.value);
    if (!p) return;
    text.value = p.text;
    page.text = p.text;
    for (const c of page.columns) c.pinned = null;
    updateAll();
  });
  text.addEventListener("input", debounce(() => {
    page.text = text.value;
    probe.value = page.probes.find((p) => p.text === page.text)?.name || "";
    for (const c of page.columns) c.pinned = null;
    updateAll();
  }, 350));
  const picker = document.getElementById("run-picker");
  page.runs.forEach((r, i) => {
    const box = el("input", { type: "checkbox", value: String(i) });
    box.checked = ids.includes(i);
    box.addEventListener("change", () => {
      const chosen = [...picker.querySelectorAll("input")].filter((b) => b.checked).map((b) => Number(b.value));
      if (!chosen.length) {
        box.checked = true;
        return;
      }
      const keep = new Map(page.columns.map((c) => [c.run.id, c.snapshots.length ? String(c.step()) : c.snapshotWanted]));
      buildColumns(chosen, chosen.map((id) => keep.get(id) || "last"));
    });
    picker.append(el("label", { title: r.path }, box, ` ${r.name}`));
  });
  if (page.runs.length < 2) picker.style.display = "none";
  document.getElementById("copy-link").addEventListener("click", async () => {
    syncUrl();
    try {
      await navigator.clipboard.writeText(location.href);
      msg.textContent = "link copied";
    } catch (e) {
      msg.textContent = location.href;
    }
    setTimeout(() => { if (msg.textContent === "link copied") msg.textContent = ""; }, 2000);
  });
  const pos = q.has("pos") ? Number(q.get("pos")) : null;
  await buildColumns(ids, ids.map((_, k) => snaps[k] || snaps[0] || "last"));
  if (pos != null && Number.isInteger(pos))
    for (const c of page.columns)
      if (c.fw && pos < c.fw.T) {
        c.pinned = pos;
        c.setHover(pos);
      }
  document.body.dataset.ready = "1";
}

start();
