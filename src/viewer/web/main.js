// Start-up: what the whole page shares from the server, the view from the link, the header's
// controls (the text, the probes, the runs shown, the copy-link button), then one column per run.
import { Column } from "./column.js";
import { debounce, el } from "./dom.js";
import { loadPage, page } from "./state.js";
import { readUrl, syncUrl } from "./url.js";

function buildColumns(ids, snapshots) {
  const main = document.getElementById("columns");
  main.replaceChildren();
  page.columns = ids.map((id, k) => new Column(page.runs[id], snapshots[k]));
  for (const c of page.columns) main.append(c.el);
  return Promise.all(page.columns.map((c) => c.init()));
}

// A new text through every column, with nothing pinned.
function setText(text) {
  page.text = text;
  for (const c of page.columns) {
    c.pinned = null;
    c.update();
  }
}

function setUpText() {
  const text = document.getElementById("text");
  const probe = document.getElementById("probe");
  text.value = page.text;
  for (const p of page.probes) probe.append(el("option", { value: p.name, text: p.name.replace(/_/g, " "), title: p.description }));
  const match = page.probes.find((p) => p.text === page.text);
  if (match) probe.value = match.name;
  probe.addEventListener("change", () => {
    const p = page.probes.find((x) => x.name === probe.value);
    if (!p) return;
    text.value = p.text;
    setText(p.text);
  });
  text.addEventListener("input", debounce(() => {
    probe.value = page.probes.find((p) => p.text === text.value)?.name || "";
    setText(text.value);
  }, 350));
}

// One box per run; at least one stays ticked, and a run kept keeps its snapshot.
function setUpRunPicker(ids) {
  const picker = document.getElementById("run-picker");
  page.runs.forEach((r, i) => {
    const box = el("input", { type: "checkbox", value: String(i) });
    box.checked = ids.includes(i);
    box.addEventListener("change", () => {
      const chosen = [...picker.querySelectorAll("input")].filter((b) => b.checked).map((b) => Number(b.value));
      if (!chosen.length) {
        box.checked = true;
        return;
      }
      const keep = new Map(page.columns.map((c) => [c.state.run.id, c.state.wanted()]));
      buildColumns(chosen, chosen.map((id) => keep.get(id) || "last"));
    });
    picker.append(el("label", { title: r.path }, box, ` ${r.name}`));
  });
  if (page.runs.length < 2) picker.style.display = "none";
}

function setUpCopyLink(msg) {
  document.getElementById("copy-link").addEventListener("click", async () => {
    syncUrl();
    try {
      await navigator.clipboard.writeText(location.href);
      msg.textContent = "link copied";
    } catch (e) {
      msg.textContent = location.href;
    }
    setTimeout(() => { if (msg.textContent === "link copied") msg.textContent = ""; }, 2000);
  });
}

export async function start() {
  const msg = document.getElementById("message");
  try {
    await loadPage();
  } catch (e) {
    msg.textContent = `cannot reach the server: ${e.message}`;
    return;
  }
  const view = readUrl();
  page.text = view.text;
  page.head = view.head;
  if (view.message) msg.textContent = view.message;
  setUpText();
  setUpRunPicker(view.ids);
  setUpCopyLink(msg);
  await buildColumns(view.ids, view.snapshots);
  if (view.pos != null && Number.isInteger(view.pos))
    for (const c of page.columns) if (c.state.fw && view.pos < c.state.fw.T) c.pin(view.pos, view.pos);
  document.body.dataset.ready = "1";
}
