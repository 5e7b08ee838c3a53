#!/usr/bin/env python3
"""Latency of `charter lsp` on one large policy file, driven over stdio like an editor.

For files of 3,000, 6,000 and 12,000 lines (a schema, then definitions and policies that use
them) it prints, in milliseconds (median of the runs):

  change->diags  a didChange until that file's publishDiagnostics
  symbols        a textDocument/documentSymbol round trip
  hover          a textDocument/hover round trip, the server idle
  hover (burst)  a hover sent right after a burst of 10 didChange (each a new version), until
                 its answer
  burst->diags   that burst until the diagnostics of its last version

and the server's CPU time for the same steps (the machine may be shared: CPU time does not count
waiting for a core).

Usage: benches/lsp_latency.py [path/to/charter] [runs]   (default target/release/charter, 7)
Build first: cargo build --release.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import queue

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "target", "release", "charter")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 7

SCHEMA = """\
levels seniority { junior, mid, senior }

record reviewer {
  name: string
  seniority: seniority
  approved: bool
}

manifest change {
  id: string
  author: { name: string, team: string? }
  reviewers: [reviewer]
  files: [path]
  additions: int >= 0
}
"""

BLOCK = """\
/// Approving reviewers, number {i}.
let approvals_{i} = change.reviewers where r: r.approved and r.seniority >= mid

policy review_{i} {{
  when change.additions > {i}
  require count(approvals_{i}) >= 1 or any f in change.files: f matches "docs/**"
  message "{{change.author.name}} needs a review ({i})"
}}
"""


def policy(lines):
    out = [SCHEMA]
    n = SCHEMA.count("\n")
    i = 0
    while n < lines:
        b = BLOCK.format(i=i) + "\n"
        out.append(b)
        n += b.count("\n")
        i += 1
    return "".join(out)


class Server:
    def __init__(self, cwd):
        self.p = subprocess.Popen([BIN, "lsp"], cwd=cwd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.q = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        r = self.p.stdout
        while True:
            length = None
            while True:
                line = r.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = r.read(length)
            self.q.put((time.perf_counter(), json.loads(body)))

    def send(self, msg):
        msg["jsonrpc"] = "2.0"
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def wait(self, pred):
        while True:
            t, m = self.q.get(timeout=120)
            if pred(m):
                return t, m

    def answer(self, rid):
        return self.wait(lambda m: m.get("id") == rid and "method" not in m)

    def diagnostics(self, uri):
        return self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                         and m["params"]["uri"] == uri)

    def drain(self):
        time.sleep(0.05)
        while not self.q.empty():
            self.q.get()


def ms(a, b):
    return (b - a) * 1000


def cpu(pid):
    """The server's CPU time so far (all threads, ms; Linux schedstat): on a loaded machine the
    wall times above include waiting for a core, this does not."""
    total = 0
    base = "/proc/%d/task" % pid
    for t in os.listdir(base):
        try:
            with open(os.path.join(base, t, "schedstat")) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total / 1e6


def measure(lines):
    d = tempfile.mkdtemp(prefix="charter-lsp-bench-")
    path = os.path.join(d, "big.charter")
    text = policy(lines)
    with open(path, "w") as f:
        f.write(text)
    uri = "file://" + path
    s = Server(d)
    s.answer(s.request("initialize", {"processId": None, "rootUri": "file://" + d,
                                      "capabilities": {}}))
    s.send({"method": "initialized", "params": {}})
    version = 1
    s.send({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "charter", "version": version, "text": text}}})
    s.diagnostics(uri)
    s.drain()
    # Hover on a definition's use in the middle of the file.
    mid = text.index("count(approvals_%d)" % (text.count("let approvals_") // 2)) + 8
    line = text[:mid].count("\n")
    col = mid - (text.rfind("\n", 0, mid) + 1)
    hover = {"textDocument": {"uri": uri}, "position": {"line": line, "character": col}}
    change, symbols, hovers, burst_hover, burst_diags = [], [], [], [], []
    cpu_change, cpu_symbols, cpu_hover, cpu_burst = [], [], [], []
    pid = s.p.pid
    for run in range(RUNS):
        version += 1
        edited = text.replace("additions > 0", "additions > %d" % (1000 + version), 1)
        c0 = cpu(pid)
        t0 = time.perf_counter()
        s.send({"method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]}})
        t1, _ = s.diagnostics(uri)
        change.append(ms(t0, t1))
        s.drain()
        c1 = cpu(pid)
        cpu_change.append(c1 - c0)
        t0 = time.perf_counter()
        t1, m = s.answer(s.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}))
        assert m.get("result"), m
        symbols.append(ms(t0, t1))
        c2 = cpu(pid)
        cpu_symbols.append(c2 - c1)
        t0 = time.perf_counter()
        t1, m = s.answer(s.request("textDocument/hover", hover))
        assert m.get("result"), m
        hovers.append(ms(t0, t1))
        cpu_hover.append(cpu(pid) - c2)
        s.drain()
        c0 = cpu(pid)
        # A burst: ten versions typed in quick succession, then a hover.
        t0 = time.perf_counter()
        for k in range(10):
            version += 1
            edited = text.replace("additions > 0", "additions > %d" % (2000 + version), 1)
            s.send({"method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": edited}]}})
        th = time.perf_counter()
        rid = s.request("textDocument/hover", hover)
        got_hover = got_diags = None
        # The last diagnostics of the burst: the server is quiet for 0.5 s after them.
        while True:
            try:
                t, m = s.q.get(timeout=0.5 if got_hover and got_diags else 120)
            except queue.Empty:
                break
            if m.get("id") == rid:
                got_hover = t
            elif m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
                got_diags = t
        burst_hover.append(ms(th, got_hover))
        burst_diags.append(ms(t0, got_diags))
        cpu_burst.append(cpu(pid) - c0)
    s.request("shutdown", None)
    s.send({"method": "exit"})
    s.p.wait(timeout=10)
    return [statistics.median(x) for x in (change, symbols, hovers, burst_hover, burst_diags,
                                           cpu_change, cpu_symbols, cpu_hover, cpu_burst)]


def main():
    print("charter lsp latency (ms, median of %d): %s" % (RUNS, os.path.realpath(BIN)))
    rows = [(lines, measure(lines)) for lines in (3000, 6000, 12000)]
    print("wall time, from the client:")
    print("%8s %14s %9s %7s %14s %14s" % ("lines", "change->diags", "symbols", "hover",
                                           "hover (burst)", "burst->diags"))
    for lines, r in rows:
        print("%8d %14.1f %9.1f %7.1f %14.1f %14.1f" % (lines, *r[:5]))
    print("server CPU time (all threads):")
    print("%8s %14s %9s %7s %14s" % ("lines", "change->diags", "symbols", "hover", "burst"))
    for lines, r in rows:
        print("%8d %14.1f %9.1f %7.1f %14.1f" % (lines, *r[5:]))
    print("load average: %.1f %.1f %.1f" % os.getloadavg())


if __name__ == "__main__":
    main()
