//! (Program, Manifest) -> [`Decision`]: every policy's outcome with the evidence that decided it.
//!
//! Evaluation is total: no recursion or loops in the language, 64-bit integers that report
//! overflow, and a step budget that turns a runaway policy into an error. A policy is first
//! evaluated without bookkeeping; only when it fails is it evaluated again recording which
//! manifest values it read (so a passing manifest never pays for diagnostics).

pub mod value;

use std::fmt::Write;
use std::rc::Rc;
use std::sync::Arc;

use crate::check::ir::*;
use crate::manifest::{Manifest, Node, NodeValue};
use crate::source::{Sources, Span};
use crate::syntax::ast::Severity;
use value::{Text, Value, compare, display, element_name, equal};

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Evaluation steps allowed per policy.
    pub step_budget: u64,
    /// Bytes of new values (strings, lists, maps, records) a policy may build: a running count
    /// of what each operation allocates, charged before it allocates.
    pub memory_budget: u64,
    /// The value of `now`.
    pub now: jiff::Timestamp,
    /// Record which clauses and quantifier bodies were evaluated (`Decision::covered`).
    pub coverage: bool,
    /// A failure whose `override when` holds stays `fail` (`--deny-overrides`).
    pub deny_overrides: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            step_budget: 10_000_000,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            now: jiff::Timestamp::UNIX_EPOCH,
            coverage: false,
            deny_overrides: false,
        }
    }
}

/// The default [`Options::memory_budget`]: 64 MiB per policy and manifest.
pub const DEFAULT_MEMORY_BUDGET: u64 = 64 << 20;

/// A byte count as the memory budget is written: `64 MiB`, `512 KiB`, `1000 bytes`.
pub fn format_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        1 => "1 byte".into(),
        n => format!("{n} bytes"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Allow,
    Warn,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Warn => "warn",
            Verdict::Deny => "deny",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    /// The `when` condition was false.
    Skip,
    Error,
    /// A `require` failed and the policy's `override when` held (break-glass): allowed, and
    /// reported with the override's evidence. Never counts as `pass`.
    Overridden,
    /// A `require` failed and an active waiver of the waiver file covers the change: allowed,
    /// reported with the waiver's owner, reason and expiry. Never counts as `pass`.
    Waived,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
            Outcome::Overridden => "overridden",
            Outcome::Waived => "waived",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Decision {
    pub verdict: Verdict,
    pub results: Vec<PolicyResult>,
    /// With `Options::coverage`: the spans of every `when`, `require` and quantifier body that was
    /// evaluated.
    pub covered: Vec<Span>,
}

#[derive(Clone, Debug)]
pub struct PolicyResult {
    /// Index into `Program::policies`.
    pub policy: usize,
    pub outcome: Outcome,
    /// The rendered message (failures and errors only).
    pub message: Option<String>,
    pub help: Option<String>,
    /// Labels in the policy file: each failed clause with what it evaluated to.
    pub clauses: Vec<Note>,
    /// Labels in the manifest: the values that decided the outcome.
    pub evidence: Vec<Evidence>,
    pub error: Option<EvalError>,
    /// What would change the outcome, computed from the evaluation (common shapes only).
    pub remediation: Option<String>,
    /// The override that made a failure `overridden`.
    pub overridden: Option<Override>,
    /// The waiver (index into `Program::waivers`) that made a failure `waived`.
    pub waived: Option<usize>,
}

/// A break-glass override that held: what it says and the manifest values that made it hold.
#[derive(Clone, Debug)]
pub struct Override {
    /// The `override message`, or a sentence naming the clause.
    pub message: String,
    /// The `override when` condition.
    pub span: Span,
    pub evidence: Vec<Evidence>,
}

impl PolicyResult {
    /// A bare result: an outcome, nothing to explain yet.
    pub fn new(policy: usize, outcome: Outcome) -> PolicyResult {
        PolicyResult {
            policy,
            outcome,
            message: None,
            help: None,
            clauses: Vec::new(),
            evidence: Vec::new(),
            error: None,
            remediation: None,
            overridden: None,
            waived: None,
        }
    }
}

/// A label on a policy clause.
#[derive(Clone, Debug)]
pub struct Note {
    pub span: Span,
    pub text: String,
}

/// A manifest value that decided a result.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// `change.reviewers`, `change.size.lines_added`.
    pub path: String,
    pub span: Span,
    /// `3 regions: us-east-1, eu-west-1, eu-central-2`.
    pub text: String,
    /// Read by a failed `require`, not only by the `when` condition: what the failure is
    /// about. Tools that show one location per finding anchor it at such a value.
    pub in_require: bool,
}

#[derive(Clone, Debug)]
pub struct EvalError {
    pub code: &'static str,
    pub message: String,
    /// Where in the policy.
    pub span: Span,
    pub help: Option<String>,
    /// Where in the manifest, when a manifest value is involved.
    pub manifest_span: Option<Span>,
}

/// Evaluates every policy of `program` against `manifest`.
pub fn evaluate(
    program: &Program,
    manifest: &Manifest,
    sources: &Sources,
    options: Options,
) -> Decision {
    let mut ev = Evaluator::new(program, &manifest.root, sources, options);
    ev.coverage = options.coverage.then(Vec::new);
    let results: Vec<PolicyResult> = (0..program.policies.len()).map(|i| ev.policy(i)).collect();
    let verdict = results
        .iter()
        .map(|r| match (program.policies[r.policy].severity, r.outcome) {
            (Severity::Deny, Outcome::Fail | Outcome::Error) => Verdict::Deny,
            (Severity::Warn, Outcome::Fail | Outcome::Error) => Verdict::Warn,
            _ => Verdict::Allow,
        })
        .max()
        .unwrap_or(Verdict::Allow);
    let covered = ev.coverage.take().unwrap_or_default();
    Decision {
        verdict,
        results,
        covered,
    }
}

/// Errors are boxed: they are rare, and a small `Result` is cheap to return at every step.
type R<'a> = Result<Value<'a>, Box<EvalError>>;

/// Elements of one list shown in a trace; the rest are evaluated but not listed.
const MAX_TRACED_ELEMENTS: usize = 20;

/// Whether an expression is a step worth showing in a trace (not a literal or a bare name).
fn traced(e: &Expr) -> bool {
    !matches!(
        e.kind,
        ExprKind::Const(_) | ExprKind::Root | ExprKind::Local(..)
    ) && !is_constant(e)
}

/// The code of the error `has` and `??` catch: a field, key or element that is not there.
const ABSENT: &str = "charter::eval::absent";

const MAX_DEPTH: usize = 2_000;

/// What one element of a built list costs the memory budget.
const VALUE_SIZE: usize = std::mem::size_of::<Value>();

struct Evaluator<'a> {
    program: &'a Program,
    schema: &'a Schema,
    root: &'a Node,
    sources: &'a Sources,
    now: jiff::Timestamp,
    env: Vec<Value<'a>>,
    defs: Vec<Option<Value<'a>>>,
    /// While recording: each definition's value with the manifest nodes its evaluation read.
    recorded: Vec<Option<(Value<'a>, Vec<&'a Node>)>>,
    recording: bool,
    reads: Vec<&'a Node>,
    steps: u64,
    budget: u64,
    /// Bytes of values built since the count was last reset (with `steps`).
    built: u64,
    memory_budget: u64,
    depth: usize,
    /// Inside how many `has(...)` or left sides of `??` evaluation is (see [`Self::absent`]).
    probing: u32,
    /// While explaining: a stack of the trace nodes being built.
    trace: Option<Vec<Vec<TraceNode>>>,
    /// Definitions already expanded in the trace (later uses show only their value); sized when
    /// a trace starts.
    expanded: Vec<bool>,
    /// The manifest node the last field access read (for trace locations).
    last_read: Option<Span>,
    coverage: Option<Vec<Span>>,
    deny_overrides: bool,
    /// The manifest's paths, built for the first failing policy and kept for the others.
    paths: Option<ManifestPaths<'a>>,
}

/// One step of an explanation: an expression (or an element a quantifier bound) and its value.
#[derive(Clone, Debug)]
pub struct TraceNode {
    /// The expression as written, or `r = alice` for a bound element.
    pub label: String,
    pub value: String,
    /// Where the expression is in the policy file.
    pub span: Option<Span>,
    /// Where a field read is in the manifest.
    pub read: Option<Span>,
    /// E.g. "defined at ..." for a definition, "shown above" for one expanded earlier.
    pub note: Option<String>,
    pub children: Vec<TraceNode>,
}

/// How a policy's outcome was reached.
#[derive(Clone, Debug)]
pub struct PolicyTrace {
    pub result: PolicyResult,
    pub when: Option<TraceNode>,
    pub requires: Vec<TraceNode>,
    /// The `override when` tree, when a `require` failed and the policy has one.
    pub override_when: Option<TraceNode>,
}

/// Evaluates one policy and records every step (for `charter explain` and failing tests).
pub fn explain(
    program: &Program,
    manifest: &Manifest,
    sources: &Sources,
    options: Options,
    policy: usize,
) -> PolicyTrace {
    let mut ev = Evaluator::new(program, &manifest.root, sources, options);
    let result = ev.policy(policy);
    let p = &program.policies[policy];
    ev.recording = true;
    ev.trace = Some(vec![Vec::new()]);
    ev.expanded = vec![false; program.defs.len()];
    let mut when = None;
    let mut requires = Vec::new();
    if let Some(w) = &p.when {
        ev.steps = 0;
        ev.built = 0;
        let _ = ev.eval_traced(w);
        when = ev
            .trace
            .as_mut()
            .and_then(|t| t.last_mut())
            .and_then(Vec::pop);
    }
    if result.outcome != Outcome::Skip {
        for r in &p.requires {
            ev.steps = 0;
            ev.built = 0;
            let _ = ev.eval_traced(r);
            if let Some(node) = ev
                .trace
                .as_mut()
                .and_then(|t| t.last_mut())
                .and_then(Vec::pop)
            {
                requires.push(node);
            }
        }
    }
    let mut override_when = None;
    if let (Some(ov), Outcome::Fail | Outcome::Overridden) = (&p.override_when, result.outcome) {
        ev.steps = 0;
        ev.built = 0;
        let _ = ev.eval_traced(ov);
        override_when = ev
            .trace
            .as_mut()
            .and_then(|t| t.last_mut())
            .and_then(Vec::pop);
    }
    PolicyTrace {
        result,
        when,
        requires,
        override_when,
    }
}

impl<'a> Evaluator<'a> {
    fn new(program: &'a Program, root: &'a Node, sources: &'a Sources, options: Options) -> Self {
        Evaluator {
            program,
            schema: &program.schema,
            root,
            sources,
            now: options.now,
            env: Vec::with_capacity(8),
            defs: vec![None; program.defs.len()],
            recorded: Vec::new(),
            recording: false,
            reads: Vec::new(),
            steps: 0,
            budget: options.step_budget,
            built: 0,
            memory_budget: options.memory_budget,
            depth: 0,
            probing: 0,
            trace: None,
            expanded: Vec::new(),
            last_read: None,
            coverage: None,
            deny_overrides: options.deny_overrides,
            paths: None,
        }
    }

    fn policy(&mut self, index: usize) -> PolicyResult {
        let p = &self.program.policies[index];
        self.steps = 0;
        self.built = 0;
        let mut result = PolicyResult::new(index, Outcome::Pass);
        if let Some(when) = &p.when {
            if let Some(c) = self.coverage.as_mut() {
                c.push(when.span);
            }
            match self.eval(when) {
                Ok(v) if !v.as_bool() => {
                    result.outcome = Outcome::Skip;
                    return result;
                }
                Ok(_) => {}
                Err(e) => return self.errored(result, *e),
            }
        }
        let mut failed = Vec::new();
        for req in &p.requires {
            if let Some(c) = self.coverage.as_mut() {
                c.push(req.span);
            }
            match self.eval(req) {
                Ok(v) if !v.as_bool() => failed.push(req),
                Ok(_) => {}
                Err(e) => return self.errored(result, *e),
            }
        }
        if failed.is_empty() {
            return result;
        }
        result.outcome = Outcome::Fail;
        let first_failed = failed[0];
        // Again, recording what was read and why each clause is false.
        self.recording = true;
        self.reads.clear();
        if let Some(when) = &p.when {
            let _ = self.eval(when);
        }
        let when_reads = self.reads.len();
        for req in failed {
            self.steps = 0;
            self.built = 0;
            let _ = self.eval(req);
            let note = self.why_false(req);
            result.clauses.push(note);
            if result.remediation.is_none() {
                result.remediation = self.remediation(req);
            }
        }
        // A way past the rule: evaluated (still recording) only for a failure.
        let failure_reads = self.reads.len();
        let held = p.override_when.as_ref().map(|ov| {
            if let Some(c) = self.coverage.as_mut() {
                c.push(ov.span);
            }
            self.steps = 0;
            self.built = 0;
            (ov, self.eval(ov))
        });
        self.recording = false;
        let applies = matches!(&held, Some((_, Ok(v))) if v.as_bool()) && !self.deny_overrides;
        // An override that applies has its own evidence; one that does not is part of the
        // failure's (the values that kept it from applying).
        let override_reads = if applies {
            self.reads.split_off(failure_reads)
        } else {
            Vec::new()
        };
        result.evidence = self.evidence(when_reads);
        match held {
            Some((ov, _)) if applies => {
                self.reads = override_reads;
                let evidence = self.evidence(0);
                let message = match &p.override_message {
                    Some(t) => self.template(t),
                    None => format!(
                        "policy `{}` failed and was overridden: `{}` holds",
                        p.name,
                        self.src(ov)
                    ),
                };
                result.outcome = Outcome::Overridden;
                result.overridden = Some(Override {
                    message,
                    span: ov.span,
                    evidence,
                });
            }
            Some((ov, Ok(v))) if v.as_bool() => result.clauses.push(Note {
                span: ov.span,
                text:
                    "the override holds, but overrides are refused in this run (--deny-overrides)"
                        .into(),
            }),
            Some((ov, Ok(_))) => {
                let mut note = self.why_false(ov);
                note.text = ["the override does not apply: ", &note.text].concat();
                result.clauses.push(note);
            }
            Some((_, Err(e))) => result.clauses.push(Note {
                span: e.span,
                text: [
                    "the override could not be evaluated, so it does not apply: ",
                    &e.message,
                ]
                .concat(),
            }),
            None => {}
        }
        if result.outcome == Outcome::Fail
            && let Some(w) = self.waiver(index)
        {
            result.outcome = Outcome::Waived;
            result.waived = Some(w);
        }
        result.message = Some(match &p.message {
            Some(t) => self.template(t),
            None => match p
                .doc
                .as_deref()
                .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
            {
                Some(line) => line.to_string(),
                None => format!(
                    "policy `{}` failed: `{}` does not hold",
                    p.name,
                    self.src(first_failed)
                ),
            },
        });
        result.help = p.help.as_ref().map(|t| self.template(t));
        result
    }

    /// The first waiver of policy `index` that has not expired and whose scope holds for this
    /// manifest. A scope condition that errors does not hold (fail closed).
    fn waiver(&mut self, index: usize) -> Option<usize> {
        let program = self.program;
        program.waivers.iter().enumerate().find_map(|(k, w)| {
            if w.policy != index || w.expires <= self.now {
                return None;
            }
            if !w.ids.is_empty() {
                let id = match (&self.root.value, w.id_field) {
                    (NodeValue::Record(fields), Some(i)) => fields.get(i)?.as_ref()?,
                    _ => return None,
                };
                let NodeValue::Str(id) = &id.value else {
                    return None;
                };
                if !w.ids.iter().any(|x| x == id.as_str()) {
                    return None;
                }
            }
            if let Some(cond) = &w.when {
                self.steps = 0;
                self.built = 0;
                if !matches!(self.eval(cond), Ok(v) if v.as_bool()) {
                    return None;
                }
            }
            Some(k)
        })
    }

    fn errored(&mut self, mut result: PolicyResult, e: EvalError) -> PolicyResult {
        let p = &self.program.policies[result.policy];
        result.outcome = Outcome::Error;
        result.message = Some(format!(
            "policy `{}` could not be evaluated: {}",
            p.name, e.message
        ));
        result.help = e.help.clone();
        result.clauses.push(Note {
            span: e.span,
            text: e.message.clone(),
        });
        result.error = Some(e);
        result
    }

    fn template(&mut self, t: &'a Template) -> String {
        let text_len: usize = t
            .parts
            .iter()
            .map(|part| match part {
                TemplatePart::Text(s) => s.len(),
                TemplatePart::Expr(_) => 16,
            })
            .sum();
        let mut out = String::with_capacity(text_len);
        for part in &t.parts {
            match part {
                TemplatePart::Text(s) => out.push_str(s),
                TemplatePart::Expr(e) => match self.eval(e) {
                    // A value from the manifest cannot drive the terminal the message is shown on.
                    Ok(v) => out.push_str(&crate::diag::escape_controls(
                        &display(&v, self.schema),
                        false,
                    )),
                    Err(err) => {
                        let why = if err.code == ABSENT {
                            "absent".to_string()
                        } else {
                            err.message
                        };
                        out.push_str(&format!("<{}: {why}>", self.src(e)));
                    }
                },
            }
        }
        out
    }

    fn src(&self, e: &Expr) -> &'a str {
        self.sources.slice(e.span)
    }

    fn err(
        &self,
        code: &'static str,
        span: Span,
        message: String,
        help: Option<String>,
    ) -> Box<EvalError> {
        Box::new(EvalError {
            code,
            message,
            span,
            help,
            manifest_span: None,
        })
    }

    /// Counts `bytes` of a value about to be built against the memory budget (before it is
    /// built, so a runaway policy stops with an error instead of exhausting memory).
    fn charge(&mut self, bytes: usize, span: Span) -> Result<(), Box<EvalError>> {
        self.built = self.built.saturating_add(bytes as u64);
        if self.built <= self.memory_budget {
            return Ok(());
        }
        Err(self.err(
            "charter::eval::memory",
            span,
            format!(
                "evaluation built more than {} of values (the memory budget; raise `limits.eval_memory` in charter.toml)",
                format_bytes(self.memory_budget)
            ),
            Some("the policy builds ever larger strings or lists for this manifest; compare or filter values instead of concatenating them".into()),
        ))
    }

    /// [`Self::charge`] for `n` list elements.
    fn charge_elements(&mut self, n: usize, span: Span) -> Result<(), Box<EvalError>> {
        self.charge(n.saturating_mul(VALUE_SIZE), span)
    }

    fn bool(&mut self, e: &'a Expr) -> Result<bool, Box<EvalError>> {
        Ok(self.eval(e)?.as_bool())
    }

    fn eval(&mut self, e: &'a Expr) -> R<'a> {
        self.steps += 1;
        if self.steps > self.budget {
            return Err(self.err(
                "charter::eval::budget",
                e.span,
                format!("evaluation took more than {} steps", self.budget),
                Some("the policy does too much work for this manifest; nest fewer quantifiers, or filter lists before quantifying".into()),
            ));
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.err(
                "charter::eval::depth",
                e.span,
                "evaluation nested too deeply".into(),
                None,
            ));
        }
        self.depth += 1;
        let r = if self.trace.is_some() && traced(e) {
            self.eval_traced(e)
        } else {
            self.eval_inner(e)
        };
        self.depth -= 1;
        r
    }

    /// Evaluates `e` as a node of the trace: its children are the steps inside it.
    fn eval_traced(&mut self, e: &'a Expr) -> R<'a> {
        if let Some(t) = self.trace.as_mut() {
            t.push(Vec::new());
        }
        self.last_read = None;
        let r = self.eval_inner(e);
        let mut children = self.trace.as_mut().and_then(Vec::pop).unwrap_or_default();
        let mut note = None;
        let mut read = None;
        match &e.kind {
            ExprKind::Field { .. } => {
                children.clear();
                read = self.last_read;
            }
            ExprKind::Def(id) => {
                let d = &self.program.defs[*id];
                let (line, _) = self.sources.get(d.span.file).line_col(d.span.start);
                if self.expanded[*id] {
                    children.clear();
                    note = Some("shown above".to_string());
                } else {
                    self.expanded[*id] = true;
                    note = Some(format!(
                        "let at {}:{line}",
                        self.sources.get(d.span.file).name
                    ));
                }
            }
            _ => {}
        }
        let value = match &r {
            Ok(v) => self.show(v),
            Err(err) => format!("error: {}", err.message),
        };
        let node = TraceNode {
            label: self.src(e).to_string(),
            value,
            span: Some(e.span),
            read,
            note,
            children,
        };
        if let Some(parent) = self.trace.as_mut().and_then(|t| t.last_mut()) {
            parent.push(node);
        }
        r
    }

    /// Binds `x` to `slot` and evaluates `body` (a quantifier's, a filter's, ...), as an element
    /// step of the trace.
    fn eval_elem(&mut self, slot: usize, var: &str, x: Value<'a>, body: &'a Expr) -> R<'a> {
        if let Some(c) = self.coverage.as_mut() {
            c.push(body.span);
        }
        let label = self
            .trace
            .is_some()
            .then(|| format!("{var} = {}", display(&x, self.schema)));
        self.bind(slot, x);
        let Some(label) = label else {
            let r = self.eval(body);
            self.env.truncate(slot);
            return r;
        };
        let shown = self
            .trace
            .as_ref()
            .and_then(|t| t.last())
            .map_or(0, |siblings| {
                siblings
                    .iter()
                    .filter(|n| n.note.as_deref() == Some("element"))
                    .count()
            });
        if let Some(t) = self.trace.as_mut() {
            t.push(Vec::new());
        }
        let r = self.eval(body);
        self.env.truncate(slot);
        let children = self.trace.as_mut().and_then(Vec::pop).unwrap_or_default();
        if shown < MAX_TRACED_ELEMENTS {
            let value = match &r {
                Ok(v) => self.show(v),
                Err(err) => format!("error: {}", err.message),
            };
            let node = TraceNode {
                label,
                value,
                span: None,
                read: None,
                note: Some("element".into()),
                children,
            };
            if let Some(parent) = self.trace.as_mut().and_then(|t| t.last_mut()) {
                parent.push(node);
            }
        }
        r
    }

    fn eval_inner(&mut self, e: &'a Expr) -> R<'a> {
        Ok(match &e.kind {
            ExprKind::Const(c) => match c {
                Const::Bool(b) => Value::Bool(*b),
                Const::Int(i) => Value::Int(*i),
                Const::Float(f) => Value::Float(*f),
                Const::Str(s) => Value::Str(Text::Shared(s.clone())),
                Const::Duration(d) => Value::Duration(*d),
                Const::Timestamp(t) => Value::Timestamp(*t),
                Const::Date(d) => Value::Date(*d),
                Const::Time(t) => Value::Time(*t),
                Const::Enum(t, i) => Value::Enum(*t, *i),
            },
            ExprKind::List(xs) => {
                self.charge_elements(xs.len(), e.span)?;
                let mut out = Vec::with_capacity(xs.len());
                for x in xs {
                    out.push(self.eval(x)?);
                }
                Value::List(Rc::new(out))
            }
            ExprKind::Root => Value::Record(self.schema.root, self.root),
            ExprKind::Local(slot, _) => self.env[*slot].clone(),
            ExprKind::Def(id) => {
                if !self.recording
                    && let Some(v) = &self.defs[*id]
                {
                    return Ok(v.clone());
                }
                // While recording, a definition evaluated before gives its value and the reads
                // it made (the same ones evaluating it again would make).
                let replay = self.recording && self.trace.is_none() && self.coverage.is_none();
                if replay && let Some(Some((v, reads))) = self.recorded.get(*id) {
                    self.reads.extend_from_slice(reads);
                    return Ok(v.clone());
                }
                let before = self.reads.len();
                let saved = std::mem::take(&mut self.env);
                let r = self.eval(&self.program.defs[*id].body);
                self.env = saved;
                let v = r?;
                self.defs[*id] = Some(v.clone());
                if replay {
                    if self.recorded.len() <= *id {
                        self.recorded.resize(self.program.defs.len(), None);
                    }
                    let reads = self.reads.get(before..).unwrap_or_default().to_vec();
                    self.recorded[*id] = Some((v.clone(), reads));
                }
                v
            }
            ExprKind::Field {
                base,
                record,
                index,
            } => {
                let node = match self.record_in_place(base) {
                    Some(node) => node,
                    None => match self.eval(base)? {
                        Value::Record(_, node) => node,
                        Value::RecordLit(_, values) => return Ok(values[*index].clone()),
                        v => panic!("checker let a field access on {v:?} through"),
                    },
                };
                let NodeValue::Record(fields) = &node.value else {
                    panic!("record value without record node")
                };
                let field = &self.schema.record(*record).fields[*index];
                match &fields[*index] {
                    Some(n) => {
                        if self.recording {
                            self.reads.push(n);
                            self.last_read = Some(n.key_span.unwrap_or(n.span));
                        }
                        Value::from_node(n, &field.ty)
                    }
                    None => match &field.default {
                        Some(d) => self.eval(d)?,
                        None => {
                            let mut err = self.absent(e.span, |ev| {
                                let path = path_text(e, ev.program);
                                let help = format!(
                                    "test that it is present first: `has({path}) and ...`, or give a default: `{path} ?? ...`"
                                );
                                // Name the element when the record is one bound by a quantifier.
                                let whose = match &base.kind {
                                    ExprKind::Local(slot, var) => format!(
                                        " for {var} = {}",
                                        display(&ev.env[*slot], ev.schema)
                                    ),
                                    _ => String::new(),
                                };
                                (format!("`{path}` is absent in this manifest{whose}"), help)
                            });
                            if !std::ptr::eq(node, self.root) {
                                err.manifest_span = Some(node.key_span.unwrap_or(node.span));
                            }
                            return Err(err);
                        }
                    },
                }
            }
            ExprKind::Now => Value::Timestamp(self.now),
            ExprKind::If(c, a, b) => {
                if self.bool(c)? {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            ExprKind::Index(base, key) => {
                let b = self.eval(base)?;
                let k = self.eval(key)?;
                self.index(b, k, e)?
            }
            ExprKind::Default(a, b) => match self.probe(a) {
                Ok(v) => v,
                Err(err) if err.code == ABSENT => self.eval(b)?,
                Err(err) => return Err(err),
            },
            ExprKind::Regex(a, re, _) => match self.eval(a)? {
                Value::Str(s) => Value::Bool(re.is_match(&s)),
                v => panic!("checker let `=~` on {v:?} through"),
            },
            ExprKind::QuantMap {
                any,
                slot,
                coll,
                body,
            } => {
                let m = self.eval(coll)?;
                self.charge_elements(m.len(), e.span)?;
                let mut result = !*any;
                for (k, v) in self.entries(&m) {
                    if let Some(c) = self.coverage.as_mut() {
                        c.push(body.span);
                    }
                    self.bind(*slot, Value::Str(Text::Shared(k)));
                    self.env.push(v);
                    let b = self.bool(body);
                    self.env.truncate(*slot);
                    if b? == *any {
                        result = *any;
                        break;
                    }
                }
                Value::Bool(result)
            }
            ExprKind::MapOp {
                slot,
                var,
                coll,
                body,
            } => {
                let xs = self.eval(coll)?;
                self.charge_elements(xs.len(), e.span)?;
                let mut out = Vec::with_capacity(xs.len());
                for x in xs.elements() {
                    let v = self.eval_elem(*slot, var, x, body);
                    out.push(v?);
                }
                Value::List(Rc::new(out))
            }
            ExprKind::By {
                max,
                slot,
                var,
                coll,
                key,
            } => {
                let xs = self.eval(coll)?;
                let mut best: Option<(Value<'a>, Value<'a>)> = None;
                for x in xs.elements() {
                    let k = self.eval_elem(*slot, var, x.clone(), key);
                    let k = k?;
                    let better = match &best {
                        None => true,
                        // max_by keeps the last of equal keys, min_by the first.
                        Some((bk, _)) => compare(&k, bk)
                            .is_some_and(|o| if *max { o.is_ge() } else { o.is_lt() }),
                    };
                    if better {
                        best = Some((k, x));
                    }
                }
                match best {
                    Some((_, x)) => x,
                    None => {
                        let which = if *max { "max_by" } else { "min_by" };
                        return Err(self.absent(e.span, |_| {
                            (
                                format!("`{which}` of an empty list has no element"),
                                format!("give a default: `(... {which} ...) ?? ...`, or test `count(...) > 0` first"),
                            )
                        }));
                    }
                }
            }
            ExprKind::DistinctBy {
                slot,
                var,
                coll,
                key,
            } => {
                let xs = self.eval(coll)?;
                let mut keys: Vec<Value<'a>> = Vec::new();
                let mut out = Vec::new();
                for x in xs.elements() {
                    let k = self.eval_elem(*slot, var, x.clone(), key);
                    let k = k?;
                    if !keys.iter().any(|y| equal(&k, y)) {
                        self.charge_elements(2, e.span)?;
                        keys.push(k);
                        out.push(x);
                    }
                }
                Value::List(Rc::new(out))
            }
            ExprKind::MapLit(kvs) => {
                self.charge(
                    kvs.len()
                        .saturating_mul(std::mem::size_of::<(std::sync::Arc<str>, Value)>()),
                    e.span,
                )?;
                let mut out = Vec::with_capacity(kvs.len());
                for (k, v) in kvs {
                    out.push((k.clone(), self.eval(v)?));
                }
                Value::MapLit(Rc::new(out))
            }
            ExprKind::RecordLit(id, vs) => {
                self.charge_elements(vs.len(), e.span)?;
                let mut out = Vec::with_capacity(vs.len());
                for v in vs {
                    out.push(self.eval(v)?);
                }
                Value::RecordLit(*id, Rc::new(out))
            }
            ExprKind::Apply { args, body, .. } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                let saved = std::mem::replace(&mut self.env, vals);
                let r = self.eval(body);
                self.env = saved;
                r?
            }
            ExprKind::ToLocal(t, tz) => match self.eval(t)? {
                Value::Timestamp(ts) => Value::Local(tz.to_datetime(ts)),
                v => panic!("checker let local() on {v:?} through"),
            },
            ExprKind::LocalPart(t, part) => match self.eval(t)? {
                Value::Local(dt) => match part {
                    LocalPart::Year => Value::Int(i64::from(dt.year())),
                    LocalPart::Month => Value::Int(i64::from(dt.month())),
                    LocalPart::Day => Value::Int(i64::from(dt.day())),
                    LocalPart::Hour => Value::Int(i64::from(dt.hour())),
                    LocalPart::Minute => Value::Int(i64::from(dt.minute())),
                    LocalPart::Weekday => Value::Enum(
                        self.schema.weekday,
                        u32::from(dt.weekday().to_monday_zero_offset() as u8),
                    ),
                    LocalPart::Date => Value::Date(dt.date()),
                    LocalPart::Time => Value::Time(dt.time()),
                },
                v => panic!("checker let a local part of {v:?} through"),
            },
            ExprKind::Not(x) => Value::Bool(!self.bool(x)?),
            ExprKind::Neg(x) => match self.eval(x)? {
                Value::Int(i) => Value::Int(i.checked_neg().ok_or_else(|| self.overflow(e))?),
                Value::Float(f) => Value::Float(-f),
                Value::Duration(d) => {
                    Value::Duration(d.checked_neg().ok_or_else(|| self.overflow(e))?)
                }
                v => panic!("checker let `-` on {v:?} through"),
            },
            ExprKind::And(a, b) => Value::Bool(self.bool(a)? && self.bool(b)?),
            ExprKind::Or(a, b) => Value::Bool(self.bool(a)? || self.bool(b)?),
            ExprKind::Compare(op, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                Value::Bool(match op {
                    CmpOp::Eq => equal(&x, &y),
                    CmpOp::Ne => !equal(&x, &y),
                    _ => match compare(&x, &y) {
                        Some(o) => match op {
                            CmpOp::Lt => o.is_lt(),
                            CmpOp::Le => o.is_le(),
                            CmpOp::Gt => o.is_gt(),
                            _ => o.is_ge(),
                        },
                        None => false,
                    },
                })
            }
            ExprKind::Arith(op, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                match (op, &x, &y) {
                    (ArithOp::Add, Value::Str(p), Value::Str(q)) => {
                        self.charge(p.len().saturating_add(q.len()), e.span)?
                    }
                    (
                        ArithOp::Add,
                        p @ (Value::List(_) | Value::Nodes(..)),
                        q @ (Value::List(_) | Value::Nodes(..)),
                    ) => self.charge_elements(p.len().saturating_add(q.len()), e.span)?,
                    _ => {}
                }
                self.arith(*op, x, y, e)?
            }
            ExprKind::In(a, b) => {
                let x = self.eval(a)?;
                let xs = self.eval(b)?;
                Value::Bool(match (&x, &xs) {
                    (Value::Str(_) | Value::Enum(..), Value::Map(..) | Value::MapLit(_)) => {
                        self.lookup(&xs, &x).is_some()
                    }
                    _ => xs.elements().any(|y| equal(&x, &y)),
                })
            }
            ExprKind::Matches(a, glob) => match self.eval(a)? {
                Value::Str(s) => Value::Bool(glob.is_match(&s)),
                v => panic!("checker let `matches` on {v:?} through"),
            },
            ExprKind::Quant {
                any,
                slot,
                var,
                coll,
                body,
            } => {
                let xs = self.eval(coll)?;
                if let Some(found) = self.match_each(*any, *slot, &xs, body) {
                    return Ok(Value::Bool(found));
                }
                let mut result = !*any;
                for x in xs.elements() {
                    let b = self.eval_elem(*slot, var, x, body).map(|v| v.as_bool());
                    if b? == *any {
                        result = *any;
                        break;
                    }
                }
                Value::Bool(result)
            }
            ExprKind::Where {
                slot,
                var,
                coll,
                body,
            } => {
                let xs = self.eval(coll)?;
                // Room for what a filter usually keeps, not for all of a long list.
                let mut out = Vec::with_capacity(xs.len().min(8));
                for x in xs.elements() {
                    let b = self
                        .eval_elem(*slot, var, x.clone(), body)
                        .map(|v| v.as_bool());
                    if b? {
                        self.charge_elements(1, e.span)?;
                        out.push(x);
                    }
                }
                Value::List(Rc::new(out))
            }
            ExprKind::Call(f, args) => self.call(*f, args, e)?,
            ExprKind::Has(path) => match self.probe(path) {
                Ok(_) => Value::Bool(true),
                Err(err) if err.code == ABSENT => Value::Bool(false),
                Err(err) => return Err(err),
            },
        })
    }

    /// The error of a field, key or element that is not there. Under `has` or the left of
    /// `??` it is caught at once, so its text is not written (unless a trace shows it).
    fn absent(&self, span: Span, text: impl FnOnce(&Self) -> (String, String)) -> Box<EvalError> {
        if self.probing > 0 && self.trace.is_none() {
            return self.err(ABSENT, span, String::new(), None);
        }
        let (message, help) = text(self);
        self.err(ABSENT, span, message, Some(help))
    }

    /// Evaluates the operand of `has` or the left of `??`, which catch absent values.
    fn probe(&mut self, e: &'a Expr) -> R<'a> {
        self.probing += 1;
        let r = self.eval(e);
        self.probing -= 1;
        r
    }

    /// The entries of a map, in manifest order.
    fn entries(&mut self, m: &Value<'a>) -> Vec<(std::sync::Arc<str>, Value<'a>)> {
        match m {
            Value::Map(kvs, ty, _) => kvs
                .iter()
                .map(|(k, n)| {
                    if self.recording {
                        self.reads.push(n);
                    }
                    (k.clone(), Value::from_node(n, ty))
                })
                .collect(),
            Value::MapLit(kvs) => kvs.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => Vec::new(),
        }
    }

    /// A map entry by key (an enum value looks up its name); `ignore_case` maps compare keys
    /// without case.
    fn lookup(&mut self, m: &Value<'a>, key: &Value<'a>) -> Option<Value<'a>> {
        let k: &str = match key {
            Value::Str(s) => s,
            Value::Enum(id, i) => self.schema.enumeration(*id).variants[*i as usize].as_str(),
            Value::Unlisted(_, s) => s,
            _ => return None,
        };
        match m {
            Value::Map(kvs, ty, ci) => {
                let found = kvs.iter().find(|(key, _)| **key == *k).or_else(|| {
                    ci.then(|| {
                        kvs.iter()
                            .find(|(key, _)| key.to_lowercase() == k.to_lowercase())
                    })
                    .flatten()
                });
                found.map(|(_, n)| {
                    if self.recording {
                        self.reads.push(n);
                    }
                    Value::from_node(n, ty)
                })
            }
            Value::MapLit(kvs) => kvs
                .iter()
                .find(|(key, _)| **key == *k)
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }

    fn index(&mut self, base: Value<'a>, key: Value<'a>, e: &'a Expr) -> R<'a> {
        if let Value::Int(i) = key {
            let n = base.len();
            return match usize::try_from(i).ok().and_then(|i| base.elements().nth(i)) {
                Some(v) => Ok(v),
                None => Err(self.absent(e.span, |ev| {
                    (
                        format!("`{}` has no element {i} (it has {n})", ev.src(e)),
                        "positions start at 0; give a default with `?? ...`".into(),
                    )
                })),
            };
        }
        match self.lookup(&base, &key) {
            Some(v) => Ok(v),
            None => Err(self.absent(e.span, |ev| {
                let shown = display(&key, ev.schema);
                (
                    format!(
                        "`{}` has no key \"{shown}\"",
                        ev.src(e).split('[').next().unwrap_or("the map")
                    ),
                    "give a default for missing keys: `m[k] ?? value`".into(),
                )
            })),
        }
    }

    /// Whether `steps` more steps, `levels` deeper than now, stay within the budget and the depth
    /// limit: where a shortcut takes the general route's steps without running them, it checks
    /// first that the general route would not have stopped on the way (and leaves it to report).
    fn room_for(&self, steps: u64, levels: usize) -> bool {
        self.steps + steps <= self.budget && self.depth + levels < MAX_DEPTH
    }

    /// The manifest record `change` or `r` (a bound element) of `change.x` or `r.x`, read where
    /// it is rather than evaluated into a value first: the same step, counted, and nothing else
    /// to record or trace. `None` for anything else, or when that step would run out of budget
    /// or depth (the general route reports it).
    fn record_in_place(&mut self, base: &Expr) -> Option<&'a Node> {
        if !self.room_for(1, 1) {
            return None;
        }
        let node = match &base.kind {
            ExprKind::Root => self.root,
            ExprKind::Local(slot, _) => match self.env.get(*slot)? {
                Value::Record(_, node) => node,
                _ => return None,
            },
            _ => return None,
        };
        self.steps += 1;
        Some(node)
    }

    /// `any f in files: f matches "src/auth/**"` (or `all`, or `=~`), the commonest shape of a
    /// path rule, with the strings matched where they are instead of each bound and evaluated:
    /// the same answer and the same step count, for a fraction of the work. `None` when the
    /// quantifier has another shape, or while a result is being explained (which follows every
    /// step), or when the step budget could run out on the way (the general route reports it).
    fn match_each(&mut self, any: bool, slot: usize, xs: &Value<'a>, body: &Expr) -> Option<bool> {
        if self.recording || self.trace.is_some() || self.coverage.is_some() {
            return None;
        }
        let (operand, test): (&Expr, &dyn Fn(&str) -> bool) = match &body.kind {
            ExprKind::Matches(x, glob) => (x, &|s| glob.is_match(s)),
            ExprKind::Regex(x, re, _) => (x, &|s| re.is_match(s)),
            _ => return None,
        };
        if !matches!(operand.kind, ExprKind::Local(s, _) if s == slot) {
            return None;
        }
        let Value::Nodes(nodes, Ty::Str | Ty::Path | Ty::Identity) = xs else {
            return None;
        };
        // The general route takes two steps and two levels an element (the body, the variable).
        if !self.room_for(2 * nodes.len() as u64, 2) {
            return None;
        }
        self.env.truncate(slot);
        let mut seen = 0u64;
        let decided = nodes.iter().any(|n| {
            seen += 1;
            matches!(&n.value, NodeValue::Str(s) if test(s) == any)
        });
        self.steps += 2 * seen;
        Some(decided == any)
    }

    fn bind(&mut self, slot: usize, v: Value<'a>) {
        self.env.truncate(slot);
        self.env.push(v);
    }

    fn overflow(&self, e: &Expr) -> Box<EvalError> {
        self.err(
            "charter::eval::overflow",
            e.span,
            format!("`{}` overflows a 64-bit integer", self.src(e)),
            Some("a manifest value is far larger than this policy expects".into()),
        )
    }

    fn arith(&self, op: ArithOp, x: Value<'a>, y: Value<'a>, e: &Expr) -> R<'a> {
        use Value::*;
        let ov = || self.overflow(e);
        let out_of_time = || {
            self.err(
                "charter::eval::timestamp_range",
                e.span,
                format!(
                    "`{}` is outside the range of timestamps (years -9999 to 9999)",
                    self.src(e)
                ),
                Some("a manifest time or duration is far from what this policy expects".into()),
            )
        };
        Ok(match (op, x, y) {
            (ArithOp::Div, a, b) if matches!(a, Int(_) | Float(_)) => {
                let (a, b) = (as_f64(&a), as_f64(&b));
                if b == 0.0 {
                    return Err(self.err(
                        "charter::eval::div_zero",
                        e.span,
                        format!("`{}` divides by zero", self.src(e)),
                        None,
                    ));
                }
                Float(a / b)
            }
            (ArithOp::Div, Duration(a), Int(b)) => {
                if b == 0 {
                    return Err(self.err(
                        "charter::eval::div_zero",
                        e.span,
                        format!("`{}` divides by zero", self.src(e)),
                        None,
                    ));
                }
                Duration(a / b)
            }
            (ArithOp::Add, Int(a), Int(b)) => Int(a.checked_add(b).ok_or_else(ov)?),
            (ArithOp::Sub, Int(a), Int(b)) => Int(a.checked_sub(b).ok_or_else(ov)?),
            (ArithOp::Mul, Int(a), Int(b)) => Int(a.checked_mul(b).ok_or_else(ov)?),
            (op, a @ (Int(_) | Float(_)), b @ (Int(_) | Float(_))) => {
                let (a, b) = (as_f64(&a), as_f64(&b));
                Float(match op {
                    ArithOp::Add => a + b,
                    ArithOp::Sub => a - b,
                    _ => a * b,
                })
            }
            (ArithOp::Add, Str(a), Str(b)) => Str(format!("{a}{b}").into()),
            (ArithOp::Add, a @ (List(_) | Nodes(..)), b @ (List(_) | Nodes(..))) => {
                List(Rc::new(a.elements().chain(b.elements()).collect()))
            }
            (ArithOp::Add, Duration(a), Duration(b)) => Duration(a.checked_add(b).ok_or_else(ov)?),
            (ArithOp::Sub, Duration(a), Duration(b)) => Duration(a.checked_sub(b).ok_or_else(ov)?),
            (ArithOp::Mul, Duration(a), Int(b)) | (ArithOp::Mul, Int(b), Duration(a)) => {
                Duration(a.checked_mul(b).ok_or_else(ov)?)
            }
            (ArithOp::Sub, Timestamp(a), Timestamp(b)) => Duration(a.duration_since(b).as_secs()),
            (ArithOp::Add, Timestamp(t), Duration(d))
            | (ArithOp::Add, Duration(d), Timestamp(t)) => Timestamp(
                t.checked_add(jiff::SignedDuration::from_secs(d))
                    .map_err(|_| out_of_time())?,
            ),
            (ArithOp::Sub, Timestamp(t), Duration(d)) => Timestamp(
                t.checked_sub(jiff::SignedDuration::from_secs(d))
                    .map_err(|_| out_of_time())?,
            ),
            (op, a, b) => panic!("checker let {op:?} on {a:?} and {b:?} through"),
        })
    }

    fn call(&mut self, f: Builtin, args: &'a [Expr], e: &'a Expr) -> R<'a> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.eval(a)?);
        }
        let s = |v: &Value<'a>| match v {
            Value::Str(s) => s.clone(),
            other => panic!("checker let a non-string {other:?} through"),
        };
        // What the new value costs the memory budget, charged before it is built.
        let cost = match f {
            // Case mapping and normalization may grow a string up to three times.
            Builtin::Lower | Builtin::Upper | Builtin::Nfc => s(&vals[0]).len().saturating_mul(3),
            Builtin::Trim => s(&vals[0]).len(),
            Builtin::Keys | Builtin::Values => vals[0].len().saturating_mul(VALUE_SIZE),
            Builtin::Split => {
                let (text, sep) = (s(&vals[0]), s(&vals[1]));
                let pieces = text.split(&*sep).count();
                text.len().saturating_add(pieces.saturating_mul(VALUE_SIZE))
            }
            _ => 0,
        };
        self.charge(cost, e.span)?;
        Ok(match f {
            Builtin::Count => Value::Int(vals[0].len() as i64),
            Builtin::Sum => {
                let mut acc = match &e.ty {
                    Ty::Float => Value::Float(0.0),
                    Ty::Duration => Value::Duration(0),
                    _ => Value::Int(0),
                };
                for x in vals[0].elements() {
                    acc = self.arith(ArithOp::Add, acc, x, e)?;
                }
                acc
            }
            Builtin::Min | Builtin::Max => {
                let items: Vec<Value<'a>> = if vals.len() == 1 {
                    self.charge_elements(vals[0].len(), e.span)?;
                    vals[0].elements().collect()
                } else {
                    vals
                };
                let mut best: Option<Value<'a>> = None;
                for x in items {
                    best = Some(match best {
                        None => x,
                        Some(b) => {
                            let o = compare(&x, &b);
                            let better = if f == Builtin::Min {
                                o.is_some_and(|o| o.is_lt())
                            } else {
                                o.is_some_and(|o| o.is_gt())
                            };
                            if better { x } else { b }
                        }
                    });
                }
                best.ok_or_else(|| {
                    self.err(
                        "charter::eval::empty",
                        e.span,
                        format!("`{}` of an empty list has no value", f.name()),
                        Some(format!(
                            "check that the list is not empty first: `count(...) > 0 and {}(...)`",
                            f.name()
                        )),
                    )
                })?
            }
            Builtin::Distinct => {
                let mut out: Vec<Value<'a>> = Vec::new();
                for x in vals[0].elements() {
                    if !out.iter().any(|y| equal(&x, y)) {
                        self.charge_elements(1, e.span)?;
                        out.push(x);
                    }
                }
                Value::List(Rc::new(out))
            }
            Builtin::Lower => Value::Str(s(&vals[0]).to_lowercase().into()),
            Builtin::Upper => Value::Str(s(&vals[0]).to_uppercase().into()),
            Builtin::Trim => Value::Str(s(&vals[0]).trim().into()),
            Builtin::StartsWith => Value::Bool(s(&vals[0]).starts_with(&*s(&vals[1]))),
            Builtin::EndsWith => Value::Bool(s(&vals[0]).ends_with(&*s(&vals[1]))),
            Builtin::Contains => match (&vals[0], &vals[1]) {
                (Value::Str(a), Value::Str(b)) => Value::Bool(a.contains(&**b)),
                (xs, x) => Value::Bool(xs.elements().any(|y| equal(x, &y))),
            },
            Builtin::First | Builtin::Last => {
                let n = vals[0].len();
                let item = if f == Builtin::First {
                    vals[0].elements().next()
                } else {
                    vals[0].elements().nth(n.saturating_sub(1))
                };
                match item {
                    Some(x) => x,
                    None => {
                        return Err(self.absent(e.span, |_| {
                            (
                                format!("`{}` of an empty list has no element", f.name()),
                                format!("give a default: `{}(...) ?? ...`", f.name()),
                            )
                        }));
                    }
                }
            }
            Builtin::Keys => Value::List(Rc::new(
                self.entries(&vals[0])
                    .into_iter()
                    .map(|(k, _)| Value::Str(Text::Shared(k)))
                    .collect(),
            )),
            Builtin::Values => Value::List(Rc::new(
                self.entries(&vals[0]).into_iter().map(|(_, v)| v).collect(),
            )),
            Builtin::String => {
                let text = display(&vals[0], self.schema);
                self.charge(text.len(), e.span)?;
                Value::Str(text.into())
            }
            Builtin::Split => Value::List(Rc::new(
                s(&vals[0])
                    .split(&*s(&vals[1]))
                    .map(|p| Value::Str(p.into()))
                    .collect(),
            )),
            Builtin::Identity => match &vals[0] {
                Value::Str(t) => Value::Str(crate::identity::fold(t).into()),
                list => Value::List(Rc::new(
                    list.elements()
                        .map(|x| Value::Str(crate::identity::fold(&s(&x)).into()))
                        .collect(),
                )),
            },
            Builtin::Nfc => {
                use unicode_normalization::UnicodeNormalization;
                Value::Str(s(&vals[0]).nfc().collect::<String>().into())
            }
            Builtin::Abs => match &vals[0] {
                Value::Int(i) => Value::Int(i.checked_abs().ok_or_else(|| self.overflow(e))?),
                Value::Float(f) => Value::Float(f.abs()),
                Value::Duration(d) => {
                    Value::Duration(d.checked_abs().ok_or_else(|| self.overflow(e))?)
                }
                v => panic!("checker let abs of {v:?} through"),
            },
        })
    }

    // ---------------------------------------------------------------- explanations

    fn show(&self, v: &Value<'a>) -> String {
        match v {
            Value::Str(s) => format!("\"{}\"", s.escape_debug()),
            Value::List(_) | Value::Nodes(..) if v.is_empty() => "empty".into(),
            Value::List(_) | Value::Nodes(..) => format!(
                "[{}]",
                crate::diag::escape_controls(&display(v, self.schema), false)
            ),
            _ => crate::diag::escape_controls(&display(v, self.schema), false).into_owned(),
        }
    }

    /// Why a clause that evaluated to false is false, as a label on the sub-expression that
    /// decided it.
    fn why_false(&mut self, e: &'a Expr) -> Note {
        let note = |span: Span, text: String| Note { span, text };
        match &e.kind {
            ExprKind::And(a, b) => {
                if self.bool(a).unwrap_or(false) {
                    self.why_false(b)
                } else {
                    self.why_false(a)
                }
            }
            ExprKind::Or(..) => note(e.span, "false: none of the alternatives holds".into()),
            ExprKind::Not(x) => note(e.span, ["false: `", self.src(x), "` is true"].concat()),
            ExprKind::Compare(_, a, b) => {
                let (Ok(x), Ok(y)) = (self.eval(a), self.eval(b)) else {
                    return note(e.span, "false".into());
                };
                let mut text = ["false: `", self.src(a), "` is ", &self.show(&x)].concat();
                if !matches!(b.kind, ExprKind::Const(_)) && !is_constant(b) {
                    text.extend([", `", self.src(b), "` is ", &self.show(&y)]);
                }
                note(e.span, text)
            }
            ExprKind::Quant {
                any: true, coll, ..
            } => {
                let xs = self.eval(coll).ok();
                let names: Vec<String> = xs
                    .iter()
                    .flat_map(|v| v.elements())
                    .map(|x| display(&x, self.schema))
                    .collect();
                let text = match names.len() {
                    0 => format!("false: `{}` is empty", self.src(coll)),
                    1 => format!(
                        "false for the only element of `{}`: {}",
                        self.src(coll),
                        names[0]
                    ),
                    n => format!(
                        "false for all {n} elements of `{}`: {}",
                        self.src(coll),
                        name_list(&names)
                    ),
                };
                note(e.span, text)
            }
            ExprKind::Quant {
                any: false,
                slot,
                coll,
                body,
                ..
            } => {
                let Ok(xs) = self.eval(coll) else {
                    return note(e.span, "false".into());
                };
                let mut failing = Vec::new();
                for x in xs.elements() {
                    self.bind(*slot, x.clone());
                    let ok = self.bool(body).unwrap_or(true);
                    self.env.truncate(*slot);
                    if !ok {
                        failing.push(display(&x, self.schema));
                    }
                }
                note(e.span, format!("false for {}", name_list(&failing)))
            }
            ExprKind::In(a, b) => match self.eval(a) {
                Ok(x) => note(
                    e.span,
                    format!("false: {} is not in `{}`", self.show(&x), self.src(b)),
                ),
                Err(_) => note(e.span, "false".into()),
            },
            ExprKind::Matches(a, g) => match self.eval(a) {
                Ok(x) => note(
                    e.span,
                    format!(
                        "false: {} does not match \"{}\"",
                        self.show(&x),
                        g.pattern()
                    ),
                ),
                Err(_) => note(e.span, "false".into()),
            },
            ExprKind::Regex(a, _, pattern) => match self.eval(a) {
                Ok(x) => note(
                    e.span,
                    format!(
                        "false: `{}` is {}, which does not match `{pattern}`",
                        self.src(a),
                        self.show(&x)
                    ),
                ),
                Err(_) => note(e.span, "false".into()),
            },
            ExprKind::Has(p) => note(e.span, ["false: `", self.src(p), "` is absent"].concat()),
            _ if is_constant(e) => note(e.span, "always false".into()),
            _ => note(e.span, ["false: `", self.src(e), "` is false"].concat()),
        }
    }

    /// What would make a false clause true, for the shapes where it can be computed from the
    /// evaluation: `count(xs where ...) >= n`, `count(xs) <= n`, a failed `any`. `None` otherwise:
    /// no hint is better than a guess.
    fn remediation(&mut self, e: &'a Expr) -> Option<String> {
        match &e.kind {
            ExprKind::And(a, b) => {
                if self.bool(a).unwrap_or(true) {
                    self.remediation(b)
                } else {
                    self.remediation(a)
                }
            }
            ExprKind::Def(id) => self.remediation(&self.program.defs[*id].body),
            ExprKind::Compare(op, a, b) => {
                let ExprKind::Call(Builtin::Count, args) = &a.kind else {
                    return None;
                };
                let coll = args.first()?;
                let Ok(Value::Int(n)) = self.eval(b) else {
                    return None;
                };
                let Ok(xs) = self.eval(coll) else { return None };
                let have = xs.len() as i64;
                let (base, preds) = self.where_chain(coll);
                // The noun is the list's name when it has one (`change.reviewers`, a definition),
                // else a neutral word: never a slice of an arbitrary expression.
                let noun_of = |this: &Self, k: i64| {
                    let name = match &base.kind {
                        ExprKind::Field { .. } | ExprKind::Def(_) | ExprKind::Local(..) => {
                            last_name(base, this.program).unwrap_or("element")
                        }
                        _ => "element",
                    };
                    let name = if name == "element" && k != 1 {
                        "elements"
                    } else {
                        name
                    };
                    if k == 1 {
                        singular(name)
                    } else {
                        name.to_string()
                    }
                };
                match op {
                    CmpOp::Ge | CmpOp::Gt => {
                        let need = n + i64::from(*op == CmpOp::Gt) - have;
                        if need <= 0 {
                            return None;
                        }
                        let noun = noun_of(self, need);
                        if preds.is_empty() {
                            return Some(format!("add {need} more {noun}"));
                        }
                        // Conditions are quoted only when short enough to read in a hint.
                        let conds: Vec<String> = preds
                            .iter()
                            .map(|(_, _, p)| {
                                self.src(p).split_whitespace().collect::<Vec<_>>().join(" ")
                            })
                            .collect();
                        if conds.iter().any(|c| c.len() > 60) {
                            return Some(format!(
                                "needs {need} more {noun} that qualif{}",
                                if need == 1 { "ies" } else { "y" }
                            ));
                        }
                        let mut text = format!("needs {need} more {noun} with `");
                        text.push_str(&conds.join("` and `"));
                        text.push('`');
                        if let Some(closest) = self.closest(base, &preds) {
                            text.push_str("; closest: ");
                            text.push_str(&closest);
                        }
                        Some(text)
                    }
                    CmpOp::Le | CmpOp::Lt => {
                        let excess = have - n + i64::from(*op == CmpOp::Lt);
                        (excess > 0).then(|| {
                            format!(
                                "remove {excess} {} ({have} now, at most {} allowed)",
                                noun_of(self, excess),
                                n - i64::from(*op == CmpOp::Lt)
                            )
                        })
                    }
                    _ => None,
                }
            }
            ExprKind::Quant {
                any: true,
                slot: 0,
                var,
                coll,
                body,
            } if self.env.is_empty() => {
                let (slot, var) = (0, var.clone());
                let preds = vec![(slot, var, &**body)];
                let closest = self.closest(coll, &preds)?;
                Some(format!(
                    "no element of `{}` qualifies; closest: {closest}",
                    self.src(coll)
                ))
            }
            _ => None,
        }
    }

    /// `defs` and `where` filters down to the list they start from, and their conditions.
    fn where_chain(&self, e: &'a Expr) -> (&'a Expr, Vec<Filter<'a>>) {
        match &e.kind {
            ExprKind::Def(id) => self.where_chain(&self.program.defs[*id].body),
            ExprKind::Where {
                slot,
                var,
                coll,
                body,
            } => {
                let (base, mut preds) = self.where_chain(coll);
                preds.push((*slot, var.clone(), body));
                (base, preds)
            }
            _ => (e, Vec::new()),
        }
    }

    /// The elements of `base` that miss the fewest of the conditions (each split at `and`), with
    /// the parts they miss: "carol (seniority: principal) misses `r.approved`".
    fn closest(&mut self, base: &'a Expr, preds: &[Filter<'a>]) -> Option<String> {
        // Conditions are checked with the element alone in scope; nested ones are not explained.
        if preds.iter().any(|(slot, _, _)| *slot != 0) {
            return None;
        }
        let parts: Vec<&'a Expr> = preds.iter().flat_map(|(_, _, p)| conjuncts(p)).collect();
        if parts.iter().any(|p| p.span.len() > 60) {
            return None;
        }
        let xs = self.eval(base).ok()?;
        let saved = std::mem::take(&mut self.env);
        let mut scored: Vec<(usize, String)> = Vec::new();
        for x in xs.elements() {
            self.env.clear();
            self.env.push(x.clone());
            let mut missed: Vec<String> = Vec::new();
            for p in &parts {
                if !self.bool(p).unwrap_or(false) {
                    missed.push(["`", self.src(p), "`"].concat());
                }
            }
            if !missed.is_empty() {
                let mut text = display(&x, self.schema);
                text.push_str(" misses ");
                text.push_str(&missed.join(" and "));
                scored.push((missed.len(), text));
            }
        }
        self.env = saved;
        let best = scored.iter().map(|(n, _)| *n).min()?;
        if best == parts.len() && parts.len() > 1 {
            return None;
        }
        let names: Vec<String> = scored
            .into_iter()
            .filter(|(n, _)| *n == best)
            .map(|(_, s)| s)
            .take(5)
            .collect();
        Some(names.join("; "))
    }

    /// Manifest labels for the values read while recording; the reads from `when_reads` on
    /// are the failed requires'.
    fn evidence(&mut self, when_reads: usize) -> Vec<Evidence> {
        let reads = std::mem::take(&mut self.reads);
        let paths = self
            .paths
            .take()
            .unwrap_or_else(|| ManifestPaths::new(self.root, self.schema));
        let (index, by_address) = (&paths.entries, &paths.by_address);
        let find = |n: &Node| {
            let address = std::ptr::from_ref(n) as usize;
            by_address
                .binary_search_by_key(&address, |&(a, _)| a)
                .ok()
                .map(|k| by_address[k].1)
        };
        // Entries read, and those read by the failed requires (a list counts when one of its
        // elements was).
        let mut read = vec![false; index.len()];
        let mut required = vec![false; index.len()];
        let when_reads = when_reads.min(reads.len());
        for (k, n) in reads.iter().enumerate() {
            if let Some(i) = find(n) {
                read[i] = true;
                if k >= when_reads {
                    required[i] = true;
                    if let Some(list) = index[i].in_list {
                        required[list] = true;
                    }
                }
            }
        }
        let is_read = |n: &Node| find(n).is_some_and(|i| read[i]);
        let mut out: Vec<Evidence> = Vec::new();
        for (i, entry) in index.iter().enumerate() {
            if !read[i] || entry.in_list.is_some() {
                continue; // not read, or summarised with its list
            }
            match (&entry.node.value, entry.ty) {
                (NodeValue::List(items), Ty::List(elem)) => {
                    let text = self.list_summary(entry, items, elem, &is_read);
                    out.push(Evidence {
                        path: paths.path(i),
                        span: entry.node.key_span.unwrap_or(entry.node.span),
                        text,
                        in_require: required[i],
                    });
                }
                (NodeValue::Record(_), _) | (NodeValue::Map(_), _) => {}
                _ => {
                    let v = Value::from_node(entry.node, entry.ty);
                    let path = paths.path(i);
                    let text = [path.as_str(), " = ", &self.show(&v)].concat();
                    out.push(Evidence {
                        path,
                        span: entry.node.span,
                        text,
                        in_require: required[i],
                    });
                }
            }
        }
        self.paths = Some(paths);
        out.sort_by_key(|e| e.span.start);
        out
    }

    fn list_summary<'x>(
        &self,
        entry: &PathEntry<'x>,
        items: &'x [Node],
        elem: &'x Ty,
        is_read: &dyn Fn(&Node) -> bool,
    ) -> String {
        let noun = match entry.segment {
            Segment::Field(name) | Segment::Key(name) => name.to_string(),
            Segment::Index(_) => "items".to_string(),
        };
        let n = items.len();
        if n == 0 {
            return format!("no {noun}");
        }
        let noun = if n == 1 { singular(&noun) } else { noun };
        let shown: Vec<String> = items
            .iter()
            .take(10)
            .map(|item| match (elem, &item.value) {
                (Ty::Record(id), NodeValue::Record(fields)) => {
                    let name = element_name(*id, item, self.schema).unwrap_or_else(|| "?".into());
                    let suffix = [": ", &name].concat();
                    let rec = self.schema.record(*id);
                    let facts: Vec<String> = fields
                        .iter()
                        .enumerate()
                        .filter_map(|(fi, f)| {
                            let f = f.as_ref()?;
                            let ty = &rec.fields[fi].ty;
                            if !is_read(f) || matches!(f.value, NodeValue::Record(_)) {
                                return None;
                            }
                            let field = rec.fields[fi].name.as_str();
                            let fact = match Value::from_node(f, ty) {
                                Value::Bool(true) => field.replace('_', " "),
                                Value::Bool(false) => ["not ", &field.replace('_', " ")].concat(),
                                v => [field, ": ", &display(&v, self.schema)].concat(),
                            };
                            // The field that names the element says nothing more.
                            (!fact.ends_with(&suffix)).then_some(fact)
                        })
                        .collect();
                    if facts.is_empty() {
                        name
                    } else {
                        [&name, " (", &facts.join(", "), ")"].concat()
                    }
                }
                _ => display(&Value::from_node(item, elem), self.schema),
            })
            .collect();
        let mut text = [&n.to_string(), " ", &noun, ": ", &shown.join(", ")].concat();
        if n > 10 {
            let _ = write!(text, " and {} more", n - 10);
        }
        text
    }
}

/// A `where` condition: the slot and name it binds, and its body.
type Filter<'a> = (usize, Arc<str>, &'a Expr);

/// The parts of `a and b and c`.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::And(a, b) => {
            let mut v = conjuncts(a);
            v.extend(conjuncts(b));
            v
        }
        _ => vec![e],
    }
}

fn singular(noun: &str) -> String {
    noun.strip_suffix("ies")
        .map(|s| format!("{s}y"))
        .or_else(|| noun.strip_suffix('s').map(str::to_string))
        .unwrap_or_else(|| noun.to_string())
}

fn name_list(names: &[String]) -> String {
    match names.len() {
        0 => "no element".into(),
        n if n <= 5 => names.join(", "),
        n => format!("{} and {} more", names[..5].join(", "), n - 5),
    }
}

fn is_constant(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Const(_) => true,
        ExprKind::List(xs) => xs.iter().all(is_constant),
        ExprKind::Neg(x) => is_constant(x),
        ExprKind::Arith(_, a, b) => is_constant(a) && is_constant(b),
        _ => false,
    }
}

fn as_f64(v: &Value<'_>) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

/// `change.author.team`, as the policy names it.
fn path_text(e: &Expr, program: &Program) -> String {
    let mut out = String::new();
    push_path_text(e, program, &mut out);
    out
}

fn push_path_text(e: &Expr, program: &Program, out: &mut String) {
    if let ExprKind::Field { base, .. } = &e.kind {
        push_path_text(base, program, out);
        out.push('.');
    }
    out.push_str(last_name(e, program).unwrap_or("(...)"));
}

/// The last name of a path: `team` in `change.author.team`.
fn last_name<'p>(e: &'p Expr, program: &'p Program) -> Option<&'p str> {
    match &e.kind {
        ExprKind::Root => Some(&program.schema.root_name),
        ExprKind::Local(_, name) => Some(name),
        ExprKind::Def(id) => Some(&program.defs[*id].name),
        ExprKind::Field { record, index, .. } => {
            Some(&program.schema.record(*record).fields[*index].name)
        }
        _ => None,
    }
}

/// The nodes under a manifest's root that evaluation can record as read, for naming the values
/// a failing policy read.
struct ManifestPaths<'a> {
    root_name: &'a str,
    entries: Vec<PathEntry<'a>>,
    /// (node address, entry), sorted: to find the entry of a node read.
    by_address: Vec<(usize, usize)>,
}

impl<'a> ManifestPaths<'a> {
    fn new(root: &'a Node, schema: &'a Schema) -> Self {
        // About one entry per manifest value: grown once or twice, not a dozen times.
        let mut entries = Vec::with_capacity(64);
        if let NodeValue::Record(fields) = &root.value {
            let rec = schema.record(schema.root);
            for (f, def) in fields.iter().zip(&rec.fields) {
                if let Some(f) = f {
                    let segment = Segment::Field(&def.name);
                    collect_paths(f, &def.ty, None, segment, None, schema, &mut entries);
                }
            }
        }
        let mut by_address: Vec<(usize, usize)> = entries
            .iter()
            .enumerate()
            .map(|(i, p)| (std::ptr::from_ref(p.node) as usize, i))
            .collect();
        by_address.sort_unstable();
        ManifestPaths {
            root_name: &schema.root_name,
            entries,
            by_address,
        }
    }

    /// `change.reviewers[1].name`
    fn path(&self, i: usize) -> String {
        let mut path = String::with_capacity(64);
        self.push_path(i, &mut path);
        path
    }

    fn push_path(&self, i: usize, path: &mut String) {
        let entry = &self.entries[i];
        match entry.parent {
            Some(parent) => self.push_path(parent, path),
            None => path.push_str(self.root_name),
        }
        match entry.segment {
            Segment::Field(name) | Segment::Key(name) => {
                path.push('.');
                path.push_str(name);
            }
            Segment::Index(k) => {
                let _ = write!(path, "[{k}]");
            }
        }
    }
}

/// A node of the manifest, for naming the values a failing policy read. Paths are spelled only
/// for the nodes that are shown.
struct PathEntry<'a> {
    node: &'a Node,
    ty: &'a Ty,
    /// The entry this one is a field, element or entry of (none for a field of the root).
    parent: Option<usize>,
    segment: Segment<'a>,
    /// Set for nodes inside a list element: the list's entry.
    in_list: Option<usize>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

/// Whether values of this type hold fields or entries (which evaluation records as read).
fn has_fields(ty: &Ty) -> bool {
    match ty {
        Ty::Record(_) | Ty::Map(..) => true,
        Ty::List(elem) => has_fields(elem),
        _ => false,
    }
}

fn collect_paths<'a>(
    node: &'a Node,
    ty: &'a Ty,
    parent: Option<usize>,
    segment: Segment<'a>,
    in_list: Option<usize>,
    schema: &'a Schema,
    out: &mut Vec<PathEntry<'a>>,
) {
    let me = out.len();
    out.push(PathEntry {
        node,
        ty,
        parent,
        segment,
        in_list,
    });
    match (&node.value, ty) {
        (NodeValue::Record(fields), Ty::Record(id)) => {
            let rec = schema.record(*id);
            for (f, def) in fields.iter().zip(&rec.fields) {
                if let Some(f) = f {
                    let segment = Segment::Field(&def.name);
                    collect_paths(f, &def.ty, Some(me), segment, in_list, schema, out);
                }
            }
        }
        // Only fields and map entries are recorded as read: elements of a list of plain values
        // (a hundred file paths) need no entries.
        (NodeValue::List(items), Ty::List(elem)) if has_fields(elem) => {
            for (i, item) in items.iter().enumerate() {
                let in_list = Some(in_list.unwrap_or(me));
                collect_paths(
                    item,
                    elem,
                    Some(me),
                    Segment::Index(i),
                    in_list,
                    schema,
                    out,
                );
            }
        }
        (NodeValue::Map(kvs), Ty::Map(elem, _)) => {
            for (k, v) in kvs {
                collect_paths(v, elem, Some(me), Segment::Key(k), in_list, schema, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{Options, Outcome, evaluate};
    use crate::check::ir::Program;
    use crate::manifest::{self, Manifest};
    use crate::source::Sources;

    /// Each policy's outcome with a step budget, and coverage recorded or not.
    fn outcomes(
        program: &Program,
        manifest: &Manifest,
        sources: &Sources,
        budget: u64,
        coverage: bool,
    ) -> Vec<Outcome> {
        let options = Options {
            step_budget: budget,
            coverage,
            ..Options::default()
        };
        evaluate(program, manifest, sources, options)
            .results
            .iter()
            .map(|r| r.outcome)
            .collect()
    }

    /// Steps are counted the same whichever way a record is reached: `change.n == 1` is the
    /// comparison, the field, `change` and the constant; `all r in change.rs: r.ok` is the
    /// quantifier, `change.rs` and `change`, then the field and `r` for each element.
    #[test]
    fn field_reads_count_their_steps() {
        let policies = "manifest change { n: int, rs: [{ ok: bool }] }\n\
            policy p { require change.n == 1 }\n\
            policy q { require all r in change.rs: r.ok }";
        let mut sources = Sources::new();
        let p = sources.add("p.charter", policies);
        let program = crate::compile(&sources, &[p])
            .program
            .expect("the policies check");
        let text = "n: 1\nrs: [{ok: true}, {ok: true}]";
        let m = sources.add("m.yaml", text);
        let manifest = manifest::load(m, text, &program.schema)
            .manifest
            .expect("the manifest loads");
        let outcomes = |budget| outcomes(&program, &manifest, &sources, budget, false);
        assert_eq!(outcomes(3), [Outcome::Error, Outcome::Error]);
        assert_eq!(outcomes(4), [Outcome::Pass, Outcome::Error]);
        assert_eq!(outcomes(6), [Outcome::Pass, Outcome::Error]);
        assert_eq!(outcomes(7), [Outcome::Pass, Outcome::Pass]);
    }

    /// Every way of building a value proportional to its input counts against the memory
    /// budget: each policy below builds about 10 KB from a 1 KB string, so a 4 KiB budget stops
    /// each one with the budget's error and a 1 MiB budget lets each pass; a policy that builds
    /// nothing passes at any budget, and the count starts again for each policy.
    #[test]
    fn memory_budget_stops_every_growing_value() {
        let policies = r#"
manifest change { id: string, ids: [string] }
let big = change.id + change.id + change.id + change.id + change.id + change.id + change.id + change.id + change.id + change.id
policy concat { require count(big) > 0 }
policy lists { require count(change.ids + change.ids + change.ids + change.ids + change.ids) > 0 }
policy split { require count(split(big, "")) > 0 }
policy lower { require count(lower(big)) > 0 }
policy mapped { require count(change.ids map i: [i, i, i, i]) > 0 }
policy filtered { require count(change.ids where i: true) > 0 }
policy small { require count(change.id) > 0 }
"#;
        let mut sources = Sources::new();
        let p = sources.add("p.charter", policies);
        let set = crate::compile(&sources, &[p]);
        assert!(set.diagnostics.is_empty(), "{:?}", set.diagnostics);
        let program = set.program.expect("the policies check");
        let ids: Vec<String> = (0..200).map(|i| format!("id{i}")).collect();
        let text = format!("id: {}\nids: [{}]", "x".repeat(1000), ids.join(", "));
        let m = sources.add("m.yaml", text.clone());
        let manifest = manifest::load(m, &text, &program.schema)
            .manifest
            .expect("the manifest loads");
        let run = |memory_budget| {
            let options = Options {
                memory_budget,
                ..Options::default()
            };
            evaluate(&program, &manifest, &sources, options).results
        };
        let tight = run(4 << 10);
        for r in &tight[..6] {
            assert_eq!(r.outcome, Outcome::Error, "{:?}", r.message);
            let e = r.error.as_ref().expect("an error");
            assert_eq!(e.code, "charter::eval::memory");
            assert!(
                e.message.contains("more than 4 KiB of values")
                    && e.message.contains("limits.eval_memory"),
                "{}",
                e.message
            );
        }
        assert_eq!(tight[6].outcome, Outcome::Pass);
        assert!(run(1 << 20).iter().all(|r| r.outcome == Outcome::Pass));
    }

    #[test]
    fn byte_counts_read_as_written() {
        assert_eq!(super::format_bytes(64 << 20), "64 MiB");
        assert_eq!(super::format_bytes(3 << 10), "3 KiB");
        assert_eq!(super::format_bytes(1 << 30), "1 GiB");
        assert_eq!(super::format_bytes(1000), "1000 bytes");
    }

    /// `any`/`all` over a list of strings with `matches` or `=~` takes a shortcut unless a
    /// result is being explained or covered; both routes must give the same outcomes, and run
    /// out of steps at the same budgets.
    #[test]
    fn quantified_matches_take_the_shortcut_with_the_same_outcomes_and_steps() {
        let policies = r#"
manifest change { files: [path], labels: [string] }
policy any_glob { require any f in change.files: f matches "src/auth/**" }
policy all_glob { require all f in change.files: f matches "src/**" }
policy any_regex { require any f in change.files: f =~ "^docs/" }
policy all_regex { require all l in change.labels: l =~ "^[a-z]+$" }
policy nested { require any l in change.labels: any f in change.files: f matches "**/{l}*" }
"#;
        let manifests = [
            "files: [src/a.rs, src/auth/b.rs, docs/c.md]\nlabels: [ok, fine]",
            "files: [src/a.rs, src/b.rs]\nlabels: [ok, Not-OK]",
            "files: []\nlabels: []",
            "files: [docs/x.md, src/auth/y.rs, src/z.rs, src/w.rs]\nlabels: [auth]",
        ];
        let mut sources = Sources::new();
        let p = sources.add("p.charter", policies);
        let set = crate::compile(&sources, &[p]);
        let program = set.program.expect("the policies check");
        for (i, text) in manifests.iter().enumerate() {
            let m = sources.add(format!("m{i}.yaml"), *text);
            let loaded = manifest::load(m, text, &program.schema);
            let manifest = loaded.manifest.expect("the manifest loads");
            let outcomes =
                |budget, coverage| outcomes(&program, &manifest, &sources, budget, coverage);
            for budget in (1..40).chain([10_000_000]) {
                assert_eq!(
                    outcomes(budget, false),
                    outcomes(budget, true),
                    "manifest {i}, budget {budget}"
                );
            }
        }
    }

    /// An identity is compared by `identity::fold` whatever it meets: another identity, a
    /// literal, a string read from the manifest, a list of strings.
    #[test]
    fn identities_compare_by_one_rule() {
        let policies = "
manifest change { author: identity, reviewers: [identity], title: string, names: [string] }
policy literal { require change.author == \"DANA\" and \"Dana\" != change.reviewers[0] }
policy literal_list { require change.author in [\"Bob\", \"DANA\"] }
policy string_field { require change.author == change.title }
policy string_list { require change.author in change.names }
policy string_in_identities { require change.title in change.reviewers }
policy distinct_folds { require count(distinct(change.reviewers)) == 3 }
policy contains_folds { require contains(change.reviewers, \"BOB\") }
policy function { require identity(change.title) == \"dana\" }
";
        let manifest = "author: dana\nreviewers: [Ren\u{e9}, RENE\u{301}, bob, Dana]\ntitle: DANA\nnames: [Dana]\n";
        let mut sources = Sources::new();
        let p = sources.add("p.charter", policies);
        let set = crate::compile(&sources, &[p]);
        let program = set.program.expect("the policies check");
        let m = sources.add("m.yaml", manifest);
        let loaded = manifest::load(m, manifest, &program.schema);
        let manifest = loaded.manifest.expect("the manifest loads");
        let got = outcomes(&program, &manifest, &sources, 10_000, false);
        assert_eq!(got, vec![Outcome::Pass; 8]);
    }
}
