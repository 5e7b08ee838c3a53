//! `charter manifest github`: a pull-request event payload and its reviews (fixtures in the
//! documented shape of GitHub's payloads, `tests/data/github/`), alone, with the commits read
//! from a clone (`--git`), and with a people file.

use std::path::PathBuf;

use crate::manifest_git::{history, named};
use crate::support::{Standard, TempDir, run_charter};

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/github")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let home = TempDir::new("github");
    run_charter(home.path(), args, home.path())
}

fn shown(args: &[&str], out: &(i32, String, String)) -> String {
    let root = format!("{}/", PathBuf::from(env!("CARGO_MANIFEST_DIR")).display());
    format!(
        "$ charter {}\nexit: {}\n{}--- stderr ---\n{}",
        args.join(" "),
        out.0,
        out.1,
        out.2
    )
    .replace(&root, "")
}

#[test]
fn event_and_reviews() {
    let args = [
        "manifest",
        "github",
        "--event",
        &data("pull_request_opened.json"),
        "--reviews",
        &data("reviews.json"),
    ];
    let out = run(&args);
    insta::assert_snapshot!(shown(&args, &out));
    assert!(Standard::new().problems("github", &out.1).is_empty());
}

/// `gh api --paginate` writes one array per page, one after another: the same reviewers.
#[test]
fn paginated_reviews_read_as_one_list() {
    let one = run(&[
        "manifest",
        "github",
        "--event",
        &data("pull_request_opened.json"),
        "--reviews",
        &data("reviews.json"),
        "--format",
        "json",
    ]);
    let pages = run(&[
        "manifest",
        "github",
        "--event",
        &data("pull_request_opened.json"),
        "--reviews",
        &data("reviews_paginated.json"),
        "--format",
        "json",
    ]);
    assert_eq!(one.0, 0, "{}", one.2);
    assert_eq!(one.1, pages.1);
    assert!(Standard::new().problems("github.json", &one.1).is_empty());
}

/// Without reviews, `reviewers` is absent (unknown), never an empty list.
#[test]
fn event_alone() {
    let args = [
        "manifest",
        "github",
        "--event",
        &data("pull_request_opened.json"),
    ];
    let out = run(&args);
    insta::assert_snapshot!(shown(&args, &out));
    assert!(Standard::new().problems("github", &out.1).is_empty());
}

#[test]
fn bad_input_is_explained() {
    let dir = TempDir::new("github-bad");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("a fixture");
        p.display().to_string()
    };
    let push = write("push.json", r#"{"ref": "refs/heads/main", "commits": []}"#);
    let broken = write("broken.json", "{\"pull_request\": ");
    let reviews = write("reviews.json", r#"[{"state": "APPROVED"}, 3]"#);
    let mut out = String::new();
    for args in [
        vec!["manifest", "github", "--event", &push],
        vec!["manifest", "github", "--event", &broken],
        vec!["manifest", "github", "--event", "missing.json"],
        vec![
            "manifest",
            "github",
            "--event",
            &data("pull_request_opened.json"),
            "--reviews",
            &reviews,
        ],
        vec!["manifest", "github"],
    ] {
        let r = run_charter(dir.path(), &args, dir.path());
        out.push_str(&shown(&args, &r).replace(&format!("{}/", dir.path().display()), ""));
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

/// `--git` adds what only the commits hold (trailers, AI evidence, files, the committer) from the
/// clone, for the event's base..head; GitHub's word stands for the pull request itself.
#[test]
fn with_the_commits_from_the_clone() {
    let h = history();
    let event = std::fs::read_to_string(data("pull_request_opened.json"))
        .expect("fixture")
        .replace("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", &h.commits[4])
        .replace("9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b", &h.commits[7]);
    let event_path = h.repo.path().join("event.json");
    std::fs::write(&event_path, event).expect("event written");
    let event_path = event_path.display().to_string();
    let reviews = data("reviews.json");
    let args = [
        "manifest",
        "github",
        "--git",
        "--event",
        &event_path,
        "--reviews",
        &reviews,
    ];
    let (code, out, err) = h.repo.charter(&args);
    let text = format!("exit: {code}\n{out}--- stderr ---\n{err}");
    insta::assert_snapshot!(named(&h, &text));
    assert!(Standard::new().problems("github --git", &out).is_empty());
}

/// The people file fills in seniority, teams and bots; a login it does not list is one warning,
/// and that person's fields stay absent.
#[test]
fn people_file_fills_in_people() {
    let args = [
        "manifest",
        "github",
        "--event",
        &data("pull_request_opened.json"),
        "--reviews",
        &data("reviews.json"),
        "--people",
        &data("people.yaml"),
    ];
    let out = run(&args);
    insta::assert_snapshot!(shown(&args, &out));
    assert!(
        Standard::new()
            .problems("github --people", &out.1)
            .is_empty()
    );

    // git: a person found through `emails` takes the file's login.
    let h = history();
    let people = data("people.yaml");
    let (code, out, err) = h.repo.charter(&[
        "manifest",
        "git",
        "--each",
        "--history",
        "--format",
        "yaml",
        "--people",
        &people,
    ]);
    assert_eq!(code, 0, "{err}");
    Standard::new().assert_valid_stream("git --people", &out);
    let root = format!("{}/", PathBuf::from(env!("CARGO_MANIFEST_DIR")).display());
    let last = out.rsplit("---\n").next().unwrap_or("");
    insta::assert_snapshot!(
        "people_file_fills_in_people_git",
        named(&h, &format!("{last}--- stderr ---\n{err}")).replace(&root, "")
    );
}

#[test]
fn people_file_errors() {
    let dir = TempDir::new("people-bad");
    let bad = dir.path().join("people.yaml");
    std::fs::write(&bad, "alice:\n  senority: senior\n").expect("fixture");
    let twice = dir.path().join("twice.yaml");
    std::fs::write(&twice, "alice: {}\nAlice: {}\n").expect("fixture");
    let mut out = String::new();
    for p in [&bad, &twice] {
        let args = [
            "manifest",
            "github",
            "--event",
            &data("pull_request_opened.json"),
            "--people",
            &p.display().to_string(),
        ];
        let r = run_charter(dir.path(), &args, dir.path());
        out.push_str(&shown(&args, &r).replace(&format!("{}/", dir.path().display()), ""));
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

/// Reviews are ordered by `submitted_at`. A submitted review without one, or with one that is not
/// RFC 3339, cannot be ordered: here erin's "changes requested" after her approval. Dropping it
/// left `approved: true`; it is an error naming the review, the field and the value (exit 2).
/// A pending review has no `submitted_at` on GitHub, and needs none.
#[test]
fn a_review_that_cannot_be_ordered_is_an_error() {
    let dir = TempDir::new("github-unordered");
    let review = |id: u32, state: &str, submitted_at: Option<&str>| {
        let at = match submitted_at {
            Some(t) => format!(",\n    \"submitted_at\": {t}"),
            None => String::new(),
        };
        format!(
            "  {{\n    \"id\": {id},\n    \"node_id\": \"PRR_{id}\",\n    \"user\": {{ \"login\": \"erin\", \"id\": 5, \"type\": \"User\" }},\n    \"body\": \"\",\n    \"state\": \"{state}\",\n    \"html_url\": \"https://github.com/acme/shop/pull/42#pullrequestreview-{id}\",\n    \"author_association\": \"MEMBER\",\n    \"commit_id\": \"5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c\"{at}\n  }}"
        )
    };
    let approved = review(90, "APPROVED", Some("\"2026-11-24T16:00:00Z\""));
    let pending = review(93, "PENDING", None);
    let mut shown_all = String::new();
    for (name, second) in [
        ("missing", review(91, "CHANGES_REQUESTED", None)),
        ("null", review(91, "CHANGES_REQUESTED", Some("null"))),
        (
            "not-rfc3339",
            review(91, "CHANGES_REQUESTED", Some("\"2026-11-24 17:00\"")),
        ),
        (
            "no-offset",
            review(91, "CHANGES_REQUESTED", Some("\"2026-11-24T17:00:00\"")),
        ),
        (
            "no-such-day",
            review(91, "CHANGES_REQUESTED", Some("\"2026-02-30T17:00:00Z\"")),
        ),
        ("commented", review(91, "COMMENTED", Some("\"\""))),
    ] {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, format!("[\n{approved},\n{pending},\n{second}\n]\n"))
            .expect("reviews");
        let reviews = path.display().to_string();
        let args = [
            "manifest",
            "github",
            "--event",
            &data("pull_request_opened.json"),
            "--reviews",
            &reviews,
        ];
        let out = run(&args);
        assert_eq!(out.0, 2, "{name}: {}", out.1);
        assert!(!out.1.contains("approved: true"), "{name}: {}", out.1);
        shown_all.push_str(&shown(&args, &out).replace(&format!("{}/", dir.path().display()), ""));
        shown_all.push('\n');
    }
    insta::assert_snapshot!(shown_all);

    // With its time, the same "changes requested" decides: erin has not approved.
    let path = dir.path().join("ordered.json");
    let later = review(91, "CHANGES_REQUESTED", Some("\"2026-11-24T17:00:00Z\""));
    std::fs::write(&path, format!("[\n{approved},\n{pending},\n{later}\n]\n")).expect("reviews");
    let out = run(&[
        "manifest",
        "github",
        "--event",
        &data("pull_request_opened.json"),
        "--reviews",
        &path.display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(out.0, 0, "{}", out.2);
    let m: serde_json::Value = serde_json::from_str(&out.1).expect("a JSON manifest");
    assert_eq!(m["reviewers"][0]["login"], "erin");
    assert_eq!(m["reviewers"][0]["approved"], false);
    assert_eq!(m["reviewers"][0]["state"], "changes_requested");
}
