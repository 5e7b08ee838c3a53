//! Facts about a change, read from where it lives, as a change manifest of the standard shape
//! (the schema `charter init` writes, `examples/init/policies/schema.charter`).
//!
//! - [`git`]: commits read through the `git` command line (the caller runs it: see [`git::Git`]);
//! - [`github`]: a pull-request event payload and the pull request's reviews (JSON text);
//! - [`ai`]: which trailers, co-authors and message lines say that an AI tool took part;
//! - [`people`]: what neither records (seniority, teams, bots), from a people file.
//!
//! Sans I/O: every function takes text or a [`git::Git`] and returns values plus warnings.
//! [`Change`] is the manifest as it is written out, so unlike Charter's other types it is
//! `Serialize`: it is a wire type by purpose. `charter check` never reads it; it reads the text
//! through `manifest`, like any other manifest.

pub mod ai;
pub mod git;
pub mod github;
pub mod people;

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// One change manifest. Field order is the order of the written manifest. `None` and empty lists
/// are left out: an absent field means "not known from this source", never a guessed default.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Change {
    /// The head commit, or `owner/repo#number` for a pull request.
    pub id: String,
    #[serde(skip_serializing_if = "Source::is_empty")]
    pub source: Source,
    pub title: String,
    pub author: Person,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committer: Option<Person>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub co_authors: Vec<Person>,
    /// Absent when the source cannot say (a pull request read without its reviews).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<Vec<Reviewer>>,
    pub ai_assisted: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ai_evidence: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ai_tools: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signed_off_by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Number of commits in the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files_deleted: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files_renamed: Vec<Rename>,
    pub timestamps: Timestamps,
    #[serde(skip_serializing_if = "Trailers::is_empty")]
    pub trailers: Trailers,
    /// Facts that could not be read (field names, e.g. `size` in a shallow clone); the reason is
    /// printed as a warning.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Source {
    /// `owner/name`, when known (from the `origin` remote, or the event's repository).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The head commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The commit the change is measured from (a range's merge base, a pull request's base).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_commit: Option<String>,
    /// The range as given on the command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Gerrit: the `Reviewed-on` trailer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_url: Option<String>,
    /// Gerrit: the `Change-Id` trailer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
}

impl Source {
    fn is_empty(&self) -> bool {
        self.repo.is_none()
            && self.commit.is_none()
            && self.base_commit.is_none()
            && self.range.is_none()
            && self.pull_request.is_none()
            && self.url.is_none()
            && self.review_url.is_none()
            && self.change_id.is_none()
    }
}

/// A person: from a commit identity (`Name <email>`), a trailer, or a GitHub account.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Person {
    /// The GitHub login when the address is a GitHub noreply one, else the lower-cased e-mail,
    /// else (a trailer with no address) the name as written.
    pub login: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_domain: Option<String>,
    /// Known only from a `[bot]` login, a GitHub account type, or the people file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot: Option<bool>,
    /// From the people file only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seniority: Option<String>,
    /// From the people file only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Reviewer {
    #[serde(flatten)]
    pub person: Person,
    pub approved: bool,
    /// The trailer key as written (`Reviewed-by`), or `github` for a pull-request review.
    pub via: String,
    /// A pull-request review's state (`approved`, `changes_requested`, `commented`, `dismissed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    /// When the review that decided `state` was submitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Size {
    pub lines_added: u64,
    pub lines_removed: u64,
    pub files_changed: u64,
    /// Files whose lines git cannot count. Absent when the source does not say (GitHub).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_files: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rename {
    pub from: String,
    pub to: String,
}

/// RFC 3339 timestamps with the offset they were recorded with.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timestamps {
    /// When the change was written: the (first) author date, or when the pull request opened.
    pub created_at: String,
    /// When the head commit was committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed_at: Option<String>,
    /// When the pull request was last updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// Trailers in the order first seen; a key keeps its first spelling and collects the values of
/// every spelling (`Co-authored-by`, `Co-Authored-By`), as git compares keys ignoring case.
#[derive(Clone, Debug, Default)]
pub struct Trailers {
    entries: Vec<(String, Vec<String>)>,
    /// Each key in ASCII lowercase -> its entry, so a push is one look-up however many keys
    /// there are.
    index: HashMap<String, usize>,
}

impl PartialEq for Trailers {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Trailers {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn push(&mut self, key: &str, value: &str) {
        match self.index.get(&key.to_ascii_lowercase()) {
            Some(&i) => self.entries[i].1.push(value.to_string()),
            None => {
                self.index
                    .insert(key.to_ascii_lowercase(), self.entries.len());
                self.entries
                    .push((key.to_string(), vec![value.to_string()]));
            }
        }
    }

    /// Every `(key as written, value)` whose key equals `key` ignoring case.
    pub fn get<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.index
            .get(&key.to_ascii_lowercase())
            .map(|&i| &self.entries[i])
            .into_iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
    }
}

/// The identities already in a list, by their folded form ([`crate::identity::fold`]), so
/// de-duplicating a list of 10^5 people is not a scan of the list per person.
#[derive(Debug, Default)]
pub struct Seen(HashSet<String>);

impl Seen {
    /// Adds `login`; false when the same identity was already there.
    pub fn insert(&mut self, login: &str) -> bool {
        self.0.insert(crate::identity::fold(login))
    }

    pub fn contains(&self, login: &str) -> bool {
        self.0.contains(&crate::identity::fold(login))
    }
}

impl Serialize for Trailers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// How a manifest is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// One manifest as text: YAML (a document, no `---`) or pretty JSON, ending in a newline.
pub fn render(change: &Change, format: Format) -> String {
    let mut out = match format {
        // One line per value, however long: no folded (`>`) or literal (`|`) block scalars.
        Format::Yaml => serde_saphyr::to_string_with_options(
            change,
            serde_saphyr::ser_options! { prefer_block_scalars: false },
        )
        .unwrap_or_else(|e| internal(&e)),
        Format::Json => serde_json::to_string_pretty(change).unwrap_or_else(|e| internal(&e)),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// One manifest of a stream: a JSON line, or a YAML document opened by `---`.
pub fn render_in_stream(change: &Change, format: Format) -> String {
    match format {
        Format::Json => {
            let mut line = serde_json::to_string(change).unwrap_or_else(|e| internal(&e));
            line.push('\n');
            line
        }
        Format::Yaml => format!("---\n{}", render(change, Format::Yaml)),
    }
}

/// Serializing plain strings, numbers and lists cannot fail; if it ever does, the output says so
/// rather than the program crashing.
fn internal(e: &dyn std::fmt::Display) -> String {
    format!("# internal error: cannot write the manifest: {e}\n")
}

/// A person from an identity as git writes it: `Name <email>` (a trailer value, or a commit's
/// author), or a bare name or `@login`.
pub fn person(name: &str, email: Option<&str>) -> Person {
    let name = name.trim();
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    let login = match email {
        Some(e) => github_login(e).unwrap_or_else(|| e.to_lowercase()),
        None => name.trim_start_matches('@').to_string(),
    };
    // `@carol` names a login, not a person's name.
    let name = if email.is_none() && name.starts_with('@') {
        ""
    } else {
        name
    };
    let bot = login.ends_with("[bot]").then_some(true);
    Person {
        login,
        name: (!name.is_empty()).then(|| name.to_string()),
        email: email.map(str::to_string),
        email_domain: email
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_lowercase())
            .filter(|d| !d.is_empty()),
        bot,
        ..Person::default()
    }
}

/// `Name <email>`, `<email>`, `Name` or `@login` as written in a trailer.
pub fn parse_identity(value: &str) -> Person {
    let value = value.trim();
    match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            person(&value[..open], Some(&value[open + 1..close]))
        }
        _ => person(value, None),
    }
}

/// The login in a GitHub noreply address: `12345+login@users.noreply.github.com` or
/// `login@users.noreply.github.com`.
pub fn github_login(email: &str) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case("users.noreply.github.com") || local.is_empty() {
        return None;
    }
    let login = match local.split_once('+') {
        Some((id, login)) if id.bytes().all(|b| b.is_ascii_digit()) => login,
        _ => local,
    };
    Some(login.to_string())
}
