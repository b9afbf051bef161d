// The hovered position's panel: its token's loss, the top predictions after it, where each head
// looks from it, and the split of the next token's logit, term by term.
import { barChart } from "./charts.js";
import { el, hint, tokenCode } from "./dom.js";

function predictions(fw, p) {
  const preds = fw.data.predictions ? fw.data.predictions[p] : [];
  const next = p + 1 < fw.T ? fw.tokens[p + 1].id : null;
  const tab = el("table", { class: "small" });
  tab.append(el("tr", {}, el("th", { text: "next token" }), el("th", { text: "p" }), el("th", {})));
  for (const pr of preds) {
    const bar = el("div", { class: "pbar" });
    bar.style.width = `${Math.max(1, pr.p * 100).toFixed(1)}%`;
    if (pr.id === next) bar.style.background = "#1b9e77";
    tab.append(el("tr", {}, el("td", {}, tokenCode(pr.piece), pr.id === next ? " ✓" : ""),
      el("td", { class: "num", text: pr.p.toFixed(3) }), el("td", { class: "bar-cell" }, bar)));
  }
  return [el("h4", { text: "Top predictions after it" + (next != null ? " (✓ = what came next)" : "") }), tab];
}

// Head (l, h)'s three largest weights from position p, down to 0.05 after the first.
function lookCell(fw, l, h, p) {
  const w = [];
  for (let j = 0; j <= p; j++) w.push([fw.att(l, h, p, j), j]);
  w.sort((a, b) => b[0] - a[0]);
  const cell = el("td", {});
  for (const [a, j] of w.slice(0, 3)) {
    if (a < 0.05 && cell.childNodes.length) break;
    cell.append(tokenCode(fw.piece(j)), ` #${j} ${a.toFixed(2)}  `);
  }
  return cell;
}

function attributionRows(fw, a) {
  const rows = [{ label: "direct path", v: a.direct, kind: "direct" }];
  if (a.bias) rows.push({ label: "biases", v: a.bias, kind: "direct" });
  for (let l = 0; l < fw.L; l++) {
    for (let h = 0; h < fw.H; h++) rows.push({ label: `head ${l}.${h}`, v: a.heads[l][h], kind: "head", l, h });
    if (a.mlps) rows.push({ label: `MLP ${l}`, v: a.mlps[l], kind: "mlp" });
  }
  if (a.embedding_terms)
    for (const row of rows)
      if (row.kind === "head" && row.l > 0) row.sub = a.embedding_terms[row.l][row.h];
  return rows;
}

export class PositionPanel {
  // onSelectHead(l, h): a row of the heads table was clicked.
  constructor(panel, onSelectHead) {
    this.panel = panel;
    this.onSelectHead = onSelectHead;
  }

  empty(message) {
    this.panel.replaceChildren(hint(message));
  }

  // Position p of the pass fw (p null: a hint); `attribution` is null until it has arrived.
  show(fw, p, sel, attribution) {
    if (p == null || !fw) {
      this.empty("Hover a token to see where each head looks from it and how its next-token logit splits; click to pin it.");
      return;
    }
    const t = fw.tokens[p];
    const parts = [el("h3", {}, `Position ${p}: `, tokenCode(fw.piece(p)), ` (id ${t.id})`)];
    if (fw.loss[p] != null)
      parts.push(el("div", { text: `loss of this token: ${fw.loss[p].toFixed(3)} nats (p = ${Math.exp(-fw.loss[p]).toFixed(3)})` }));
    parts.push(...predictions(fw, p));
    if (fw.L > 0) parts.push(el("h4", { text: "Where each head looks from here" }), this.headsFrom(fw, p, sel));
    const box = el("div", { class: "attribution" });
    parts.push(box);
    this.panel.replaceChildren(...parts);
    if (attribution) this.showAttribution(fw, attribution);
    else box.append(hint("splitting the logit…"));
  }

  // Where every head looks from position p; a click on a row selects its head.
  headsFrom(fw, p, sel) {
    const tab = el("table", { class: "small heads-from" });
    tab.append(el("tr", {}, el("th", { text: "head" }), el("th", { text: "attends most to (weight)" })));
    for (let l = 0; l < fw.L; l++)
      for (let h = 0; h < fw.H; h++) {
        const row = el("tr", { title: `show head ${l}.${h} on the text`, style: "cursor:pointer" },
          el("td", { text: `${l}.${h}` }), lookCell(fw, l, h, p));
        row.dataset.layer = l;
        row.dataset.head = h;
        row.addEventListener("click", () => this.onSelectHead(l, h));
        if (sel && sel[0] === l && sel[1] === h) row.style.fontWeight = "600";
        tab.append(row);
      }
    return tab;
  }

  showAttribution(fw, a) {
    const box = this.panel.querySelector(".attribution");
    if (!box) return;
    const virt = a.virtual_heads.slice(0, 8).map((x) => ({ label: `${x.from} → ${x.to}`, v: x.value, kind: "virtual" }));
    const title = el("h4", {}, `Logit of ${a.target} `, tokenCode(a.token.piece),
      `: ${a.logit.toFixed(2)} (p = ${a.probability.toFixed(3)}), term by term`);
    const foot = el("div", { class: "hint" },
      `Terms sum to ${a.sum.toFixed(3)}` +
      (a.embedding_terms ? "; a later head's bar = its own term from the embedding (light part noted) plus its virtual heads. " : ". ") +
      (virt.length ? `Virtual heads: pattern-frozen paths through two heads, top ${virt.length} of ${a.n_virtual_heads} by size. ` : "") +
      (a.note || ""));
    box.replaceChildren(title, barChart(attributionRows(fw, a), virt), foot);
  }

  showAttributionError(message) {
    const box = this.panel.querySelector(".attribution");
    if (box) box.replaceChildren(hint(message));
  }
}
