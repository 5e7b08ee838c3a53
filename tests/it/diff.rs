//! `charter diff`: the three formats snapshotted on a fixture pair of policy sets
//! (`tests/fixtures/diff/{base,new}`: a changed, a renamed, an added, a removed policy and a
//! severity change) over `examples/changes`; the JSON against `schemas/charter-diff.schema.json`;
//! and temporary git repositories holding two revisions of a policy set, read with `--base REV`
//! (renames, additions, removals, a schema change, a base that does not compile), with the work
//! tree and the index left as they were.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use serde_json::Value;

use crate::support::{Repo, Who, isolated, run_charter};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let text = std::fs::read_to_string(root().join("schemas/charter-diff.schema.json"))
        .expect("the diff schema is in the repository");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the diff schema compiles")
});

/// The objects the diff report shares with the check report are the same in both schemas.
#[test]
fn schema_shares_the_check_reports_objects() {
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(root().join("schemas").join(name)).expect("a schema");
        serde_json::from_str(&text).expect("JSON")
    };
    let (diff, report) = (
        read("charter-diff.schema.json"),
        read("charter-report.schema.json"),
    );
    for def in ["result", "evidence", "diagnostic", "label", "location"] {
        assert_eq!(diff["$defs"][def], report["$defs"][def], "`{def}` differs");
    }
}

/// The `--format json` document, valid against its schema.
fn check_json(text: &str) -> Value {
    let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON: {e}\n{text}"));
    let errors: Vec<String> = SCHEMA
        .iter_errors(&doc)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "does not match the schema:\n{}",
        errors.join("\n")
    );
    doc
}

/// `charter diff ARGS` from the project's root: exit code, stdout, stderr.
fn diff(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["diff"];
    all.extend(args);
    run_charter(&root(), &all, &root())
}

const FIXTURE: [&str; 6] = [
    "--now",
    "2026-12-01T00:00:00Z",
    "--policies",
    "tests/fixtures/diff/new",
    "--base-policies",
    "tests/fixtures/diff/base",
];

fn fixture(extra: &[&str]) -> (i32, String, String) {
    let mut args = FIXTURE.to_vec();
    args.extend(extra);
    diff(&args)
}

#[test]
fn human() {
    let (code, out, err) = fixture(&["examples/changes"]);
    assert_eq!((code, err.as_str()), (0, ""), "report only by default");
    insta::assert_snapshot!(out);
}

#[test]
fn markdown() {
    let (code, out, err) = fixture(&[
        "--format",
        "markdown",
        "--examples",
        "1",
        "examples/changes",
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    insta::assert_snapshot!(out);
}

#[test]
fn json() {
    let (code, out, err) = fixture(&["--format", "json", "examples/changes"]);
    assert_eq!((code, err.as_str()), (0, ""));
    let doc = check_json(&out);
    insta::assert_snapshot!(out);
    // The counts agree with each other.
    let flipped: u64 = doc["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .map(|d| d["manifests"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(doc["flipped"].as_u64(), Some(flipped));
    for p in doc["policies"].as_array().expect("policies") {
        let examples = p["examples"].as_array().expect("examples").len() as u64;
        assert_eq!(examples, p["flips"].as_u64().unwrap_or(0).min(5), "{p}");
    }
}

/// What each policy became, by name, from the JSON report.
fn changes(doc: &Value) -> Vec<(String, String, Option<String>)> {
    doc["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| {
            (
                p["policy"].as_str().unwrap_or("?").to_string(),
                p["change"].as_str().unwrap_or("?").to_string(),
                p["base_name"].as_str().map(String::from),
            )
        })
        .collect()
}

#[test]
fn fixture_pairs_policies_and_counts_flips() {
    let (_, out, _) = fixture(&["--format", "json", "examples/changes"]);
    let doc = check_json(&out);
    let s = |a: &str, b: &str, c: Option<&str>| (a.to_string(), b.to_string(), c.map(String::from));
    assert_eq!(
        changes(&doc),
        [
            s("weekend_freeze", "unchanged", Some("weekend_freeze")),
            s(
                "ai_needs_senior_signoff",
                "changed",
                Some("ai_needs_senior_signoff")
            ),
            s(
                "large_change_two_approvals",
                "changed",
                Some("large_change_two_approvals")
            ),
            s(
                "approvals_not_by_author",
                "renamed",
                Some("no_self_approval")
            ),
            s(
                "auth_needs_security",
                "unchanged",
                Some("auth_needs_security")
            ),
            s("needs_title", "added", None),
            s("prod_region_limit", "removed", Some("prod_region_limit")),
        ]
    );
    assert_eq!(doc["manifests"], 3);
    assert_eq!(doc["flipped"], 2);
    assert_eq!(doc["nothing_flipped"], false);
    assert_eq!(doc["now_errors"]["manifests"], 1);
    assert_eq!(
        doc["now_errors"]["examples"][0]["manifest"],
        "examples/changes/chg-1043-large.yaml"
    );
    // The severity change alone flips a failure that stays a failure.
    let large = &doc["policies"][2];
    assert_eq!(large["severity"]["base"], "deny");
    assert_eq!(large["severity"]["new"], "warn");
    assert_eq!(large["transitions"][0]["from"], "fail");
    assert_eq!(large["transitions"][0]["to"], "fail");
    // The waiver of the new set lets a failure through: an unchanged policy flips.
    assert_eq!(doc["exceptions"], 1);
    let auth = &doc["policies"][4];
    assert_eq!(auth["transitions"][0]["from"], "fail");
    assert_eq!(auth["transitions"][0]["to"], "waived");
    assert_eq!(auth["examples"][0]["side"], "new");
    assert_eq!(
        auth["examples"][0]["result"]["waiver"]["owner"],
        "identity-team"
    );
}

#[test]
fn examples_limit_and_exit_codes() {
    let (code, out, _) = fixture(&["--format", "json", "--examples", "0", "examples/changes"]);
    assert_eq!(code, 0);
    let doc = check_json(&out);
    for p in doc["policies"].as_array().expect("policies") {
        assert_eq!(p["examples"].as_array().map(Vec::len), Some(0));
    }
    assert_eq!(
        doc["now_errors"]["examples"].as_array().map(Vec::len),
        Some(0)
    );
    // chg-1043 goes from deny to warn: it would get through now.
    let (code, ..) = fixture(&["--fail-on", "deny-to-allow", "examples/changes"]);
    assert_eq!(code, 1);
    let (code, ..) = fixture(&["--fail-on", "any", "examples/changes"]);
    assert_eq!(code, 1);
    // Only the manifest that gets stricter: nothing is let through.
    let (code, ..) = fixture(&[
        "--fail-on",
        "deny-to-allow",
        "examples/changes/chg-1041-ok.yaml",
    ]);
    assert_eq!(code, 0);
    // The same set on both sides: nothing flipped, whatever --fail-on says.
    let (code, out, err) = diff(&[
        "--policies",
        "policies",
        "--base-policies",
        "tests/fixtures/diff/base",
        "--now",
        "2026-12-01T00:00:00Z",
        "--fail-on",
        "any",
        "examples/changes",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.ends_with(
            "\nnothing flipped: 3 manifests compared, no decision and no policy's result changed\n"
        ),
        "{out}"
    );
}

/// No manifests: the policy sets alone are compared, and the closing line says so.
#[test]
fn policy_sets_alone() {
    let (code, out, err) = fixture(&[]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(
        out.contains("  renamed   no_self_approval -> approvals_not_by_author (deny)\n"),
        "{out}"
    );
    assert!(
        out.ends_with("\nnothing flipped: no manifests given, only the policy sets were compared (replay a history: `charter manifest git --each HEAD~500..HEAD | charter diff --base REV -`)\n"),
        "{out}"
    );
}

#[test]
fn bad_input_says_which_set() {
    let (code, out, err) = diff(&[
        "--policies",
        "tests/fixtures/diff/new",
        "--base-policies",
        "tests/fixtures/broken_set",
        "examples/changes",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("error: the base policy set `tests/fixtures/broken_set` does not compile with this version of Charter"),
        "{err}"
    );
    let (code, out, err) = diff(&[
        "--policies",
        "tests/fixtures/broken_set",
        "--base-policies",
        "tests/fixtures/diff/base",
        "examples/changes",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("error: the policy set `tests/fixtures/broken_set` has errors"),
        "{err}"
    );
    let (code, _, err) = fixture(&["examples/changes", "examples/nope.yaml"]);
    assert_eq!(code, 2, "a manifest that cannot be read is bad input");
    assert!(err.is_empty(), "{err}");
    let (code, _, err) = diff(&["--base-policies", "nowhere", "examples/changes"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(err, @r"
    error: the base policy folder `nowhere` does not exist or is not a folder
      help: --base-policies takes the folder that holds the base set's .charter files
    ");
}

/// Runs `charter diff ARGS` with `input` on standard input.
fn diff_stdin(dir: &Path, args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = isolated(&mut Command::new(env!("CARGO_BIN_EXE_charter")), dir)
        .arg("diff")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the charter binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("charter ends");
    writer.join().expect("written");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The example changes as JSON Lines, `n` of them with distinct ids, in a fixed order.
fn history(n: usize) -> String {
    let base: Vec<Value> = ["chg-1041-ok", "chg-1042-ai-unreviewed", "chg-1043-large"]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(root().join(format!("examples/changes/{f}.yaml")))
                .expect("an example");
            serde_saphyr::from_str(&text).expect("YAML")
        })
        .collect();
    let mut out = String::new();
    for i in 0..n {
        let mut m = base[(i * 7 + i / 3) % 3].clone();
        m["id"] = Value::String(format!("CHG-{i}"));
        out.push_str(&m.to_string());
        out.push('\n');
    }
    out
}

/// A stream: the same report whatever the number of threads, examples the first in input order.
#[test]
fn stream_is_thread_count_independent() {
    let input = history(2000);
    let args = |j: &'static str| {
        let mut a = FIXTURE.to_vec();
        a.extend(["--format", "json", "-j", j, "-"]);
        a
    };
    let (code, one, err) = diff_stdin(&root(), &args("1"), &input);
    assert_eq!(code, 0, "{err}");
    let (_, four, _) = diff_stdin(&root(), &args("4"), &input);
    assert_eq!(one, four);
    let doc = check_json(&one);
    assert_eq!(doc["manifests"], 2000);
    let ai = doc["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .find(|p| p["policy"] == "ai_needs_senior_signoff")
        .expect("the changed policy");
    let names: Vec<&str> = ai["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .filter_map(|e| e["manifest"].as_str())
        .collect();
    // The first flips in stream order: the manifests that are CHG-1041 (ai, one senior).
    let expected: Vec<String> = (0..2000)
        .filter(|i| (i * 7 + i / 3) % 3 == 0)
        .take(5)
        .map(|i| format!("<stdin>:{}", i + 1))
        .collect();
    assert_eq!(names, expected);
}

/// A line no set can read is listed with its problem, the others are still compared, and the
/// run is bad input.
#[test]
fn unreadable_manifests_are_listed() {
    let mut input = history(3);
    input.push_str("{\"id\": \"CHG-X\"}\n");
    let mut args = FIXTURE.to_vec();
    args.extend(["--format", "json", "-"]);
    let (code, out, err) = diff_stdin(&root(), &args, &input);
    assert_eq!(code, 2, "{err}");
    let doc = check_json(&out);
    assert_eq!(doc["manifests"], 3);
    assert_eq!(doc["unreadable"]["manifests"], 1);
    let example = &doc["unreadable"]["examples"][0];
    assert_eq!(example["manifest"], "<stdin>:4");
    assert_eq!(
        example["diagnostics"][0]["code"],
        "charter::manifest::missing_field"
    );
    let mut args = FIXTURE.to_vec();
    args.push("-");
    let (code, out, _) = diff_stdin(&root(), &args, &input);
    assert_eq!(code, 2);
    assert!(
        out.contains("\ncould not be read by either set: 1 manifest\n\n  <stdin>:4\n"),
        "{out}"
    );
    assert!(
        out.contains("; 1 manifest could not be read by either set\n"),
        "{out}"
    );
}

// ------------------------------------------------------------------ git

const WHO: Who<'static> = Who {
    name: "Ada",
    email: "ada@example.com",
    date: "2026-11-20T10:00:00+00:00",
};

fn shipped(name: &str) -> Vec<u8> {
    std::fs::read(root().join("policies").join(name)).expect("a shipped policy file")
}

/// A repository whose first commit has the shipped policies in `ops/policies` and the example
/// changes in `changes/`.
fn repo(name: &str) -> Repo {
    let repo = Repo::new(name);
    let mut files: Vec<(Vec<u8>, Vec<u8>)> =
        ["schema.charter", "reviews.charter", "rollout.charter"]
            .iter()
            .map(|f| (format!("ops/policies/{f}").into_bytes(), shipped(f)))
            .collect();
    for f in ["chg-1041-ok", "chg-1042-ai-unreviewed", "chg-1043-large"] {
        let text =
            std::fs::read(root().join(format!("examples/changes/{f}.yaml"))).expect("an example");
        files.push((format!("changes/{f}.yaml").into_bytes(), text));
    }
    let list: Vec<(&[u8], Option<&[u8]>)> = files
        .iter()
        .map(|(p, t)| (p.as_slice(), Some(t.as_slice())))
        .collect();
    repo.commit("policies", &list, WHO, WHO);
    repo
}

fn write(repo: &Repo, path: &str, text: &str) {
    let p = repo.path().join(path);
    std::fs::create_dir_all(p.parent().expect("a folder")).expect("folders");
    std::fs::write(p, text).expect("a file");
}

fn status(repo: &Repo) -> String {
    repo.git(&["status", "--porcelain=v1", "--untracked-files=all"])
}

/// The second revision, uncommitted in the work tree: a policy renamed, one moved to a new file
/// under a subfolder, one removed, one added. `--base HEAD` reads the first from git.
#[test]
fn git_base_renames_additions_removals() {
    let repo = repo("diff-git");
    let reviews = String::from_utf8(shipped("reviews.charter")).expect("UTF-8");
    let reviews = reviews
        .replace("policy no_self_approval", "policy approved_by_others")
        .replace(
            "require count(approvals) >= 2",
            "require count(approvals) >= 1",
        );
    write(&repo, "ops/policies/reviews.charter", &reviews);
    std::fs::remove_file(repo.path().join("ops/policies/rollout.charter")).expect("removed");
    write(
        &repo,
        "ops/policies/more/hygiene.charter",
        "/// Every change has a label.\npolicy labelled {\n  severity warn\n  require count(change.labels) > 0\n  message \"change {change.id} has no label\"\n}\n",
    );
    let before = status(&repo);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let (code, out, err) = repo.charter(&[
        "diff",
        "--policies",
        "ops/policies",
        "--base",
        "HEAD",
        "--format",
        "json",
        "changes",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc = check_json(&out);
    let s = |a: &str, b: &str, c: Option<&str>| (a.to_string(), b.to_string(), c.map(String::from));
    assert_eq!(
        changes(&doc),
        [
            // more/hygiene.charter is read before reviews.charter, as on disk.
            s("labelled", "added", None),
            s(
                "ai_needs_senior_signoff",
                "unchanged",
                Some("ai_needs_senior_signoff")
            ),
            s(
                "large_change_two_approvals",
                "changed",
                Some("large_change_two_approvals")
            ),
            s("approved_by_others", "renamed", Some("no_self_approval")),
            s(
                "auth_needs_security",
                "unchanged",
                Some("auth_needs_security")
            ),
            s("prod_region_limit", "removed", Some("prod_region_limit")),
        ]
    );
    assert_eq!(doc["base"]["label"], "ops/policies at HEAD");
    assert_eq!(doc["base"]["policies"], 5);
    // chg-1043 (one approval, 705 lines) passes now: deny -> allow.
    assert_eq!(
        doc["decisions"],
        serde_json::json!([{"from": "deny", "to": "allow", "manifests": 1}])
    );
    let large = &doc["policies"][2];
    assert_eq!(
        large["examples"][0]["side"], "base",
        "what failed before is shown"
    );
    assert_eq!(
        large["examples"][0]["result"]["location"]["file"],
        "HEAD:ops/policies/reviews.charter"
    );
    // Nothing was checked out: the work tree, the index and HEAD are as they were.
    assert_eq!(status(&repo), before);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(
        std::fs::read_to_string(repo.path().join("ops/policies/reviews.charter")).expect("kept"),
        reviews
    );
    // From a subfolder, with the policy folder given relative to it: the same base.
    let (code, out2, err) = run_charter(
        &repo.path().join("changes"),
        &[
            "diff",
            "-p",
            "../ops/policies",
            "--base",
            "HEAD",
            "--format",
            "json",
            ".",
        ],
        repo.path(),
    );
    assert_eq!(code, 0, "{err}");
    let doc2 = check_json(&out2);
    assert_eq!(changes(&doc2), changes(&doc));
    assert_eq!(doc2["decisions"], doc["decisions"]);
    let base_file = &doc2["policies"][2]["examples"][0]["result"]["location"]["file"];
    assert_eq!(
        base_file, "HEAD:ops/policies/reviews.charter",
        "named from the root"
    );
}

/// A commit that adds a required field to the schema: every manifest now fails to load (each
/// loaded twice, once per schema), and the base is a revision two commits back.
#[test]
fn git_schema_change_makes_manifests_error() {
    let repo = repo("diff-schema");
    let schema = String::from_utf8(shipped("schema.charter")).expect("UTF-8");
    let schema = schema.replace(
        "  labels: [string]\n",
        "  labels: [string]\n  ticket: string\n",
    );
    repo.commit(
        "a ticket for every change",
        &[(b"ops/policies/schema.charter", Some(schema.as_bytes()))],
        WHO,
        WHO,
    );
    repo.commit("nothing", &[], WHO, WHO);
    let (code, out, err) = repo.charter(&[
        "diff",
        "-p",
        "ops/policies",
        "--base",
        "HEAD~2",
        "--fail-on",
        "any",
        "changes",
    ]);
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn git_base_that_does_not_compile() {
    let repo = repo("diff-broken");
    repo.commit(
        "a policy this version does not understand",
        &[(
            b"ops/policies/new.charter",
            Some(b"policy later {\n  require change.size.lines_added ~ 5\n}\n"),
        )],
        WHO,
        WHO,
    );
    std::fs::remove_file(repo.path().join("ops/policies/new.charter")).expect("removed");
    let (code, out, err) =
        repo.charter(&["diff", "-p", "ops/policies", "--base", "HEAD", "changes"]);
    assert_eq!((code, out.as_str()), (2, ""));
    insta::assert_snapshot!(err);
}

#[test]
fn git_base_problems_are_explained() {
    let repo = repo("diff-problems");
    let run = |args: &[&str]| {
        let (code, out, err) = repo.charter(args);
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        err
    };
    let mut all = String::new();
    all.push_str(&run(&[
        "diff",
        "-p",
        "ops/policies",
        "--base",
        "v9",
        "changes",
    ]));
    all.push_str(&run(&[
        "diff",
        "-p",
        "ops/policies",
        "--base=-x",
        "changes",
    ]));
    // A folder added since the base: there is nothing to compare with.
    write(
        &repo,
        "other/policies/a.charter",
        &String::from_utf8(shipped("schema.charter")).expect("UTF-8"),
    );
    all.push_str(&run(&[
        "diff",
        "-p",
        "other/policies",
        "--base",
        "HEAD",
        "changes",
    ]));
    // Outside any repository.
    let outside = crate::support::TempDir::new("diff-outside");
    for f in ["schema.charter", "reviews.charter"] {
        std::fs::write(outside.path().join(f), shipped(f)).expect("a file");
    }
    let (code, _, err) = run_charter(
        outside.path(),
        &["diff", "-p", ".", "--base", "HEAD"],
        outside.path(),
    );
    assert_eq!(code, 2);
    all.push_str(&err.replace(&outside.path().display().to_string(), "<dir>"));
    insta::assert_snapshot!(all.replace(&repo.path().display().to_string(), "<repo>"));
}

/// The base set's waiver file is read at the revision too: removing a waiver flips the failure
/// it let through back to a failure.
#[test]
fn git_base_reads_its_waivers() {
    let repo = repo("diff-waivers");
    let waivers = "waivers:\n  - policy: prod_region_limit\n    ids: [CHG-1042]\n    owner: sre\n    reason: a three-region rollout, agreed\n    approved_by: [carol]\n    expires: 2026-12-31T00:00:00Z\n";
    repo.commit(
        "a waiver",
        &[(b"ops/policies/waivers.yaml", Some(waivers.as_bytes()))],
        WHO,
        WHO,
    );
    std::fs::remove_file(repo.path().join("ops/policies/waivers.yaml")).expect("removed");
    let (code, out, err) = repo.charter(&[
        "diff",
        "-p",
        "ops/policies",
        "--base",
        "HEAD",
        "--now",
        "2026-12-01T00:00:00Z",
        "--format",
        "json",
        "changes",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc = check_json(&out);
    assert_eq!(doc["exceptions"], 1);
    let region = doc["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .find(|p| p["policy"] == "prod_region_limit")
        .expect("the policy");
    assert_eq!(region["change"], "unchanged");
    assert_eq!(
        region["transitions"],
        serde_json::json!([{"from": "waived", "to": "fail", "manifests": 1}])
    );
    assert_eq!(region["examples"][0]["side"], "new");
}
