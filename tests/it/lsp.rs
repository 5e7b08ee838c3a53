//! The language server, driven over stdio like an editor drives it: the real `charter lsp`
//! binary, JSON-RPC messages with `Content-Length` headers, one policy set on disk (in a folder
//! whose name needs percent-encoding) and one open document that the test edits.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    /// What the server wrote to standard error so far.
    stderr: Arc<Mutex<String>>,
    /// Notifications received while waiting for a response.
    notes: Vec<Value>,
    next_id: i64,
    /// How long to wait for a message (the tests run beside each other, in a debug build).
    timeout: Duration,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("charter lsp starts");
        let stdin = child.stdin.take();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    return;
                }
                let text = String::from_utf8_lossy(&buf[..n]);
                eprint!("{text}");
                sink.lock().expect("stderr lock").push_str(&text);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        len = n.parse().expect("a length");
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("JSON from the server");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            rx,
            stderr,
            notes: Vec::new(),
            next_id: 0,
            timeout: Duration::from_secs(60),
        }
    }

    /// A server for `dir` that has been initialized.
    fn started(dir: &Path) -> Server {
        let mut s = Server::start(dir);
        s.request(
            "initialize",
            json!({"processId": null, "rootUri": uri(dir), "capabilities": {}}),
        );
        s.notify("initialized", json!({}));
        s
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("the input is open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    /// Closes the server's input.
    fn close(&mut self) {
        self.stdin = None;
    }

    /// The next message with `id` (a response), keeping the notifications before it.
    fn response(&mut self, id: Value) -> Value {
        loop {
            let v = self.recv();
            if v.get("id") == Some(&id) && v.get("method").is_none() {
                return v;
            }
            self.notes.push(v);
        }
    }

    /// The exit code, within 30 s.
    fn exit_code(&mut self) -> Option<i32> {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("the server did not exit within 30 s");
    }

    fn stderr(&self) -> String {
        // The stderr thread may still be copying the last bytes.
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().expect("stderr lock").clone()
    }

    fn recv(&mut self) -> Value {
        self.rx
            .recv_timeout(self.timeout)
            .expect("the server answers in time")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self.recv();
            if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
            self.notes.push(v);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let pos = self.notes.iter().position(|n| {
                n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
            });
            if let Some(i) = pos {
                let n = self.notes.remove(i);
                return n["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
            let v = self.recv();
            self.notes.push(v);
        }
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display()).replace(' ', "%20")
}

fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

/// The line and column of the first `needle` in `text` (columns are UTF-16; the test texts are
/// ASCII), plus `shift` columns.
fn at(text: &str, needle: &str, shift: u32) -> Value {
    let i = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in the text"));
    let line = text[..i].matches('\n').count() as u32;
    let col = (i - text[..i].rfind('\n').map_or(0, |n| n + 1)) as u32;
    pos(line, col + shift)
}

const SCHEMA: &str = "\
/// How senior an engineer is.
levels seniority { junior, mid, senior }

/// A person who reviewed the change.
record reviewer {
  name: string
  /// Their seniority.
  seniority: seniority
  approved: bool
}

manifest change {
  id: string
  author: { name: string, team: string? }
  reviewers: [reviewer]
}
";

const BROKEN: &str = "\
/// Approving reviewers.
let approvals = change.reviewers where r: r.approved

policy senior_signoff {
  require any r in approvals: r.seniority >= senior
  message \"{change.autor.name} needs a senior\"
}
";

const FIXED: &str = "\
/// Approving reviewers.
let approvals = change.reviewers where r: r.approved

policy senior_signoff {
  require any r in approvals: r.seniority >= senior
  message \"{change.author.name} needs a senior\"
}
";

#[test]
fn the_server_over_stdio() {
    let dir: PathBuf = std::env::temp_dir().join(format!("charter lsp {}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).expect("temp dir");
    std::fs::write(dir.join("charter.toml"), "policies = \"policies\"\n").expect("write");
    std::fs::write(policies.join("schema.charter"), SCHEMA).expect("write");
    std::fs::write(policies.join("rules.charter"), FIXED).expect("write");
    let rules = uri(&policies.join("rules.charter"));
    let schema = uri(&policies.join("schema.charter"));

    let mut s = Server::start(&dir);
    let init = s.request(
        "initialize",
        json!({"processId": null, "rootUri": uri(&dir), "capabilities": {}}),
    );
    let caps = &init["capabilities"];
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "completionProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
    ] {
        assert!(!caps[cap].is_null(), "capability {cap}: {init}");
    }
    s.notify("initialized", json!({}));

    // An unknown field, with the CLI's message, at the field's range.
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": rules, "languageId": "charter", "version": 1, "text": BROKEN}}),
    );
    let diags = s.diagnostics(&rules);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["severity"], 1);
    assert_eq!(d["code"], "charter::check::unknown_field");
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("unknown field `autor` on `change`")),
        "{d}"
    );
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("help: did you mean `author`?"))
    );
    let start = at(BROKEN, "autor", 0);
    let end = at(BROKEN, "autor", 5);
    assert_eq!(d["range"], json!({"start": start, "end": end}));
    assert_eq!(s.diagnostics(&schema), Vec::<Value>::new());

    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules, "version": 2}, "contentChanges": [{"text": FIXED}]}),
    );
    assert_eq!(s.diagnostics(&rules), Vec::<Value>::new());

    // Hover: a definition's type and doc comment; a field path's schema type.
    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules}, "position": at(FIXED, "approvals:", 2)}),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("let approvals: [reviewer]"), "{hover}");
    assert!(text.contains("Approving reviewers."), "{hover}");
    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules}, "position": at(FIXED, "seniority >=", 3)}),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("reviewer.seniority: seniority"), "{hover}");
    assert!(text.contains("Their seniority."), "{hover}");

    // Definition of a level, in the other file.
    let def = s.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": rules}, "position": at(FIXED, "senior\n", 1)}),
    );
    assert_eq!(def[0]["uri"], schema.as_str(), "{def}");
    assert_eq!(def[0]["range"]["start"], at(SCHEMA, "senior }", 0));

    // References of a definition: its declaration and its use.
    let refs = s.request(
        "textDocument/references",
        json!({"textDocument": {"uri": rules}, "position": at(FIXED, "approvals =", 1),
               "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().map(Vec::len), Some(2), "{refs}");

    // Completion of fields after `.`, while the file does not parse.
    let typing = FIXED.replace("{change.author.name}", "{change.author.name} {change.}");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules, "version": 3}, "contentChanges": [{"text": typing}]}),
    );
    let diags = s.diagnostics(&rules);
    assert!(!diags.is_empty(), "a syntax error while typing");
    let items = s.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": rules}, "position": at(&typing, "change.}", 7)}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(labels, ["id", "author", "reviewers"], "{items}");
    // Hover still works from the last good parse.
    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules}, "position": at(&typing, "approvals:", 2)}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|t| t.contains("[reviewer]")),
        "{hover}"
    );
    // Names: definitions, levels, keywords.
    let items = s.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": rules}, "position": at(&typing, "senior\n", 6)}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    for want in [
        "approvals",
        "senior",
        "junior",
        "count",
        "require",
        "change",
    ] {
        assert!(labels.contains(&want), "{want} in {labels:?}");
    }

    // Outline, from the last good parse while the file is broken.
    let symbols = s.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": rules}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["approvals", "senior_signoff"], "{symbols}");

    // Formatting: one edit for the whole document; none while it does not parse.
    let edits = s.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": rules}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert!(edits.is_null(), "{edits}");
    let messy = FIXED.replace("let approvals = ", "let   approvals=");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules, "version": 4}, "contentChanges": [{"text": messy}]}),
    );
    let edits = s.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": rules}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits.as_array().map(Vec::len), Some(1), "{edits}");
    assert_eq!(edits[0]["newText"], FIXED);

    // An unknown request gets an error answer, and the server goes on.
    s.next_id += 1;
    let id = s.next_id;
    s.send(json!({"jsonrpc": "2.0", "id": id, "method": "charter/unknown", "params": {}}));
    loop {
        let v = s.recv();
        if v.get("id") == Some(&json!(id)) {
            assert!(v.get("error").is_some(), "{v}");
            break;
        }
    }

    assert!(s.request("shutdown", Value::Null).is_null());
    s.notify("exit", Value::Null);
    let status = s.child.wait().expect("the server exits");
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh temporary folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("charter-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn error_code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("an error answer: {v}"))
}

// Issue 21, broken 2: a framed body that is not a JSON-RPC message gets an error answer, and
// the server goes on.
#[test]
fn malformed_messages_get_an_error_and_the_server_goes_on() {
    let dir = scratch("malformed");
    let mut s = Server::started(&dir);
    let frame = |body: &str| format!("Content-Length: {}\r\n\r\n{body}", body.len());
    s.send_raw(frame("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ").as_bytes());
    let v = s.response(Value::Null);
    assert_eq!(error_code(&v), -32700, "{v}");
    s.send_raw(frame("{}").as_bytes());
    assert_eq!(error_code(&s.response(Value::Null)), -32600);
    // A request without `method` is answered at its id.
    s.send_raw(frame(r#"{"jsonrpc": "2.0", "id": 7, "params": {}}"#).as_bytes());
    assert_eq!(error_code(&s.response(json!(7))), -32600);
    s.send_raw(frame(r#"{"jsonrpc": "2.0", "id": 8, "method": 5}"#).as_bytes());
    assert_eq!(error_code(&s.response(json!(8))), -32600);
    s.send_raw(frame("[1, 2]").as_bytes());
    assert_eq!(error_code(&s.response(Value::Null)), -32600);
    s.send_raw(frame("\u{fffd}not json").as_bytes());
    assert_eq!(error_code(&s.response(Value::Null)), -32700);
    // Parameters of the wrong shape: InvalidParams.
    s.send(json!({"jsonrpc": "2.0", "id": 9, "method": "textDocument/hover", "params": 3}));
    assert_eq!(error_code(&s.response(json!(9))), -32602);
    // Still serving.
    assert!(s.request("shutdown", Value::Null).is_null());
    s.notify("exit", Value::Null);
    assert_eq!(s.exit_code(), Some(0));
    assert_eq!(s.stderr(), "");
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue 21, broken 2: only a stream that cannot be followed ends the server, with a message.
#[test]
fn a_broken_stream_ends_the_server_with_a_message() {
    let dir = scratch("broken");
    let cases: [(&[u8], &str); 4] = [
        (
            b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"shutdown\"}\r\n",
            "expected a `Content-Length: N` header, found `{\"jsonrpc\"",
        ),
        (
            b"Content-Length: 100\r\n\r\n{\"jsonrpc\": \"2.0\"}",
            "the input ended inside a message of 100 bytes",
        ),
        (
            b"Content-Type: x\r\n\r\n{}",
            "a message without a `Content-Length` header",
        ),
        (
            b"Content-Length: ten\r\n\r\n",
            "`Content-Length: ten` is not a length",
        ),
    ];
    for (input, message) in cases {
        let mut s = Server::started(&dir);
        s.send_raw(input);
        s.close();
        assert_eq!(s.exit_code(), Some(2), "{input:?}");
        let err = s.stderr();
        assert!(
            err.starts_with("error: language server: ") && err.contains(message),
            "{input:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue 23: `Content-Length: 17179869184` aborted the server (it allocated first). A message over
// the cap is skipped without being stored and answered with an error.
#[test]
fn the_message_size_is_capped_before_allocating() {
    let dir = scratch("cap");
    let mut s = Server::started(&dir);
    s.send_raw(b"Content-Length: 17179869184\r\n\r\n{}");
    let v = s.response(Value::Null);
    assert_eq!(error_code(&v), -32600, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("17179869184 bytes is over the limit of 64 MiB")),
        "{v}"
    );
    s.close();
    assert_eq!(s.exit_code(), Some(2));
    assert!(
        s.stderr()
            .contains("the input ended inside a message of 17179869184 bytes")
    );

    // Just over the cap, with the body sent: skipped, and the next message is answered.
    let mut s = Server::started(&dir);
    let len = (64 << 20) + 1;
    s.send_raw(format!("Content-Length: {len}\r\n\r\n").as_bytes());
    s.send_raw(&vec![b' '; len]);
    assert_eq!(error_code(&s.response(Value::Null)), -32600);
    assert!(s.request("shutdown", Value::Null).is_null());
    s.notify("exit", Value::Null);
    assert_eq!(s.exit_code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue 21, broken 4: requests after `shutdown` are InvalidRequest, `exit` without `shutdown`
// exits 1, closing the input after `shutdown` exits 0.
#[test]
fn shutdown_and_exit_follow_the_spec() {
    let dir = scratch("shutdown");
    let mut s = Server::started(&dir);
    assert!(s.request("shutdown", Value::Null).is_null());
    s.next_id += 1;
    let id = s.next_id;
    s.send(
        json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
                  "params": {"textDocument": {"uri": "untitled:x"}, "position": pos(0, 0)}}),
    );
    assert_eq!(error_code(&s.response(json!(id))), -32600);
    s.send(json!({"jsonrpc": "2.0", "id": id + 1, "method": "shutdown"}));
    assert_eq!(error_code(&s.response(json!(id + 1))), -32600);
    s.notify("exit", Value::Null);
    assert_eq!(s.exit_code(), Some(0));

    let mut s = Server::started(&dir);
    s.notify("exit", Value::Null);
    assert_eq!(s.exit_code(), Some(1));

    let mut s = Server::started(&dir);
    assert!(s.request("shutdown", Value::Null).is_null());
    s.close();
    assert_eq!(s.exit_code(), Some(0));

    // Before `initialize`: ServerNotInitialized.
    let mut s = Server::start(&dir);
    s.send(json!({"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {}}));
    assert_eq!(error_code(&s.response(json!(1))), -32002);
    s.close();
    assert_eq!(s.exit_code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `publishDiagnostics` the server sent before answering one more request (every set due
/// is published before the next message is read, so a round trip collects them).
fn published(s: &mut Server) -> Vec<Value> {
    s.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "untitled:none"}}),
    );
    let notes = std::mem::take(&mut s.notes);
    notes
        .into_iter()
        .filter(|n| n["method"] == "textDocument/publishDiagnostics")
        .collect()
}

// Issue 21, broken 1: two links back to a parent folder made the server grow to 3.7 GB; each
// file is read once, and no definition is a duplicate of itself.
#[cfg(unix)]
#[test]
fn a_symlink_loop_in_the_policy_folder_costs_nothing() {
    let dir = scratch("links");
    let policies = dir.join("policies");
    std::fs::create_dir_all(policies.join("a")).expect("dir");
    std::fs::write(dir.join("charter.toml"), "policies = \"policies\"\n").expect("write");
    std::fs::write(policies.join("schema.charter"), SCHEMA).expect("write");
    std::fs::write(policies.join("a/rules.charter"), FIXED).expect("write");
    std::os::unix::fs::symlink("..", policies.join("a/up1")).expect("link");
    std::os::unix::fs::symlink("..", policies.join("a/up2")).expect("link");
    let rules = uri(&policies.join("a/rules.charter"));
    let mut s = Server::started(&dir);
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": rules, "languageId": "charter", "version": 1, "text": FIXED}}),
    );
    assert_eq!(s.diagnostics(&rules), Vec::<Value>::new());
    let notes = published(&mut s);
    assert_eq!(notes.len(), 1, "only the set's other file, once: {notes:?}");
    assert_eq!(
        notes[0]["params"]["uri"],
        uri(&policies.join("schema.charter"))
    );
    assert_eq!(notes[0]["params"]["diagnostics"], json!([]));
    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules}, "position": at(FIXED, "approvals:", 2)}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|t| t.contains("[reviewer]"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue 21, broken 3: a scratch file in a folder above two projects has a set holding both; it
// published that set's duplicate errors on the projects' files, and closing it brought them
// back. Each file's diagnostics come from the set that owns it.
#[test]
fn overlapping_policy_sets_keep_their_own_diagnostics() {
    let dir = scratch("overlap");
    for project in ["one", "two"] {
        let policies = dir.join(project).join("policies");
        std::fs::create_dir_all(&policies).expect("dir");
        std::fs::write(dir.join(project).join("charter.toml"), "").expect("write");
        std::fs::write(policies.join("schema.charter"), SCHEMA).expect("write");
        std::fs::write(policies.join("rules.charter"), FIXED).expect("write");
    }
    let scratch_text = "let approvals = 1\n";
    std::fs::write(dir.join("scratch.charter"), scratch_text).expect("write");
    let one = uri(&dir.join("one/policies/rules.charter"));
    let scratch_uri = uri(&dir.join("scratch.charter"));
    let mut s = Server::started(&dir);
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": one, "languageId": "charter", "version": 1, "text": FIXED}}),
    );
    assert_eq!(s.diagnostics(&one), Vec::<Value>::new());
    published(&mut s);
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": scratch_uri, "languageId": "charter", "version": 1,
                                "text": scratch_text}}),
    );
    // The scratch set (the folder above both projects) finds its duplicates on its own file.
    let diags = s.diagnostics(&scratch_uri);
    assert!(
        diags
            .iter()
            .any(|d| d["code"] == "charter::check::duplicate"),
        "{diags:?}"
    );
    let notes = published(&mut s);
    assert!(
        notes
            .iter()
            .all(|n| n["params"]["uri"] == scratch_uri.as_str()),
        "nothing published on the projects' files: {notes:?}"
    );
    s.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": scratch_uri}}),
    );
    // Its set is published from disk, on its own file only.
    s.diagnostics(&scratch_uri);
    let notes = published(&mut s);
    assert!(
        notes
            .iter()
            .all(|n| n["params"]["uri"] != one.as_str() || n["params"]["diagnostics"] == json!([])),
        "{notes:?}"
    );
    // An edit in the project is still checked in the project alone.
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": one, "version": 2}, "contentChanges": [{"text": BROKEN}]}),
    );
    let diags = s.diagnostics(&one);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "charter::check::unknown_field");
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue 23: a policy file of 100,000 `let`s hung the server (the checker's de-duplication was
// quadratic). The input is made here; the assertion is on what is published.
#[test]
fn a_file_of_100k_lets_gets_its_diagnostics() {
    let dir = scratch("lets");
    let mut text =
        String::from("manifest change { id: string }\npolicy uses_one { require v1 == 1 }\n");
    for i in 0..100_000 {
        text.push_str(&format!("let v{i} = {i}\n"));
    }
    text.push_str("let v7 = 7\n");
    let file = dir.join("big.charter");
    std::fs::write(&file, &text).expect("write");
    let u = uri(&file);
    let mut s = Server::started(&dir);
    s.timeout = Duration::from_secs(600);
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "charter", "version": 1, "text": text}}),
    );
    let diags = s.diagnostics(&u);
    let duplicates: Vec<&Value> = diags
        .iter()
        .filter(|d| d["code"] == "charter::check::duplicate")
        .collect();
    assert_eq!(duplicates.len(), 1, "{duplicates:?}");
    assert_eq!(duplicates[0]["range"]["start"], pos(100_002, 4));
    let unused = diags
        .iter()
        .filter(|d| d["code"] == "charter::check::unused_definition")
        .count();
    assert_eq!(unused, 99_999);
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue 21, broken 7: `let x = change.` was reported at the next item's first column, two lines
// below; it is reported at the end of what was written. A formatted CRLF buffer formats to no
// edit (the formatter keeps a file's line ends).
#[test]
fn incomplete_code_is_reported_where_it_stops() {
    let dir = scratch("incomplete");
    let text = format!("{SCHEMA}let x = change.\n\n// next\npolicy p {{ require true }}\n");
    let file = dir.join("typing.charter");
    let u = uri(&file);
    let mut s = Server::started(&dir);
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "charter", "version": 1, "text": text}}),
    );
    let diags = s.diagnostics(&u);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let end = at(&text, "= change.\n", 9);
    assert_eq!(
        diags[0]["range"],
        json!({"start": end, "end": end}),
        "{diags:?}"
    );
    assert!(
        diags[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("unexpected end of the item: expected a field name")),
        "{diags:?}"
    );
    // At the end of the file too.
    let text = format!("{SCHEMA}let x = change.\n\n");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    let diags = s.diagnostics(&u);
    let end = at(&text, "= change.\n", 9);
    assert_eq!(diags[0]["range"]["start"], end, "{diags:?}");

    let crlf = FIXED.replace('\n', "\r\n");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 3}, "contentChanges": [{"text": format!("{}{crlf}", SCHEMA.replace('\n', "\r\n"))}]}),
    );
    let edits = s.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits, json!([]), "a formatted CRLF file needs no edit");
    let _ = std::fs::remove_dir_all(&dir);
}

fn frame(v: &Value) -> String {
    let body = v.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

// Issue 21, broken 5: every edit of a burst was checked and published in turn, and requests
// waited behind them. A burst is checked at its last version, and a request still queued when
// its `$/cancelRequest` arrives is answered as cancelled without being run.
#[test]
fn a_burst_of_edits_is_checked_once_and_queued_requests_cancel() {
    let dir = scratch("burst");
    let mut text = String::from(SCHEMA);
    for i in 0..2_000 {
        text.push_str(&format!("let n{i} = count(change.reviewers) + {i}\n"));
    }
    let file = dir.join("big.charter");
    let u = uri(&file);
    let mut s = Server::started(&dir);
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "charter", "version": 1, "text": text}}),
    );
    s.diagnostics(&u);
    published(&mut s);
    // Ten versions in one write; the last one has an error.
    let mut burst = String::new();
    for v in 2..12 {
        let t = if v == 11 {
            text.replace("let n7 =", "let n7 = unknown_name +")
        } else {
            text.replace("+ 7\n", &format!("+ {}\n", 1000 + v))
        };
        burst.push_str(&frame(
            &json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": u, "version": v}, "contentChanges": [{"text": t}]}}),
        ));
    }
    // A request that analyses the last version, then one cancelled behind it.
    burst.push_str(&frame(
        &json!({"jsonrpc": "2.0", "id": 100, "method": "textDocument/documentSymbol",
        "params": {"textDocument": {"uri": u}}}),
    ));
    burst.push_str(&frame(
        &json!({"jsonrpc": "2.0", "id": 101, "method": "textDocument/hover",
        "params": {"textDocument": {"uri": u}, "position": pos(20, 6)}}),
    ));
    burst.push_str(&frame(
        &json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 101}}),
    ));
    s.send_raw(burst.as_bytes());
    let symbols = s.response(json!(100));
    assert_eq!(symbols["result"].as_array().map(Vec::len), Some(2_000 + 3));
    let cancelled = s.response(json!(101));
    assert_eq!(error_code(&cancelled), -32800, "{cancelled}");
    // Publications until the last version's: fewer than one per version.
    let mut count = 0;
    loop {
        let diags = s.diagnostics(&u);
        count += 1;
        if diags
            .iter()
            .any(|d| d["code"] == "charter::check::unknown_name")
        {
            break;
        }
    }
    assert!(
        count < 10,
        "a burst of ten versions is not published ten times: {count}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
