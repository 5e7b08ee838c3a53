//! A GitHub pull request -> a change manifest: from the `pull_request` event payload (the file
//! at `$GITHUB_EVENT_PATH`) and, optionally, the pull request's reviews as the REST API lists
//! them (`GET /repos/{owner}/{repo}/pulls/{number}/reviews`, e.g. `gh api --paginate`). Charter
//! makes no network call: the workflow fetches, Charter reads text.
//!
//! Each reviewer's state is that of their latest review that decides: `APPROVED`,
//! `CHANGES_REQUESTED` or `DISMISSED` (a dismissed approval reads `DISMISSED` in the API). A
//! later `COMMENTED` review does not change it, as on GitHub; a reviewer who only commented is
//! listed as `commented`. Only `approved` counts as an approval. `PENDING` reviews are not
//! submitted and are ignored. Every other review must have an RFC 3339 `submitted_at`: one
//! that cannot be ordered is an error, never left out (an earlier approval would stand for it).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::ai::Known;
use super::{Change, Person, Reviewer, Seen, Size, Source, Timestamps};
use crate::diag::escape_controls;

#[derive(Deserialize)]
struct Event {
    pull_request: Option<PullRequest>,
    repository: Option<Repo>,
}

#[derive(Deserialize)]
struct PullRequest {
    number: u64,
    title: String,
    user: Option<User>,
    body: Option<String>,
    draft: Option<bool>,
    #[serde(default)]
    labels: Option<Vec<Label>>,
    base: Option<Ref>,
    head: Option<Ref>,
    additions: Option<u64>,
    deletions: Option<u64>,
    changed_files: Option<u64>,
    commits: Option<u64>,
    created_at: Option<String>,
    updated_at: Option<String>,
    html_url: Option<String>,
}

#[derive(Deserialize)]
struct User {
    login: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Label {
    name: String,
}

#[derive(Deserialize)]
struct Ref {
    #[serde(rename = "ref")]
    name: Option<String>,
    sha: Option<String>,
    repo: Option<Repo>,
}

#[derive(Deserialize)]
struct Repo {
    full_name: Option<String>,
}

#[derive(Deserialize)]
struct Review {
    /// GitHub's id of the review, for messages.
    id: Option<serde_json::Value>,
    user: Option<User>,
    state: String,
    submitted_at: Option<String>,
}

/// What a pull request's event says, before its reviews.
pub struct PullRequestFacts {
    pub change: Change,
    /// The base and head commits, to read the commits from a clone.
    pub base_sha: Option<String>,
    pub head_sha: Option<String>,
}

/// Reads a `pull_request` (or `pull_request_target`, `pull_request_review`) event payload.
pub fn from_event(text: &str, known: &Known) -> Result<PullRequestFacts, String> {
    let event: Event =
        serde_json::from_str(text).map_err(|e| format!("not a GitHub event payload: {e}"))?;
    let Some(pr) = event.pull_request else {
        return Err("the event has no `pull_request`: Charter reads the events `pull_request`, `pull_request_target` and `pull_request_review`".into());
    };
    let repo = event
        .repository
        .and_then(|r| r.full_name)
        .or_else(|| pr.base.as_ref()?.repo.as_ref()?.full_name.clone());
    let created_at = pr
        .created_at
        .filter(|t| t.parse::<jiff::Timestamp>().is_ok())
        .ok_or("the pull request has no valid `created_at`")?;
    let author = pr.user.as_ref().map(user).unwrap_or_else(|| Person {
        login: "ghost".into(),
        ..Person::default()
    });
    let size = match (pr.additions, pr.deletions, pr.changed_files) {
        (Some(a), Some(d), Some(f)) => Some(Size {
            lines_added: a,
            lines_removed: d,
            files_changed: f,
            binary_files: None,
        }),
        _ => None,
    };
    let mut change = Change {
        id: match &repo {
            Some(r) => format!("{r}#{}", pr.number),
            None => format!("#{}", pr.number),
        },
        source: Source {
            repo,
            commit: pr.head.as_ref().and_then(|h| h.sha.clone()),
            base_commit: pr.base.as_ref().and_then(|b| b.sha.clone()),
            pull_request: Some(pr.number),
            url: pr.html_url,
            ..Source::default()
        },
        title: pr.title,
        author,
        draft: pr.draft,
        base_branch: pr.base.as_ref().and_then(|b| b.name.clone()),
        head_branch: pr.head.as_ref().and_then(|h| h.name.clone()),
        labels: pr.labels.map(|ls| ls.into_iter().map(|l| l.name).collect()),
        commits: pr.commits,
        size,
        timestamps: Timestamps {
            created_at,
            committed_at: None,
            updated_at: pr
                .updated_at
                .filter(|t| t.parse::<jiff::Timestamp>().is_ok()),
        },
        ..Change::default()
    };
    for line in pr.body.as_deref().unwrap_or("").lines() {
        if let Some(tool) = known.generated_with(line) {
            let line = format!("pull request: {}", line.trim());
            if !change.ai_evidence.contains(&line) {
                change.ai_evidence.push(line);
            }
            if !change.ai_tools.contains(&tool) {
                change.ai_tools.push(tool);
            }
        }
    }
    change.ai_assisted = !change.ai_evidence.is_empty();
    Ok(PullRequestFacts {
        base_sha: change.source.base_commit.clone(),
        head_sha: change.source.commit.clone(),
        change,
    })
}

fn user(u: &User) -> Person {
    Person {
        login: u.login.clone(),
        bot: u.kind.as_deref().map(|k| k.eq_ignore_ascii_case("Bot")),
        ..Person::default()
    }
}

/// Reviewers with their deciding state, in the order they first reviewed. The text is a JSON
/// array of reviews, several arrays one after another (`gh api --paginate`), or an array of
/// arrays (`gh api --paginate --slurp`).
pub fn reviewers(text: &str) -> Result<Vec<Reviewer>, String> {
    let mut reviews: Vec<Review> = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    for value in stream {
        let value = value.map_err(|e| format!("not JSON: {e}"))?;
        collect(value, &mut reviews)?;
    }
    // Chronological; reviews of the same second keep the API's order. A submitted review is
    // ordered by its time or not at all: left out, an earlier approval would stand for it.
    let mut timed: Vec<(jiff::Timestamp, Review)> = Vec::with_capacity(reviews.len());
    for (i, r) in reviews.into_iter().enumerate() {
        if r.state.eq_ignore_ascii_case("PENDING") {
            continue;
        }
        let at = submitted_at(&r).map_err(|why| {
            let id = match &r.id {
                Some(serde_json::Value::Number(n)) => format!("id {n}, "),
                Some(serde_json::Value::String(s)) => format!("id {}, ", json_string(s)),
                _ => String::new(),
            };
            format!(
                "review {} ({id}{} by `{}`) cannot be ordered with the other reviews: {why}\n  help: a submitted review needs the time it was submitted, in RFC 3339 (`2026-11-24T16:00:00Z`), as GitHub's API gives it",
                i + 1,
                escape_controls(&r.state, false),
                escape_controls(r.user.as_ref().map_or("?", |u| u.login.as_str()), false),
            )
        })?;
        timed.push((at, r));
    }
    timed.sort_by_key(|(t, _)| *t);
    let mut out: Vec<Reviewer> = Vec::new();
    // Each reviewer's place in `out`, by folded login.
    let mut index: HashMap<String, usize> = HashMap::new();
    for (_, r) in timed {
        let Some(u) = &r.user else { continue };
        let state = match r.state.to_ascii_uppercase().as_str() {
            "APPROVED" => "approved",
            "CHANGES_REQUESTED" => "changes_requested",
            "DISMISSED" => "dismissed",
            "COMMENTED" => "commented",
            _ => continue,
        };
        let at = r.submitted_at.clone();
        let i = *index
            .entry(crate::identity::fold(&u.login))
            .or_insert_with(|| {
                out.push(Reviewer {
                    person: user(u),
                    via: "github".into(),
                    ..Reviewer::default()
                });
                out.len() - 1
            });
        let x = &mut out[i];
        if state != "commented" || x.state.is_none_or(|s| s == "commented") {
            x.state = Some(state);
            x.reviewed_at = at;
            x.approved = state == "approved";
        }
    }
    Ok(out)
}

/// When a review was submitted, or why that cannot be known.
fn submitted_at(r: &Review) -> Result<jiff::Timestamp, String> {
    match r.submitted_at.as_deref() {
        None => Err("it has no `submitted_at` (or it is null)".into()),
        Some(t) => crate::literal::timestamp(t)
            .map_err(|why| format!("`submitted_at` is {}: {why}", json_string(t))),
    }
}

/// A value as JSON writes it: quoted, control characters escaped.
fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn collect(value: serde_json::Value, out: &mut Vec<Review>) -> Result<(), String> {
    match value {
        serde_json::Value::Array(items) => {
            for item in items {
                collect(item, out)?;
            }
            Ok(())
        }
        v @ serde_json::Value::Object(_) => {
            let r: Review = serde_json::from_value(v)
                .map_err(|e| format!("review {} is not a review: {e}", out.len() + 1))?;
            out.push(r);
            Ok(())
        }
        other => Err(format!(
            "expected reviews (JSON objects in an array), found {}",
            match other {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Number(_) => "a number",
                _ => "a string",
            }
        )),
    }
}

/// A pull request's facts completed by its commits read from the clone: GitHub's word stands
/// for the pull request itself (id, title, author, labels, branches, reviews, opening time), the
/// commits add what only they hold (trailers, AI evidence, co-authors, files, committer).
/// Reviewers named in `Reviewed-by`-style trailers are added to GitHub's reviewers, when the
/// reviews are known.
pub fn with_commits(pr: Change, git: Change) -> Change {
    let mut out = pr;
    out.committer = git.committer;
    out.co_authors = git
        .co_authors
        .into_iter()
        .filter(|p| !crate::identity::same(&p.login, &out.author.login))
        .collect();
    if let Some(reviewers) = &mut out.reviewers {
        let mut seen = Seen::default();
        for x in reviewers.iter() {
            seen.insert(&x.person.login);
        }
        for r in git.reviewers.unwrap_or_default() {
            if seen.insert(&r.person.login) {
                reviewers.push(r);
            }
        }
    }
    add_new(&mut out.ai_evidence, git.ai_evidence);
    add_new(&mut out.ai_tools, git.ai_tools);
    out.ai_assisted = out.ai_assisted || git.ai_assisted;
    out.signed_off_by = git.signed_off_by;
    out.commits = out.commits.or(git.commits);
    if git.size.is_some() {
        out.size = git.size;
    }
    out.files = git.files;
    out.files_added = git.files_added;
    out.files_deleted = git.files_deleted;
    out.files_renamed = git.files_renamed;
    out.timestamps.committed_at = git.timestamps.committed_at;
    out.trailers = git.trailers;
    out.source.review_url = git.source.review_url;
    out.source.change_id = git.source.change_id;
    out.missing = git.missing;
    out
}

/// Appends to `list` each of `more` it does not hold yet.
fn add_new(list: &mut Vec<String>, more: Vec<String>) {
    let mut seen: HashSet<String> = list.iter().cloned().collect();
    list.extend(more.into_iter().filter(|x| seen.insert(x.clone())));
}
