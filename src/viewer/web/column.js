// One column: a run through one snapshot. It holds the run's state and its views and keeps them
// in step with the slider, the hovered and pinned position, and the selected head.
import { BLUES, REDS, drawColourBar } from "./colours.js";
import { CurvesView } from "./curves_view.js";
import { debounce, fmt, fmtCount } from "./dom.js";
import { HeadPanel } from "./head_panel.js";
import { PatternDetail } from "./pattern_detail.js";
import { PatternGrid } from "./pattern_view.js";
import { PositionPanel } from "./position_panel.js";
import { RunState, page } from "./state.js";
import { TextView } from "./text_view.js";
import { syncUrl } from "./url.js";

// The run's name and model, and the legend's loss scale: white at 0, dark at a uniform guess.
function fillHeader(t, run) {
  const m = run.model;
  t.querySelector(".run-name").textContent = run.name;
  t.querySelector(".run-model").textContent =
    `${m.n_layers} layer${m.n_layers === 1 ? "" : "s"} × ${m.n_heads} heads · d_model ${m.d_model} · ` +
    `n_ctx ${m.n_ctx} · ${run.tokenizer} (${m.d_vocab} tokens) · ${m.positional_embedding_type} positions`;
  drawColourBar(t.querySelector(".loss-bar"), REDS);
  drawColourBar(t.querySelector(".attn-bar"), BLUES);
  t.querySelector(".loss-scale").textContent = `0 … ln ${m.d_vocab} = ${Math.log(m.d_vocab).toFixed(2)} nats (a uniform guess)`;
}

export class Column {
  constructor(run, snapshotWanted) {
    this.state = new RunState(run, snapshotWanted);
    this.hover = null;
    this.pinned = null;
    this.sel = null;
    const t = document.getElementById("column-template").content.firstElementChild.cloneNode(true);
    this.el = t;
    t.dataset.run = run.id;
    t.dataset.state = "loading";
    fillHeader(t, run);
    this.slider = t.querySelector(".slider");
    this.stepLabel = t.querySelector(".step-label");
    this.status = t.querySelector(".status");
    this.makeViews(t);
    const later = debounce(() => this.update(), 120);
    this.slider.addEventListener("input", () => {
      this.showSnapshot(Number(this.slider.value));
      later();
    });
    this.requestAttribution = debounce((p) => this.loadAttribution(p), 120);
    this.loadHeadsLater = debounce((step) => this.loadHeads(step), 500);
    this.loadHeadLater = debounce(() => this.loadHead(), 300);
  }

  makeViews(t) {
    const select = (l, h) => this.selectHead(l, h);
    const leave = () => this.setHover(this.pinned);
    this.text = new TextView(t.querySelector(".text-panel"), Math.log(this.state.run.model.d_vocab), {
      hover: (p) => this.setHover(p),
      leave,
      click: (p) => this.pin(this.pinned === p ? null : p, p),
      key: (ev) => this.key(ev),
    });
    this.grid = new PatternGrid(t.querySelector(".grid"), select);
    this.detail = new PatternDetail(t, {
      hover: (i) => {
        if (i !== this.hover) this.setHover(i);
      },
      leave,
    });
    this.position = new PositionPanel(t.querySelector(".hover-panel"), select);
    this.headPanel = new HeadPanel(t.querySelector(".head-panel"));
    this.curves = new CurvesView(t, this.state, () => this.sel, (k) => {
      this.slider.value = String(k);
      this.showSnapshot(k);
      this.update();
    });
  }

  async init() {
    let note;
    try {
      note = await this.state.loadSnapshots();
    } catch (e) {
      this.setStatus(e.message);
      this.el.dataset.state = "error";
      return;
    }
    if (note) this.setStatus(note);
    this.slider.max = String(this.state.snapshots.length - 1);
    this.slider.value = String(this.state.index);
    this.showStep();
    // The curves may have to be computed; the text comes first.
    await this.update();
    this.state.loadCurves(() => this.curves.draw());
  }

  // Snapshot k on the step label and the curves; its text follows in update().
  showSnapshot(k) {
    this.state.index = k;
    this.showStep();
    this.curves.draw();
  }

  showStep() {
    const s = this.state.snapshots[this.state.index];
    if (!s) return;
    this.stepLabel.textContent = `step ${s.step.toLocaleString("en")}` +
      (s.tokens != null ? ` · ${fmtCount(s.tokens)} tokens` : "") +
      ` · ${this.state.index + 1} of ${this.state.snapshots.length}`;
  }

  setStatus(msg, busy = false) {
    this.status.textContent = msg || "";
    this.status.classList.toggle("busy", busy);
  }

  // The page's text through the current snapshot.
  async update() {
    if (!this.state.snapshots.length) return;
    const step = this.state.step();
    this.el.dataset.state = "loading";
    this.setStatus("running the model…", true);
    const t0 = performance.now();
    let fw;
    try {
      fw = await this.state.forward(page.text);
    } catch (e) {
      this.showError(e.message);
      return;
    }
    if (fw) this.show(fw, step, t0);
  }

  showError(message) {
    this.setStatus(message);
    this.text.clear();
    this.grid.clear();
    this.detail.clear();
    this.headPanel.clear();
    this.position.empty("No text to show.");
    this.el.querySelector(".timing").textContent = "";
    this.el.dataset.state = "error";
  }

  // A new pass fw through snapshot `step`, asked for at t0: the text, the thumbnails, the
  // selected head, and how long each took.
  show(fw, step, t0) {
    const t1 = performance.now();
    this.setStatus("");
    if (this.pinned != null && this.pinned >= fw.T) this.pinned = null;
    if (!this.sel || this.sel[0] >= fw.L || this.sel[1] >= fw.H) this.sel = this.defaultHead();
    this.text.render(fw);
    this.grid.render(fw);
    this.grid.markSelected(this.sel);
    this.labelKinds();
    const t2 = performance.now();
    this.renderDetail();
    this.setHover(this.pinned);
    const t3 = performance.now();
    this.el.dataset.step = String(step);
    this.el.dataset.fetchMs = (t1 - t0).toFixed(1);
    this.el.dataset.thumbnailsMs = (t2 - t1).toFixed(1);
    this.el.dataset.renderMs = (t3 - t1).toFixed(1);
    this.el.querySelector(".timing").textContent =
      `${fw.T} tokens · server ${fmt(fw.data.seconds.request * 1000, 0)} ms, response ${fmt(t1 - t0, 0)} ms, ` +
      `thumbnails ${fmt(t2 - t1, 0)} ms, page ${fmt(t3 - t1, 0)} ms`;
    this.el.dataset.state = "ready";
    syncUrl();
    // Head kinds cost the server seconds per snapshot: asked for once the slider rests.
    this.loadHeadsLater(step);
  }

  defaultHead() {
    const m = this.state.run.model;
    if (page.head && page.head[0] < m.n_layers && page.head[1] < m.n_heads) return page.head.slice();
    return m.n_layers > 0 ? [m.n_layers - 1, 0] : null;
  }

  // Shows position pos (null: none) on the text, the thumbnails and the position panel.
  setHover(pos) {
    this.hover = pos;
    const fw = this.state.fw;
    if (!fw) return;
    this.grid.drawOverlays(pos, fw.T);
    this.text.show(fw, this.sel, pos, this.pinned);
    this.renderPosition();
  }

  // Pins position p (null: none) and hovers `hover`.
  pin(p, hover) {
    this.pinned = p;
    this.setHover(hover);
    syncUrl();
  }

  // Esc unpins; the arrow keys move the pinned position through the text.
  key(ev) {
    if (ev.key === "Escape") {
      this.pin(null, null);
    } else if ((ev.key === "ArrowLeft" || ev.key === "ArrowRight") && this.state.fw) {
      const from = this.pinned ?? this.hover ?? 0;
      const p = Math.max(0, Math.min(this.state.fw.T - 1, from + (ev.key === "ArrowLeft" ? -1 : 1)));
      this.pin(p, p);
      this.text.scrollTo(p);
      ev.preventDefault();
    }
  }

  // The hovered position's panel; its logit split is asked for once the pointer rests.
  renderPosition() {
    const p = this.hover;
    const fw = this.state.fw;
    const cached = p == null ? null : this.state.attrCache.get(p);
    this.position.show(fw, p, this.sel, cached || null);
    if (fw && p != null && !cached) this.requestAttribution(p);
  }

  async loadAttribution(p) {
    const fw = this.state.fw;
    if (!fw || p == null) return;
    try {
      const a = await this.state.attribution(p, page.text);
      if (fw === this.state.fw && this.hover === p) this.position.showAttribution(fw, a);
    } catch (e) {
      this.position.showAttributionError(e.message);
    }
  }

  labelKinds() {
    const heads = this.state.currentHeads();
    if (heads) this.grid.labelKinds(heads);
  }

  async loadHeads(step) {
    if (this.state.run.model.n_layers === 0) return;
    try {
      if (await this.state.loadHeads(step)) this.labelKinds();
    } catch (e) {
      /* the head panel says why when it is opened */
    }
  }

  selectHead(l, h) {
    this.sel = [l, h];
    page.head = [l, h];
    this.grid.markSelected(this.sel);
    this.renderDetail();
    this.setHover(this.hover);
    this.curves.draw();
    syncUrl();
  }

  // The selected head enlarged, and its panel.
  renderDetail() {
    const fw = this.state.fw;
    if (!fw || !this.sel) {
      this.detail.clear();
      this.headPanel.clear();
      return;
    }
    this.detail.render(fw, this.sel);
    if (this.state.hasHead(this.state.step(), this.sel[0], this.sel[1])) this.loadHead();
    else this.loadHeadLater();
  }

  async loadHead() {
    const step = this.state.step();
    if (!this.sel) return;
    const [l, h] = this.sel;
    if (!this.state.hasHead(step, l, h)) this.headPanel.loading(l, h);
    let data;
    try {
      data = await this.state.head(step, l, h);
    } catch (e) {
      this.headPanel.error(l, h, e.message);
      return;
    }
    if (!this.sel || this.sel[0] !== l || this.sel[1] !== h || this.state.step() !== step) return;
    this.headPanel.show(data);
  }
}
