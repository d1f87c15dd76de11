#!/usr/bin/env python3
"""Writes difflib.json: pairs of texts and Python's difflib.unified_diff of
their lines, for diff.rs to match. Run with the Python Salt runs on:
    /work/salt-venv/bin/python engine/src/functions/tests/file_cases/record_difflib.py
Seeded: the same file each time for the same Python."""
import difflib, json, os, random, sys

rnd = random.Random(9)
cases = []
for n in range(60):
    long = n % 4 == 0
    size = rnd.randint(200, 240) if long else rnd.randint(0, 30)
    alphabet = [f"line {i}\n" for i in range(rnd.randint(2, 40 if long else 8))]
    a = [rnd.choice(alphabet) for _ in range(size)]
    b = list(a)
    for _ in range(rnd.randint(0, 12)):
        op = rnd.random()
        at = rnd.randint(0, len(b))
        if op < 0.4:
            b.insert(at, rnd.choice(alphabet + ["new\n", "other\n"]))
        elif op < 0.7 and b:
            del b[min(at, len(b) - 1)]
        elif b:
            b[min(at, len(b) - 1)] = rnd.choice(alphabet + ["changed\n"])
    if rnd.random() < 0.2 and b:
        b[-1] = b[-1].rstrip("\n")
    a, b = "".join(a), "".join(b)
    diff = "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True)))
    cases.append({"a": a, "b": b, "diff": diff})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "difflib.json")
with open(out, "w") as f:
    json.dump({"python": sys.version.split()[0], "cases": cases}, f, indent=0)
    f.write("\n")
