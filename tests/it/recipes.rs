//! The CI recipes in README.md ("Use in CI") and `.pre-commit-hooks.yaml`, run as written: the
//! commands are read from those files, never copied here. A scratch git repository plays a pull
//! request that adds a denied manifest; the GitHub step and the GitLab script run in it with the
//! variables their CI sets, and `charter` on the PATH is the binary under test. Installing Charter
//! (`cargo install --git`) and uploading results are the CI's part and are not run.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::formats;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The YAML code blocks of README.md's "Use in CI" section, parsed.
fn ci_blocks() -> Vec<Value> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("\n## Use in CI\n")
        .expect("a `Use in CI` section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(i) = rest.find("```yaml\n") {
        let body = &rest[i + 8..];
        let end = body.find("```").expect("a closed code block");
        blocks.push(serde_saphyr::from_str::<Value>(&body[..end]).expect("the block is YAML"));
        rest = &body[end + 3..];
    }
    blocks
}

/// The workflow's `run` steps that call `charter` (the install step only calls `cargo`).
fn github_steps() -> Vec<String> {
    let blocks = ci_blocks();
    let workflow = blocks
        .iter()
        .find(|b| b.get("jobs").is_some())
        .expect("a GitHub workflow");
    let steps: Vec<String> = workflow["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|j| j["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["run"].as_str().map(String::from))
        .filter(|run| run.contains("charter check"))
        .collect();
    assert!(!steps.is_empty(), "the workflow runs no `charter check`");
    steps
}

/// The GitLab job's script, without the install line.
fn gitlab_script() -> String {
    let blocks = ci_blocks();
    let job = blocks
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.values())
        .find(|j| j.get("script").is_some())
        .expect("a GitLab job");
    let lines: Vec<&str> = job["script"]
        .as_array()
        .expect("script lines")
        .iter()
        .filter_map(Value::as_str)
        .filter(|l| !l.starts_with("cargo install"))
        .collect();
    assert!(lines.iter().any(|l| l.contains("charter check")));
    lines.join("\n")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository whose `main` (also `origin/main`) has the example policies and an allowed
/// manifest, checked out on a pull request that changes `touch` (paths relative to the
/// repository's root, copied from the shipped examples). Returns its folder and base commit.
fn pull_request(name: &str, touch: &[(&str, &str)]) -> (PathBuf, String) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("recipes")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies")).expect("scratch repo");
    std::fs::create_dir_all(dir.join("changes")).expect("scratch repo");
    for f in std::fs::read_dir(root().join("policies")).expect("policies/") {
        let f = f.expect("a policy file").path();
        if f.is_dir() {
            continue; // the policies' own tests are not needed here
        }
        let name = f.file_name().expect("file name");
        std::fs::copy(&f, dir.join("policies").join(name)).expect("copy a policy");
    }
    let copy = |from: &str, to: &str| {
        std::fs::copy(root().join(from), dir.join(to)).expect("copy an example");
    };
    copy(
        "examples/changes/chg-1041-ok.yaml",
        "changes/chg-1041-ok.yaml",
    );
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "base"]);
    let base = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["update-ref", "refs/remotes/origin/main", &base]);
    git(&dir, &["checkout", "-q", "-b", "pr"]);
    for (from, to) in touch {
        copy(from, to);
    }
    git(&dir, &["add", "."]);
    git(
        &dir,
        &["commit", "-q", "--allow-empty", "-m", "the pull request"],
    );
    (dir, base)
}

/// Runs a script as the CI would (`bash -e`, GitHub adds `-o pipefail`) with `charter` on PATH.
fn run_script(dir: &Path, script: &str, env: &[(&str, &str)]) -> i32 {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_charter"));
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("CHARTER_CONFIG")
        .envs(env.iter().copied())
        .output()
        .expect("bash runs");
    out.status.code().unwrap_or(-1)
}

/// What a recipe left behind: exit code, the SARIF results' manifests, the JUnit counts.
fn outputs(dir: &Path, code: i32) -> (i32, Vec<String>, formats::Junit) {
    let sarif = std::fs::read_to_string(dir.join("charter.sarif")).expect("charter.sarif");
    let sarif = formats::check_sarif(&sarif).unwrap_or_else(|e| panic!("{e}"));
    let manifests = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["properties"]["manifest"].as_str().map(String::from))
        .collect();
    let junit = std::fs::read_to_string(dir.join("charter.xml")).expect("charter.xml");
    let junit = formats::check_junit(&junit).unwrap_or_else(|e| panic!("{e}"));
    (code, manifests, junit)
}

const DENIED: (&str, &str) = (
    "examples/changes/chg-1043-large.yaml",
    "changes/chg-1043-large.yaml",
);

#[test]
fn github_workflow_checks_the_pull_requests_manifests() {
    let (dir, _) = pull_request("github", &[DENIED, ("README.md", "README.md")]);
    let mut code = 0;
    for step in github_steps() {
        code = run_script(&dir, &step, &[("GITHUB_BASE_REF", "main")]);
    }
    let (code, manifests, junit) = outputs(&dir, code);
    // Only the manifest the pull request added is checked, and it is denied.
    assert_eq!(code, 1);
    assert_eq!(manifests, ["changes/chg-1043-large.yaml"]);
    assert_eq!((junit.tests, junit.failures), (6, 1));
}

#[test]
fn github_workflow_without_manifests_checks_the_policy_set() {
    let (dir, _) = pull_request("github_policies_only", &[("README.md", "README.md")]);
    let mut code = 0;
    for step in github_steps() {
        code = run_script(&dir, &step, &[("GITHUB_BASE_REF", "main")]);
    }
    let (code, manifests, junit) = outputs(&dir, code);
    assert_eq!((code, manifests.len(), junit.tests), (0, 0, 0));
}

#[test]
fn gitlab_job_checks_the_merge_requests_manifests() {
    let (dir, base) = pull_request("gitlab", &[DENIED]);
    let code = run_script(
        &dir,
        &gitlab_script(),
        &[("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.as_str())],
    );
    let (code, manifests, junit) = outputs(&dir, code);
    assert_eq!(code, 1);
    assert_eq!(manifests, ["changes/chg-1043-large.yaml"]);
    assert_eq!((junit.tests, junit.failures), (6, 1));
}

#[test]
fn pre_commit_hooks_run() {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("hooks");
    let hooks: Vec<Value> = serde_saphyr::from_str(&text).expect("hooks are YAML");
    assert!(!hooks.is_empty());
    // The README's .pre-commit-config.yaml names hooks that exist.
    let ids: Vec<&str> = hooks.iter().filter_map(|h| h["id"].as_str()).collect();
    let blocks = ci_blocks();
    let config = blocks
        .iter()
        .find(|b| b.get("repos").is_some())
        .expect("a .pre-commit-config.yaml in README.md");
    for h in config["repos"][0]["hooks"].as_array().expect("hooks") {
        assert!(ids.contains(&h["id"].as_str().unwrap_or("")), "{h}");
    }
    for hook in &hooks {
        let files = regex::Regex::new(hook["files"].as_str().expect("files")).expect("regex");
        for (path, runs) in [
            ("policies/reviews.charter", true),
            ("ops/policies/a/b.charter", true),
            ("charter.toml", true),
            ("sub/charter.toml", true),
            ("src/main.rs", false),
            ("mycharter.toml", false),
        ] {
            assert_eq!(files.is_match(path), runs, "{path}");
        }
        assert_eq!(hook["pass_filenames"], false);
        // pre-commit runs the entry with the hook's args from the repository's root.
        let mut argv: Vec<String> = hook["entry"]
            .as_str()
            .expect("entry")
            .split_whitespace()
            .map(String::from)
            .collect();
        argv.extend(
            hook["args"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(String::from)),
        );
        assert_eq!(argv.first().map(String::as_str), Some("charter"));
        let (code, out, err) = crate::cases::charter(&root(), &argv[1..]);
        assert_eq!(code, 0, "{argv:?}: {out}{err}");
        let (dir, _) = pull_request("pre_commit", &[]);
        std::fs::write(dir.join("policies/broken.charter"), "policy {").expect("write");
        let code = run_script(&dir, hook["entry"].as_str().expect("entry"), &[]);
        assert_eq!(code, 2, "a broken policy set stops the commit");
    }
}
