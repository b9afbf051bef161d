// The selected head's pattern enlarged: token labels up to 64 tokens, positions beyond, and the
// exact weight under the pointer.
import { BLUES, lutColour } from "./colours.js";
import { showPiece } from "./dom.js";
import { patternImage } from "./pattern_view.js";

// The pattern scaled into the plot square at (margin, margin), pixel by pixel.
function drawPattern(ctx, fw, sel, g) {
  const n = Math.min(fw.T, Math.round(g.plot * g.dpr));
  const off = document.createElement("canvas");
  off.width = off.height = n;
  const octx = off.getContext("2d");
  octx.putImageData(patternImage(octx, fw, sel[0], sel[1], n), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, g.margin, g.margin, g.plot, g.plot);
  ctx.strokeStyle = "#b9c0cc";
  ctx.strokeRect(g.margin - 0.5, g.margin - 0.5, g.plot + 1, g.plot + 1);
}

// Every row and column labelled with its token (every few where cells are small).
function tokenLabels(ctx, fw, g) {
  const { margin, dpr } = g;
  const cellSize = g.plot / fw.T;
  const label = (i) => {
    const s = showPiece(fw.piece(i));
    return s.length > 9 ? s.slice(0, 8) + "…" : s;
  };
  const step = Math.max(1, Math.ceil(11 / cellSize));
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let i = 0; i < fw.T; i += step) ctx.fillText(label(i), margin - 4, margin + (i + 0.5) * cellSize);
  ctx.save();
  for (let j = 0; j < fw.T; j += step) {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.translate(margin + (j + 0.5) * cellSize, margin - 4);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "left";
    ctx.fillText(label(j), 0, 0);
  }
  ctx.restore();
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
}

// Positions every 20 to 200 tokens, and the axes' names.
function positionLabels(ctx, T, g) {
  const { margin, plot } = g;
  const cellSize = plot / T;
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

// The colour bar under the plot.
function colourScale(ctx, g) {
  const { margin, plot } = g;
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
}

export class PatternDetail {
  // on: hover(i) as the pointer moves over query row i, leave() as it leaves the pattern.
  constructor(col, on) {
    this.title = col.querySelector(".detail-title");
    this.big = col.querySelector(".big");
    this.tip = col.querySelector(".big-tip");
    this.box = col.querySelector(".patterns");
    this.on = on;
    this.geom = null;
    this.big.addEventListener("mousemove", (ev) => this.move(ev));
    this.big.addEventListener("mouseleave", () => {
      this.tip.style.display = "none";
      on.leave();
    });
  }

  clear() {
    this.title.textContent = "";
    const ctx = this.big.getContext("2d");
    ctx.clearRect(0, 0, this.big.width, this.big.height);
    this.big.width = this.big.height = 0;
    this.geom = null;
  }

  // Head sel's pattern in the pass fw, as large as the column allows.
  render(fw, sel) {
    const [l, h] = sel;
    this.title.textContent =
      `Head ${l}.${h}: attention pattern (row: the query, a destination token; column: the key it reads, a source token)`;
    const labelled = fw.T <= 64;
    const avail = Math.max(260, Math.min(600, this.box.clientWidth || 560));
    const margin = labelled ? 78 : 40;
    const g = { margin, plot: avail - margin - 8, dpr: window.devicePixelRatio || 1 };
    this.big.width = Math.round(avail * g.dpr);
    this.big.height = Math.round((avail + 40) * g.dpr);
    // Shrunk to fit (max-width), the canvas keeps its aspect ratio; move() scales back.
    this.big.style.width = `${avail}px`;
    this.big.style.height = "auto";
    const ctx = this.big.getContext("2d");
    ctx.setTransform(g.dpr, 0, 0, g.dpr, 0, 0);
    ctx.clearRect(0, 0, avail, avail + 40);
    drawPattern(ctx, fw, sel, g);
    ctx.fillStyle = "#1d2330";
    ctx.font = "11px system-ui, sans-serif";
    if (labelled) tokenLabels(ctx, fw, g);
    else positionLabels(ctx, fw.T, g);
    colourScale(ctx, g);
    this.geom = { fw, sel, margin, plot: g.plot, avail };
  }

  // The weight under the pointer, in a tip.
  move(ev) {
    if (!this.geom) return;
    const { fw, sel, margin, plot, avail } = this.geom;
    const r = this.big.getBoundingClientRect();
    const k = avail / r.width;
    const x = (ev.clientX - r.left) * k - margin;
    const y = (ev.clientY - r.top) * k - margin;
    if (x < 0 || y < 0 || x >= plot || y >= plot) {
      this.tip.style.display = "none";
      return;
    }
    const i = Math.floor((y / plot) * fw.T);
    const j = Math.floor((x / plot) * fw.T);
    const name = (p) => showPiece(fw.piece(p));
    this.tip.textContent = j > i
      ? `query #${i} cannot see key #${j} (future)`
      : `query #${i} ${name(i)} → key #${j} ${name(j)}: ${fw.att(sel[0], sel[1], i, j).toFixed(3)}`;
    this.tip.style.display = "block";
    this.tip.style.left = `${Math.min(ev.clientX - r.left + 12, r.width - 220)}px`;
    this.tip.style.top = `${ev.clientY - r.top + 12}px`;
    this.on.hover(i);
  }
}
