// The viewer's page as node sees it, without a browser: every module in src/viewer/web loads and
// links (a misspelt import fails here), every module is reached from index.html's entry, and
// every export is imported somewhere (no dead code).
// usage: node --experimental-default-type=module check_web_modules.mjs src/viewer/web
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dir = resolve(process.argv[2] || ".");
const modules = readdirSync(dir).filter((f) => f.endsWith(".js")).sort();
const problems = [];

// {module: [names imported from it]} for the imports in `source`.
function importsOf(source) {
  const out = {};
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"\.\/([\w.]+\.js)"/g))
    out[m[2]] = (out[m[2]] || []).concat(m[1].split(",").map((s) => s.trim()).filter(Boolean));
  return out;
}

const sources = Object.fromEntries(modules.map((f) => [f, readFileSync(join(dir, f), "utf8")]));
const entry = importsOf(readFileSync(join(dir, "index.html"), "utf8"));
if (!Object.keys(entry).length) problems.push("index.html imports no module");

const reached = new Set();
const pending = Object.keys(entry);
while (pending.length) {
  const f = pending.pop();
  if (reached.has(f)) continue;
  if (!(f in sources)) {
    problems.push(`${f} is imported but does not exist`);
    continue;
  }
  reached.add(f);
  pending.push(...Object.keys(importsOf(sources[f])));
}
for (const f of modules) if (!reached.has(f)) problems.push(`${f} is not reached from index.html`);

const used = {};
for (const imports of [entry, ...modules.map((f) => importsOf(sources[f]))])
  for (const [f, names] of Object.entries(imports)) used[f] = new Set([...(used[f] || []), ...names]);
for (const f of modules)
  for (const m of sources[f].matchAll(/^export\s+(?:async\s+)?(?:function|class|const|let)\s+(\w+)/gm))
    if (!used[f] || !used[f].has(m[1])) problems.push(`${f} exports ${m[1]}, which nothing imports`);

for (const f of modules) {
  try {
    await import(pathToFileURL(join(dir, f)).href);
  } catch (e) {
    problems.push(`${f}: ${e.message}`);
  }
}

for (const p of problems) console.error(p);
console.log(`${modules.length} modules, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
