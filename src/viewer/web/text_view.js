// The text, each token coloured by its loss; from a hovered token, coloured instead by the
// selected head's attention to every earlier token, with an underline under the tokens that
// attend to it.
import { BLUES, REDS, inkOn, lutColour } from "./colours.js";
import { el, showPiece } from "./dom.js";

function tokenAt(ev) {
  const s = ev.target.closest(".tok");
  return s ? Number(s.dataset.pos) : null;
}

// Position i's token as text; a character split over several byte tokens shows on the last one.
function tokenSpan(fw, i) {
  const t = fw.tokens[i];
  const s = el("span", { class: "tok" });
  s.dataset.pos = i;
  if (i === 0) {
    s.classList.add("bos");
    s.textContent = "⟨bos⟩";
  } else if (t.text === "") {
    s.classList.add("cont");
  } else if (t.text.includes("\n")) {
    t.text.split("\n").forEach((p, k) => {
      if (k) s.append(el("span", { class: "nl", text: "↵" }), "\n");
      if (p) s.append(p);
    });
  } else {
    s.textContent = t.text;
  }
  const loss = fw.loss[i];
  s.title = `#${i} ${showPiece(t.piece)} (id ${t.id})` + (loss == null ? "" : ` · loss ${loss.toFixed(2)} nats`);
  return s;
}

// Span s (position j) seen from the hovered position: head sel's attention from pos to j, and
// from j to pos.
function showAttention(s, fw, sel, pos, j) {
  if (j <= pos) {
    const a = fw.att(sel[0], sel[1], pos, j);
    s.dataset.attn = a.toFixed(4);
    s.style.background = lutColour(BLUES, a);
    s.style.color = inkOn(a);
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

export class TextView {
  // on: hover(pos) when the pointer enters a token, leave(), click(pos), key(event).
  constructor(panel, lossMax, on) {
    this.panel = panel;
    this.lossMax = lossMax;
    this.spans = [];
    panel.addEventListener("mouseover", (ev) => {
      const p = tokenAt(ev);
      if (p != null) on.hover(p);
    });
    panel.addEventListener("mouseleave", () => on.leave());
    panel.addEventListener("click", (ev) => {
      const p = tokenAt(ev);
      if (p != null) on.click(p);
    });
    panel.addEventListener("keydown", (ev) => on.key(ev));
  }

  clear() {
    this.panel.replaceChildren();
    this.spans = [];
  }

  render(fw) {
    const frag = document.createDocumentFragment();
    this.spans = [];
    for (let i = 0; i < fw.T; i++) {
      const s = tokenSpan(fw, i);
      frag.append(s);
      this.spans.push(s);
    }
    this.panel.replaceChildren(frag);
  }

  showLoss(fw) {
    for (let i = 0; i < fw.T; i++) {
      const s = this.spans[i];
      const loss = fw.loss[i];
      const v = loss == null ? 0 : Math.min(1, loss / this.lossMax);
      s.style.background = loss == null ? "" : lutColour(REDS, v);
      s.style.color = loss == null ? "" : inkOn(v);
      s.style.borderBottomColor = "transparent";
      s.classList.remove("future", "hovered", "pinned");
      delete s.dataset.attn;
      delete s.dataset.attnTo;
    }
  }

  // The loss colours with nothing hovered; otherwise head sel's attention from pos (a model
  // without heads, sel null, keeps its loss colours).
  show(fw, sel, pos, pinned) {
    if (pos == null) {
      this.showLoss(fw);
      return;
    }
    for (let j = 0; j < fw.T; j++) {
      const s = this.spans[j];
      s.classList.toggle("hovered", j === pos);
      s.classList.toggle("pinned", j === pinned);
      if (sel) showAttention(s, fw, sel, pos, j);
    }
  }

  scrollTo(p) {
    this.spans[p].scrollIntoView({ block: "nearest" });
  }
}
