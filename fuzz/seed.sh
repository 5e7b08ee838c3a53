#!/usr/bin/env bash
# Makes the committed seed corpora from the repository's own inputs: policies/, examples/,
# tests/cases and a slice of ../shared/data/real-changes (when it is there).
set -euo pipefail
cd "$(dirname "$0")"
seed() { # target file
  local name; name=$(printf '%s' "$2" | sed 's|^\(\.\./\)*||; s|[/ ]|_|g')
  mkdir -p "corpus/$1"; cp "$2" "corpus/$1/seed-$name"
}
for f in ../policies/*.charter ../examples/*/*/*.charter ../examples/*/*/*/*.charter ../tests/cases/*/*.charter ../tests/fmt/*.charter; do
  [ -f "$f" ] && { seed policy "$f"; seed fmt_roundtrip "$f"; }
done
for f in ../examples/changes/* ../policies/tests/fixtures/* ../tests/cases/*/*.yaml ../tests/cases/*/*.json; do
  [ -f "$f" ] && { seed manifest "$f"; seed fast_route "$f"; }
done
real=../../shared/data/real-changes
if [ -d "$real" ]; then
  # Every 20th real change, for manifests; ten JSON Lines streams of 20 for the splitter.
  find "$real" -name '*.yaml' | sort | awk 'NR % 20 == 1' | while read -r f; do
    seed manifest "$f"; seed fast_route "$f"
  done
  mkdir -p corpus/stream_split
  for i in 0 1 2 3 4 5 6 7 8 9; do
    find "$real" -name '*.yaml' | sort | sed -n "$((i*20+1)),$((i*20+20))p" |
      python3 -c 'import sys, json
for p in sys.stdin.read().split():
    print(json.dumps({"file": p.rsplit("/", 1)[-1], "lines": len(open(p).read().splitlines())}))' \
      > "corpus/stream_split/seed-real-$i.jsonl"
  done
fi
for f in ../tests/data/*.jsonl ../tests/cases/*/*.jsonl; do [ -f "$f" ] && seed stream_split "$f"; done
ls corpus/*/ | wc -l
