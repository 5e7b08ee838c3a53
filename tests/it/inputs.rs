//! Files Charter is named that are not regular files (`/dev/zero`, a named pipe) or hold more
//! than one file may: refused by their metadata, before they are opened (a named pipe would block
//! the open until written to; `/dev/zero` never ends), exit 2, the rest of the run still done.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::TempDir;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `charter ARGS` in `dir`, killed (and the test failed) if it has not ended within a
/// minute: a run that opens a named pipe for reading blocks forever.
fn charter_bounded(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CHARTER_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the charter binary runs");
    let start = Instant::now();
    loop {
        match child.try_wait().expect("charter can be waited for") {
            Some(_) => break,
            None if start.elapsed() > Duration::from_secs(60) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`charter {}` did not end within a minute", args.join(" "));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let out = child.wait_with_output().expect("charter's output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(ok.success(), "mkfifo {}", path.display());
}

#[test]
fn devices_pipes_and_huge_files_are_refused() {
    let _redact = crate::support::redact_provenance();
    let dir = TempDir::new("not-files");
    let d = dir.path();
    let policies = root().join("policies");
    let policies = policies.to_str().expect("a UTF-8 path");
    let good = root().join("examples/changes/chg-1041-ok.yaml");
    std::fs::create_dir_all(d.join("changes")).expect("a folder");
    std::fs::copy(&good, d.join("changes/a-ok.yaml")).expect("a manifest");
    mkfifo(&d.join("changes/b-pipe.yaml"));
    mkfifo(&d.join("pipe.yaml"));
    mkfifo(&d.join("pipe.jsonl"));
    mkfifo(&d.join("event.json"));
    std::fs::create_dir_all(d.join("piped-policies")).expect("a folder");
    std::fs::copy(
        root().join("policies/schema.charter"),
        d.join("piped-policies/schema.charter"),
    )
    .expect("a policy file");
    mkfifo(&d.join("piped-policies/more.charter"));
    std::fs::create_dir_all(d.join("big-policies")).expect("a folder");
    // Sparse: a byte over the cap, without writing 64 MiB.
    for name in ["big.yaml", "big-policies/big.charter"] {
        let big = std::fs::File::create(d.join(name)).expect("a file");
        big.set_len(64 * 1024 * 1024 + 1).expect("a sparse file");
    }

    let runs: Vec<(i32, Vec<&str>)> = vec![
        (2, vec!["check", "--policies", policies, "/dev/zero"]),
        (2, vec!["check", "--policies", policies, "pipe.yaml"]),
        (
            2,
            vec![
                "check",
                "--policies",
                policies,
                "--format",
                "jsonl",
                "pipe.jsonl",
            ],
        ),
        // The pipe is reported; the manifest beside it is still checked.
        (
            2,
            vec![
                "check",
                "--policies",
                policies,
                "--format",
                "jsonl",
                "changes",
            ],
        ),
        (
            2,
            vec![
                "check",
                "--policies",
                policies,
                "--format",
                "jsonl",
                "big.yaml",
            ],
        ),
        (2, vec!["check", "--policies", "big-policies"]),
        // A policy folder's discovery takes regular files only, as it follows no links: the
        // pipe is not part of the set (and is not opened).
        (0, vec!["check", "--policies", "piped-policies"]),
        (2, vec!["explain", "--policies", policies, "/dev/zero"]),
        (2, vec!["fmt", "--check", "piped-policies/more.charter"]),
        (2, vec!["manifest", "github", "--event", "event.json"]),
        (2, vec!["check", "--config", "/dev/zero"]),
    ];
    let mut shown = String::new();
    for (expected, args) in &runs {
        let (code, out, err) = charter_bounded(d, args);
        assert_eq!(code, *expected, "charter {args:?}:\n{out}{err}");
        shown.push_str(&format!(
            "$ charter {}\nexit: {code}\n{out}--- stderr ---\n{err}\n",
            args.join(" ")
        ));
    }
    let shown = shown.replace(policies, "policies");
    insta::assert_snapshot!(shown);
}
