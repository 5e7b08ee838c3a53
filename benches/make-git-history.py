#!/usr/bin/env python3
"""Builds a large local git repository for measuring `charter manifest git --each`.

    benches/make-git-history.py DIR [COMMITS]      # default 20000 commits

The history is synthetic but shaped like a busy project: 1-6 files per commit in a tree that
grows to about 20,000 files in nested folders, 1-120 changed lines per file, a rename in 2% of the
commits, a binary file in 1%, a merged side branch every 40 commits, and trailers in the
proportions of ../shared/data/real-changes (Signed-off-by 45%, Reviewed-by 50%, Assisted-by 6%,
Co-authored-by 2%, an AI co-author 1%). Deterministic (fixed seed and dates), made with
`git fast-import`, so it takes seconds and needs no network.
"""

import os
import random
import subprocess
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    target = sys.argv[1]
    commits = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    rng = random.Random(20261125)
    os.makedirs(target, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main", target], check=True)

    people = [(f"Dev {i:03d}", f"dev{i:03d}@example.com") for i in range(120)]
    folders = [f"src/{a}/{b}" for a in ("api", "auth", "core", "db", "web", "cli") for b in "abcdefgh"]
    files = {}  # path -> list of lines
    out = []
    mark = 0
    when = 1_700_000_000

    def blob(data):
        nonlocal mark
        mark += 1
        out.append(f"blob\nmark :{mark}\ndata {len(data)}\n".encode() + data + b"\n")
        return mark

    def lines(n):
        return [f"line {rng.randrange(10**9)}" for _ in range(n)]

    def commit(branch, message, changes, parent=None, merge=None):
        nonlocal mark, when
        when += rng.randrange(60, 7200)
        name, email = rng.choice(people)
        mark += 1
        me = mark
        tz = rng.choice(["+0000", "+0100", "-0500", "+0900", "+0530"])
        head = (
            f"commit refs/heads/{branch}\nmark :{me}\n"
            f"author {name} <{email}> {when} {tz}\ncommitter {name} <{email}> {when} {tz}\n"
        )
        msg = message.encode()
        body = head.encode() + f"data {len(msg)}\n".encode() + msg + b"\n"
        if parent:
            body += f"from :{parent}\n".encode()
        if merge:
            body += f"merge :{merge}\n".encode()
        body += b"".join(changes) + b"\n"
        out.append(body)
        return me

    def change_set():
        ch = []
        for _ in range(rng.randint(1, 6)):
            if files and rng.random() < 0.7:
                path = rng.choice(list(files))
                content = files[path]
                k = rng.randint(1, min(120, len(content)))
                at = rng.randrange(len(content))
                content[at:at + k // 2] = lines(k)
            else:
                path = f"{rng.choice(folders)}/f{len(files):05d}.rs"
                files[path] = lines(rng.randint(5, 150))
            data = ("\n".join(files[path]) + "\n").encode()
            ch.append(f"M 100644 :{blob(data)} {path}\n".encode())
        if files and rng.random() < 0.02:
            old = rng.choice(list(files))
            new = f"{rng.choice(folders)}/moved{len(files):05d}.rs"
            files[new] = files.pop(old)
            ch.append(f"R {old} {new}\n".encode())
        if rng.random() < 0.01:
            data = bytes(rng.randrange(256) for _ in range(512))
            ch.append(f"M 100644 :{blob(data)} assets/img{rng.randrange(50)}.png\n".encode())
        return ch

    def message(i):
        words = rng.sample(["fix", "add", "cache", "parser", "retry", "token", "index", "query", "tests", "docs"], 3)
        msg = f"{words[0]}: {words[1]} the {words[2]} ({i})\n\nWhy this change is needed.\n"
        trailers = []
        if rng.random() < 0.45:
            trailers.append("Signed-off-by: {} <{}>".format(*rng.choice(people)))
        if rng.random() < 0.50:
            for _ in range(rng.randint(1, 2)):
                trailers.append("Reviewed-by: {} <{}>".format(*rng.choice(people)))
        if rng.random() < 0.06:
            trailers.append("Assisted-by: " + rng.choice(["Claude Code (Opus 4)", "GitHub Copilot", "OpenCode (Sonnet 4)"]))
        if rng.random() < 0.02:
            trailers.append("Co-authored-by: {} <{}>".format(*rng.choice(people)))
        if rng.random() < 0.01:
            trailers.append("Co-authored-by: Claude <noreply@anthropic.com>")
        if trailers:
            msg += "\n" + "\n".join(trailers) + "\n"
        return msg

    last = None
    i = 0
    while i < commits:
        if i and i % 40 == 0 and commits - i > 3:
            side = last
            replay = []
            for _ in range(2):
                ch = change_set()
                replay += ch
                side = commit("side", message(i), ch, parent=side)
                i += 1
            # fast-import takes a merge's tree from its first parent: replay the side's changes.
            last = commit("main", f"Merge branch 'side' ({i})\n", replay, parent=last, merge=side)
            i += 1
            continue
        last = commit("main", message(i), change_set(), parent=last)
        i += 1

    p = subprocess.Popen(["git", "-C", target, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    for chunk in out:
        p.stdin.write(chunk)
    p.stdin.close()
    if p.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "-C", target, "checkout", "-q", "main"], check=True)
    subprocess.run(["git", "-C", target, "branch", "-q", "-D", "side"], check=False)
    count = subprocess.run(["git", "-C", target, "rev-list", "--count", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"{target}: {count} commits, {len(files)} files")


if __name__ == "__main__":
    main()
