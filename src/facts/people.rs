//! The people file: what git and GitHub do not record about a person.
//!
//! ```yaml
//! alice:                       # the login (GitHub login, or the lower-cased e-mail)
//!   name: Alice Martin
//!   seniority: senior          # a level of the schema's `seniority`
//!   teams: [payments, security]
//!   emails: [alice@corp.example]   # other addresses she commits with
//! renovate[bot]:
//!   bot: true
//! ```
//!
//! Logins compare ignoring case. A person matched through `emails` takes the file's login. A
//! login the file does not list keeps its fields absent, with one warning per login.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{Change, Person};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: Option<String>,
    pub seniority: Option<String>,
    pub teams: Option<Vec<String>>,
    pub bot: Option<bool>,
    #[serde(default)]
    pub emails: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct People {
    /// By lower-cased login: (the login as written in the file, its entry).
    by_login: BTreeMap<String, (String, Entry)>,
    /// Lower-cased address -> lower-cased login.
    by_email: BTreeMap<String, String>,
}

impl People {
    /// Reads a people file; the error names the line and column.
    pub fn parse(text: &str) -> Result<People, String> {
        if text.trim().is_empty() {
            return Ok(People::default());
        }
        let entries: Option<BTreeMap<String, Option<Entry>>> = serde_saphyr::from_str(text)
            .map_err(|e| {
                let msg = e.without_snippet().to_string();
                msg.lines().next().unwrap_or("").trim().to_string()
            })?;
        let mut people = People::default();
        for (login, entry) in entries.unwrap_or_default() {
            let key = crate::identity::fold(login.trim());
            let entry = entry.unwrap_or_default();
            for e in &entry.emails {
                people.by_email.insert(e.trim().to_lowercase(), key.clone());
            }
            if people.by_login.contains_key(&key) {
                return Err(format!("`{login}` is listed twice (logins ignore case)"));
            }
            people
                .by_login
                .insert(key, (login.trim().to_string(), entry));
        }
        Ok(people)
    }

    pub fn len(&self) -> usize {
        self.by_login.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_login.is_empty()
    }

    fn find(&self, p: &Person) -> Option<&(String, Entry)> {
        self.by_login
            .get(&crate::identity::fold(&p.login))
            .or_else(|| {
                let email = p.email.as_deref()?.to_lowercase();
                self.by_login.get(self.by_email.get(&email)?)
            })
    }

    /// Fills in a person; returns false when the file does not list them.
    pub fn fill(&self, p: &mut Person) -> bool {
        let Some((login, e)) = self.find(p) else {
            return false;
        };
        p.login = login.clone();
        if p.name.is_none() {
            p.name = e.name.clone();
        }
        if e.seniority.is_some() {
            p.seniority = e.seniority.clone();
        }
        if e.teams.is_some() {
            p.teams = e.teams.clone();
        }
        if e.bot.is_some() {
            p.bot = e.bot;
        }
        true
    }
}

/// Fills in the author, committer, co-authors and reviewers of a change. Logins the file does not
/// list are added to `unknown`, so the caller warns once per login.
pub fn fill(change: &mut Change, people: &People, unknown: &mut BTreeSet<String>) {
    let mut one = |p: &mut Person| {
        if !people.fill(p) {
            unknown.insert(p.login.clone());
        }
    };
    one(&mut change.author);
    change.committer.iter_mut().for_each(&mut one);
    change.co_authors.iter_mut().for_each(&mut one);
    for r in change.reviewers.iter_mut().flatten() {
        one(&mut r.person);
    }
}
