#!/usr/bin/env python3
"""Check the ported examples' `*.test.yaml` suites by hand, until `charter test` exists.

For every test case: load the manifest (a path relative to the test file, or an inline
mapping), deep-merge `patch` onto it (maps merge, lists replace, null deletes a key), write the
result to a temporary JSON file, run

    charter check --policies <folder> [--now NOW] <file> --format json

and compare the manifest's decision and per-policy outcomes and messages with `expect`.

    python3 examples/ported/verify.py [--charter PATH] [-v] [FOLDER_OR_TEST_FILE ...]

With no arguments it checks every suite under examples/ported/. Exit code 0 when every case
matches, 1 otherwise.
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Loader(yaml.SafeLoader):
    """YAML 1.2-ish: timestamps stay strings (Charter parses them), as do yes/no/on/off."""


Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for k, v in Loader.yaml_implicit_resolvers.copy().items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Loader)


def merge(base, patch):
    """Deep merge: maps merge, lists and scalars replace, None deletes the key."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def run_case(charter, folder, test_file, case, verbose):
    name = case.get("name", "<unnamed>")
    manifest = case.get("manifest")
    if isinstance(manifest, str):
        manifest = load_yaml(os.path.join(os.path.dirname(test_file), manifest))
    elif manifest is None:
        manifest = {}
    if "patch" in case and case["patch"] is not None:
        manifest = merge(manifest, case["patch"])
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as tmp:
        json.dump(manifest, tmp, indent=2)
        path = tmp.name
    try:
        cmd = [charter, "check", "--policies", folder, "--format", "json", "--color", "never"]
        if case.get("now") is not None:
            cmd += ["--now", str(case["now"])]
        cmd.append(path)
        proc = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(path)
    problems = []
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return [f"no JSON output (exit {proc.returncode}): {proc.stderr.strip()[:400]}"], []
    if report.get("diagnostics"):
        problems.append("policy diagnostics: " + "; ".join(d["message"] for d in report["diagnostics"]))
    if not report.get("manifests"):
        return problems or ["no manifest in the report"], []
    m = report["manifests"][0]
    errors = [d["message"] for d in m.get("diagnostics", []) if d.get("level") == "error"]
    warnings = [d["message"] for d in m.get("diagnostics", []) if d.get("level") == "warning"]
    if errors:
        problems.append("manifest errors: " + "; ".join(errors))
    if warnings:
        problems.append("manifest warnings (a fixture typo?): " + "; ".join(warnings))
    results = {r["policy"]: r for r in m.get("results", [])}
    expect = case.get("expect") or {}
    if "decision" in expect and m.get("decision") != expect["decision"]:
        problems.append(f"decision: expected {expect['decision']}, got {m.get('decision')}")
    for pol, want in (expect.get("policies") or {}).items():
        got = results.get(pol)
        if got is None:
            problems.append(f"policy {pol}: not in the policy set")
        elif got["outcome"] != want:
            msg = got.get("message") or ""
            problems.append(f"policy {pol}: expected {want}, got {got['outcome']} ({msg})")
    for pol, sub in (expect.get("messages") or {}).items():
        got = results.get(pol)
        msg = (got or {}).get("message") or ""
        if sub not in msg:
            problems.append(f"message of {pol}: expected to contain {sub!r}, got {msg!r}")
    details = []
    if verbose:
        outcomes = ", ".join(f"{p}={r['outcome']}" for p, r in results.items())
        details.append(f"      {m.get('decision')}: {outcomes}")
        for r in results.values():
            if r.get("message"):
                details.append(f"        {r['policy']}: {r['message']}")
    return problems, details


def suites(args):
    targets = args or [HERE]
    for t in targets:
        if os.path.isfile(t):
            yield os.path.dirname(os.path.abspath(t)), os.path.abspath(t)
            continue
        for dirpath, _, files in sorted(os.walk(t)):
            for f in sorted(files):
                if f.endswith(".test.yaml"):
                    yield os.path.abspath(dirpath), os.path.join(os.path.abspath(dirpath), f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--charter", default=os.environ.get("CHARTER", os.path.join(ROOT, "target", "debug", "charter")))
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    total = failed = 0
    for folder, test_file in suites(a.paths):
        doc = load_yaml(test_file) or {}
        cases = doc.get("tests") or []
        print(f"{os.path.relpath(test_file, ROOT)}: {len(cases)} cases")
        for case in cases:
            total += 1
            problems, details = run_case(a.charter, folder, test_file, case, a.verbose)
            mark = "ok  " if not problems else "FAIL"
            if problems or a.verbose:
                print(f"  {mark} {case.get('name')}")
            for d in details:
                print(d)
            for p in problems:
                print(f"       - {p}")
            if problems:
                failed += 1
    print(f"{total} cases, {total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
