// SVG charts: training curves over a log axis of tokens, the logit's terms as bars around zero,
// and eigenvalues in the complex plane.
import { fmt, fmtCount, svg, svgText } from "./dom.js";

export function emptyChart(s, message) {
  s.replaceChildren();
  s.setAttribute("viewBox", "0 0 420 150");
  // Wrapped by words into lines of about 64 characters.
  const lines = [];
  for (const word of message.split(" ")) {
    if (lines.length && (lines[lines.length - 1] + " " + word).length <= 64) lines[lines.length - 1] += " " + word;
    else lines.push(word);
  }
  lines.slice(0, 5).forEach((line, i) => {
    const y = 75 + (i - (Math.min(lines.length, 5) - 1) / 2) * 14;
    svgText(s, { x: 210, y, "text-anchor": "middle", class: "muted" }, line);
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

// The y range: o.yMin and o.yMax where given, otherwise the data's with a margin.
function yRange(o) {
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
  return [ymin, ymax];
}

// Grid lines and labels of both axes.
function axes(s, g, ymin, ymax) {
  const { W, H, m, X, Y, lo, hi } = g;
  const ticks = niceTicks(ymin, ymax, 4);
  for (const v of ticks) {
    svg("line", { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), class: "gridline" }, s);
    svgText(s, { x: m.l - 4, y: Y(v) + 3.5, "text-anchor": "end" }, v.toFixed(ticks.digits));
  }
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    const x = X(Math.pow(10, e));
    svg("line", { x1: x, x2: x, y1: H - m.b, y2: H - m.b + 4, class: "axis" }, s);
    svgText(s, { x, y: H - m.b + 14, "text-anchor": "middle" }, fmtCount(Math.pow(10, e)).replace(" ", ""));
  }
  svgText(s, { x: W - m.r, y: H - 1, "text-anchor": "end", class: "muted" }, "training tokens (log)");
  svg("line", { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, class: "axis" }, s);
  svg("line", { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: "axis" }, s);
}

// A shaded span of training tokens, such as the phase change.
function shadeWindow(s, g, window, label) {
  const { W, H, m, X } = g;
  const x1 = X(window[0]);
  const x2 = X(window[1]);
  svg("rect", { x: x1, y: m.t, width: Math.max(1, x2 - x1), height: H - m.t - m.b, fill: "rgba(230, 97, 1, 0.13)" }, s);
  if (!label) return;
  // Kept inside the plot: a late window would push a centred label past the right edge.
  const cx = Math.min((x1 + x2) / 2, W - m.r - 40);
  svgText(s, { x: cx, y: m.t + 11, "text-anchor": "middle", fill: "#b35806" }, label);
}

function drawSeries(s, g, xs, se) {
  const { X, Y } = g;
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

// Names in their colours, right-aligned along the top.
function drawLegend(s, g, legend) {
  let x = g.W - g.m.r;
  for (const [name, colour] of legend.slice().reverse()) {
    svgText(s, { x, y: 11, "text-anchor": "end", fill: colour, "font-weight": 600 }, name);
    x -= name.length * 6.3 + 12;
  }
}

// A line chart over training tokens on a log axis (snapshots at 0 tokens sit at the left edge).
// o: x (tokens), series ({y, colour, width, opacity, name, dots}), yLabel, yMin, yMax, window
// and windowLabel, legend ([name, colour]), marker (tokens). Returns how to map a click back to
// tokens, or null when there is nothing to draw.
export function lineChart(s, o) {
  const W = 420;
  const H = 150;
  const m = { l: 46, r: 10, t: 18, b: 24 };
  s.replaceChildren();
  s.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const pos = o.x.filter((t) => t > 0);
  if (!pos.length) {
    emptyChart(s, "no snapshots past step 0");
    return null;
  }
  const lo = Math.log10(Math.min(...pos)) - 0.05;
  const hi = Math.log10(Math.max(...pos)) + 0.05;
  const X = (t) => m.l + ((Math.log10(Math.max(t, Math.pow(10, lo))) - lo) / (hi - lo || 1)) * (W - m.l - m.r);
  const [ymin, ymax] = yRange(o);
  const Y = (v) => m.t + (1 - (v - ymin) / (ymax - ymin || 1)) * (H - m.t - m.b);
  const g = { W, H, m, X, Y, lo, hi };
  axes(s, g, ymin, ymax);
  if (o.window) shadeWindow(s, g, o.window, o.windowLabel);
  for (const se of o.series) drawSeries(s, g, o.x, se);
  svgText(s, { x: 4, y: 11, "text-anchor": "start", class: "muted" }, o.yLabel);
  if (o.legend) drawLegend(s, g, o.legend);
  if (o.marker != null) {
    const x = X(o.marker);
    svg("line", { x1: x, x2: x, y1: m.t, y2: H - m.b, stroke: "#1d2330", "stroke-width": 1.2, "stroke-dasharray": "3 2", class: "marker" }, s);
  }
  return {
    width: W,
    invert: (vx) => Math.pow(10, lo + ((vx - m.l) / (W - m.l - m.r)) * (hi - lo)),
  };
}

// One row of barChart: label, bar (and the thin bar of r.sub under it) and value.
function barRow(s, r, y, g) {
  const t = svgText(s, { x: g.labelW - 6, y: y + 10, "text-anchor": "end" }, r.label);
  if (r.header) {
    t.setAttribute("class", "muted");
    return;
  }
  const w = Math.abs(r.v) * g.scale;
  const x = r.v >= 0 ? g.zero : g.zero - w;
  const virtual = r.kind === "virtual";
  const colour = r.v >= 0 ? (virtual ? "#6baed6" : "#2166ac") : (virtual ? "#fc9272" : "#b2182b");
  svg("rect", { x, y: y + 2, width: Math.max(0.5, w), height: g.rowH - 5, fill: colour }, s);
  if (r.sub != null && Number.isFinite(r.sub)) {
    const ws = Math.abs(r.sub) * g.scale;
    const xs = r.sub >= 0 ? g.zero : g.zero - ws;
    svg("rect", { x: xs, y: y + g.rowH - 5, width: Math.max(0.5, ws), height: 2, fill: "#fdb863" }, s);
  }
  svgText(s, { x: g.W - 2, y: y + 10, "text-anchor": "end" }, (r.v >= 0 ? "+" : "") + r.v.toFixed(2));
  svg("title", {}, t).textContent = r.sub != null
    ? `${r.label}: ${r.v.toFixed(3)} (from the embedding alone: ${r.sub.toFixed(3)})`
    : `${r.label}: ${r.v.toFixed(3)}`;
}

// Horizontal bars around zero: the logit's terms, then the largest virtual heads.
export function barChart(rows, virt) {
  const all = rows.concat(virt.length ? [{ label: "virtual heads", header: true }] : [], virt);
  const rowH = 15;
  const W = 360;
  const labelW = 92;
  const valueW = 46;
  const H = all.length * rowH + 6;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "attr", width: W });
  const maxAbs = Math.max(1e-9, ...all.filter((r) => !r.header).map((r) => Math.abs(r.v)));
  const plotW = W - labelW - valueW;
  const g = { W, rowH, labelW, zero: labelW + plotW / 2, scale: plotW / 2 / maxAbs };
  svg("line", { x1: g.zero, x2: g.zero, y1: 0, y2: H, class: "axis" }, s);
  all.forEach((r, i) => barRow(s, r, i * rowH + 3, g));
  return s;
}

// Eigenvalues in the complex plane, scaled by the largest modulus.
export function eigenPlot(title, ev, score) {
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
  svgText(s, { x: c, y: S + 12, "text-anchor": "middle" }, `${title}: copying ${fmt(score)}`);
  svg("title", {}, s).textContent = `${title} eigenvalues / max |λ| = ${maxAbs.toPrecision(3)}; blue: positive real part`;
  return s;
}
