#!/usr/bin/env python3
"""Fail on a snapshot file that no test asserted (a test renamed or removed leaves one behind).

insta appends the path of every snapshot a test asserts to $INSTA_SNAPSHOT_REFERENCES_FILE;
this lists every `.snap` file under tests/ and src/ that is not in that list.
"""
import os
import sys

refs_file = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(refs_file, encoding="utf-8") as f:
    referenced = {os.path.realpath(line.strip()) for line in f if line.strip()}
if not referenced:
    sys.exit(f"{refs_file}: no snapshot was asserted; was INSTA_SNAPSHOT_REFERENCES_FILE passed to the tests?")
unreferenced = []
for top in ("tests", "src"):
    for folder, _, files in os.walk(os.path.join(root, top)):
        for name in files:
            if name.endswith(".snap"):
                path = os.path.realpath(os.path.join(folder, name))
                if path not in referenced:
                    unreferenced.append(os.path.relpath(path, root))
if unreferenced:
    print(f"{len(unreferenced)} snapshot(s) that no test asserts (delete them, or restore their test):", file=sys.stderr)
    for p in sorted(unreferenced):
        print(f"  {p}", file=sys.stderr)
    sys.exit(1)
print(f"snapshots: all {len(referenced)} referenced")
