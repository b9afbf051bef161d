// Attention patterns as pictures: one thumbnail per head, layer by head, with the hovered row
// marked on each and each head's kinds under it.
import { BLUES, MASKED } from "./colours.js";
import { el, hint } from "./dom.js";
import { kindInfo } from "./state.js";

// Draws head (l, h)'s pattern into an n x n image: one pixel per cell when n == T, otherwise the
// largest weight of each block (attention is sparse; a mean would wash out a diagonal).
export function patternImage(ctx, fw, l, h, n) {
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

export class PatternGrid {
  // onSelect(l, h): a thumbnail was clicked.
  constructor(grid, onSelect) {
    this.grid = grid;
    this.onSelect = onSelect;
    this.thumbs = [];
  }

  clear() {
    this.grid.replaceChildren();
    this.thumbs = [];
  }

  render(fw) {
    this.clear();
    if (fw.L === 0) {
      this.grid.append(hint("This model has no attention heads: only its direct path."));
      return;
    }
    this.grid.style.gridTemplateColumns = `24px repeat(${fw.H}, minmax(0, 150px))`;
    const n = Math.min(fw.T, 160);
    for (let l = 0; l < fw.L; l++) {
      this.grid.append(el("div", { class: "hint", text: `L${l}` }));
      for (let h = 0; h < fw.H; h++) this.grid.append(this.thumb(fw, l, h, n));
    }
  }

  thumb(fw, l, h, n) {
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
    wrap.addEventListener("click", () => this.onSelect(l, h));
    this.thumbs.push({ l, h, wrap, overlay, n });
    return wrap;
  }

  // The hovered row (and column) on every thumbnail of a T-token pattern.
  drawOverlays(hover, T) {
    for (const t of this.thumbs) {
      const ctx = t.overlay.getContext("2d");
      ctx.clearRect(0, 0, t.n, t.n);
      if (hover == null) continue;
      const y = Math.floor((hover * t.n) / T);
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

  markSelected(sel) {
    for (const t of this.thumbs) t.wrap.classList.toggle("selected", !!sel && t.l === sel[0] && t.h === sel[1]);
  }

  // heads: the snapshot's head summary (GET /api/heads).
  labelKinds(heads) {
    for (const t of this.thumbs) {
      const h = heads.heads.find((x) => x.layer === t.l && x.head === t.h);
      const kinds = h ? h.kinds : [];
      t.wrap.querySelector(".kind").textContent = kinds.map((k) => kindInfo(k).label).join(" ");
      t.wrap.title = `head ${t.l}.${t.h}` + (kinds.length ? ` (${kinds.join(", ")})` : "") + ": click to enlarge";
    }
  }
}
