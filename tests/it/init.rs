//! `charter init`: the scaffold is written as shipped in `examples/init/`, refuses to overwrite,
//! its policy set compiles cleanly, its policy tests decide as their folders say, and its schema
//! declares exactly the shape `charter manifest` produces (the manifests of the other tests, and
//! the 4,000 real manifests of `../shared/data/real-changes/`, all validate without a warning).

use std::path::{Path, PathBuf};

use crate::support::{Standard, TempDir, run_charter};

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("a folder").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).expect("under root").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn shipped() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/init")
}

#[test]
fn writes_the_shipped_scaffold() {
    let dir = TempDir::new("init");
    let (code, out, err) = run_charter(dir.path(), &["init"], dir.path());
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
    let written = files_under(dir.path());
    assert_eq!(
        written,
        files_under(&shipped()),
        "init writes every file of examples/init"
    );
    for rel in &written {
        assert_eq!(
            std::fs::read(dir.path().join(rel)).expect("written"),
            std::fs::read(shipped().join(rel)).expect("shipped"),
            "{} differs from examples/init",
            rel.display()
        );
    }
}

#[test]
fn refuses_to_overwrite_unless_forced() {
    let dir = TempDir::new("init-twice");
    let target = dir.path().join("repo");
    std::fs::create_dir_all(target.join("policies")).expect("folder");
    std::fs::write(target.join("policies/schema.charter"), "// mine\n").expect("a file");
    std::fs::write(target.join("people.yaml"), "me: {}\n").expect("a file");
    let (code, out, err) = run_charter(dir.path(), &["init", "repo"], dir.path());
    insta::assert_snapshot!(format!("exit: {code}\n{out}{err}"));
    assert_eq!(
        std::fs::read_to_string(target.join("people.yaml")).expect("kept"),
        "me: {}\n"
    );
    assert!(!target.join("charter.toml").exists(), "nothing is written");
    let (code, _, err) = run_charter(dir.path(), &["init", "repo", "--force"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(target.join("people.yaml")).expect("written"),
        std::fs::read(shipped().join("people.yaml")).expect("shipped")
    );
}

/// What a new user runs first: the example changes are allowed and denied as their folders say,
/// each for the reason its comment gives.
#[test]
fn policy_tests_decide_as_their_folders_say() {
    let dir = TempDir::new("init-tests");
    run_charter(dir.path(), &["init"], dir.path());
    let (code, out, err) = run_charter(
        dir.path(),
        &["check", "--format", "json", "policies/tests"],
        dir.path(),
    );
    assert_eq!(code, 1, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let mut table = String::new();
    for m in json["manifests"].as_array().expect("manifests") {
        let path = m["path"].as_str().unwrap_or("?");
        let decision = m["decision"].as_str().unwrap_or("?");
        let expected = if path.contains("/allow/") {
            "allow"
        } else {
            "deny"
        };
        assert_eq!(decision, expected, "{path}");
        let failed: Vec<&str> = m["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["outcome"] == "fail" || r["outcome"] == "error")
            .map(|r| r["policy"].as_str().unwrap_or("?"))
            .collect();
        table.push_str(format!("{path} {decision} {}", failed.join(", ")).trim_end());
        table.push('\n');
    }
    insta::assert_snapshot!(table);
}

/// The real histories of `../shared/data/real-changes/` (made by this same mapping) validate
/// against the schema `charter init` writes: no error, and no field the schema does not declare.
#[test]
fn real_changes_validate_against_the_standard_schema() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real-changes");
    assert!(
        root.is_dir(),
        "../shared/data/real-changes is part of every checkout's surroundings (see ../shared/README.md)"
    );
    let mut standard = Standard::new();
    let mut n = 0;
    for project in ["bootc", "golang-tools"] {
        let dir = root.join(project).join("changes");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("a changes folder")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("a manifest");
            let problems = standard.problems(&f.display().to_string(), &text);
            assert!(problems.is_empty(), "{}: {problems:?}", f.display());
            n += 1;
        }
    }
    assert_eq!(n, 4000);
}
