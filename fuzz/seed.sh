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
# Language server sessions: one per shipped policy file, framed as a client sends them.
mkdir -p corpus/lsp
for f in ../policies/*.charter; do
  python3 - "$f" "corpus/lsp/seed-$(basename "$f" .charter).lsp" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
uri = "untitled:" + sys.argv[1].rsplit("/", 1)[-1]
doc = {"uri": uri}
at = {"textDocument": doc, "position": {"line": 3, "character": 8}}
msgs = [
    {"id": 1, "method": "initialize", "params": {"capabilities": {}}},
    {"method": "initialized", "params": {}},
    {"method": "textDocument/didOpen", "params": {"textDocument": dict(doc, languageId="charter", version=1, text=text)}},
    {"id": 2, "method": "textDocument/hover", "params": at},
    {"id": 3, "method": "textDocument/definition", "params": at},
    {"id": 4, "method": "textDocument/references", "params": dict(at, context={"includeDeclaration": True})},
    {"id": 5, "method": "textDocument/completion", "params": at},
    {"method": "$/cancelRequest", "params": {"id": 5}},
    {"id": 6, "method": "textDocument/documentSymbol", "params": {"textDocument": doc}},
    {"id": 7, "method": "textDocument/formatting", "params": {"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": True}}},
    {"method": "textDocument/didChange", "params": {"textDocument": dict(doc, version=2), "contentChanges": [{"text": text[: len(text) // 2]}]}},
    {"id": 8, "method": "textDocument/hover", "params": at},
    {"method": "textDocument/didClose", "params": {"textDocument": doc}},
    {"id": 9, "method": "shutdown"},
    {"method": "exit"},
]
with open(sys.argv[2], "wb") as out:
    for m in msgs:
        body = json.dumps(dict(m, jsonrpc="2.0")).encode()
        out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
PY
done
ls corpus/*/ | wc -l
