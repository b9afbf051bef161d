// A run's curves over training: its ICL score with the phase change shaded, and every head's
// score (a choice of those the server keeps over training), with the current snapshot dashed.
// A click on either jumps to the snapshot nearest in training tokens.
import { layerColour } from "./colours.js";
import { el } from "./dom.js";
import { emptyChart, lineChart } from "./charts.js";
import { page } from "./state.js";

function phaseWindow(icl) {
  const pc = icl && icl.icl && icl.icl.phase_change;
  return pc ? [pc.start_tokens, pc.end_tokens] : null;
}

function headSeries(d, score, sel) {
  const series = [];
  for (let l = 0; l < d.n_layers; l++)
    for (let h = 0; h < d.n_heads; h++) {
      const selected = sel && sel[0] === l && sel[1] === h;
      series.push({
        y: d[score].map((s) => s[l][h]),
        colour: layerColour(l),
        width: selected ? 2.5 : 1,
        opacity: selected ? 1 : 0.55,
        name: `${l}.${h}`,
      });
    }
  return series;
}

export class CurvesView {
  // state: the column's RunState; selected(): its selected head; onPick(index): a click chose a
  // snapshot.
  constructor(col, state, selected, onPick) {
    this.state = state;
    this.selected = selected;
    this.iclSvg = col.querySelector(".icl-chart");
    this.hotSvg = col.querySelector(".hot-chart");
    this.score = col.querySelector(".hot-score");
    this.iclGeom = null;
    this.hotGeom = null;
    for (const s of page.kinds.scores.filter((x) => x.over_training))
      this.score.append(el("option", { value: s.key, text: s.label }));
    this.score.addEventListener("change", () => this.draw());
    const click = (ev, geom) => {
      if (!geom || !state.snapshots.length) return;
      const r = ev.currentTarget.getBoundingClientRect();
      const best = state.nearest(geom.invert(((ev.clientX - r.left) / r.width) * geom.width));
      if (best !== state.index) onPick(best);
    };
    this.iclSvg.addEventListener("click", (ev) => click(ev, this.iclGeom));
    this.hotSvg.addEventListener("click", (ev) => click(ev, this.hotGeom));
  }

  draw() {
    const marker = this.state.tokensAt(this.state.index);
    this.drawIcl(marker);
    this.drawHeads(marker);
  }

  drawIcl(marker) {
    const icl = this.state.curves.icl;
    if (!icl || !icl.icl) {
      this.iclGeom = null;
      emptyChart(this.iclSvg, !icl ? "loading the ICL curve…" : icl.note ? `no ICL curve: ${icl.note}` : "no ICL curve");
      return;
    }
    const c = icl.icl;
    const window = phaseWindow(icl);
    this.iclGeom = lineChart(this.iclSvg, {
      x: c.tokens,
      series: [
        { y: c.icl_score, colour: "#9ecae1", width: 1, dots: true },
        { y: c.icl_score_smoothed, colour: "#2166ac", width: 2 },
      ],
      yLabel: "ICL score (nats)",
      window,
      windowLabel: window ? "phase change" : null,
      marker,
    });
  }

  drawHeads(marker) {
    const hot = this.state.curves.hot;
    const score = this.score.value;
    const d = hot && hot.data;
    if (!d || !d[score]) {
      this.hotGeom = null;
      emptyChart(this.hotSvg, !hot ? "computing head scores over training…" : hot.note || "no head scores over training");
      return;
    }
    const legend = [];
    for (let l = 0; l < d.n_layers; l++) legend.push([`layer ${l}`, layerColour(l)]);
    this.hotGeom = lineChart(this.hotSvg, {
      x: d.tokens, series: headSeries(d, score, this.selected()), yLabel: score.replace(/_/g, " "), yMin: 0, yMax: 1, marker,
      window: phaseWindow(this.state.curves.icl),
      legend,
    });
  }
}
