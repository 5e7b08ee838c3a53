#!/usr/bin/env python3
"""Realistic change manifests for benches/compare.sh (fixed seed, Python standard library only).

    python3 benches/gen_manifests.py --n 10000 --seed 42 --out DIR [--summaries A/summary.yaml ...]

Writes under DIR:
  yaml/<id>.yaml      one manifest per file (block-style YAML, as a CI job would write it)
  json/<id>.json      the same manifests as JSON, one per file
  manifests.jsonl     one manifest per line (what `charter check -` and the peers' loops read)
  manifests.json      {"manifests": [...]} (the peers' single-input-array form)

The shape is the peers' (../shared/bench/peers/gen_manifests.py: id, title, author, ai_assisted,
environment, regions, size, files, reviewers with name/seniority/team/approved, labels), which is
also the schema in policies/schema.charter, so Charter and every peer read the same documents.

What is drawn from the real changes (the `summary.yaml` of each folder of
../shared/data/real-changes, each folder equally likely):
  - changed lines (added + removed): the quantiles p50, p90, p99 and max of
    `modified_lines_total`, interpolated log-linearly between them (from 1 line);
  - files changed: from 1 through `files_changed.p50` for the lower half, then up to
    `files_changed.max` with a thin tail; the manifest lists that many paths;
  - approvals per change: none, one, or two and more, in the proportions that
    `rule_counts` gives (`fails_at_least_1_non_author_approval`,
    `fails_at_least_2_distinct_non_author_approvals`); two or more is 2, 3 or 4 (80/15/5);
  - AI assistance: `ai_assisted / changes`; authors among their reviewers:
    `author_listed_among_reviewers / changes`.
What the history does not record is drawn as in the peers' generator: environment, regions,
seniorities and teams, labels; one reviewer in ten does not approve; auth changes get a
security reviewer half of the time; the path pool has the peers' near misses (src/authz/,
lib/src/auth/), so R5 needs a real prefix test.
"""
import argparse
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SUMMARIES = [
    os.path.join(HERE, "..", "..", "shared", "data", "real-changes", d, "summary.yaml")
    for d in ("bootc", "golang-tools")
]

PEOPLE = [  # name, seniority, team (the peers' people)
    ("alice", "mid", "bedrock"), ("bob", "senior", "bedrock"), ("carol", "principal", "platform"),
    ("dave", "junior", "payments"), ("erin", "senior", "security"), ("frank", "staff", "security"),
    ("grace", "mid", "security"), ("heidi", "staff", "platform"), ("ivan", "junior", "bedrock"),
    ("judy", "mid", "payments"), ("mallory", "senior", "payments"), ("niaj", "principal", "infra"),
    ("olivia", "mid", "infra"), ("peggy", "junior", "security"), ("rupert", "staff", "infra"),
    ("sybil", "mid", "platform"), ("trent", "senior", "infra"), ("victor", "junior", "platform"),
]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "eu-central-2",
           "ap-southeast-1", "ap-northeast-1", "sa-east-1"]
DIRS = ["src/region", "src/api", "src/api/v2", "src/billing", "src/storage", "docs",
        "tests/integration", "src/cli", "src/auth", "src/auth/mfa",  # under src/auth/
        "src/authz", "lib/src/auth", "tests/src/auth"]                # near misses
WEIGHTS = [8, 10, 4, 6, 6, 5, 6, 5, 4, 1, 3, 2, 2]
STEMS = ["mod", "models", "handlers", "invoice", "s3", "token", "session", "policy", "config",
         "util", "errors", "client", "server", "cache", "retry", "limits", "audit", "main"]
EXTS = [".rs", ".rs", ".rs", ".go", ".md", ".toml", ".yaml"]
LABELS = ["feature", "bugfix", "refactor", "security", "chore", "docs", "hotfix"]
VERBS = ["Enable", "Fix", "Refactor", "Harden", "Remove", "Add", "Migrate", "Tune"]
NOUNS = ["model access", "token refresh", "billing export", "region rollout", "retry logic",
         "session cache", "audit log", "rate limiter"]


def read_summary(path: str) -> dict:
    """The nested mappings of a summary.yaml (scalars only; all this file holds)."""
    root: dict = {}
    stack = [(-1, root)]
    with open(path) as f:
        for raw in f:
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            indent = len(raw) - len(raw.lstrip())
            key, _, value = raw.strip().partition(":")
            while stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1]
            value = value.strip()
            if value in ("", "{}"):
                parent[key] = {}
                stack.append((indent, parent[key]))
            else:
                parent[key] = int(value) if value.lstrip("-").isdigit() else value.strip("'\"")
    return root


class Shape:
    """The distributions of one real-changes folder."""

    def __init__(self, s: dict):
        n = s["changes"]
        m = s["modified_lines_total"]
        self.lines = [(0.0, 1), (0.5, m["p50"]), (0.9, m["p90"]), (0.99, m["p99"]), (1.0, m["max"])]
        self.files_p50 = s["files_changed"]["p50"]
        self.files_max = s["files_changed"]["max"]
        r = s["rule_counts"]
        self.p_none = r["fails_at_least_1_non_author_approval"] / n
        self.p_one = (r["fails_at_least_2_distinct_non_author_approvals"]
                      - r["fails_at_least_1_non_author_approval"]) / n
        self.p_ai = s["ai_assisted"] / n
        self.p_self = r["author_listed_among_reviewers"] / n

    def changed_lines(self, rng: random.Random) -> int:
        u = rng.random()
        for (u0, v0), (u1, v1) in zip(self.lines, self.lines[1:]):
            if u <= u1:
                t = (u - u0) / (u1 - u0)
                return max(1, round(math.exp(math.log(v0) + t * (math.log(v1) - math.log(v0)))))
        return self.lines[-1][1]

    def files_changed(self, rng: random.Random) -> int:
        u = rng.random()
        if u < 0.5:
            return rng.randint(1, max(1, self.files_p50))
        t = ((u - 0.5) / 0.5) ** 4  # a thin tail up to the largest change
        return max(self.files_p50, round(self.files_p50 * (self.files_max / self.files_p50) ** t))

    def approvals(self, rng: random.Random) -> int:
        u = rng.random()
        if u < self.p_none:
            return 0
        if u < self.p_none + self.p_one:
            return 1
        return rng.choices([2, 3, 4], weights=[80, 15, 5])[0]


def path(rng: random.Random) -> str:
    d = rng.choices(DIRS, weights=WEIGHTS)[0]
    return f"{d}/{rng.choice(STEMS)}{rng.randint(0, 40)}{rng.choice(EXTS)}"


def manifest(rng: random.Random, shape: Shape, i: int) -> dict:
    name, seniority, team = rng.choice(PEOPLE)
    env = rng.choices(["production", "staging", "dev"], weights=[5, 3, 2])[0]
    regions = rng.sample(REGIONS, rng.choices([1, 2, 3, 4], weights=[4, 4, 2, 1])[0])
    total = shape.changed_lines(rng)
    added = round(total * rng.uniform(0.45, 1.0))
    nfiles = min(shape.files_changed(rng), 400)
    files = sorted({path(rng) for _ in range(nfiles)})
    others = [p for p in PEOPLE if p[0] != name]
    picked = rng.sample(others, shape.approvals(rng))
    reviewers = [{"name": n, "seniority": s, "team": t, "approved": True} for (n, s, t) in picked]
    if rng.random() < 0.1:  # a reviewer who has not approved (yet)
        n, s, t = rng.choice([p for p in others if p not in picked])
        reviewers.insert(rng.randint(0, len(reviewers)), {"name": n, "seniority": s, "team": t,
                                                          "approved": False})
    if any(f.startswith("src/auth/") for f in files) and rng.random() < 0.5:
        sec = [p for p in others if p[2] == "security" and p[0] not in
               {r["name"] for r in reviewers}]
        n, s, t = rng.choice(sec)
        reviewers.append({"name": n, "seniority": s, "team": t, "approved": rng.random() < 0.9})
    if rng.random() < shape.p_self:
        reviewers.insert(rng.randint(0, len(reviewers)), {"name": name, "seniority": seniority,
                                                          "team": team, "approved": True})
    return {
        "id": f"CHG-{i:06d}",
        "title": f"{rng.choice(VERBS)} {rng.choice(NOUNS)} in {regions[0]}",
        "author": {"name": name, "seniority": seniority, "team": team},
        "ai_assisted": rng.random() < shape.p_ai,
        "environment": env,
        "regions": regions,
        "size": {"lines_added": added, "lines_removed": total - added, "files_changed": nfiles},
        "files": files,
        "reviewers": reviewers,
        "labels": rng.sample(LABELS, rng.choices([0, 1, 2], weights=[1, 4, 2])[0]),
    }


def scalar(v) -> str:
    """A YAML scalar: plain when it reads back as the same string, else double-quoted."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    plain = (v and v[0].isalpha() and v.lower() not in ("y", "n", "yes", "no", "on", "off", "true",
             "false", "null") and all(c.isalnum() or c in "-_./ " for c in v) and v[-1] != " ")
    return v if plain else json.dumps(v)


def to_yaml(m: dict) -> str:
    out = []
    for k, v in m.items():
        if isinstance(v, dict):
            out.append(f"{k}:")
            out += [f"  {k2}: {scalar(v2)}" for k2, v2 in v.items()]
        elif isinstance(v, list) and not v:
            out.append(f"{k}: []")
        elif isinstance(v, list) and isinstance(v[0], dict):
            out.append(f"{k}:")
            for item in v:
                for j, (k2, v2) in enumerate(item.items()):
                    out.append(f"{'  - ' if j == 0 else '    '}{k2}: {scalar(v2)}")
        elif isinstance(v, list):
            out.append(f"{k}:")
            out += [f"  - {scalar(x)}" for x in v]
        else:
            out.append(f"{k}: {scalar(v)}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    ap.add_argument("--summaries", nargs="+", default=DEFAULT_SUMMARIES)
    ap.add_argument("--formats", default="yaml,json",
                    help="one file per manifest in these formats (comma-separated; '' for none)")
    a = ap.parse_args()
    shapes = [Shape(read_summary(p)) for p in a.summaries]
    rng = random.Random(a.seed)
    ms = [manifest(rng, rng.choice(shapes), i) for i in range(1, a.n + 1)]
    formats = [f for f in a.formats.split(",") if f]
    for sub in formats:
        os.makedirs(os.path.join(a.out, sub), exist_ok=True)
    for m in ms:
        if "yaml" in formats:
            with open(os.path.join(a.out, "yaml", m["id"] + ".yaml"), "w") as f:
                f.write(to_yaml(m))
        if "json" in formats:
            with open(os.path.join(a.out, "json", m["id"] + ".json"), "w") as f:
                json.dump(m, f)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "manifests.jsonl"), "w") as f:
        for m in ms:
            f.write(json.dumps(m) + "\n")
    with open(os.path.join(a.out, "manifests.json"), "w") as f:
        json.dump({"manifests": ms}, f)
    files = sorted(len(m["files"]) for m in ms)
    print(f"wrote {len(ms)} manifests to {a.out} (files per manifest: median "
          f"{files[len(files) // 2]}, max {files[-1]})")


if __name__ == "__main__":
    main()
