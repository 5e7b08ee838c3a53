//! `charter manifest git`: small repositories built in a temporary folder (trailers, AI
//! evidence, renames, binary files, an empty commit, a merge, a root commit, a file name that is
//! not UTF-8, a shallow clone), their manifests snapshotted and validated against the standard
//! schema that `charter init` writes.

use crate::support::{Repo, Standard, TempDir, Who, isolated, run_charter};

const ALICE: Who<'static> = Who {
    name: "Alice Martin",
    email: "12345+alice@users.noreply.github.com",
    date: "2026-01-05T09:00:00+01:00",
};

fn at<'a>(who: Who<'a>, date: &'a str) -> Who<'a> {
    Who { date, ..who }
}

const BOB: Who<'static> = Who {
    name: "Bob Okafor",
    email: "Bob@Example.COM",
    date: "2026-01-06T10:00:00-05:00",
};

const DAN: Who<'static> = Who {
    name: "Dan Sato",
    email: "dan@example.jp",
    date: "2026-01-07T18:30:00+09:00",
};

/// A small history on `main` plus a merged feature branch:
///
/// 1. root: README, src/lib.rs, a binary logo
/// 2. review and AI trailers, a new file under src/auth/ (committed by someone else)
/// 3. a rename with an edit; an AI co-author, a human co-author, a "Generated with" line
/// 4. an empty commit
/// 5. a binary change, a deletion, a file name that is not UTF-8
/// 6. (branch `feature`) a commit with a review trailer naming a GitHub noreply address
/// 7. the merge of `feature`
/// 8. Gerrit-style trailers, a trailer key written twice with different case
pub struct History {
    pub repo: Repo,
    pub commits: Vec<String>,
}

pub fn history() -> History {
    let repo = Repo::new("history");
    let mut c = vec![repo.commit(
        "Initial import",
        &[
            (b"README.md", Some(b"# Shop\n\nSells things.\n")),
            (b"src/lib.rs", Some(b"pub fn price() -> u32 {\n    42\n}\n")),
            (
                b"assets/logo.png",
                Some(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01"),
            ),
        ],
        ALICE,
        ALICE,
    )];
    c.push(repo.commit(
        "auth: refresh session tokens early\n\nTokens now refresh five minutes before they expire.\n\nReviewed-by: Bob Okafor <Bob@Example.COM>\nAcked-by: @carol\nAssisted-by: Claude Code (Opus 4)\nSigned-off-by: Alice Martin <12345+alice@users.noreply.github.com>\n",
        &[(b"src/auth/session.rs", Some(b"pub const REFRESH_BEFORE_SECS: u64 = 300;\n"))],
        at(ALICE, "2026-01-06T09:15:00-05:00"),
        DAN,
    ));
    c.push(repo.commit(
        "Move the pricing code into core\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-authored-by: Erin Cole <erin@example.com>\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
        &[
            (b"src/lib.rs", None),
            (b"src/core.rs", Some(b"pub fn price() -> u32 {\n    43\n}\n")),
        ],
        at(BOB, "2026-01-08T11:00:00+00:00"),
        at(BOB, "2026-01-08T11:00:00+00:00"),
    ));
    c.push(repo.commit(
        "Trigger CI",
        &[],
        at(BOB, "2026-01-08T12:00:00+00:00"),
        at(BOB, "2026-01-08T12:00:00+00:00"),
    ));
    c.push(repo.commit(
        "New logo, no README, a café",
        &[
            (
                b"assets/logo.png",
                Some(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x02"),
            ),
            (b"README.md", None),
            (b"caf\xe9.txt", Some(b"latin-1 name\n")),
        ],
        at(DAN, "2026-01-09T08:00:00+09:00"),
        at(DAN, "2026-01-09T08:00:00+09:00"),
    ));
    repo.git(&["checkout", "-q", "-b", "feature"]);
    c.push(repo.commit(
        "search: add a query parser\n\nReviewed-by: Alice Martin <12345+alice@users.noreply.github.com>\n",
        &[(b"src/search.rs", Some(b"pub fn parse(q: &str) -> Vec<&str> {\n    q.split(' ').collect()\n}\n"))],
        at(DAN, "2026-01-10T09:00:00+09:00"),
        at(DAN, "2026-01-10T09:00:00+09:00"),
    ));
    repo.git(&["checkout", "-q", "main"]);
    let merge = isolated(&mut std::process::Command::new("git"), repo.path())
        .args([
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge branch 'feature'",
            "feature",
        ])
        .env("GIT_AUTHOR_NAME", BOB.name)
        .env("GIT_AUTHOR_EMAIL", BOB.email)
        .env("GIT_AUTHOR_DATE", "2026-01-11T10:00:00+01:00")
        .env("GIT_COMMITTER_NAME", BOB.name)
        .env("GIT_COMMITTER_EMAIL", BOB.email)
        .env("GIT_COMMITTER_DATE", "2026-01-11T10:00:00+01:00")
        .current_dir(repo.path())
        .status()
        .expect("git merge runs");
    assert!(merge.success());
    c.push(repo.git(&["rev-parse", "HEAD"]));
    c.push(repo.commit(
        "go/packages: aggregate chunked files\n\nChange-Id: I503a3405b9972cc992691c738f67602ca5aa4648\nReviewed-on: https://go-review.example/c/tools/+/736582\nReviewed-by: Gina Park <gina@example.org>\nreviewed-by: Hal Jones <hal@example.org>\nReviewed-by: Gina Park <gina@example.org>\n",
        &[(b"src/search.rs", Some(b"pub fn parse(q: &str) -> Vec<&str> {\n    q.split_whitespace().collect()\n}\n"))],
        at(DAN, "2026-01-12T09:00:00+09:00"),
        at(DAN, "2026-01-12T09:00:00+09:00"),
    ));
    History { repo, commits: c }
}

/// Replaces commit hashes with `<cN>` so a snapshot reads as the story above.
pub fn named(h: &History, text: &str) -> String {
    let mut out = text.to_string();
    for (i, c) in h.commits.iter().enumerate() {
        out = out.replace(c.as_str(), &format!("<c{}>", i + 1));
        out = out.replace(&c[..12], &format!("<c{}>", i + 1));
    }
    out
}

fn snapshot_run(h: &History, args: &[&str]) -> (String, String) {
    let (code, out, err) = h.repo.charter(args);
    (
        out.clone(),
        named(
            h,
            &format!(
                "$ charter {}\nexit: {code}\n{out}--- stderr ---\n{err}",
                args.join(" ")
            ),
        ),
    )
}

#[test]
fn each_commit_of_a_history() {
    let h = history();
    let (out, shown) = snapshot_run(
        &h,
        &["manifest", "git", "--each", "--history", "--format", "yaml"],
    );
    insta::assert_snapshot!(shown);
    let n = Standard::new().assert_valid_stream("--each --history", &out);
    assert_eq!(n, 8);
}

#[test]
fn each_as_json_lines_validates() {
    let h = history();
    let (code, out, _) = h.repo.charter(&["manifest", "git", "--each", "--history"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 8);
    for line in out.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is one JSON document");
    }
    Standard::new().assert_valid_stream("JSON Lines", &out);
}

#[test]
fn one_commit() {
    let h = history();
    let (out, shown) = snapshot_run(&h, &["manifest", "git", &h.commits[1]]);
    insta::assert_snapshot!(shown);
    assert!(Standard::new().problems("one", &out).is_empty());
}

#[test]
fn a_range_as_one_change() {
    let h = history();
    let range = format!("{}..{}", h.commits[0], h.commits[4]);
    let (out, shown) = snapshot_run(&h, &["manifest", "git", &range]);
    insta::assert_snapshot!(shown);
    let (_, json, _) = h
        .repo
        .charter(&["manifest", "git", "--format", "json", &range]);
    let mut s = Standard::new();
    assert!(s.problems("range", &out).is_empty());
    assert!(s.problems("range.json", &json).is_empty());
}

/// The default: the commits on HEAD that are not on the upstream default branch; `origin`'s
/// URL names the repository.
#[test]
fn default_range_is_head_over_upstream() {
    let h = history();
    h.repo.git(&[
        "remote",
        "add",
        "origin",
        "https://github.com/acme/shop.git",
    ]);
    h.repo
        .git(&["update-ref", "refs/remotes/origin/main", &h.commits[4]]);
    let (out, shown) = snapshot_run(&h, &["manifest", "git"]);
    insta::assert_snapshot!(shown);
    assert!(Standard::new().problems("default", &out).is_empty());
    // GITHUB_BASE_REF (set in pull-request jobs) names the upstream branch first.
    h.repo
        .git(&["update-ref", "refs/remotes/origin/release", &h.commits[6]]);
    let out = isolated(
        &mut std::process::Command::new(env!("CARGO_BIN_EXE_charter")),
        h.repo.path(),
    )
    .args(["manifest", "git", "--format", "json"])
    .env("GITHUB_BASE_REF", "release")
    .current_dir(h.repo.path())
    .output()
    .expect("charter runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["commits"], 1);
    assert_eq!(json["source"]["range"], "origin/release..HEAD");
}

#[test]
fn errors_say_what_to_do() {
    let h = history();
    let mut out = String::new();
    for args in [
        &["manifest", "git"][..],
        &["manifest", "git", "no-such-branch"],
        &["manifest", "git", "HEAD..HEAD"],
        &["manifest", "git", "--upload-pack=evil"],
        &["manifest", "git", "HEAD~1..HEAD", "--history"],
        &["manifest", "git", "--history"],
    ] {
        let (code, stdout, err) = h.repo.charter(args);
        out.push_str(&format!(
            "$ charter {}\nexit: {code}\n{stdout}{err}\n",
            args.join(" ")
        ));
    }
    let outside = TempDir::new("not-a-repo");
    let (code, _, err) = run_charter(outside.path(), &["manifest", "git", "HEAD"], outside.path());
    out.push_str(&format!(
        "$ charter manifest git HEAD  (outside a repository)\nexit: {code}\n{err}"
    ));
    insta::assert_snapshot!(out);
}

/// A shallow clone: the boundary commit's parent is not in the clone. Its size and files are
/// left out and listed in `missing`, with a warning; a range that reaches the boundary says the
/// history is incomplete. Nothing is invented.
#[test]
fn shallow_clone_says_what_is_missing() {
    let h = history();
    let clone = TempDir::new("shallow");
    let url = format!("file://{}", h.repo.path().display());
    let status = isolated(&mut std::process::Command::new("git"), clone.path())
        .args(["clone", "-q", "--depth", "2", &url, "shallow"])
        .current_dir(clone.path())
        .status()
        .expect("git clone runs");
    assert!(status.success());
    let dir = clone.path().join("shallow");
    // A second shallow root, so that a range can reach the boundary.
    h.repo.git(&["tag", "v0", &h.commits[0]]);
    let fetch = isolated(&mut std::process::Command::new("git"), clone.path())
        .args(["fetch", "-q", "--depth", "1", "origin", "tag", "v0"])
        .current_dir(&dir)
        .status()
        .expect("git fetch runs");
    assert!(fetch.success());
    let mut out = String::new();
    let mut standard = Standard::new();
    for args in [
        &[
            "manifest",
            "git",
            "--each",
            "HEAD~1..HEAD",
            "--format",
            "yaml",
        ][..],
        &["manifest", "git", "HEAD~1"],
        &["manifest", "git", "v0..HEAD"],
        &["manifest", "git", &format!("{}..HEAD", h.commits[5])],
    ] {
        let (code, stdout, err) = run_charter(&dir, args, clone.path());
        standard.assert_valid_stream("shallow", &stdout);
        out.push_str(&format!(
            "$ charter {}\nexit: {code}\n{stdout}--- stderr ---\n{err}\n",
            args.join(" ")
        ));
    }
    insta::assert_snapshot!(named(&h, &out));
}

/// `--each | charter check -` replays a history against a policy set (here the one
/// `charter init` writes).
#[test]
fn replay_a_history_through_check() {
    let h = history();
    let (code, _, err) = run_charter(h.repo.path(), &["init"], h.repo.path());
    assert_eq!(code, 0, "{err}");
    let manifests = h
        .repo
        .charter(&["manifest", "git", "--each", "--history"])
        .1;
    let mut child = isolated(
        &mut std::process::Command::new(env!("CARGO_BIN_EXE_charter")),
        h.repo.path(),
    )
    .args(["check", "--format", "json", "-"])
    .current_dir(h.repo.path())
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .expect("charter check runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(manifests.as_bytes())
            .expect("manifests written");
    }
    let out = child.wait_with_output().expect("charter check ends");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let mut table = String::new();
    for m in json["manifests"].as_array().expect("manifests") {
        let failed: Vec<&str> = m["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["outcome"] != "pass" && r["outcome"] != "skip")
            .map(|r| r["policy"].as_str().unwrap_or("?"))
            .collect();
        table.push_str(
            format!(
                "{} {} {}",
                m["path"].as_str().unwrap_or("?"),
                m["decision"].as_str().unwrap_or("?"),
                failed.join(", ")
            )
            .trim_end(),
        );
        table.push('\n');
    }
    insta::assert_snapshot!(format!(
        "exit: {}\n{table}",
        out.status.code().unwrap_or(-1)
    ));
}

/// The AI lists are extended in charter.toml; trailer keys are looked up ignoring case in
/// policies, as git compares them.
#[test]
fn configured_ai_tools_and_case_insensitive_trailers() {
    let repo = Repo::new("ai-config");
    std::fs::write(
        repo.path().join("charter.toml"),
        "policies = \"p\"\n[manifest]\nai_tools = [\"Acme Assistant\"]\nai_emails = [\"helper@tools.example\"]\nai_logins = [\"acme-bot[bot]\"]\n",
    )
    .expect("charter.toml");
    std::fs::create_dir_all(repo.path().join("p")).expect("a policy folder");
    let schema = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("examples/init/policies/schema.charter"),
    )
    .expect("the standard schema");
    std::fs::write(repo.path().join("p/schema.charter"), schema).expect("schema");
    std::fs::write(
        repo.path().join("p/trailers.charter"),
        "/// Every change is signed off (the key is written differently in the commit).\npolicy signed_off {\n  require \"SIGNED-OFF-BY\" in change.trailers\n  require count(change.trailers[\"signed-off-by\"] ?? []) == 1\n}\n",
    )
    .expect("policy");
    let when = Who {
        name: "Ann",
        email: "ann@example.com",
        date: "2026-02-01T10:00:00+00:00",
    };
    let mut expected = Vec::new();
    for (message, ai) in [
        (
            "one\n\nCo-authored-by: Acme Assistant\nsigned-off-by: Ann <ann@example.com>\n",
            true,
        ),
        (
            "two\n\nCo-authored-by: Helper <HELPER@tools.example>\nSigned-Off-By: Ann <ann@example.com>\n",
            true,
        ),
        (
            "three\n\nCo-authored-by: Acme <9+acme-bot[bot]@users.noreply.github.com>\nSigned-off-by: Ann <ann@example.com>\n",
            true,
        ),
        (
            "four: a colleague named Claude, with an address, is a person\n\nCo-authored-by: Claude Dupont <claude@example.fr>\nSigned-off-by: Ann <ann@example.com>\n",
            false,
        ),
        (
            "five: generated by protoc is not an AI\n\nFiles generated by protoc.\n\nSigned-off-by: Ann <ann@example.com>\n",
            false,
        ),
        (
            "six\n\nAssisted-by: none\nSigned-off-by: Ann <ann@example.com>\n",
            false,
        ),
    ] {
        repo.commit(message, &[(b"a.txt", Some(message.as_bytes()))], when, when);
        expected.push(ai);
    }
    let (code, out, err) = repo.charter(&["manifest", "git", "--each", "--history"]);
    assert_eq!(code, 0, "{err}");
    let got: Vec<(bool, String)> = out
        .lines()
        .map(|l| {
            let m: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            (
                m["ai_assisted"] == true,
                format!("{} {}", m["title"], m["ai_evidence"]),
            )
        })
        .collect();
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        expected,
        "{got:#?}"
    );
    let mut check = isolated(
        &mut std::process::Command::new(env!("CARGO_BIN_EXE_charter")),
        repo.path(),
    )
    .args(["check", "-"])
    .current_dir(repo.path())
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .expect("charter check runs");
    {
        use std::io::Write;
        let mut stdin = check.stdin.take().expect("stdin");
        stdin.write_all(out.as_bytes()).expect("manifests written");
    }
    let report = check.wait_with_output().expect("charter check ends");
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report
            .contains("\n6 manifests: 0 denied, 0 warned, 6 allowed (1 policy; policy set sha256:"),
        "{report}"
    );
}

#[test]
fn git_versions() {
    use charter::facts::git::git_version;
    assert_eq!(git_version("git version 2.47.3\n"), Some((2, 47)));
    assert_eq!(git_version("git version 2.39.2.windows.1"), Some((2, 39)));
    assert_eq!(git_version("git version 2.30.0-rc1"), Some((2, 30)));
    assert_eq!(git_version("not git"), None);
}

/// 10^5 review trailers in one commit (50,000 people, each twice, the second time with the
/// address in capitals), 10^5 AI trailers naming 1,000 tools and 10^5 co-authors: every
/// reviewer once, in order, every value kept under the key's first spelling, each evidence line
/// and tool once. Each of these lists was de-duplicated by a scan of what it held (seconds
/// for 10^5 trailers); the result is what matters here, not the time.
#[test]
fn a_hundred_thousand_trailers() {
    let repo = Repo::new("many-trailers");
    let people = 50_000;
    let mut message = String::from("Big review\n\nA body line that is no trailer.\n\n");
    for round in 0..2 {
        for i in 0..people {
            let email = format!("p{i}@example.com");
            let email = if round == 0 {
                email
            } else {
                email.to_uppercase()
            };
            let key = if round == 0 {
                "Reviewed-by"
            } else {
                "reviewed-BY"
            };
            message.push_str(&format!("{key}: Person {i} <{email}>\n"));
        }
    }
    for i in 0..100_000 {
        message.push_str(&format!("Assisted-by: Tool {}\n", i % 1_000));
    }
    for i in 0..100_000 {
        message.push_str(&format!("Co-authored-by: Helper {i} <h{i}@example.org>\n"));
    }
    // Too long for one argument (`-m`): git reads it from a file.
    let file = repo.path().join("message.txt");
    std::fs::write(&file, &message).expect("the message");
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "--cleanup=verbatim",
        "-F",
        "message.txt",
    ]);
    let (code, out, err) = repo.charter(&["manifest", "git", "--format", "json", "HEAD"]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value = serde_json::from_str(&out).expect("one JSON manifest");
    let reviewers = m["reviewers"].as_array().expect("reviewers");
    assert_eq!(reviewers.len(), people);
    for (i, r) in reviewers.iter().enumerate() {
        assert_eq!(r["login"], format!("p{i}@example.com"));
        assert_eq!(r["approved"], true);
        assert_eq!(r["via"], "Reviewed-by");
    }
    let trailers = m["trailers"].as_object().expect("trailers");
    let mut keys: Vec<&String> = trailers.keys().collect();
    keys.sort();
    assert_eq!(keys, ["Assisted-by", "Co-authored-by", "Reviewed-by"]);
    // In the order first seen.
    let at = |key: &str| out.find(&format!("\"{key}\": [")).expect(key);
    assert!(at("Reviewed-by") < at("Assisted-by") && at("Assisted-by") < at("Co-authored-by"));
    assert_eq!(
        trailers["Reviewed-by"].as_array().map(Vec::len),
        Some(100_000)
    );
    assert_eq!(
        trailers["Assisted-by"].as_array().map(Vec::len),
        Some(100_000)
    );
    let tools = m["ai_tools"].as_array().expect("ai_tools");
    assert_eq!(tools.len(), 1_000);
    assert_eq!(tools[999], "Tool 999");
    assert_eq!(m["ai_evidence"].as_array().map(Vec::len), Some(1_000));
    let co_authors = m["co_authors"].as_array().expect("co_authors");
    assert_eq!(co_authors.len(), 100_000);
    assert_eq!(co_authors[99_999]["login"], "h99999@example.org");
}
