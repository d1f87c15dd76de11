#!/usr/bin/env python3
"""Each file.* state Salt recorded for the five public formulas
(tests/formulas/recorded/<tree>/), run alone by converge in test mode on
this machine, compared with Salt's recorded result and changes. This
measures the file functions while the formulas themselves do not render
yet (the harness stops at their Jinja); states Salt reported as failed
requisites are left out (alone, they would run).

    engine/src/functions/tests/file_cases/formula_states.py REPO FORMULAS SALT_VENV

REPO: the checkout (its target/debug/converge is run: build it first);
FORMULAS: the formulas' directory (/work/shared/formulas); SALT_VENV: for
the users formula's pillar, rendered by Salt (converge's pillar renderer
is not the point here). Scratch files go to /tmp/converge-formula-states.
"""
import json, os, shutil, subprocess, sys

REPO, FORM, VENV = sys.argv[1:4]
DIRS = {"postgres": "postgres-formula", "users": "users-formula", "openssh": "openssh-formula",
        "nginx": "nginx-formula", "template": "template-formula"}
PILLAR = {"users": "pillar.example"}
REQ = {"require", "watch", "onchanges", "onfail", "prereq", "listen", "use"}
BASE = "/tmp/converge-formula-states"
CONV = os.path.join(REPO, "target/debug/converge")


def salt_pillar(tree, d, f):
    """The pillar Salt renders from the formula's pillar file."""
    s = os.path.join(BASE, "salt-" + tree)
    shutil.rmtree(s, ignore_errors=True)
    os.makedirs(os.path.join(s, "pillar"))
    shutil.copy(os.path.join(FORM, d, f), os.path.join(s, "pillar", "p1.sls"))
    with open(os.path.join(s, "pillar", "top.sls"), "w") as fh:
        fh.write("base:\n  '*': [p1]\n")
    with open(os.path.join(s, "minion"), "w") as fh:
        json.dump({"id": "local", "file_client": "local", "root_dir": s, "cachedir": s + "/cache",
                   "pki_dir": s + "/pki", "sock_dir": s + "/sock", "log_file": s + "/log",
                   "file_roots": {"base": [os.path.join(FORM, d)]},
                   "pillar_roots": {"base": [os.path.join(s, "pillar")]}}, fh)
    out = subprocess.run([os.path.join(VENV, "bin/salt-call"), "--local", "-c", s, "--out", "json",
                          "pillar.items"], capture_output=True, text=True)
    return json.loads(out.stdout)["local"]


total, details = {}, []
for tree, d in DIRS.items():
    rec = os.path.join(REPO, "tests/formulas/recorded", tree)
    lows = json.load(open(os.path.join(rec, "show_low_sls.json")))
    lows = lows["local"] if isinstance(lows, dict) else lows
    test = json.load(open(os.path.join(rec, "test.json")))
    test = test.get("local", test)
    pillar = salt_pillar(tree, d, PILLAR[tree]) if tree in PILLAR else None
    seen, skipped = set(), 0
    for low in lows:
        key = f"file_|-{low['__id__']}_|-{low['name']}_|-{low['fun']}"
        if low["state"] != "file" or key in seen or key not in test:
            continue
        seen.add(key)
        salt = test[key]
        if salt["comment"].startswith("One or more requisite failed"):
            skipped += 1
            continue
        args = [{k: v} for k, v in low.items()
                if not (k.startswith("__") or k in ("state", "fun", "order") or k in REQ or k.endswith("_in"))]
        work = os.path.join(BASE, tree)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(os.path.join(work, "gen"))
        os.makedirs(os.path.join(work, "pillar"))
        with open(os.path.join(work, "gen", "one.sls"), "w") as fh:
            fh.write("{% raw %}\n" + json.dumps({low["__id__"]: {f"file.{low['fun']}": args}}) + "\n{% endraw %}\n")
        with open(os.path.join(work, "converge.yaml"), "w") as fh:
            json.dump({"file_roots": {"base": [os.path.join(FORM, d), os.path.join(work, "gen")]},
                       "pillar_roots": {"base": [os.path.join(work, "pillar")]}}, fh)
        with open(os.path.join(work, "roster.yaml"), "w") as fh:
            fh.write("local:\n  host: localhost\n  connection: local\n")
        cmd = [CONV, "--config", os.path.join(work, "converge.yaml"), "--roster",
               os.path.join(work, "roster.yaml"), "--out", "json"]
        if pillar is not None:
            cmd += ["--pillar", json.dumps(pillar)]
        out = subprocess.run(cmd + ["sls", "local", "one", "--test"], capture_output=True, text=True)
        try:
            res = list(json.loads(out.stdout)["local"].values())[0]
        except (ValueError, KeyError, IndexError):
            res = {"result": "did not run", "changes": {}, "comment": (out.stdout + out.stderr).strip()[:300]}
        same = res["result"] == salt["result"] and res["changes"] == salt["changes"]
        t = total.setdefault(tree, [0, 0, 0])
        t[0] += 1
        t[1] += same
        t[2] = skipped
        if not same:
            details.append((tree, key, salt, res))
for tree, (n, same, skipped) in total.items():
    print(f"{tree:10} {same}/{n} file states give Salt's test result and changes ({skipped} left out: failed requisites)")
for tree, key, salt, res in details:
    print(f"\n== {tree} {key}")
    for who, r in (("salt", salt), ("converge", res)):
        print(f"  {who:9} {json.dumps({k: r[k] for k in ('result', 'changes', 'comment')})[:400]}")
