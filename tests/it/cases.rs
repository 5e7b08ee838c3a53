//! Data-driven cases: every folder under `tests/cases/` is a policy set (its `.charter` files)
//! plus the manifests beside it (`.yaml`, `.yml`, `.json`). The runner checks the manifests with
//! the real `charter` binary and snapshots exit code, human output and JSON output
//! (`snapshots/cases/`), and the SARIF, JUnit and GitHub output of the same run
//! (`snapshots/formats/`, written through `--report`). Every case's JSON and SARIF are validated
//! against their schemas and its JUnit XML is parsed and counted (`formats.rs`).
//!
//! A case may hold an `args` file: one argument per line, used instead of the manifest list
//! (paths relative to the case folder), for cases about the command line itself.
//! Adding a case: make the folder, run `cargo insta test --review` (or `cargo test` then
//! `cargo insta review`), read the snapshot like code, accept it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::formats;

pub fn charter(dir: &Path, args: &[String]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CHARTER_CONFIG")
        .output()
        .expect("the charter binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn case_args(dir: &Path) -> Vec<String> {
    if let Ok(text) = std::fs::read_to_string(dir.join("args")) {
        return text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
    }
    let mut args = vec![
        "check".to_string(),
        "--policies".to_string(),
        ".".to_string(),
    ];
    args.extend(case_manifests(dir));
    args
}

/// The manifest files of a case folder, sorted by name.
pub fn case_manifests(dir: &Path) -> Vec<String> {
    let mut manifests: Vec<String> = std::fs::read_dir(dir)
        .expect("case folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml") || n.ends_with(".json"))
        .collect();
    manifests.sort();
    manifests
}

/// The report formats snapshot beside each case, written by `--report` in the human run.
const REPORTS: [&str; 4] = ["json", "sarif", "junit", "github"];

/// Runs a case: its main snapshot (exit code, human and JSON output) and its formats snapshot
/// (SARIF, JUnit, GitHub).
fn render_case(dir: &Path, name: &str) -> (String, String) {
    let args = case_args(dir);
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cases")
        .join(name);
    let _ = std::fs::remove_dir_all(&out);
    let mut run_args = args.clone();
    for (i, f) in REPORTS.iter().enumerate() {
        run_args.insert(1 + i, format!("--report={f}={}", out.join(f).display()));
    }
    let (code, human, human_err) = charter(dir, &run_args);
    let report = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    let mut json_args = args.clone();
    json_args.insert(1, "--format=json".to_string());
    let (json_code, json, _) = charter(dir, &json_args);
    assert_eq!(
        code,
        json_code,
        "human and JSON runs disagree on the exit code in {}",
        dir.display()
    );
    if !json.is_empty() {
        // Two runs: their evaluation times (the clock) may be a second apart.
        assert_eq!(
            crate::support::untimed(&json),
            crate::support::untimed(&report("json")),
            "case {name}: --report json differs from --format json"
        );
        let checked = formats::check_json(&json).and_then(|json| {
            let sarif = formats::check_sarif(&report("sarif"))?;
            let junit = formats::check_junit(&report("junit"))?;
            formats::cross_check(&json, &sarif, &junit)
        });
        if let Err(e) = checked {
            panic!("case {name}: {e}");
        }
    }
    let mut s = format!("$ charter {}\nexit: {code}\n", args.join(" "));
    s.push_str("--- stdout ---\n");
    s.push_str(&human);
    if !human_err.is_empty() {
        s.push_str("--- stderr ---\n");
        s.push_str(&human_err);
    }
    s.push_str("--- json ---\n");
    s.push_str(&json);
    let mut f = format!("$ charter {}\n", args.join(" "));
    for name in ["github", "junit", "sarif"] {
        f.push_str(&format!("--- {name} ---\n"));
        f.push_str(&report(name));
    }
    (s, f)
}

#[test]
fn cases() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/cases")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 40,
        "expected at least 40 cases, found {}",
        dirs.len()
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    // The version in SARIF's tool.driver changes with every release, not with the case.
    settings.add_filter(
        &format!(
            r#""(version|semanticVersion)": "{}""#,
            env!("CARGO_PKG_VERSION")
        ),
        r#""$1": "[VERSION]""#,
    );
    crate::support::provenance_filters(&mut settings);
    // Every case runs, and every failing one is named at the end (not only the first);
    // `CHARTER_CASE=name` runs only the cases whose name contains `name`.
    let only = std::env::var("CHARTER_CASE").unwrap_or_default();
    let mut failed = Vec::new();
    for dir in dirs {
        let name = dir
            .file_name()
            .expect("case name")
            .to_string_lossy()
            .into_owned();
        if !name.contains(&only) {
            continue;
        }
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (main, formats) = render_case(&dir, &name);
            let mut settings = settings.clone();
            settings.set_snapshot_path("snapshots/cases");
            settings.bind(|| insta::assert_snapshot!(name.clone(), main));
            settings.set_snapshot_path("snapshots/formats");
            settings.bind(|| insta::assert_snapshot!(name.clone(), formats));
        }));
        if run.is_err() {
            failed.push(name);
        }
    }
    assert!(
        failed.is_empty(),
        "{} case(s) failed (each one's reason is printed above): {}",
        failed.len(),
        failed.join(", ")
    );
}
