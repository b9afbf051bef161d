// The selected head's panel: its kinds and scores against the thresholds that name kinds (both
// from the server), its OV and QK eigenvalues, its strongest skip-trigrams, and its composition
// with the heads of other layers against the random baseline.
import { eigenPlot } from "./charts.js";
import { el, fmt, hint, tokenCode } from "./dom.js";
import { kindInfo, page } from "./state.js";

function kindBadges(kinds) {
  if (!kinds.length) return el("span", { class: "kinds" }, el("span", { text: "no kind", style: "background:#eee;color:#555" }));
  return el("span", { class: "kinds" }, ...kinds.map((k) => el("span", { text: k, title: kindInfo(k).rule })));
}

function scoreTable(scores) {
  const tab = el("table", { class: "small" });
  tab.append(el("tr", {}, el("th", { text: "score" }), el("th", { text: "value" }),
    el("th", { text: "names a kind at ≥", title: "the threshold above which the score names the head's kind (docs/evaluators.md)" })));
  for (const s of page.kinds.scores) {
    const v = scores[s.key];
    if (v === undefined) continue;
    tab.append(el("tr", { title: s.help }, el("td", { text: s.label }), el("td", { class: "num", text: fmt(v, 3) }),
      el("td", { class: "num", text: s.threshold == null ? "" : fmt(s.threshold, 2) })));
  }
  return tab;
}

function trigrams(d) {
  const tri = d.skip_trigrams || [];
  const title = el("h4", { text: "Top skip-trigrams: source … destination → output" });
  if (!tri.length) return [title, hint((d.common && d.common.skip_trigram_sources) || "none")];
  const t = el("table", { class: "small" });
  t.append(el("tr", {}, el("th", { text: "source" }), el("th", { text: "… destination" }), el("th", { text: "→ output" }), el("th", { text: "strength" })));
  for (const x of tri.slice(0, 10))
    t.append(el("tr", {}, el("td", {}, tokenCode(x.source)), el("td", {}, tokenCode(x.destination)),
      el("td", {}, tokenCode(x.output)), el("td", { class: "num", text: fmt(x.strength, 1) })));
  return [title, t];
}

// The six strongest of `list` by Q-, K- or V-composition; bold above the baseline's bold line.
function compositionTable(title, list, base) {
  if (!list.length) return [];
  const sorted = list.slice().sort((a, b) => Math.max(b.q, b.k, b.v) - Math.max(a.q, a.k, a.v)).slice(0, 6);
  const bold = base ? base.mean + page.kinds.composition_bold_sigmas * base.std : Infinity;
  const cell = (v) => {
    const td = el("td", { class: "num", text: fmt(v, 3) });
    if (v > bold) td.style.fontWeight = "700";
    return td;
  };
  const t = el("table", { class: "small" });
  t.append(el("tr", {}, el("th", { text: "head" }), el("th", { text: "Q" }), el("th", { text: "K" }), el("th", { text: "V" })));
  for (const x of sorted) t.append(el("tr", {}, el("td", { text: `${x.layer}.${x.head}` }), cell(x.q), cell(x.k), cell(x.v)));
  return [el("h4", { text: title + (base ? ` (random baseline ${fmt(base.mean, 3)})` : "") }), t];
}

function composition(d) {
  const comp = d.composition || { into: [], from: [] };
  const base = d.common && d.common.composition_baseline;
  const parts = [
    ...compositionTable("Composition into later heads", comp.into, base),
    ...compositionTable("Composition from earlier heads", comp.from, base),
  ];
  if (!comp.into.length && !comp.from.length && d.common && d.common.composition_note) parts.push(hint(d.common.composition_note));
  return parts;
}

export class HeadPanel {
  constructor(panel) {
    this.panel = panel;
  }

  clear() {
    this.panel.replaceChildren();
  }

  loading(l, h) {
    this.panel.replaceChildren(el("h3", { text: `Head ${l}.${h}` }),
      hint("computing this snapshot's head scores and circuits (once per snapshot)…"));
  }

  error(l, h, message) {
    this.panel.replaceChildren(el("h3", { text: `Head ${l}.${h}` }), el("p", { text: message }));
  }

  // d: GET /api/head's answer.
  show(d) {
    const sc = d.scores;
    const parts = [el("h3", {}, `Head ${d.name} at step ${d.snapshot} `, kindBadges(d.kinds)), scoreTable(sc)];
    if (d.common && d.common.heads_note) parts.push(hint(d.common.heads_note));
    parts.push(el("h4", { text: "OV and QK eigenvalues (complex plane, unit circle = largest |λ|)" }),
      el("div", { class: "eigs" }, eigenPlot("OV", d.eigenvalues.ov, sc.ov_copying_score), eigenPlot("QK", d.eigenvalues.qk, sc.qk_copying_score)));
    parts.push(...trigrams(d), ...composition(d));
    this.panel.replaceChildren(...parts);
  }
}
