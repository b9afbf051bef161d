// What the page fetches from the server's JSON API (docs/viewer.md) and what it holds: the runs,
// the probes and the names of head kinds for the whole page, and per column its run's snapshots,
// the current forward pass and the answers worth keeping. Nothing is fetched from anywhere else,
// so the page works offline.

export const page = {
  runs: [],
  probes: [],
  kinds: null, // GET /api/head_kinds: kind names, their thresholds and the scores behind them
  columns: [],
  text: "",
  head: null, // [layer, head] chosen by the user or the URL
};

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

// What the whole page shares; throws when the server cannot be reached.
export async function loadPage() {
  const [runs, probes, kinds] = await Promise.all([api("/api/runs"), api("/api/probes"), api("/api/head_kinds")]);
  page.runs = runs.runs;
  page.probes = probes.probes;
  page.kinds = kinds;
}

// A head kind as the server describes it: its short label and the rule that names it.
export function kindInfo(name) {
  return page.kinds.kinds.find((k) => k.name === name) || { name, label: name, rule: "" };
}

function decodeBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// One forward pass, as the API returned it.
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
  // Position i's token as the page names it.
  piece(i) {
    return i === 0 ? "⟨bos⟩" : this.tokens[i].piece;
  }
}

// One run as a column shows it: its snapshots, the one chosen, the text through it, and what
// the server computed for it (head kinds, head panels, logit splits, curves over training).
export class RunState {
  constructor(run, snapshotWanted) {
    this.run = run;
    this.snapshotWanted = snapshotWanted || "last";
    this.snapshots = [];
    this.index = 0;
    this.fw = null;
    this.seq = 0;
    this.heads = null; // summary: kinds per head
    this.headCache = new Map();
    this.attrCache = new Map();
    this.curves = { icl: null, hot: null };
  }

  step() {
    return this.snapshots.length ? this.snapshots[this.index].step : null;
  }

  // The snapshot as a link names it: its step once the snapshots are known.
  wanted() {
    return this.snapshots.length ? String(this.step()) : this.snapshotWanted;
  }

  // Fetches the run's snapshots and picks the wanted one; returns a note when it does not exist.
  async loadSnapshots() {
    this.snapshots = (await api(`/api/run/${this.run.id}/snapshots`)).snapshots;
    if (!this.snapshots.length) throw new Error("this run has no snapshots yet");
    const want = this.snapshotWanted;
    this.index = this.snapshots.length - 1;
    if (want === "last") return "";
    const k = this.snapshots.findIndex((s) => String(s.step) === String(want));
    if (k < 0) return `no snapshot at step ${want}; showing the last one`;
    this.index = k;
    return "";
  }

  // The text through the current snapshot; null when a later call has overtaken this one.
  async forward(text) {
    const seq = ++this.seq;
    let data;
    try {
      data = await api("/api/forward", { run: this.run.id, snapshot: this.step(), text, patterns: "u8", top_k: 5 });
    } catch (e) {
      if (seq !== this.seq) return null;
      this.fw = null;
      throw e;
    }
    if (seq !== this.seq) return null;
    this.fw = new Forward(data);
    this.attrCache = new Map();
    return this.fw;
  }

  // The split of the next token's logit at position p of the current pass, kept per position.
  async attribution(p, text) {
    const fw = this.fw;
    const data = await api("/api/forward", {
      run: this.run.id, snapshot: this.step(), text, patterns: "none", top_k: 0, positions: [p],
    });
    if (fw === this.fw) this.attrCache.set(p, data.attribution[0]);
    return data.attribution[0];
  }

  // Every head's kinds at `step`; false when the slider has moved on meanwhile.
  async loadHeads(step) {
    const h = await api(`/api/heads?run=${this.run.id}&snapshot=${step}`);
    if (step !== this.step()) return false;
    this.heads = h;
    return true;
  }

  // The head summary of the current snapshot, or null while it is not in.
  currentHeads() {
    return this.heads && this.heads.snapshot === this.step() ? this.heads : null;
  }

  hasHead(step, l, h) {
    return this.headCache.has(`${step}/${l}.${h}`);
  }

  // Head (l, h)'s panel at `step`, computed once per snapshot by the server.
  async head(step, l, h) {
    const key = `${step}/${l}.${h}`;
    if (!this.headCache.has(key))
      this.headCache.set(key, await api(`/api/head?run=${this.run.id}&snapshot=${step}&layer=${l}&head=${h}`));
    return this.headCache.get(key);
  }

  // Each curve is handed on as it arrives: head scores over training may take the server seconds.
  loadCurves(arrived) {
    api(`/api/icl?run=${this.run.id}`)
      .catch((e) => ({ icl: null, note: e.message }))
      .then((icl) => {
        this.curves.icl = icl;
        arrived();
      });
    api(`/api/heads_over_training?run=${this.run.id}`)
      .catch((e) => ({ data: null, note: e.message }))
      .then((hot) => {
        this.curves.hot = hot;
        arrived();
      });
  }

  // Training tokens of snapshot k: from the snapshot list, or else from the ICL curve.
  tokensAt(k) {
    const s = this.snapshots[k];
    if (!s) return null;
    if (s.tokens != null) return s.tokens;
    const icl = this.curves.icl && this.curves.icl.icl;
    if (icl) {
      const m = icl.steps.indexOf(s.step);
      if (m >= 0) return icl.tokens[m];
    }
    return null;
  }

  // The snapshot nearest to `tokens` training tokens, on a log scale.
  nearest(tokens) {
    let best = this.index;
    let bestD = Infinity;
    this.snapshots.forEach((_, k) => {
      const tok = this.tokensAt(k);
      if (tok == null) return;
      const d = Math.abs(Math.log(Math.max(tok, 1)) - Math.log(Math.max(tokens, 1)));
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    return best;
  }
}
