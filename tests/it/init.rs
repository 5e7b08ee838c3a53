//! `charter init`: the scaffold is written as shipped in `examples/init/`, refuses to overwrite,
//! its policy set compiles cleanly, its policy tests decide as their folders say, and its schema
//! declares exactly the shape `charter manifest` produces (the manifests of the other tests, and
//! the real manifests of `tests/data/real-changes/`, all validate without a warning).

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
    let (code, out, err) = run_charter(dir.path(), &["test"], dir.path());
    assert_eq!(code, 0, "the scaffold's own tests pass: {out}{err}");
    let (code, out, err) = run_charter(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "policies/tests/allow",
            "policies/tests/deny",
        ],
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

/// The real histories of `tests/data/real-changes/` (made by this same mapping) validate
/// against the schema `charter init` writes: no error, and no field the schema does not declare.
#[test]
fn real_changes_validate_against_the_standard_schema() {
    let root = crate::support::real_changes();
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
    assert!(n >= 400, "only {n} manifests in {}", root.display());
}

/// The trailers of the real changes, read again by `charter manifest`'s mapping, give the same
/// AI verdicts, AI tools and reviewer counts as the manifests hold (logins differ: the data set
/// is pseudonymized). Changes whose evidence is a message line are skipped: the data set keeps
/// trailers, not message bodies. The snapshot lists the differences: one change declares its
/// tools in `AI-Assisted:` / `AI-Tools:` trailers, which Charter reads as AI trailers and the
/// data set's mapping did not.
#[test]
fn real_changes_trailers_read_the_same() {
    use charter::facts::{ai::Known, git};
    let root = crate::support::real_changes();
    let known = Known::default();
    let (mut compared, mut ai, mut n_files) = (0, 0, 0);
    let mut differ: Vec<String> = Vec::new();
    for project in ["bootc", "golang-tools"] {
        for entry in std::fs::read_dir(root.join(project).join("changes"))
            .expect("a changes folder")
            .flatten()
        {
            n_files += 1;
            let text = std::fs::read_to_string(entry.path()).expect("a manifest");
            let m: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
            let evidence: Vec<&str> = m["ai_evidence"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            if evidence.iter().any(|e| e.starts_with("body:")) {
                continue;
            }
            let mut trailers = Vec::new();
            if let Some(map) = m["trailers"].as_object() {
                for (k, values) in map {
                    for v in values.as_array().expect("a list of values") {
                        trailers.push((k.clone(), v.as_str().unwrap_or("").to_string()));
                    }
                }
            }
            let ident = |who: &serde_json::Value| git::Ident {
                name: who["name"].as_str().unwrap_or("").into(),
                email: who["email"].as_str().unwrap_or("").into(),
                date: m["timestamps"]["created_at"].as_str().unwrap_or("").into(),
            };
            let commit = git::Commit {
                hash: m["id"].as_str().unwrap_or("").into(),
                parents: vec!["0".repeat(40)],
                author: ident(&m["author"]),
                committer: ident(&m["author"]),
                subject: m["title"].as_str().unwrap_or("").into(),
                trailers,
                message: String::new(),
                diff: None,
                warnings: Vec::new(),
            };
            let change = git::build(std::slice::from_ref(&commit), &known);
            let name = entry.file_name().to_string_lossy().into_owned();
            let tools: Vec<&str> = m["ai_tools"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            let reviewers = m["reviewers"].as_array().map_or(0, Vec::len);
            if change.ai_assisted != (m["ai_assisted"] == true)
                || change.ai_tools != tools
                || change.reviewers.as_ref().map_or(0, Vec::len) != reviewers
            {
                differ.push(format!(
                    "{project}/{name}: ai {} tools {:?} reviewers {}; the data set: ai {} tools {tools:?} reviewers {reviewers}",
                    change.ai_assisted,
                    change.ai_tools,
                    change.reviewers.as_ref().map_or(0, Vec::len),
                    m["ai_assisted"]
                ));
            }
            compared += 1;
            ai += usize::from(change.ai_assisted);
        }
    }
    differ.sort();
    insta::assert_snapshot!(differ.join("\n"));
    // A handful of changes carry body evidence and are skipped; about one in sixteen is AI-assisted.
    assert!(
        compared * 100 >= n_files * 98,
        "{compared} of {n_files} changes compared"
    );
    assert!(ai * 25 > compared, "{ai} AI-assisted changes of {compared}");
}

/// The `run` script of the workflow step named `name`, as written in the scaffold.
fn workflow_step(name: &str) -> String {
    let text = std::fs::read_to_string(shipped().join(".github/workflows/charter.yml"))
        .expect("the workflow");
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).expect("the workflow is YAML");
    workflow["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|j| j["steps"].as_array().cloned().unwrap_or_default())
        .find(|s| s["name"] == name)
        .and_then(|s| s["run"].as_str().map(String::from))
        .unwrap_or_else(|| panic!("no step `{name}` in the workflow"))
}

/// Runs a workflow script as GitHub does (`bash -eo pipefail`) in a pull request's checkout,
/// with `charter` on PATH: its exit code, output and the job summary it wrote.
fn run_step(repo: &crate::support::Repo, script: &str) -> (i32, String, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_charter"));
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let temp = TempDir::new("runner-temp");
    let summary = temp.path().join("summary.md");
    let out = crate::support::isolated(&mut std::process::Command::new("bash"), repo.path())
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(repo.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("GITHUB_BASE_REF", "main")
        .env("RUNNER_TEMP", temp.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        std::fs::read_to_string(&summary).unwrap_or_default(),
    )
}

/// The workflow's `charter diff` step on a scaffolded repository with a short history: a pull
/// request that raises the approval count replays every commit and reports the ones that flip;
/// one that leaves the policies alone compares nothing.
#[test]
fn workflow_reports_what_a_policy_change_flips() {
    use crate::support::{Repo, Who};
    let who = Who {
        name: "Ada Lovelace",
        email: "ada@example.com",
        date: "2026-11-20T10:00:00+00:00",
    };
    let repo = Repo::new("init-diff");
    let (code, _, err) = run_charter(repo.path(), &["init"], repo.path());
    assert_eq!(code, 0, "{err}");
    repo.commit(
        "charter: policies\n\nReviewed-by: Bob <bob@example.com>\n",
        &[],
        who,
        who,
    );
    for (i, trailers) in [
        "Reviewed-by: Bob <bob@example.com>\n",
        "Reviewed-by: Bob <bob@example.com>\nReviewed-by: Carol <carol@example.com>\n",
        "",
    ]
    .iter()
    .enumerate()
    {
        let file = format!("src/f{i}.rs");
        repo.commit(
            &format!("change {i}\n\n{trailers}"),
            &[(file.as_bytes(), Some(b"fn main() {}\n"))],
            who,
            who,
        );
    }
    let base = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["update-ref", "refs/remotes/origin/main", &base]);
    repo.git(&["checkout", "-q", "-b", "pr"]);
    let step = workflow_step("What the policy change flips");

    // A pull request that changes no policy: nothing is compared.
    repo.commit("docs", &[(b"README.md", Some(b"# hello\n"))], who, who);
    let (code, out, summary) = run_step(&repo, &step);
    assert_eq!((code, summary.as_str()), (0, ""), "{out}");
    assert!(out.contains("the policy set is unchanged"), "{out}");

    // Two approvals for every change: the two commits with one approval flip.
    let reviews =
        std::fs::read_to_string(repo.path().join("policies/reviews.charter")).expect("policies");
    let raised = reviews.replace(
        "require count(human_approvals) >= 1",
        "require count(human_approvals) >= 2",
    );
    assert_ne!(raised, reviews, "the scaffold's approval count");
    repo.commit(
        "policies: two approvals",
        &[(b"policies/reviews.charter", Some(raised.as_bytes()))],
        who,
        who,
    );
    let (code, out, summary) = run_step(&repo, &step);
    assert_eq!(code, 0, "{out}");
    assert!(
        summary.starts_with("## Charter: what this policy change flips"),
        "{summary}"
    );
    assert!(
        summary.contains("| `needs_approval` | changed | deny |"),
        "{summary}"
    );
    assert!(summary.contains("| pass -> fail | 2 |"), "{summary}");
    // The whole history (six commits), the pull request's own included.
    assert!(summary.contains("**6 manifests compared: "), "{summary}");
}
