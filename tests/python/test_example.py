"""examples/activation_patching.py on the shipped 2-layer demo model."""
import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_activation_patching_example_restores_the_second_copy():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "activation_patching.py"),
                        os.path.join(ROOT, "models", "demo", "2l")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    clean, corrupt = map(float, re.search(r"clean ([\d.]+) nats, first copy corrupted ([\d.]+) nats", r.stdout).groups())
    assert corrupt > clean + 1, r.stdout  # the second copy is predictable only from the first
    rows = re.findall(r"head (\d+)\.(\d+) +([\d.]+) +(-?[\d.]+)%", r.stdout)
    assert rows, r.stdout
    together = float(re.search(r"all \d+ together +[\d.]+ +(-?[\d.]+)%", r.stdout).group(1))
    assert together > 50, r.stdout
