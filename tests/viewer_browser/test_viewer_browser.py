#!/usr/bin/python3
"""The viewer's page in a real browser: headless Chromium driven by Selenium against
`circuitscope serve` on tiny runs trained here. It types a text, checks that every thumbnail
drew a pattern, hovers a token and compares the highlighted attention with the API's pattern,
checks the head panel's thresholds and the thumbnails' kinds against /api/head_kinds, moves the
snapshot slider, opens runs side by side from a link, and times a 1,000-token text through 16
heads. Screenshots go to $CS_VIEWER_SCREENSHOTS (default: ./viewer-screenshots).

usage: test_viewer_browser.py PATH/TO/circuitscope
Exit code 77 (skipped) when Chromium, chromedriver or Selenium is not installed.
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SKIP = 77
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1500,1500", "--hide-scrollbars"]

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    print("skipped: python3-selenium is not installed")
    sys.exit(SKIP)


def corpus(path, n_docs=300, repeats=2):
    """Words that often come back within a document, so that a few hundred steps learn something."""
    rng = random.Random(3)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrst") for _ in range(rng.randint(2, 6))) for _ in range(60)]
    docs = []
    for _ in range(n_docs):
        doc = []
        for _ in range(repeats):
            words = [rng.choice(vocab) for _ in range(rng.randint(4, 9))]
            doc += words + words + words[: rng.randint(1, len(words))]
        docs.append(" ".join(doc))
    with open(path, "w") as f:
        f.write("\n\f\n".join(docs))


def train(binary, corpus_path, out, *args):
    cmd = [binary, "train", "--corpus", corpus_path, "--bytes", "--out", out, "--eval-count", "16",
           "--eval-fraction", "0.25", "--threads", "2", *args]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout}")


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=60) as r:
        return json.loads(r.read())


def post(base, body):
    req = urllib.request.Request(base + "api/forward", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


class Page:
    def __init__(self, driver, shots):
        self.d = driver
        self.shots = shots

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def wait(self, cond, what, timeout=30):
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.05).until(lambda d: cond())
        except Exception:
            self.shot("failure")
            raise AssertionError(f"timed out waiting for {what}")

    def columns_ready(self, n):
        return self.js("""
            const cs = [...document.querySelectorAll('.column')];
            return cs.length === arguments[0] && cs.every(c => c.dataset.state === 'ready');""", n)

    def shot(self, name):
        path = os.path.join(self.shots, f"{name}.png")
        self.d.save_screenshot(path)
        print("screenshot", path)
        return path

    def full_shot(self, name):
        """The whole page, not just the window (resized until the page's height settles)."""
        height = 0
        for _ in range(5):
            h = int(self.js("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"))
            if h == height:
                break
            height = h
            frame = int(self.js("return window.outerHeight - window.innerHeight"))  # the window's own bars
            self.d.set_window_size(1500, min(h + frame, 5000))
            time.sleep(0.2)
        path = self.shot(name)
        self.d.set_window_size(1500, 1500)
        return path


def thumbnail_ink(page, column=0):
    """Per thumbnail, how many pixels are attention (blue) rather than white or the masked grey."""
    return page.js("""
        const col = document.querySelectorAll('.column')[arguments[0]];
        return [...col.querySelectorAll('.grid canvas:not(.overlay)')].map(c => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let ink = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i + 2] - d[i] > 25) ink++;
          return [Number(c.dataset.layer), Number(c.dataset.head), ink, c.width];
        });""", column)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not (os.path.exists(driver_path) and os.path.exists(chromium)):
        print("skipped: chromium and chromium-driver are not installed")
        return SKIP
    shots = os.path.abspath(os.environ.get("CS_VIEWER_SCREENSHOTS", "viewer-screenshots"))
    os.makedirs(shots, exist_ok=True)
    slack = float(os.environ.get("CS_VIEWER_PERF_SLACK", "1"))
    work = tempfile.mkdtemp(prefix="cs-viewer-browser-")
    server = None
    driver = None
    try:
        corpus_path = os.path.join(work, "corpus.txt")
        corpus(corpus_path)
        long_corpus = os.path.join(work, "long.txt")  # documents longer than a 1,024-token context
        corpus(long_corpus, n_docs=80, repeats=40)
        two, one, wide = (os.path.join(work, n) for n in ("two-layers", "one-layer", "wide"))
        common = ["--n-heads", "4", "--d-model", "32", "--d-head", "8", "--n-ctx", "96", "--batch", "8",
                  "--steps", "300", "--snapshots", "8", "--lr", "3e-3", "--warmup", "20"]
        train(binary, corpus_path, two, "--n-layers", "2", *common)
        train(binary, corpus_path, one, "--n-layers", "1", *common)
        # 16 heads and a context of 1,024 for the timing; two steps: only the shapes matter.
        train(binary, long_corpus, wide, "--n-layers", "2", "--n-heads", "8", "--d-model", "64", "--d-head", "8",
              "--n-ctx", "1024", "--batch", "1", "--steps", "2", "--snapshots", "2")

        server = subprocess.Popen([binary, "serve", two, one, wide, "--port", "0", "--threads", "2"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        first = server.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", first)
        assert m, f"serve printed no address: {first!r}"
        base = m.group(1)

        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            opts.add_argument(flag)
        opts.add_argument(f"--user-data-dir={os.path.join(work, 'chromium-profile')}")
        driver = webdriver.Chrome(service=Service(driver_path), options=opts)
        driver.set_window_size(1500, 1500)
        page = Page(driver, shots)

        # ---- type a text --------------------------------------------------------------------
        driver.get(base + "?run=0")
        page.wait(lambda: page.columns_ready(1), "the first column")
        text = "fox jumps over dog. fox jumps over dog. fox jumps"
        box = driver.find_element(By.ID, "text")
        box.clear()
        box.send_keys(text)
        page.wait(lambda: page.columns_ready(1) and
                  page.js("return [...document.querySelectorAll('.column .tok')].slice(1).map(s => s.textContent).join('')") == text,
                  "the typed text's tokens")
        spans = driver.find_elements(By.CSS_SELECTOR, ".column .tok")
        assert spans[5].get_attribute("textContent") == text[4], spans[5].get_attribute("textContent")
        losses = page.js("return [...document.querySelectorAll('.column .tok')].map(s => s.style.background)")
        assert len(set(losses[1:])) > 5, "loss colours should vary over the text"

        # ---- every thumbnail drew something ---------------------------------------------------
        ink = thumbnail_ink(page)
        assert len(ink) == 2 * 4, ink
        for layer, head, n, width in ink:
            assert n > 0, f"thumbnail {layer}.{head} is empty"
        print("thumbnail ink (layer, head, blue pixels, size):", ink)

        # ---- hover: the highlighted attention is the API's pattern ----------------------------
        sel = page.js("const t = document.querySelector('.thumb.selected'); return [Number(t.dataset.layer), Number(t.dataset.head)]")
        step = int(page.js("return document.querySelector('.column').dataset.step"))
        api = post(base, {"run": 0, "snapshot": step, "text": text, "top_k": 0})
        pattern = api["patterns"][sel[0]][sel[1]]
        p = 45  # the 'j' of the third "jumps"
        ActionChains(driver).move_to_element(spans[p]).perform()
        page.wait(lambda: spans[p].get_attribute("class").find("hovered") >= 0, "the hovered token")
        shown = page.js("return [...document.querySelectorAll('.column .tok')].map(s => [s.dataset.attn ?? null, s.dataset.attnTo ?? null])")
        worst = 0.0
        for j in range(len(text) + 1):
            a, to = shown[j]
            if j <= p:
                assert a is not None, f"token {j} has no attention shown"
                worst = max(worst, abs(float(a) - pattern[p][j]))
            else:
                assert a is None, f"future token {j} shows attention"
            if j >= p:
                worst = max(worst, abs(float(to) - pattern[j][p]))
        assert worst <= 0.5 / 255 + 1e-3, f"highlighted attention differs from the API by {worst}"
        print(f"hover at {p}: highlighted attention of head {sel[0]}.{sel[1]} matches the API within {worst:.4f}")
        # Where each head looks from here, and the logit split.
        page.wait(lambda: page.js("const a = document.querySelector('.attribution'); return a && a.textContent.includes('Terms sum to')"),
                  "the logit attribution")
        rows = page.js("return document.querySelectorAll('.heads-from tr').length")
        assert rows == 1 + 8, rows
        page.full_shot("1-hover-two-layers")

        # ---- pin, select a head, head panel ----------------------------------------------------
        spans[p].click()
        thumbs = driver.find_elements(By.CSS_SELECTOR, ".thumb")
        thumbs[5].click()  # head 1.1
        page.wait(lambda: page.js("const h = document.querySelector('.head-panel h3'); return h && h.textContent.startsWith('Head 1.1 at step')"),
                  "the head panel", timeout=60)
        assert "head=1.1" in driver.current_url and "pos=45" in driver.current_url, driver.current_url
        eig = page.js("return document.querySelectorAll('.head-panel svg.eig circle').length")
        assert eig >= 2 * 8, f"eigenvalue plots show {eig} points"
        # Score names, thresholds and kind labels are the server's.
        kinds = get(base, "api/head_kinds")
        shown = page.js("return [...document.querySelector('.head-panel table.small').rows].slice(1).map(r => [r.cells[0].textContent, r.cells[2].textContent])")
        assert shown == [[s["label"], "" if s["threshold"] is None else f"{s['threshold']:.2f}"] for s in kinds["scores"]], shown
        options = page.js("return [...document.querySelector('.hot-score').options].map(o => [o.value, o.textContent])")
        assert options == [[s["key"], s["label"]] for s in kinds["scores"] if s["over_training"]], options
        label = {k["name"]: k["label"] for k in kinds["kinds"]}
        want = {f"{h['layer']}.{h['head']}": " ".join(label[k] for k in h["kinds"])
                for h in get(base, f"api/heads?run=0&snapshot={step}")["heads"]}
        page.wait(lambda: page.js("return Object.fromEntries([...document.querySelectorAll('.column .thumb')].map(t => [t.dataset.layer + '.' + t.dataset.head, t.querySelector('.kind').textContent]))") == want,
                  f"the thumbnails' kinds {want}")
        page.full_shot("2-head-panel")

        # ---- the slider changes the view -------------------------------------------------------
        before = (page.js("return document.querySelector('.column').dataset.step"), thumbnail_ink(page),
                  page.js("return [...document.querySelectorAll('.column .tok')].map(s => s.title).join('|')"))
        page.js("const s = document.querySelector('.slider'); s.value = '1'; s.dispatchEvent(new Event('input'));")
        page.wait(lambda: page.js("return document.querySelector('.column').dataset.step") != before[0] and page.columns_ready(1),
                  "the slider's snapshot")
        after = (page.js("return document.querySelector('.column').dataset.step"), thumbnail_ink(page),
                 page.js("return [...document.querySelectorAll('.column .tok')].map(s => s.title).join('|')"))
        assert after[0] != before[0]
        assert after[1] != before[1] or after[2] != before[2], "the page did not change with the snapshot"
        assert f"snapshot={after[0]}" in driver.current_url, driver.current_url
        label = page.js("return document.querySelector('.step-label').textContent")
        assert label.startswith(f"step {after[0]}"), label
        page.full_shot("3-early-snapshot")

        # ---- a link reproduces a view: two runs side by side -----------------------------------
        link = base + "?" + urllib.parse.urlencode({"text": text, "run": "0,1", "snapshot": "last,last", "head": "0.2", "pos": "20"})
        driver.get(link)
        page.wait(lambda: page.columns_ready(2), "two columns")
        assert driver.find_element(By.ID, "text").get_attribute("value") == text
        for c in range(2):
            sel = page.js("const t = document.querySelectorAll('.column')[arguments[0]].querySelector('.thumb.selected'); return t && [t.dataset.layer, t.dataset.head]", c)
            assert sel == ["0", "2"], sel
            assert page.js("return document.querySelectorAll('.column')[arguments[0]].querySelector('.tok.pinned').dataset.pos", c) == "20"
        assert len(thumbnail_ink(page, 1)) == 4
        page.full_shot("4-side-by-side")

        # ---- a text longer than the context is refused with a message ---------------------------
        Select(driver.find_element(By.ID, "probe")).select_by_value("repeated_paragraph")
        page.wait(lambda: page.js("return [...document.querySelectorAll('.column')].every(c => c.dataset.state === 'error')"),
                  "the refusal")
        status = page.js("return document.querySelector('.column .status').textContent")
        assert "n_ctx" in status and "at most 95 tokens" in status, status
        page.shot("5-too-long")

        # ---- timing: 1,000 tokens through 16 heads ---------------------------------------------
        rng = random.Random(1)
        long_text = " ".join(rng.choice(["fox", "dog", "jumps", "over", "the", "lazy"]) for _ in range(400))[:1000]
        times = []
        for k in range(5):
            t0 = time.perf_counter()
            r = post(base, {"run": 2, "text": long_text[: 1000 - k], "patterns": "u8", "top_k": 5})
            times.append(time.perf_counter() - t0)
            assert len(r["tokens"]) == 1001 - k
        t0 = time.perf_counter()
        post(base, {"run": 2, "text": long_text, "patterns": "u8", "top_k": 5})
        cached = time.perf_counter() - t0
        times.sort()
        print(f"API, 1,000 tokens x 16 heads, patterns as bytes: median {times[2] * 1000:.0f} ms new text, "
              f"{cached * 1000:.0f} ms same text again")
        driver.get(base + "?" + urllib.parse.urlencode({"text": long_text, "run": "2"}))
        page.wait(lambda: page.columns_ready(1), "the 1,000-token column", timeout=60)
        renders = []
        for k in range(3):
            page.js("const s = document.querySelector('.slider'); s.value = String(arguments[0] % 2); s.dispatchEvent(new Event('input'));", k)
            time.sleep(0.3)
            page.wait(lambda: page.columns_ready(1), "the re-rendered column", timeout=60)
            renders.append(float(page.js("return document.querySelector('.column').dataset.thumbnailsMs")))
        ink = thumbnail_ink(page)
        assert len(ink) == 16 and all(n > 0 for _, _, n, _ in ink), ink
        fetch_ms = page.js("return document.querySelector('.column').dataset.fetchMs")
        print(f"browser: 16 thumbnails of 1,001 x 1,001 drawn {min(renders):.0f}-{max(renders):.0f} ms after the response "
              f"(request and download {fetch_ms} ms)")
        page.full_shot("6-thousand-tokens")
        assert times[2] < 0.3 * slack, f"forward took {times[2]:.3f} s (target 0.3 s)"
        assert max(renders) < 1000 * slack, f"thumbnails took {max(renders):.0f} ms (target 1 s)"
        print("viewer browser test passed")
        return 0
    finally:
        if driver:
            driver.quit()
        if server:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
