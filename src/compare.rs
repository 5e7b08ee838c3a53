//! Two compiled policy sets and the same manifests -> what changing one set into the other would
//! flip (`charter diff`).
//!
//! [`pair`] matches the policies of the base set with those of the new one: by name (unchanged
//! or changed text), by body (renamed), or not at all (added, removed). [`Pair`] checks one
//! manifest text against both sets, loading it once when both declare the same schema
//! ([`same_schema`]); [`compare`] reduces the two decisions to a [`ManifestDiff`] (small: it
//! travels from the worker to the calling thread), and [`Report::add`] counts it and keeps the
//! first examples in input order. Nothing here does I/O; `report::diff` renders the [`Report`].

use std::sync::atomic::{AtomicBool, Ordering};

use crate::PolicySet;
use crate::bulk::Checker;
use crate::check::ir::{Program, Schema, TypeDef};
use crate::diag::{Diagnostic, Level};
use crate::eval::{self, Decision, Outcome, PolicyResult, Verdict};
use crate::manifest;
use crate::source::{FileId, Span};
use crate::syntax::ast::{Clause, Item, PolicyDecl, Severity};

/// How a policy of one set relates to the other set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The same name and the same text (its outcomes may still change: a definition or the
    /// schema it reads changed).
    Unchanged,
    /// The same name, another text (clauses, severity, message).
    Changed,
    /// Another name, the same text.
    Renamed,
    /// Only in the new set.
    Added,
    /// Only in the base set.
    Removed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unchanged => "unchanged",
            Kind::Changed => "changed",
            Kind::Renamed => "renamed",
            Kind::Added => "added",
            Kind::Removed => "removed",
        }
    }
}

/// A policy of either set, or both: indices into the programs' policies.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub base: Option<usize>,
    pub new: Option<usize>,
    pub kind: Kind,
}

impl Entry {
    /// The name the policy has now (its base name when it was removed).
    pub fn name<'a>(&self, base: &'a Program, new: &'a Program) -> &'a str {
        match (self.new, self.base) {
            (Some(i), _) => &new.policies[i].name,
            (None, Some(i)) => &base.policies[i].name,
            (None, None) => "",
        }
    }

    pub fn severities(
        &self,
        base: &Program,
        new: &Program,
    ) -> (Option<Severity>, Option<Severity>) {
        (
            self.base.map(|i| base.policies[i].severity),
            self.new.map(|i| new.policies[i].severity),
        )
    }
}

/// Matches the policies of two compiled sets: the new set's in declaration order, then the
/// removed ones in the base set's order. A removed and an added policy with the same clauses
/// (spans, doc comments and the name aside) are one renamed policy.
pub fn pair(base: &PolicySet, new: &PolicySet) -> Vec<Entry> {
    let (Some(bp), Some(np)) = (&base.program, &new.program) else {
        return Vec::new();
    };
    let base_decls = decls(base);
    let new_decls = decls(new);
    let body = |decls: &[&PolicyDecl], name: &str| -> Option<Vec<Clause>> {
        decls
            .iter()
            .find(|d| d.name.node == name)
            .map(|d| erased(&d.clauses))
    };
    let mut entries = Vec::new();
    let mut base_taken = vec![false; bp.policies.len()];
    for (i, p) in np.policies.iter().enumerate() {
        let found = bp.policies.iter().position(|b| b.name == p.name);
        match found {
            Some(j) => {
                base_taken[j] = true;
                let same = body(&base_decls, &p.name) == body(&new_decls, &p.name);
                entries.push(Entry {
                    base: Some(j),
                    new: Some(i),
                    kind: if same { Kind::Unchanged } else { Kind::Changed },
                });
            }
            None => entries.push(Entry {
                base: None,
                new: Some(i),
                kind: Kind::Added,
            }),
        }
    }
    for (j, b) in bp.policies.iter().enumerate() {
        if base_taken[j] {
            continue;
        }
        let old = body(&base_decls, &b.name);
        let renamed = entries.iter_mut().find(|e| {
            e.kind == Kind::Added
                && e.new
                    .is_some_and(|i| old.is_some() && body(&new_decls, &np.policies[i].name) == old)
        });
        match renamed {
            Some(e) => {
                e.base = Some(j);
                e.kind = Kind::Renamed;
            }
            None => entries.push(Entry {
                base: Some(j),
                new: None,
                kind: Kind::Removed,
            }),
        }
    }
    entries
}

fn decls(set: &PolicySet) -> Vec<&PolicyDecl> {
    set.parsed
        .iter()
        .flat_map(|p| &p.file.items)
        .filter_map(|i| match i {
            Item::Policy(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// A policy's clauses with their plain spans erased (expressions compare without spans already).
fn erased(clauses: &[Clause]) -> Vec<Clause> {
    let mut out = clauses.to_vec();
    for c in &mut out {
        if let Clause::Message(t) | Clause::Help(t) | Clause::OverrideMessage(t) = c {
            t.span = Span::default();
        }
    }
    out
}

/// Whether a manifest loaded against one schema is the manifest the other would load: the same
/// types in the same order, the same fields (names, types, optional, bounds) and values. Docs,
/// spans and defaults aside (evaluation reads defaults from its own program).
pub fn same_schema(a: &Schema, b: &Schema) -> bool {
    a.root == b.root
        && a.root_name == b.root_name
        && a.weekday == b.weekday
        && a.types.len() == b.types.len()
        && a.types.iter().zip(&b.types).all(|(x, y)| match (x, y) {
            (TypeDef::Record(x), TypeDef::Record(y)) => {
                x.name == y.name
                    && x.fields.len() == y.fields.len()
                    && x.fields.iter().zip(&y.fields).all(|(f, g)| {
                        f.name == g.name
                            && f.ty == g.ty
                            && f.optional == g.optional
                            && f.bounds == g.bounds
                    })
            }
            (TypeDef::Enum(x), TypeDef::Enum(y)) => {
                x.name == y.name
                    && x.ordered == y.ordered
                    && x.variants == y.variants
                    && x.ignore_case == y.ignore_case
                    && x.open == y.open
            }
            _ => false,
        })
}

/// One manifest under one set: its problems, and its decision when it could be read.
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub decision: Option<Decision>,
}

/// Checks manifests against both sets. The two checkers share one `Sources` (the policy files
/// of both sets), so a manifest has the same file id under both.
#[derive(Clone, Copy)]
pub struct Pair<'a> {
    pub base: Checker<'a>,
    pub new: Checker<'a>,
    /// [`same_schema`] of the two programs: then each manifest is loaded once.
    pub same_schema: bool,
}

impl Pair<'_> {
    /// Loads `text` (as `file`) and evaluates it with both sets: (base, new).
    pub fn check(&self, file: FileId, text: &str) -> (Checked, Checked) {
        let new = manifest::load_fast(file, text, &self.new.program.schema);
        let base = if self.same_schema {
            None
        } else {
            Some(manifest::load_fast(file, text, &self.base.program.schema))
        };
        let eval = |c: &Checker<'_>, m: &Option<manifest::Manifest>| {
            m.as_ref()
                .map(|m| eval::evaluate(c.program, m, c.sources, c.options))
        };
        let base = match base {
            Some(loaded) => Checked {
                decision: eval(&self.base, &loaded.manifest),
                diagnostics: loaded.diagnostics,
            },
            None => Checked {
                decision: eval(&self.base, &new.manifest),
                diagnostics: new.diagnostics.clone(),
            },
        };
        let new = Checked {
            decision: eval(&self.new, &new.manifest),
            diagnostics: new.diagnostics,
        };
        (base, new)
    }
}

/// A manifest's decision, or `Error` when it could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decided {
    Allow,
    Warn,
    Deny,
    Error,
}

impl Decided {
    pub const ALL: [Decided; 4] = [Decided::Allow, Decided::Warn, Decided::Deny, Decided::Error];

    fn of(c: &Checked) -> Decided {
        match c.decision.as_ref().map(|d| d.verdict) {
            Some(Verdict::Allow) => Decided::Allow,
            Some(Verdict::Warn) => Decided::Warn,
            Some(Verdict::Deny) => Decided::Deny,
            None => Decided::Error,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decided::Allow => "allow",
            Decided::Warn => "warn",
            Decided::Deny => "deny",
            Decided::Error => "error",
        }
    }
}

/// A policy's outcome on one side, `None` where the policy does not exist. As an index:
/// pass, fail, skip, error, overridden, waived, absent.
pub const OUTCOMES: [Option<Outcome>; 7] = [
    Some(Outcome::Pass),
    Some(Outcome::Fail),
    Some(Outcome::Skip),
    Some(Outcome::Error),
    Some(Outcome::Overridden),
    Some(Outcome::Waived),
    None,
];

fn slot(o: Option<Outcome>) -> u8 {
    match o {
        Some(Outcome::Pass) => 0,
        Some(Outcome::Fail) => 1,
        Some(Outcome::Skip) => 2,
        Some(Outcome::Error) => 3,
        Some(Outcome::Overridden) => 4,
        Some(Outcome::Waived) => 5,
        None => 6,
    }
}

/// `absent` for a policy the side does not have.
pub fn outcome_name(o: Option<Outcome>) -> &'static str {
    o.map_or("absent", Outcome::as_str)
}

pub fn failing(o: Option<Outcome>) -> bool {
    matches!(o, Some(Outcome::Fail | Outcome::Error))
}

/// A failure let through by a break-glass override or a waiver.
pub fn excepted(o: Option<Outcome>) -> bool {
    matches!(o, Some(Outcome::Overridden | Outcome::Waived))
}

/// What one manifest shows: both decisions and, per entry, the outcome on each side (only when
/// both sides read it).
pub struct ManifestDiff {
    pub base: Decided,
    pub new: Decided,
    /// Per entry: (base outcome, new outcome) as [`OUTCOMES`] indices.
    pub outcomes: Vec<(u8, u8)>,
    /// Entries whose effect flipped: failing on one side and not the other, from fail to error
    /// or back, or failing on both at another severity.
    pub flips: Vec<usize>,
    /// The new set errors (cannot read it, or a policy errors) where the base did not.
    pub now_errors: bool,
    /// Some policy's failure is overridden or waived on one side and not the other.
    pub exceptions: bool,
}

impl ManifestDiff {
    /// Whether anything a reader is shown changed: the decision, or a policy's effect.
    pub fn changed(&self) -> bool {
        self.base != self.new || !self.flips.is_empty() || self.now_errors || self.exceptions
    }

    /// Whether the report may show this manifest: it changed, or neither set could read it.
    pub fn shown(&self) -> bool {
        self.changed() || (self.base == Decided::Error && self.new == Decided::Error)
    }
}

/// Compares the two sides of one manifest.
pub fn compare(
    entries: &[Entry],
    base_p: &Program,
    new_p: &Program,
    base: &Checked,
    new: &Checked,
) -> ManifestDiff {
    let (b, n) = (Decided::of(base), Decided::of(new));
    let errors = |c: &Checked| {
        c.decision
            .as_ref()
            .is_none_or(|d| d.results.iter().any(|r| r.outcome == Outcome::Error))
    };
    let mut diff = ManifestDiff {
        base: b,
        new: n,
        outcomes: Vec::new(),
        flips: Vec::new(),
        now_errors: errors(new) && !errors(base),
        exceptions: false,
    };
    let (Some(bd), Some(nd)) = (&base.decision, &new.decision) else {
        return diff;
    };
    diff.outcomes.reserve(entries.len());
    for (k, e) in entries.iter().enumerate() {
        let from = e.base.map(|i| bd.results[i].outcome);
        let to = e.new.map(|i| nd.results[i].outcome);
        diff.outcomes.push((slot(from), slot(to)));
        if from != to && (excepted(from) || excepted(to)) {
            diff.exceptions = true;
        }
        let (sb, sn) = e.severities(base_p, new_p);
        let flipped = (from != to && (failing(from) || failing(to)))
            || (failing(from) && failing(to) && sb != sn);
        if flipped {
            diff.flips.push(k);
        }
    }
    diff
}

/// Which side of a comparison a result comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Base,
    New,
}

/// A manifest shown in the report: its name and text (rendered as a file of its own).
pub struct Kept {
    pub name: String,
    pub text: String,
}

/// A policy that flipped on a manifest: the outcomes, and the failing side's result (the new
/// one when it fails now, else what used to fail).
pub struct Example {
    pub manifest: usize,
    pub from: Option<Outcome>,
    pub to: Option<Outcome>,
    pub side: Side,
    pub result: PolicyResult,
}

/// A manifest that errors: its problems (when it could not be read) and its errored results.
pub struct Failure {
    pub name: String,
    /// Index into [`Report::kept`] when the text is shown.
    pub manifest: Option<usize>,
    pub diagnostics: Vec<Diagnostic>,
    pub results: Vec<PolicyResult>,
}

/// What a worker hands over for a manifest worth showing: its text and the results the examples
/// still needed may take.
pub struct Detail {
    pub text: String,
    /// Per flipped entry that still needs examples: the failing side's result.
    pub examples: Vec<(usize, Side, PolicyResult)>,
    /// The manifest's errors under the new set (for "now errors"), or under both (unreadable).
    pub failure: Option<(Vec<Diagnostic>, Vec<PolicyResult>)>,
}

/// Which examples are still wanted, shared with the workers so they stop sending what the
/// report would throw away. Set by the calling thread once the first `limit` are kept: since
/// results are added in input order, a worker skipping them never changes the report.
pub struct Wanted {
    entries: Vec<AtomicBool>,
    errors: AtomicBool,
    unreadable: AtomicBool,
}

impl Wanted {
    pub fn new(entries: usize, limit: usize) -> Wanted {
        Wanted {
            entries: (0..entries).map(|_| AtomicBool::new(limit > 0)).collect(),
            errors: AtomicBool::new(limit > 0),
            unreadable: AtomicBool::new(limit > 0),
        }
    }

    /// Takes what the report may still show out of a manifest's two sides (`None`: nothing).
    pub fn detail(
        &self,
        diff: &ManifestDiff,
        entries: &[Entry],
        base: &mut Checked,
        new: &mut Checked,
        text: &str,
    ) -> Option<Detail> {
        // The failure first: the examples then move results out.
        let unreadable = diff.base == Decided::Error && diff.new == Decided::Error;
        let failure = if unreadable && self.unreadable.load(Ordering::Relaxed)
            || diff.now_errors && self.errors.load(Ordering::Relaxed)
        {
            let results = new
                .decision
                .as_ref()
                .map(|d| {
                    d.results
                        .iter()
                        .filter(|r| r.outcome == Outcome::Error)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            // Problems only where it could not be read (a warning beside an error is noise).
            let diagnostics = if new.decision.is_none() {
                std::mem::take(&mut new.diagnostics)
            } else {
                Vec::new()
            };
            Some((diagnostics, results))
        } else {
            None
        };
        let mut examples = Vec::new();
        for &k in &diff.flips {
            if !self.entries[k].load(Ordering::Relaxed) {
                continue;
            }
            let e = entries[k];
            let (b, n) = (
                base.decision
                    .as_mut()
                    .zip(e.base)
                    .map(|(d, i)| &mut d.results[i]),
                new.decision
                    .as_mut()
                    .zip(e.new)
                    .map(|(d, i)| &mut d.results[i]),
            );
            // The new result when it fails, or explains why a failure is let through now.
            let (side, r) = match (b, n) {
                (_, Some(n)) if failing(Some(n.outcome)) || excepted(Some(n.outcome)) => {
                    (Side::New, n)
                }
                (Some(b), _) => (Side::Base, b),
                (None, Some(n)) => (Side::New, n),
                (None, None) => continue,
            };
            examples.push((
                k,
                side,
                std::mem::replace(r, PolicyResult::new(r.policy, r.outcome)),
            ));
        }
        (!examples.is_empty() || failure.is_some()).then(|| Detail {
            text: text.to_string(),
            examples,
            failure,
        })
    }
}

/// The whole comparison, counted as manifests come in (in input order).
pub struct Report {
    pub entries: Vec<Entry>,
    /// Examples kept per flipping policy, per list of failures.
    pub limit: usize,
    /// Manifests at least one side could read.
    pub compared: usize,
    /// Manifests whose decision or some policy's effect changed, or that now error.
    pub changed: usize,
    /// Manifests by base decision and new decision ([`Decided::ALL`] order).
    pub decisions: [[usize; 4]; 4],
    /// Per entry, manifests by base outcome and new outcome ([`OUTCOMES`] order), where both
    /// sides read the manifest.
    pub outcomes: Vec<[[usize; 7]; 7]>,
    /// Per entry, manifests on which its effect flipped.
    pub flips: Vec<usize>,
    /// Per entry, the first `limit` of them.
    pub examples: Vec<Vec<Example>>,
    /// Manifests on which a failure is overridden or waived on one side only.
    pub exceptions: usize,
    /// Manifests the new set errors on where the base did not, and the first of them.
    pub now_errors: usize,
    pub errors: Vec<Failure>,
    /// Manifests neither set could read, and the first of them.
    pub unreadable: usize,
    pub unreadable_examples: Vec<Failure>,
    /// The texts the examples show.
    pub kept: Vec<Kept>,
}

impl Report {
    pub fn new(entries: Vec<Entry>, limit: usize) -> Report {
        let n = entries.len();
        Report {
            entries,
            limit,
            compared: 0,
            changed: 0,
            decisions: [[0; 4]; 4],
            outcomes: vec![[[0; 7]; 7]; n],
            flips: vec![0; n],
            examples: (0..n).map(|_| Vec::new()).collect(),
            exceptions: 0,
            now_errors: 0,
            errors: Vec::new(),
            unreadable: 0,
            unreadable_examples: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// Counts one manifest (the next in input order) and keeps what the examples still need,
    /// telling `wanted` what is complete.
    pub fn add(
        &mut self,
        name: String,
        diff: &ManifestDiff,
        detail: Option<Detail>,
        wanted: &Wanted,
    ) {
        let unreadable = diff.base == Decided::Error && diff.new == Decided::Error;
        if unreadable {
            self.unreadable += 1;
        } else {
            self.compared += 1;
            self.decisions[diff.base as usize][diff.new as usize] += 1;
        }
        for (k, &(b, n)) in diff.outcomes.iter().enumerate() {
            self.outcomes[k][b as usize][n as usize] += 1;
        }
        for &k in &diff.flips {
            self.flips[k] += 1;
        }
        if diff.now_errors {
            self.now_errors += 1;
        }
        if diff.exceptions {
            self.exceptions += 1;
        }
        if diff.changed() {
            self.changed += 1;
        }
        let Some(detail) = detail else {
            return;
        };
        let mut kept: Option<usize> = None;
        let mut keep = |report: &mut Vec<Kept>, name: &str, text: &str| -> usize {
            *kept.get_or_insert_with(|| {
                report.push(Kept {
                    name: name.to_string(),
                    text: text.to_string(),
                });
                report.len() - 1
            })
        };
        for (k, side, result) in detail.examples {
            if self.examples[k].len() >= self.limit {
                continue;
            }
            let e = self.entries[k];
            let (bd, nd) = (diff.outcomes[k].0 as usize, diff.outcomes[k].1 as usize);
            let manifest = keep(&mut self.kept, &name, &detail.text);
            self.examples[k].push(Example {
                manifest,
                from: e.base.and(OUTCOMES[bd]),
                to: e.new.and(OUTCOMES[nd]),
                side,
                result,
            });
            if self.examples[k].len() >= self.limit {
                wanted.entries[k].store(false, Ordering::Relaxed);
            }
        }
        if let Some((diagnostics, results)) = detail.failure {
            let (list, flag) = if unreadable {
                (&mut self.unreadable_examples, &wanted.unreadable)
            } else {
                (&mut self.errors, &wanted.errors)
            };
            if list.len() < self.limit && (unreadable || diff.now_errors) {
                // A problem with labels points into the text; an I/O problem has none.
                let shows_text = diagnostics.iter().any(|d| !d.labels.is_empty())
                    || results
                        .iter()
                        .any(|r| r.error.as_ref().is_some_and(|e| e.manifest_span.is_some()));
                let manifest = shows_text.then(|| keep(&mut self.kept, &name, &detail.text));
                list.push(Failure {
                    name: name.clone(),
                    manifest,
                    diagnostics,
                    results,
                });
                if list.len() >= self.limit {
                    flag.store(false, Ordering::Relaxed);
                }
            }
        }
    }

    /// Counts an input that was never read (a missing file, an empty stream).
    pub fn add_problem(&mut self, name: String, message: String, wanted: &Wanted) {
        self.unreadable += 1;
        if self.unreadable_examples.len() < self.limit {
            self.unreadable_examples.push(Failure {
                name,
                manifest: None,
                diagnostics: vec![Diagnostic::error("charter::manifest::io", message)],
                results: Vec::new(),
            });
            if self.unreadable_examples.len() >= self.limit {
                wanted.unreadable.store(false, Ordering::Relaxed);
            }
        }
    }

    /// Gives every kept text the file id `first + k` (its index), moving the spans that point
    /// into the manifest (checked as `checked_as`) there. The caller adds the texts to its
    /// sources in [`Report::kept`] order, from `first`.
    pub fn place(&mut self, checked_as: FileId, first: usize) {
        let to = |k: usize| FileId((first + k) as u32);
        let mv = |span: &mut Span, k: usize| {
            if span.file == checked_as {
                span.file = to(k);
            }
        };
        let move_result = |r: &mut PolicyResult, k: usize| {
            for e in &mut r.evidence {
                mv(&mut e.span, k);
            }
            if let Some(err) = &mut r.error
                && let Some(s) = &mut err.manifest_span
            {
                mv(s, k);
            }
            if let Some(o) = &mut r.overridden {
                for e in &mut o.evidence {
                    mv(&mut e.span, k);
                }
            }
        };
        for ex in self.examples.iter_mut().flatten() {
            move_result(&mut ex.result, ex.manifest);
        }
        for f in self.errors.iter_mut().chain(&mut self.unreadable_examples) {
            let Some(k) = f.manifest else {
                // Nothing points into a text that is not kept; drop labels that would.
                for d in &mut f.diagnostics {
                    d.labels.retain(|l| l.span.file != checked_as);
                }
                continue;
            };
            for d in &mut f.diagnostics {
                for l in &mut d.labels {
                    mv(&mut l.span, k);
                }
            }
            for r in &mut f.results {
                move_result(r, k);
            }
        }
    }

    /// Manifests whose decision differs.
    pub fn flipped(&self) -> usize {
        let mut n = 0;
        for (b, row) in self.decisions.iter().enumerate() {
            for (c, count) in row.iter().enumerate() {
                if b != c {
                    n += count;
                }
            }
        }
        n
    }

    /// Manifests the base denied and the new set lets through (allowed or warned).
    pub fn deny_to_allow(&self) -> usize {
        let deny = Decided::Deny as usize;
        self.decisions[deny][Decided::Allow as usize] + self.decisions[deny][Decided::Warn as usize]
    }

    /// Whether anything changed: a decision, a policy's effect, an override or a waiver, a new
    /// error.
    pub fn anything(&self) -> bool {
        self.flipped() > 0
            || self.flips.iter().any(|&n| n > 0)
            || self.now_errors > 0
            || self.exceptions > 0
    }
}

/// Errors among diagnostics.
pub fn error_count(ds: &[Diagnostic]) -> usize {
    ds.iter().filter(|d| d.level == Level::Error).count()
}
