//! JUnit XML output (`--format junit`), for CI systems that render test reports (GitLab merge
//! requests, Jenkins, Azure Pipelines, GitHub test-report actions).
//!
//! ```text
//! <testsuites name="charter" tests failures errors skipped>
//!   <testsuite name="policy set" ...>               only when the policy files have problems:
//!     <testcase name="policy set" classname="charter"> <error> every error </error> or
//!                                                       <system-out> the warnings </system-out>
//!   <testsuite name=MANIFEST tests failures errors skipped>     one per manifest, sorted
//!     <properties> manifest_digest, policy_set_digest, engine, evaluated_at </properties>
//!     <testcase name=POLICY classname=MANIFEST file=POLICY_FILE line=LINE>   one per policy
//!       pass:                 nothing inside
//!       overridden, waived:   <properties> outcome=overridden|waived, override|waiver=MESSAGE
//!                             </properties> <system-out> details </system-out> (a passed case)
//!       skip (`when` false):  <skipped message="..."/>
//!       deny or warn, fail:   <failure type="deny"|"warn" message=MESSAGE> details </failure>
//!       deny or warn, error:  <error type="deny"|"warn" message=MESSAGE> details </error>
//!       info, fail or error:  <system-out> details </system-out> (info never fails a change)
//!     <system-out> warnings about the manifest (unknown fields) </system-out>
//!   A manifest that could not be read or validated has one testcase, "manifest", with an
//!   <error> listing every problem.
//! ```
//!
//! Details are plain text: the message, `file:line:column: text` for each failed clause and
//! deciding value, and the help. Written by hand: the format is a few elements, and the writer
//! escapes every attribute and text (characters XML 1.0 cannot carry become U+FFFD).

use std::io::Write;

use super::{ManifestRun, Run, locate, override_diagnostic, plain_text, result_diagnostic};
use crate::diag::{Diagnostic, Level};
use crate::eval::Outcome;
use crate::evidence::digest::Digest;
use crate::source::Sources;
use crate::syntax::ast::Severity;

/// A test case as it will be written.
struct Case {
    name: String,
    classname: String,
    file: Option<(String, usize)>,
    body: Body,
}

enum Body {
    Pass,
    Skipped(&'static str),
    /// `failure` or `error`, with its type, message and details.
    Failed {
        element: &'static str,
        kind: String,
        message: String,
        details: String,
    },
    Output(String),
    /// A failure an override or a waiver let pass: a passed case with it on the record.
    Overridden {
        /// `overridden` or `waived`.
        outcome: &'static str,
        message: String,
        details: String,
    },
}

struct Suite {
    name: String,
    /// `<property name value>` pairs (what the decision is reproduced from).
    properties: Vec<(&'static str, String)>,
    cases: Vec<Case>,
    out: Option<String>,
}

/// One manifest's test suite, as written, with its counts.
pub struct Part {
    text: String,
    counts: Counts,
}

/// Test cases, failures, errors and skipped cases.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.tests += o.tests;
        self.failures += o.failures;
        self.errors += o.errors;
        self.skipped += o.skipped;
    }
}

/// One manifest's suite. `run.sources` must hold the manifest's text.
pub(super) fn part(run: &Run<'_>, m: &ManifestRun) -> Part {
    let suite = manifest_suite(run, m);
    let counts = suite.counts();
    Part {
        text: write_suite(&suite),
        counts,
    }
}

/// The document as the run goes: the totals of the suites written so far.
pub struct Doc {
    totals: Counts,
}

impl Doc {
    /// The policy set's suite comes first, when its files have problems.
    pub(super) fn new(head: &Run<'_>, body: &mut dyn Write) -> std::io::Result<Doc> {
        let mut doc = Doc {
            totals: Counts::default(),
        };
        if !head.policy_diagnostics.is_empty() {
            let suite = Suite {
                name: "policy set".into(),
                properties: provenance(head, None),
                cases: vec![problems_case(
                    head.sources,
                    "policy set",
                    "charter",
                    &head.policy_diagnostics,
                )],
                out: None,
            };
            doc.add(
                Part {
                    counts: suite.counts(),
                    text: write_suite(&suite),
                },
                body,
            )?;
        }
        Ok(doc)
    }

    pub(super) fn add(&mut self, part: Part, body: &mut dyn Write) -> std::io::Result<()> {
        self.totals.add(part.counts);
        body.write_all(part.text.as_bytes())
    }

    /// The opening (with the totals, known once every suite is in) and the closing.
    pub(super) fn finish(self) -> (String, String) {
        let t = self.totals;
        let open = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"charter\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
            t.tests, t.failures, t.errors, t.skipped
        );
        (open, "</testsuites>\n".to_string())
    }
}

/// The `<properties>` of a suite: what its decisions were made from (issue 18).
fn provenance(run: &Run<'_>, digest: Option<Digest>) -> Vec<(&'static str, String)> {
    let mut p = Vec::with_capacity(4);
    if let Some(d) = digest {
        p.push(("manifest_digest", d.to_string()));
    }
    p.push(("policy_set_digest", run.provenance.policy_set.to_string()));
    p.push(("engine", super::ENGINE.to_string()));
    p.push(("evaluated_at", run.provenance.evaluated_at.to_string()));
    p
}

fn manifest_suite(run: &Run<'_>, m: &ManifestRun) -> Suite {
    let sources = run.sources;
    let (Some(decision), Some(program)) = (&m.decision, run.program) else {
        return Suite {
            name: m.name.clone(),
            properties: provenance(run, m.digest),
            cases: vec![problems_case(sources, "manifest", &m.name, &m.diagnostics)],
            out: None,
        };
    };
    let cases = decision
        .results
        .iter()
        .map(|r| {
            let p = &program.policies[r.policy];
            let loc = locate(sources, p.name_span);
            let details = || plain_text(sources, &result_diagnostic(program, r));
            let body = match (r.outcome, p.severity) {
                (Outcome::Pass, _) => Body::Pass,
                (Outcome::Overridden | Outcome::Waived, _) => match override_diagnostic(program, r)
                {
                    Some(d) => Body::Overridden {
                        outcome: r.outcome.as_str(),
                        message: d.message.clone(),
                        details: plain_text(sources, &d),
                    },
                    None => Body::Pass,
                },
                (Outcome::Skip, _) => Body::Skipped("the policy's `when` condition is false"),
                (_, Severity::Info) => Body::Output(details()),
                (outcome, severity) => Body::Failed {
                    element: if outcome == Outcome::Error {
                        "error"
                    } else {
                        "failure"
                    },
                    kind: severity.as_str().to_string(),
                    message: r.message.clone().unwrap_or_default(),
                    details: details(),
                },
            };
            Case {
                name: p.name.clone(),
                classname: m.name.clone(),
                file: Some((loc.file, loc.line)),
                body,
            }
        })
        .collect();
    let warnings: Vec<String> = m
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", level(d.level), plain_text(sources, d)))
        .collect();
    Suite {
        name: m.name.clone(),
        properties: provenance(run, m.digest),
        cases,
        out: (!warnings.is_empty()).then(|| warnings.join("\n")),
    }
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Advice => "advice",
    }
}

/// One test case for a file's problems: an error when any is an error, else its warnings as
/// output.
fn problems_case(sources: &Sources, name: &str, classname: &str, diags: &[Diagnostic]) -> Case {
    let details: Vec<String> = diags
        .iter()
        .map(|d| format!("{}: {}", level(d.level), plain_text(sources, d)))
        .collect();
    let first_error = diags.iter().find(|d| d.level == Level::Error);
    Case {
        name: name.into(),
        classname: classname.into(),
        file: None,
        body: match first_error {
            Some(e) => Body::Failed {
                element: "error",
                kind: e.code.to_string(),
                message: e.message.clone(),
                details: details.join("\n"),
            },
            None => Body::Output(details.join("\n")),
        },
    }
}

impl Suite {
    fn counts(&self) -> Counts {
        let mut c = Counts {
            tests: self.cases.len(),
            ..Counts::default()
        };
        for case in &self.cases {
            match case.body {
                Body::Failed {
                    element: "failure", ..
                } => c.failures += 1,
                Body::Failed {
                    element: "error", ..
                } => c.errors += 1,
                Body::Skipped(_) => c.skipped += 1,
                _ => {}
            }
        }
        c
    }
}

fn write_suite(s: &Suite) -> String {
    let n = s.counts();
    let mut x = format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        attr(&s.name),
        n.tests,
        n.failures,
        n.errors,
        n.skipped
    );
    if !s.properties.is_empty() {
        x.push_str("    <properties>\n");
        for (name, value) in &s.properties {
            x.push_str(&format!(
                "      <property name=\"{name}\" value=\"{}\"/>\n",
                attr(value)
            ));
        }
        x.push_str("    </properties>\n");
    }
    for c in &s.cases {
        let mut open = format!(
            "    <testcase name=\"{}\" classname=\"{}\"",
            attr(&c.name),
            attr(&c.classname)
        );
        if let Some((file, line)) = &c.file {
            open.push_str(&format!(" file=\"{}\" line=\"{line}\"", attr(file)));
        }
        match &c.body {
            Body::Pass => x.push_str(&format!("{open}/>\n")),
            Body::Skipped(why) => x.push_str(&format!(
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                attr(why)
            )),
            Body::Failed {
                element,
                kind,
                message,
                details,
            } => x.push_str(&format!(
                "{open}>\n      <{element} type=\"{}\" message=\"{}\">{}</{element}>\n    </testcase>\n",
                attr(kind),
                attr(message),
                text(details)
            )),
            Body::Output(out) => x.push_str(&format!(
                "{open}>\n      <system-out>{}</system-out>\n    </testcase>\n",
                text(out)
            )),
            Body::Overridden {
                outcome,
                message,
                details,
            } => x.push_str(&format!(
                "{open}>\n      <properties>\n        <property name=\"outcome\" value=\"{outcome}\"/>\n        <property name=\"{}\" value=\"{}\"/>\n      </properties>\n      <system-out>{}</system-out>\n    </testcase>\n",
                if *outcome == "waived" { "waiver" } else { "override" },
                attr(message),
                text(details)
            )),
        }
    }
    if let Some(out) = &s.out {
        x.push_str(&format!("    <system-out>{}</system-out>\n", text(out)));
    }
    x.push_str("  </testsuite>\n");
    x
}

/// Escapes element text.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value; tabs and line breaks become character references so they
/// survive attribute-value normalisation.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            // Not allowed anywhere in XML 1.0, not even as a character reference.
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
