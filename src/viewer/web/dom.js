// Small helpers for building the page: elements, SVG, numbers and tokens as text.

const SVG = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

export function svg(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

// An SVG text element holding `content`.
export function svgText(parent, attrs, content) {
  const t = svg("text", attrs, parent);
  t.textContent = content;
  return t;
}

export function fmt(x, digits = 2) {
  if (x == null || !Number.isFinite(x)) return "–";
  return x.toFixed(digits);
}

export function fmtCount(n) {
  if (n == null) return "?";
  if (n >= 1e9) return (n / 1e9).toFixed(n >= 1e10 ? 0 : 1) + " G";
  if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + " M";
  if (n >= 1e3) return (n / 1e3).toFixed(n >= 1e4 ? 0 : 1) + " k";
  return String(n);
}

// A token as text a reader can see: spaces as ·.
export function showPiece(p) {
  return p.replace(/ /g, "·");
}

export function tokenCode(piece) {
  return el("code", { class: "tk", text: showPiece(piece) });
}

export function hint(text) {
  return el("p", { class: "hint", text });
}

export function debounce(f, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => f(...args), ms);
  };
}
