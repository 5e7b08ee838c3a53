//! Command-line behaviour that is not a policy case: defaults, the project file, the shipped
//! examples.

use std::path::PathBuf;

use crate::cases::charter;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_examples() {
    let (code, out, err) = charter(&root(), &["check".into(), "examples/changes".into()]);
    insta::assert_snapshot!("shipped_examples", format!("exit: {code}\n{out}{err}"));
}

/// Runs `charter` in `dir` with `stdin` as standard input.
pub fn charter_stdin(dir: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CHARTER_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the charter binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    let text = stdin.to_string();
    let writer = std::thread::spawn(move || input.write_all(text.as_bytes()));
    let out = child.wait_with_output().expect("charter ends");
    writer
        .join()
        .expect("the writer thread ends")
        .expect("stdin is written");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `charter check -` reads a YAML stream: documents between `---` lines, named `<stdin>:N` in
/// stream order after the files; comment-only documents are skipped; a broken document is
/// reported and the others are still checked.
#[test]
fn check_stdin_yaml_stream() {
    let ok = std::fs::read_to_string(root().join("examples/changes/chg-1041-ok.yaml"))
        .expect("example manifest");
    let large = std::fs::read_to_string(root().join("examples/changes/chg-1043-large.yaml"))
        .expect("example manifest");
    let stream =
        format!("# a replay\n---\n{ok}---\n# only a comment\n---\n{large}---\nid: [broken\n");
    let (code, out, err) = charter_stdin(
        &root(),
        &[
            "check",
            "--format",
            "json",
            "examples/changes/chg-1042-ai-unreviewed.yaml",
            "-",
        ],
        &stream,
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    let runs: Vec<String> = json["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| {
            format!(
                "{} {}",
                m["path"].as_str().unwrap_or("?"),
                m["decision"].as_str().unwrap_or("?")
            )
        })
        .collect();
    insta::assert_snapshot!(format!("exit: {code}\n{}\n{err}", runs.join("\n")), @r"
    exit: 2
    examples/changes/chg-1042-ai-unreviewed.yaml deny
    <stdin>:1 allow
    <stdin>:2 deny
    <stdin>:3 error
    ");
}

/// `charter check -` reads JSON Lines, and reports positions inside each document.
#[test]
fn check_stdin_json_lines() {
    let line = |id: &str, approved: bool| {
        format!(
            r#"{{"id":"{id}","author":{{"name":"ann","seniority":"mid"}},"ai_assisted":true,"environment":"dev","regions":[],"size":{{"lines_added":1,"lines_removed":0,"files_changed":1}},"files":["a"],"reviewers":[{{"name":"bo","seniority":"staff","approved":{approved}}}],"labels":[]}}"#
        )
    };
    let stream = format!("{}\n\n{}\n", line("A-1", true), line("A-2", false));
    let (code, out, _) = charter_stdin(&root(), &["check", "-"], &stream);
    insta::assert_snapshot!(format!("exit: {code}\n{out}"));
}
