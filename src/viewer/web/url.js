// A view is its URL: ?text=…&run=0,1&snapshot=120,last&head=1.6&pos=12 — the text, the runs
// shown (indices or folder names), each run's snapshot, the selected head and the pinned position.
import { page } from "./state.js";

const DEFAULT_TEXT = "one two three four five. one two three four five.";

// Runs by index or folder name; -1 for one that does not exist.
function runIds(spec) {
  return spec.split(",").map((s) => {
    const n = Number(s);
    if (Number.isInteger(n) && n >= 0 && n < page.runs.length) return n;
    return page.runs.findIndex((r) => r.name === s);
  });
}

// The view the page was opened with: text, runs (ids), each run's snapshot, head, pos, and a
// message on what in the link was not understood.
export function readUrl() {
  const q = new URLSearchParams(location.search);
  const view = { text: q.has("text") ? q.get("text") : DEFAULT_TEXT, head: null, message: "" };
  const ids = runIds(q.get("run") || "0");
  if (ids.some((i) => i < 0)) view.message = `unknown run in the link: ${q.get("run")}`;
  view.ids = [...new Set(ids.filter((i) => i >= 0))];
  if (!view.ids.length) view.ids = [0];
  const snaps = (q.get("snapshot") || "").split(",");
  view.snapshots = view.ids.map((_, k) => snaps[k] || snaps[0] || "last");
  if (q.has("head")) {
    const m = /^(\d+)\.(\d+)$/.exec(q.get("head"));
    if (m) view.head = [Number(m[1]), Number(m[2])];
    else view.message = `head must look like 1.6, got ${q.get("head")}`;
  }
  view.pos = q.has("pos") ? Number(q.get("pos")) : null;
  return view;
}

// Writes the page's view into the address bar.
export function syncUrl() {
  const q = new URLSearchParams();
  q.set("text", page.text);
  q.set("run", page.columns.map((c) => c.state.run.id).join(","));
  q.set("snapshot", page.columns.map((c) => c.state.wanted()).join(","));
  if (page.head) q.set("head", `${page.head[0]}.${page.head[1]}`);
  const pinned = page.columns.find((c) => c.pinned != null);
  if (pinned) q.set("pos", String(pinned.pinned));
  history.replaceState(null, "", `?${q.toString()}`);
}
