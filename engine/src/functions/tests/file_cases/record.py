#!/usr/bin/env python3
"""Record Salt's answers to the file.* cases of cases.yaml into salt.json.

    SALT_VENV/bin/python engine/src/functions/tests/file_cases/record.py SALT_VENV [CASE...]

For each case: a scratch directory /tmp/converge-file-cases/work/<case>
(`@DIR@` in the case) is filled as `setup` says, the case's `sls` (with its
`tree` of salt:// files) is the state tree of a `salt-call --local` minion
whose config, cache and logs are all under /tmp/converge-file-cases, and
the `runs` are made in order: `test` (state.apply test=True), `real`
(state.apply), or `{shell: CMD}` (run in the scratch directory). Each
run's states (in run order: id, function, result, changes, comment) and,
at the end, what the scratch directory holds are written to salt.json,
the scratch path put back as `@DIR@`. Salt runs for real only inside the
scratch directory. With CASE names, only those are re-recorded.
"""
import json
import os
import shutil
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCRATCH = "/tmp/converge-file-cases"


def setup(work, entries):
    for e in entries or []:
        path = os.path.join(work, e["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if "link" in e:
            os.symlink(e["link"].replace("@DIR@", work), path)
            continue
        if e.get("dir"):
            os.makedirs(path, exist_ok=True)
        else:
            with open(path, "w") as f:
                f.write(e.get("content", ""))
        os.chmod(path, int(str(e.get("mode", "0755" if e.get("dir") else "0644")), 8))


def listing(work):
    """What the scratch directory holds, sorted, as the Rust test lists it."""
    out = []
    for root, dirs, files in os.walk(work):
        for name in sorted(dirs + files):
            path = os.path.join(root, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, work)
            entry = {"path": rel}
            if os.path.islink(path):
                entry["link"] = os.readlink(path).replace(work, "@DIR@")
            elif os.path.isdir(path):
                entry["dir"] = True
            else:
                with open(path, "rb") as f:
                    entry["content"] = f.read().decode("utf-8", "replace")
            if not os.path.islink(path):
                entry["mode"] = "%04o" % (st.st_mode & 0o7777)
            out.append(entry)
    return sorted(out, key=lambda e: e["path"])


def record(venv, name, case):
    work = os.path.join(SCRATCH, "work", name)
    tree = os.path.join(SCRATCH, "tree", name)
    conf = os.path.join(SCRATCH, "conf", name)
    for d in (work, tree, conf):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    setup(work, case.get("setup"))
    with open(os.path.join(tree, "case.sls"), "w") as f:
        f.write(case["sls"].replace("@DIR@", work))
    for rel, text in (case.get("tree") or {}).items():
        path = os.path.join(tree, rel)
        if text is None:
            os.makedirs(path, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    # A minion of its own per case: Salt caches the state tree's file list.
    base = os.path.join(SCRATCH, "minion", name)
    shutil.rmtree(base, ignore_errors=True)
    with open(os.path.join(conf, "minion"), "w") as f:
        yaml.safe_dump(
            {
                "id": "local",
                "file_client": "local",
                "root_dir": os.path.join(base, "root"),
                "cachedir": os.path.join(base, "cache"),
                "pki_dir": os.path.join(base, "pki"),
                "sock_dir": os.path.join(base, "sock"),
                "log_file": os.path.join(base, "minion.log"),
                "file_roots": {"base": [tree]},
                "pillar_roots": {"base": [os.path.join(base, "pillar")]},
            },
            f,
        )
    runs = []
    for run in case["runs"]:
        if isinstance(run, dict):
            subprocess.run(run["shell"].replace("@DIR@", work), shell=True, cwd=work, check=True)
            runs.append(None)
            continue
        cmd = [os.path.join(venv, "bin", "salt-call"), "--local", "-c", conf,
               "--out", "json", "state.apply", "case"]
        if run == "test":
            cmd.append("test=True")
        if case.get("pillar"):
            cmd.append("pillar=" + json.dumps(case["pillar"]))
        out = subprocess.run(cmd, capture_output=True, text=True)
        ret = json.loads(out.stdout)["local"]
        if isinstance(ret, list):
            sys.exit(f"{name}: Salt did not run the states: {ret}")
        states = sorted(ret.values(), key=lambda s: s["__run_num__"])
        runs.append([
            {
                "id": s["__id__"],
                "result": s["result"],
                "changes": s["changes"],
                "comment": s["comment"],
            }
            for s in states
        ])
    text = json.dumps({"runs": runs, "after": listing(work)})
    return json.loads(text.replace(work, "@DIR@"))


def main():
    venv, names = sys.argv[1], sys.argv[2:]
    with open(os.path.join(HERE, "cases.yaml")) as f:
        cases = yaml.safe_load(f)
    out_path = os.path.join(HERE, "salt.json")
    recorded = {}
    if names and os.path.exists(out_path):
        with open(out_path) as f:
            recorded = json.load(f)["cases"]
    version = subprocess.run(
        [os.path.join(venv, "bin", "salt-call"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    for name, case in cases.items():
        if names and name not in names:
            continue
        recorded[name] = record(venv, name, case)
    recorded = {k: recorded[k] for k in cases if k in recorded}
    with open(out_path, "w") as f:
        json.dump({"salt": version, "cases": recorded}, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
