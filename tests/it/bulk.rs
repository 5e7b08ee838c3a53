//! Bulk checking: JSON Lines output, `--summary`, glob arguments, standard input streams, and
//! output that does not depend on the number of threads.

use std::path::{Path, PathBuf};

use crate::cases::{case_manifests, charter};
use crate::cli::charter_stdin;
use crate::support::TempDir;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The evaluation time of runs whose output is compared.
const NOW: &str = "2026-12-24T09:00:00Z";

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Every case of the suite: each line of `--format jsonl` is the object the JSON format has in
/// `manifests`, in the same order, with the same exit code.
#[test]
fn json_lines_are_the_manifests_of_the_json_format() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("tests/cases"))
        .expect("tests/cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && !p.join("args").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        // One evaluation time for both runs: it is part of every record.
        let mut base = args(&["check", "--now", NOW, "--policies", "."]);
        base.extend(case_manifests(&dir));
        let mut json_args = base.clone();
        json_args.insert(1, "--format=json".into());
        let mut lines_args = base.clone();
        lines_args.insert(1, "--format=jsonl".into());
        let (code, json, _) = charter(&dir, &json_args);
        let (lines_code, lines, _) = charter(&dir, &lines_args);
        assert_eq!(code, lines_code, "exit codes differ in {}", dir.display());
        let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
        let expected = doc["manifests"].as_array().cloned().unwrap_or_default();
        let got: Vec<serde_json::Value> = lines
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
            .collect();
        assert_eq!(got, expected, "JSON Lines differ in {}", dir.display());
    }
}

/// A folder of generated manifests: some allowed, some denied, one broken.
fn corpus(n: usize) -> TempDir {
    let dir = TempDir::new("bulk");
    let examples = [
        "chg-1041-ok.yaml",
        "chg-1042-ai-unreviewed.yaml",
        "chg-1043-large.yaml",
    ];
    let texts: Vec<String> = examples
        .iter()
        .map(|e| std::fs::read_to_string(root().join("examples/changes").join(e)).expect("example"))
        .collect();
    let changes = dir.path().join("changes");
    for i in 0..n {
        let sub = changes.join(format!("team{}", i % 3));
        std::fs::create_dir_all(&sub).expect("a folder");
        let text = texts[i % 3].replace("CHG-10", &format!("CHG-{i:04}-"));
        std::fs::write(sub.join(format!("chg-{i:04}.yaml")), text).expect("a manifest");
    }
    std::fs::write(changes.join("team1/broken.yaml"), "id: [unclosed\n").expect("a manifest");
    dir
}

/// The `path` of each line of JSON Lines output.
fn paths_of(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["path"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

fn check_in(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut a = args(&["check", "--policies"]);
    a.push(root().join("policies").display().to_string());
    a.extend(args(extra));
    charter(dir, &a)
}

#[test]
fn output_does_not_depend_on_the_number_of_threads() {
    let dir = corpus(300);
    for format in ["human", "jsonl", "json"] {
        let run = |j: &str| {
            check_in(
                dir.path(),
                &["-j", j, "--now", NOW, "--format", format, "changes"],
            )
        };
        let (one, two, four) = (run("1"), run("2"), run("4"));
        assert_eq!(one, two, "{format}: 1 and 2 threads differ");
        assert_eq!(one, four, "{format}: 1 and 4 threads differ");
        assert_eq!(
            one.0, 2,
            "{format}: the broken manifest makes the run exit 2"
        );
    }
    // Sorted by path, whatever the folder order.
    let (_, out, _) = check_in(dir.path(), &["--format", "jsonl", "changes"]);
    let paths = paths_of(&out);
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 301);
}

#[test]
fn globs_select_manifests() {
    let dir = corpus(30);
    let (_, all, _) = check_in(dir.path(), &["--format", "jsonl", "changes/**/*.yaml"]);
    assert_eq!(all.lines().count(), 31);
    let (_, one_team, _) = check_in(dir.path(), &["--format", "jsonl", "changes/team0/*.yaml"]);
    assert_eq!(one_team.lines().count(), 10);
    let (code, out, _) = check_in(dir.path(), &["changes/nothing/*.yaml"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("no manifests match `changes/nothing/*.yaml`"),
        "{out}"
    );
}

/// Problems found while gathering (an empty folder, a pattern matching nothing) are reported in
/// name order among the files, whatever the order of the arguments.
#[test]
fn problems_sort_among_files_by_name() {
    let dir = corpus(6);
    std::fs::create_dir_all(dir.path().join("changes/team0b")).expect("a folder");
    let (code, out, _) = check_in(
        dir.path(),
        &[
            "--format",
            "jsonl",
            "changes/team1",
            "changes/zz/*.yaml",
            "changes/team0b",
            "changes/team0",
        ],
    );
    assert_eq!(code, 2);
    let paths = paths_of(&out);
    assert_eq!(
        paths,
        [
            "changes/team0/chg-0000.yaml",
            "changes/team0/chg-0003.yaml",
            "changes/team0b",
            "changes/team1/broken.yaml",
            "changes/team1/chg-0001.yaml",
            "changes/team1/chg-0004.yaml",
            "changes/zz/*.yaml",
        ]
    );
}

#[test]
fn summary_counts_outcomes_per_policy() {
    let _redact = crate::support::redact_provenance();
    let dir = corpus(30);
    let (code, out, err) = check_in(dir.path(), &["--summary", "changes"]);
    assert_eq!(code, 2);
    let table = out
        .split_once("31 manifests: ")
        .map(|(_, t)| t)
        .unwrap_or_default();
    insta::assert_snapshot!("bulk_summary", format!("{table}{err}"));
    // With a format for tools, the table goes to standard error and the output stays parseable.
    let (_, out, err) = check_in(dir.path(), &["--summary", "--format", "jsonl", "changes"]);
    assert_eq!(out.lines().count(), 31);
    assert!(err.contains("policy"), "{err}");
}

/// The allowed example manifest: its YAML text, and the same manifest as one JSON line.
fn allowed_example() -> (String, String) {
    let ok =
        std::fs::read_to_string(root().join("examples/changes/chg-1041-ok.yaml")).expect("example");
    let value: serde_json::Value = serde_saphyr::from_str(&ok).expect("YAML");
    let line = serde_json::to_string(&value).expect("JSON");
    (ok, line)
}

/// `-` reads JSON Lines as a stream, as well as a multi-line JSON value and YAML documents.
#[test]
fn standard_input_streams() {
    let (ok, line) = allowed_example();
    let value: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let pretty = serde_json::to_string_pretty(&value).expect("JSON");
    let mut stream = String::new();
    for _ in 0..2000 {
        stream.push_str(&line);
        stream.push('\n');
    }
    stream.push_str(&pretty);
    stream.push('\n');
    let policies = root().join("policies").display().to_string();
    let (code, out, _) = charter_stdin(
        &root(),
        &["check", "--policies", &policies, "--format", "jsonl", "-"],
        &stream,
    );
    assert_eq!(code, 0);
    let names = paths_of(&out);
    assert_eq!(names.len(), 2001);
    assert_eq!(names[0], "<stdin>:1");
    assert_eq!(names[2000], "<stdin>:2001");
    let yaml = format!("{ok}---\n{ok}...\n# nothing\n---\n{ok}");
    let (code, out, _) = charter_stdin(&root(), &["check", "-"], &yaml);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("3 manifests: 0 denied, 0 warned, 3 allowed"),
        "{out}"
    );
}

/// A manifest file is one value: text after it is reported where it starts, with the fix.
#[test]
fn text_after_a_json_value_is_reported() {
    let _redact = crate::support::redact_provenance();
    let dir = TempDir::new("two-values");
    let file = dir.path().join("two.json");
    std::fs::write(&file, "{\"id\": \"CHG-1\"} {\"id\": \"CHG-2\"}\n").expect("a file");
    let policies = root().join("policies").display().to_string();
    let (code, out, _) = charter(
        dir.path(),
        &args(&["check", "--policies", &policies, "two.json"]),
    );
    assert_eq!(code, 2);
    insta::assert_snapshot!("bulk_text_after_a_json_value", out);
}

/// A `.jsonl` or `.ndjson` file is a stream of manifests, one per line, named `path:N`, when
/// it is named (by path or by a pattern), not when a folder is searched. An empty one, or one
/// that is not UTF-8, is an input problem (exit 2) that names the file.
#[test]
fn json_lines_files_are_streams() {
    let _redact = crate::support::redact_provenance();
    let dir = TempDir::new("jsonl-files");
    let (ok, line) = allowed_example();
    let history = dir.path().join("history");
    std::fs::create_dir_all(&history).expect("a folder");
    std::fs::write(
        history.join("2025.jsonl"),
        format!("{line}\n{line}\n{line}\n"),
    )
    .expect("a file");
    std::fs::write(history.join("2026.ndjson"), format!("{line}\n")).expect("a file");
    std::fs::write(history.join("a.yaml"), &ok).expect("a file");

    let (code, out, _) = check_in(dir.path(), &["--format", "jsonl", "history/2025.jsonl"]);
    assert_eq!(code, 0, "{out}");
    let names = paths_of(&out);
    assert_eq!(
        names,
        [
            "history/2025.jsonl:1",
            "history/2025.jsonl:2",
            "history/2025.jsonl:3"
        ]
    );
    // Named streams take their place in name order among the other files.
    let (code, out, _) = check_in(
        dir.path(),
        &[
            "--format",
            "jsonl",
            "history/a.yaml",
            "history/*.ndjson",
            "history/*.jsonl",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        paths_of(&out),
        [
            "history/2025.jsonl:1",
            "history/2025.jsonl:2",
            "history/2025.jsonl:3",
            "history/2026.ndjson:1",
            "history/a.yaml",
        ]
    );
    // A folder search leaves them out (it often holds the JSON Lines a run writes).
    let (_, out, _) = check_in(dir.path(), &["--format", "jsonl", "history"]);
    assert_eq!(paths_of(&out), ["history/a.yaml"]);

    std::fs::write(history.join("empty.jsonl"), "").expect("a file");
    std::fs::write(history.join("latin1.jsonl"), b"{\"id\": \"caf\xe9\"}\n").expect("a file");
    let (code, out, _) = check_in(
        dir.path(),
        &[
            "history/empty.jsonl",
            "history/latin1.jsonl",
            "history/missing.jsonl",
        ],
    );
    assert_eq!(code, 2);
    insta::assert_snapshot!("bulk_json_lines_file_problems", out);
    assert!(
        out.contains("`history/empty.jsonl` holds no manifest"),
        "{out}"
    );
    assert!(
        out.contains("`history/latin1.jsonl` is not UTF-8 text: invalid byte at line 1, column 12"),
        "{out}"
    );
}

/// On Linux (GNU) the binary is linked position-dependent (build.rs): no relocations to apply
/// before `main`, a tenth of a single check. The ELF header's type is 2 (EXEC), not 3 (DYN).
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    not(target_feature = "crt-static")
))]
#[test]
fn the_binary_starts_without_relocating_itself() {
    let bytes = std::fs::read(env!("CARGO_BIN_EXE_charter")).expect("the binary");
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([bytes[16], bytes[17]]), 2, "e_type");
}

/// The file standard output goes to is never read as a manifest: a folder search and a pattern
/// skip it, and naming it is an input problem (a report written into the folder it checks is no
/// manifest, and a JSON Lines run would read its own verdicts as they are written, without end).
#[cfg(unix)]
#[test]
fn the_output_file_is_not_read_back() {
    let dir = TempDir::new("output-file");
    let (_, line) = allowed_example();
    std::fs::write(dir.path().join("in.jsonl"), format!("{line}\n")).expect("a file");
    let policies = root().join("policies").display().to_string();
    let run = |arg: &str| {
        let out_path = dir.path().join("out.jsonl");
        let out = std::fs::File::create(&out_path).expect("the output file");
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_charter"))
            .args(["check", "--policies", &policies, "--format", "jsonl", arg])
            .current_dir(dir.path())
            .stdout(out)
            .status()
            .expect("charter runs");
        let text = std::fs::read_to_string(&out_path).expect("the output");
        (status.code(), paths_of(&text), text)
    };
    let (code, paths, _) = run("*.jsonl");
    assert_eq!(code, Some(0));
    assert_eq!(paths, ["in.jsonl:1"]);
    let (code, _, text) = run("out.jsonl");
    assert_eq!(code, Some(2));
    assert!(
        text.contains("`out.jsonl` is where standard output goes"),
        "{text}"
    );

    // `charter check --format json changes > changes/report.json`
    let (ok, _) = allowed_example();
    std::fs::create_dir_all(dir.path().join("changes")).expect("a folder");
    std::fs::write(dir.path().join("changes/a.yaml"), ok).expect("a manifest");
    let report = dir.path().join("changes/report.json");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_charter"))
        .args([
            "check",
            "--policies",
            &policies,
            "--format",
            "json",
            "changes",
        ])
        .current_dir(dir.path())
        .stdout(std::fs::File::create(&report).expect("the report"))
        .status()
        .expect("charter runs");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("the report")).expect("JSON");
    let paths: Vec<&str> = doc["manifests"]
        .as_array()
        .map(|ms| ms.iter().filter_map(|m| m["path"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(paths, ["changes/a.yaml"]);
    assert_eq!(status.code(), Some(0));
}

/// A line of a JSON Lines stream that is not UTF-8 is that document's problem, named `path:N`;
/// the lines after it are still checked (a named file and standard input alike).
#[test]
fn a_line_that_is_not_utf8_does_not_end_the_stream() {
    let _redact = crate::support::redact_provenance();
    let dir = TempDir::new("jsonl-not-utf8");
    let (_, line) = allowed_example();
    let mut bytes = Vec::new();
    for i in 1..=5 {
        if i == 3 {
            bytes.extend_from_slice(b"{\"id\": \"caf\xe9\"}\n");
        } else {
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
    }
    std::fs::write(dir.path().join("history.jsonl"), &bytes).expect("a file");
    let (code, out, _) = check_in(dir.path(), &["history.jsonl"]);
    assert_eq!(code, 2, "{out}");
    insta::assert_snapshot!("bulk_json_lines_line_not_utf8", out);
    let (_, jsonl, _) = check_in(dir.path(), &["--format", "jsonl", "history.jsonl"]);
    assert_eq!(
        paths_of(&jsonl),
        [
            "history.jsonl:1",
            "history.jsonl:2",
            "history.jsonl:3",
            "history.jsonl:4",
            "history.jsonl:5"
        ]
    );
    let policies = root().join("policies").display().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["check", "--policies", &policies, "--format", "jsonl", "-"])
        .stdin(std::fs::File::open(dir.path().join("history.jsonl")).expect("the file"))
        .output()
        .expect("charter runs");
    let names = paths_of(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(names[4], "<stdin>:5");
}

/// The document formats cannot be written as they go (their opening holds the decision, SARIF's
/// rules, JUnit's totals), so a run holds their body: in memory up to 8 MiB, then in a temporary
/// file, never the whole document in memory. 3,000 manifests from standard input give more than
/// 8 MiB of JSON and SARIF: with no place for a temporary file (TMPDIR names a file), the run
/// says so (exit 2); with one, every document is complete and is what the formats say of the
/// same run (the JSON document's manifests are the JSON Lines, SARIF and JUnit have every
/// failure), on standard output and in `--report` files alike.
#[test]
fn document_formats_keep_a_long_run_out_of_memory() {
    let examples = ["chg-1041-ok", "chg-1042-ai-unreviewed", "chg-1043-large"];
    let lines: Vec<String> = examples
        .iter()
        .map(|name| {
            let path = root().join(format!("examples/changes/{name}.yaml"));
            let text = std::fs::read_to_string(path).expect("an example");
            let value: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
            serde_json::to_string(&value).expect("JSON")
        })
        .collect();
    let mut stream = String::new();
    for _ in 0..1000 {
        for line in &lines {
            stream.push_str(line);
            stream.push('\n');
        }
    }
    let policies = root().join("policies").display().to_string();
    let dir = TempDir::new("spool");
    let run = |format: &str, tmp: &Path, report: Option<&str>| {
        // One evaluation time, so that two runs give the same records.
        let mut args = vec![
            "check",
            "--policies",
            &policies,
            "--now",
            "2026-12-01T10:00:00Z",
            "--format",
            format,
            "-",
        ];
        let report = report.map(|r| format!("{r}={}", dir.path().join(r).display()));
        if let Some(r) = &report {
            args.splice(1..1, ["--report", r.as_str()]);
        }
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_charter"));
        cmd.args(&args)
            .current_dir(root())
            .env("TMPDIR", tmp)
            .env_remove("CHARTER_CONFIG")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("charter runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let text = stream.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            stdin.write_all(text.as_bytes())
        });
        let out = child.wait_with_output().expect("charter ends");
        writer.join().expect("the writer").expect("stdin written");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // No temporary file can be made: the body stays in memory only up to 8 MiB.
    let not_a_folder = dir.path().join("not-a-folder");
    std::fs::write(&not_a_folder, "").expect("a file");
    for format in ["json", "sarif"] {
        let (code, out, err) = run(format, &not_a_folder, None);
        assert_eq!(code, 2, "{format}: {err}");
        assert!(out.is_empty(), "{format}: no half document");
        assert!(
            err.contains("error: cannot write the output: more than 8 MiB of output is held in a temporary file, which cannot be made in"),
            "{format}: {err}"
        );
    }
    let (code, _, err) = run("jsonl", &not_a_folder, Some("junit"));
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = run("jsonl", &not_a_folder, Some("json"));
    assert_eq!(code, 2);
    assert!(
        err.contains("error: cannot write the json report `"),
        "{err}"
    );

    // With a place for it: complete documents.
    let tmp = TempDir::new("spool-tmp");
    let (code, jsonl, err) = run("jsonl", tmp.path(), Some("json"));
    assert_eq!(code, 1, "{err}");
    let (code, json, err) = run("json", tmp.path(), None);
    assert_eq!(code, 1, "{err}");
    assert!(json.len() > 8 << 20, "{} bytes", json.len());
    let report = std::fs::read_to_string(dir.path().join("json")).expect("the report");
    assert_eq!(report, json);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("a JSON document");
    assert_eq!(doc["decision"], "deny");
    let objects: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(objects.len(), 3000);
    assert_eq!(doc["manifests"].as_array(), Some(&objects));
    let failures: usize = objects
        .iter()
        .flat_map(|m| m["results"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["outcome"] == "fail")
        .count();

    let (code, sarif, err) = run("sarif", tmp.path(), None);
    assert_eq!(code, 1, "{err}");
    assert!(sarif.len() > 8 << 20, "{} bytes", sarif.len());
    let sarif: serde_json::Value = serde_json::from_str(&sarif).expect("a SARIF document");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(failures)
    );
    assert_eq!(sarif["runs"][0]["properties"]["decision"], "deny");

    let (code, junit, err) = run("junit", tmp.path(), None);
    assert_eq!(code, 1, "{err}");
    let xml = roxmltree::Document::parse(&junit).expect("JUnit XML");
    let top = xml.root_element();
    let tests = 3000 * doc["policies"].as_u64().unwrap_or_default();
    assert_eq!(top.attribute("tests"), Some(tests.to_string().as_str()));
    assert_eq!(
        top.attribute("failures"),
        Some(failures.to_string().as_str())
    );
    assert_eq!(top.children().filter(|n| n.is_element()).count(), 3000);
}

/// With `--report`, standard output still streams: the first manifest's line is out while the
/// stream is still open (the run used to hold everything until the input ended), and the report
/// is complete once it has.
#[test]
fn a_report_file_does_not_hold_back_standard_output() {
    use std::io::{BufRead, Write};
    let (_, line) = allowed_example();
    let dir = TempDir::new("report-streams");
    let report = dir.path().join("report.json");
    let policies = root().join("policies").display().to_string();
    let report_arg = format!("json={}", report.display());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_charter"))
        .args([
            "check",
            "--policies",
            &policies,
            "--format",
            "jsonl",
            "--report",
            &report_arg,
            "-",
        ])
        .current_dir(root())
        .env_remove("CHARTER_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("charter runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next();
        let _ = tx.send(first.and_then(Result::ok));
        lines.count() + 1
    });
    // More than standard output's buffer (256 KiB) of verdicts, and the stream left open.
    for _ in 0..1000 {
        writeln!(stdin, "{line}").expect("a manifest written");
    }
    stdin.flush().expect("flushed");
    let first = rx.recv_timeout(std::time::Duration::from_secs(120));
    if first.is_err() {
        let _ = child.kill();
    }
    drop(stdin);
    let status = child.wait().expect("charter ends");
    let first = first
        .expect("a verdict while the input is still open")
        .unwrap_or_default();
    assert!(
        first.starts_with(r#"{"path":"<stdin>:1","decision":"allow""#),
        "{first}"
    );
    assert_eq!(reader.join().expect("the reader"), 1000);
    assert_eq!(status.code(), Some(0));
    let report = std::fs::read_to_string(&report).expect("the report");
    let doc: serde_json::Value = serde_json::from_str(&report).expect("a JSON document");
    assert_eq!(doc["manifests"].as_array().map(Vec::len), Some(1000));
}
