//! Tests for policies (`charter test`): test files -> test cases -> results and coverage.
//!
//! A test file (`*.test.yaml` anywhere under the policy folder) holds `tests:`, a list of cases;
//! each names a manifest (inline, or a path relative to the test file), an optional `patch`
//! merged onto it, an optional `now`, and what to `expect`. This module checks test files
//! against the policy set and compares results; reading files is the CLI's job.

use crate::check::ir::{ExprKind, Program, Schema, Ty};
use crate::diag::{Diagnostic, suggest};
use crate::eval::{Decision, Outcome, Verdict};
use crate::manifest::{RawKind, RawNode};
use crate::source::Span;

/// One test case as written.
#[derive(Clone, Debug)]
pub struct TestCase {
    pub name: String,
    pub name_span: Span,
    pub manifest: ManifestRef,
    pub patch: Option<RawNode>,
    pub now: Option<jiff::Timestamp>,
    pub expect: Expect,
}

#[derive(Clone, Debug)]
pub enum ManifestRef {
    Inline(RawNode),
    /// A path relative to the test file, and where it is written.
    Path(String, Span),
}

#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub decision: Option<Verdict>,
    /// (policy index, expected outcome)
    pub outcomes: Vec<(usize, Outcome)>,
    /// (policy index, a substring of its message)
    pub messages: Vec<(usize, String)>,
}

const TEST_KEYS: [&str; 6] = ["name", "manifest", "patch", "now", "expect", "base"];
const EXPECT_KEYS: [&str; 3] = ["decision", "policies", "messages"];
const OUTCOMES: [&str; 6] = ["pass", "fail", "skip", "error", "overridden", "waived"];
const DECISIONS: [&str; 3] = ["allow", "warn", "deny"];

fn err(span: Span, code: &'static str, message: String, label: &str) -> Diagnostic {
    Diagnostic::error(code, message).with_label(span, label)
}

/// Reads the cases of one test file; problems are diagnostics with spans in the test file.
pub fn parse_tests(raw: &RawNode, program: &Program) -> (Vec<TestCase>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut cases = Vec::new();
    let Some(list) = raw.get("tests") else {
        let d = err(
            raw.span,
            "charter::test::no_tests",
            "a test file needs a `tests:` list".into(),
            "no `tests` here",
        )
        .with_help("write `tests:` followed by cases, each with `name`, `manifest` and `expect`");
        return (cases, vec![d]);
    };
    if let RawKind::Map(entries) = &raw.kind {
        for (k, ks, _) in entries {
            if k != "tests" {
                diags.push(unknown_key(k, *ks, &["tests"], "a test file"));
            }
        }
    }
    let RawKind::Seq(items) = &list.kind else {
        diags.push(err(
            list.span,
            "charter::test::shape",
            "`tests` must be a list of cases".into(),
            "not a list",
        ));
        return (cases, diags);
    };
    for item in items {
        // A case with a mistake in it is not run: it could only pass or fail for the wrong reason.
        let before = diags.len();
        let parsed = parse_case(item, program, &mut diags);
        if let Some(case) = parsed.filter(|_| diags.len() == before) {
            if cases.iter().any(|c: &TestCase| c.name == case.name) {
                let d = err(
                    case.name_span,
                    "charter::test::duplicate",
                    format!("two tests are named `{}`", case.name),
                    "a second test with this name",
                )
                .with_help("give each test its own name, so a failure points at one case");
                diags.push(d);
            }
            cases.push(case);
        }
    }
    (cases, diags)
}

fn unknown_key(k: &str, span: Span, known: &[&str], what: &str) -> Diagnostic {
    let help = suggest(k, known.iter().copied())
        .unwrap_or_else(|| format!("{what} takes: {}", known.join(", ")));
    err(
        span,
        "charter::test::unknown_key",
        format!("unknown key `{k}` in {what}"),
        "not understood",
    )
    .with_help(help)
}

fn parse_case(item: &RawNode, program: &Program, diags: &mut Vec<Diagnostic>) -> Option<TestCase> {
    let RawKind::Map(entries) = &item.kind else {
        diags.push(err(
            item.span,
            "charter::test::shape",
            "a test case is a mapping".into(),
            "expected `name:`, `manifest:`, `expect:`",
        ));
        return None;
    };
    for (k, ks, _) in entries {
        if !TEST_KEYS.contains(&k.as_str()) {
            diags.push(unknown_key(k, *ks, &TEST_KEYS[..5], "a test case"));
        }
    }
    let name_node = item.get("name");
    let Some(name) = name_node.and_then(RawNode::as_str) else {
        diags.push(
            err(
                item.span,
                "charter::test::no_name",
                "a test case needs a `name`".into(),
                "this case",
            )
            .with_help("add `name: what this case shows`"),
        );
        return None;
    };
    let name_span = name_node.map_or(item.span, |n| n.span);
    let manifest = match item.get("manifest").or_else(|| item.get("base")) {
        Some(n) => match &n.kind {
            RawKind::Str(path) => ManifestRef::Path(path.clone(), n.span),
            RawKind::Map(_) => ManifestRef::Inline(n.clone()),
            _ => {
                diags.push(err(
                    n.span,
                    "charter::test::shape",
                    "`manifest` is a path or an inline mapping".into(),
                    "neither",
                ));
                return None;
            }
        },
        None => {
            diags.push(
                err(name_span, "charter::test::no_manifest", format!("test `{name}` names no manifest"), "in this case")
                    .with_help("add `manifest: path/to/change.yaml` (relative to the test file) or an inline mapping"),
            );
            return None;
        }
    };
    let patch = item.get("patch").cloned();
    if let Some(p) = &patch {
        check_patch(
            p,
            &Ty::Record(program.schema.root),
            &program.schema,
            &program.schema.root_name,
            diags,
        );
    }
    let now = match item.get("now") {
        Some(n) => match n.as_str().map(crate::manifest::parse_timestamp) {
            Some(Ok(t)) => Some(t),
            _ => {
                diags.push(
                    err(
                        n.span,
                        "charter::test::now",
                        "`now` must be an RFC 3339 timestamp".into(),
                        "not a timestamp",
                    )
                    .with_help("write e.g. `now: 2026-12-24T09:00:00Z`"),
                );
                None
            }
        },
        None => None,
    };
    let expect = match item.get("expect") {
        Some(e) => parse_expect(e, program, diags),
        None => {
            diags.push(
                err(name_span, "charter::test::no_expect", format!("test `{name}` expects nothing"), "in this case")
                    .with_help("add `expect:` with a `decision` and/or `policies: {name: pass|fail|skip|error}`"),
            );
            return None;
        }
    };
    Some(TestCase {
        name: name.to_string(),
        name_span,
        manifest,
        patch,
        now,
        expect,
    })
}

fn parse_expect(e: &RawNode, program: &Program, diags: &mut Vec<Diagnostic>) -> Expect {
    let mut expect = Expect::default();
    let RawKind::Map(entries) = &e.kind else {
        diags.push(err(
            e.span,
            "charter::test::shape",
            "`expect` is a mapping".into(),
            "expected `decision:` or `policies:`",
        ));
        return expect;
    };
    for (k, ks, v) in entries {
        match k.as_str() {
            "decision" => match v
                .as_str()
                .and_then(|d| DECISIONS.iter().position(|x| *x == d))
            {
                Some(0) => expect.decision = Some(Verdict::Allow),
                Some(1) => expect.decision = Some(Verdict::Warn),
                Some(_) => expect.decision = Some(Verdict::Deny),
                None => diags.push(choice_error(v, &DECISIONS, "a decision")),
            },
            "policies" | "messages" => {
                let RawKind::Map(pairs) = &v.kind else {
                    diags.push(err(
                        v.span,
                        "charter::test::shape",
                        format!("`{k}` maps policy names to values"),
                        "not a mapping",
                    ));
                    continue;
                };
                for (policy, ps, value) in pairs {
                    let Some(index) = program.policies.iter().position(|p| &p.name == policy)
                    else {
                        let names = program.policies.iter().map(|p| p.name.as_str());
                        let help = suggest(policy, names)
                            .unwrap_or_else(|| "see `charter check` for the policy names".into());
                        diags.push(
                            err(
                                *ps,
                                "charter::test::unknown_policy",
                                format!("no policy named `{policy}`"),
                                "unknown policy",
                            )
                            .with_help(help),
                        );
                        continue;
                    };
                    if k == "messages" {
                        match value.as_str() {
                            Some(m) => expect.messages.push((index, m.to_string())),
                            None => diags.push(err(
                                value.span,
                                "charter::test::shape",
                                "an expected message is a string".into(),
                                "not a string",
                            )),
                        }
                        continue;
                    }
                    let outcome = match value.as_str() {
                        Some("pass") => Outcome::Pass,
                        Some("fail") => Outcome::Fail,
                        Some("skip") => Outcome::Skip,
                        Some("error") => Outcome::Error,
                        Some("overridden") => Outcome::Overridden,
                        Some("waived") => Outcome::Waived,
                        _ => {
                            diags.push(choice_error(value, &OUTCOMES, "an outcome"));
                            continue;
                        }
                    };
                    expect.outcomes.push((index, outcome));
                }
            }
            _ => diags.push(unknown_key(k, *ks, &EXPECT_KEYS, "`expect`")),
        }
    }
    if entries.is_empty() {
        diags.push(
            err(
                e.span,
                "charter::test::no_expect",
                "`expect` expects nothing".into(),
                "empty",
            )
            .with_help("add `decision:` or `policies:`"),
        );
    }
    expect
}

fn choice_error(v: &RawNode, choices: &[&str], what: &str) -> Diagnostic {
    let found = v
        .as_str()
        .map_or_else(|| v.describe_value(), |s| format!("`{s}`"));
    let help = v
        .as_str()
        .and_then(|s| suggest(s, choices.iter().copied()))
        .unwrap_or_else(|| format!("write one of: {}", choices.join(", ")));
    err(
        v.span,
        "charter::test::value",
        format!("expected {what} ({}), found {found}", choices.join(", ")),
        "not understood",
    )
    .with_help(help)
}

/// A patch may only name fields the schema declares (a typo would silently test nothing).
fn check_patch(p: &RawNode, ty: &Ty, schema: &Schema, path: &str, diags: &mut Vec<Diagnostic>) {
    let (Ty::Record(id), RawKind::Map(entries)) = (ty, &p.kind) else {
        return;
    };
    let rec = schema.record(*id);
    for (k, ks, v) in entries {
        match rec.field(k) {
            Some(i) => check_patch(v, &rec.fields[i].ty, schema, &format!("{path}.{k}"), diags),
            None => {
                let names: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
                let help = suggest(k, names.iter().copied())
                    .unwrap_or_else(|| format!("the fields of `{path}` are: {}", names.join(", ")));
                diags.push(
                    err(
                        *ks,
                        "charter::test::patch_field",
                        format!("the patch names `{k}`, which `{path}` does not have"),
                        "not in the schema",
                    )
                    .with_help(help),
                );
            }
        }
    }
}

/// How a test went: nothing in `problems` means it passed.
pub fn compare(case: &TestCase, decision: &Decision, program: &Program) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(want) = case.expect.decision
        && want != decision.verdict
    {
        problems.push(format!(
            "expected decision {}, got {}",
            want.as_str(),
            decision.verdict.as_str()
        ));
    }
    for (policy, want) in &case.expect.outcomes {
        let got = decision.results[*policy].outcome;
        if got != *want {
            problems.push(format!(
                "expected {}: {}, got {}",
                program.policies[*policy].name,
                want.as_str(),
                got.as_str()
            ));
        }
    }
    for (policy, want) in &case.expect.messages {
        // An overridden policy says what its override says.
        let r = &decision.results[*policy];
        let got = match &r.overridden {
            Some(o) => o.message.as_str(),
            None => r.message.as_deref().unwrap_or(""),
        };
        if !got.contains(want.as_str()) {
            let shown = if got.is_empty() {
                "no message".to_string()
            } else {
                format!("\"{got}\"")
            };
            problems.push(format!(
                "expected the message of {} to contain \"{want}\", got {shown}",
                program.policies[*policy].name
            ));
        }
    }
    problems
}

/// The policies a failing test is about (to show their diagnostics and traces).
pub fn policies_involved(case: &TestCase, decision: &Decision) -> Vec<usize> {
    let mut out: Vec<usize> = case
        .expect
        .outcomes
        .iter()
        .map(|(p, _)| *p)
        .chain(case.expect.messages.iter().map(|(p, _)| *p))
        .collect();
    if case.expect.decision.is_some_and(|d| d != decision.verdict) {
        out.extend(
            decision
                .results
                .iter()
                .filter(|r| {
                    matches!(
                        r.outcome,
                        Outcome::Fail | Outcome::Error | Outcome::Overridden | Outcome::Waived
                    )
                })
                .map(|r| r.policy),
        );
    }
    out.sort_unstable();
    out.dedup();
    out
}

// ------------------------------------------------------------------ coverage

/// What a policy has that tests should exercise.
#[derive(Clone, Debug)]
pub struct PolicyCoverage {
    pub policy: usize,
    pub outcomes_seen: Vec<Outcome>,
    /// `when` and `require` spans, and whether a test evaluated them.
    pub clauses: Vec<(Span, bool)>,
    /// Bodies of quantifiers, filters and projections the policy uses (through definitions
    /// too), and whether a test evaluated them.
    pub bodies: Vec<(Span, bool)>,
    pub can_skip: bool,
    /// It has an `override when`: tests should see it overridden too.
    pub can_override: bool,
}

impl PolicyCoverage {
    pub fn items(&self) -> (usize, usize) {
        let outcomes = [Outcome::Pass, Outcome::Fail]
            .into_iter()
            .chain(self.can_skip.then_some(Outcome::Skip))
            .chain(self.can_override.then_some(Outcome::Overridden));
        let mut total = 0;
        let mut hit = 0;
        for o in outcomes {
            total += 1;
            hit += usize::from(self.outcomes_seen.contains(&o));
        }
        for (_, c) in self.clauses.iter().chain(&self.bodies) {
            total += 1;
            hit += usize::from(*c);
        }
        (hit, total)
    }
}

/// Coverage of every policy, from the decisions of all tests.
pub fn coverage(program: &Program, decisions: &[&Decision]) -> Vec<PolicyCoverage> {
    let covered: std::collections::HashSet<Span> = decisions
        .iter()
        .flat_map(|d| d.covered.iter().copied())
        .collect();
    program
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut outcomes_seen: Vec<Outcome> =
                decisions.iter().map(|d| d.results[i].outcome).collect();
            outcomes_seen.sort_by_key(|o| o.as_str());
            outcomes_seen.dedup();
            let clause_spans: Vec<Span> = p.conditions().map(|e| e.span).collect();
            let mut bodies = Vec::new();
            let mut seen_defs = Vec::new();
            for e in p.conditions() {
                collect_bodies(e, program, &mut bodies, &mut seen_defs);
            }
            bodies.sort();
            bodies.dedup();
            PolicyCoverage {
                policy: i,
                outcomes_seen,
                clauses: clause_spans
                    .into_iter()
                    .map(|s| (s, covered.contains(&s)))
                    .collect(),
                bodies: bodies
                    .into_iter()
                    .map(|s| (s, covered.contains(&s)))
                    .collect(),
                can_skip: p.when.is_some(),
                can_override: p.override_when.is_some(),
            }
        })
        .collect()
}

fn collect_bodies(
    e: &crate::check::ir::Expr,
    program: &Program,
    out: &mut Vec<Span>,
    seen: &mut Vec<usize>,
) {
    use ExprKind::*;
    let visit = |x: &crate::check::ir::Expr, out: &mut Vec<Span>, seen: &mut Vec<usize>| {
        collect_bodies(x, program, out, seen)
    };
    match &e.kind {
        Quant { coll, body, .. }
        | Where { coll, body, .. }
        | MapOp { coll, body, .. }
        | QuantMap { coll, body, .. } => {
            out.push(body.span);
            visit(coll, out, seen);
            visit(body, out, seen);
        }
        By { coll, key, .. } | DistinctBy { coll, key, .. } => {
            out.push(key.span);
            visit(coll, out, seen);
            visit(key, out, seen);
        }
        Def(id) => {
            if !seen.contains(id) {
                seen.push(*id);
                visit(&program.defs[*id].body, out, seen);
            }
        }
        Apply { args, body, .. } => {
            for a in args {
                visit(a, out, seen);
            }
            visit(body, out, seen);
        }
        List(xs) | Call(_, xs) | RecordLit(_, xs) => {
            for x in xs {
                visit(x, out, seen);
            }
        }
        MapLit(kvs) => {
            for (_, v) in kvs {
                visit(v, out, seen);
            }
        }
        Field { base, .. } => visit(base, out, seen),
        Not(x)
        | Neg(x)
        | Has(x)
        | Regex(x, ..)
        | Matches(x, _)
        | ToLocal(x, _)
        | LocalPart(x, _) => visit(x, out, seen),
        And(a, b)
        | Or(a, b)
        | Compare(_, a, b)
        | Arith(_, a, b)
        | In(a, b)
        | Index(a, b)
        | Default(a, b) => {
            visit(a, out, seen);
            visit(b, out, seen);
        }
        If(c, a, b) => {
            visit(c, out, seen);
            visit(a, out, seen);
            visit(b, out, seen);
        }
        Const(_) | Root | Local(..) | Now => {}
    }
}

/// The file a test file's relative manifest path points at.
pub fn resolve(test_file: &std::path::Path, rel: &str) -> std::path::PathBuf {
    test_file
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(rel)
}
