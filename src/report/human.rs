//! Human output: miette's graphical diagnostics (colour on a terminal, plain otherwise), a line
//! per manifest, and a closing summary line.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::{Run, count_outcomes, manifest_decision, tally};
use crate::diag::{Diagnostic, Label, Level};
use crate::eval::{Outcome, PolicyResult};
use crate::source::{Sources, Span};
use crate::syntax::ast::Severity;

/// How to draw diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

pub fn render(run: &Run<'_>, style: Style) -> String {
    let mut out = String::new();
    for d in &run.policy_diagnostics {
        out.push_str(&render_diagnostic(run.sources, d, style));
    }
    let Some(program) = run.program else {
        let errors = run
            .policy_diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count();
        out.push_str(&format!(
            "policy set has {errors} error{}: nothing was checked\n",
            if errors == 1 { "" } else { "s" }
        ));
        return out;
    };
    for m in &run.manifests {
        let decision = manifest_decision(m);
        let detail = match &m.decision {
            None => {
                let n = m
                    .diagnostics
                    .iter()
                    .filter(|d| d.level == Level::Error)
                    .count();
                format!(
                    "{n} problem{} in the manifest; no policy was evaluated",
                    if n == 1 { "" } else { "s" }
                )
            }
            Some(d) => {
                let failed: Vec<&str> = d
                    .results
                    .iter()
                    .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Error))
                    .map(|r| program.policies[r.policy].name.as_str())
                    .collect();
                let (pass, skip) = (
                    count_outcomes(d, Outcome::Pass),
                    count_outcomes(d, Outcome::Skip),
                );
                if failed.is_empty() {
                    format!("{pass} passed, {skip} skipped")
                } else {
                    format!(
                        "failed: {}; {pass} passed, {skip} skipped",
                        failed.join(", ")
                    )
                }
            }
        };
        out.push_str(&format!("{decision:<5} {} ({detail})\n", m.name));
        for d in &m.diagnostics {
            out.push_str(&render_diagnostic(run.sources, d, style));
        }
        if let Some(d) = &m.decision {
            for r in d
                .results
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Error))
            {
                out.push_str(&render_diagnostic(
                    run.sources,
                    &result_diagnostic(program, r),
                    style,
                ));
            }
        }
    }
    let t = tally(run);
    let n = run.manifests.len();
    let mut parts = vec![
        format!("{} denied", t.denied),
        format!("{} warned", t.warned),
        format!("{} allowed", t.allowed),
    ];
    if t.errors > 0 {
        parts.push(format!("{} could not be read", t.errors));
    }
    let policies = program.policies.len();
    if n == 0 {
        out.push_str(&format!(
            "policy set ok: {policies} polic{}, no manifests given\n",
            if policies == 1 { "y" } else { "ies" }
        ));
    } else {
        out.push_str(&format!(
            "{n} manifest{}: {} ({policies} polic{})\n",
            if n == 1 { "" } else { "s" },
            parts.join(", "),
            if policies == 1 { "y" } else { "ies" }
        ));
    }
    if let Some(now) = run.now.filter(|_| !run.manifests.is_empty()) {
        out.push_str(&format!("now = {now} (reproduce with --now {now})\n"));
    }
    out
}

/// A failed or errored policy as a diagnostic: the message, the clause in the policy file, the
/// deciding values in the manifest, and the help text.
pub fn result_diagnostic(program: &crate::check::ir::Program, r: &PolicyResult) -> Diagnostic {
    let p = &program.policies[r.policy];
    let level = match (r.outcome, p.severity) {
        (Outcome::Error, _) | (_, Severity::Deny) => Level::Error,
        (_, Severity::Warn) => Level::Warning,
        (_, Severity::Info) => Level::Advice,
    };
    let code = match p.severity {
        Severity::Deny => "deny",
        Severity::Warn => "warn",
        Severity::Info => "info",
    };
    let mut labels: Vec<Label> = r
        .clauses
        .iter()
        .map(|n| Label {
            span: n.span,
            text: n.text.clone(),
        })
        .collect();
    if labels.is_empty() {
        labels.push(Label {
            span: p.name_span,
            text: "this policy".into(),
        });
    }
    labels.extend(r.evidence.iter().map(|e| Label {
        span: e.span,
        text: e.text.clone(),
    }));
    if let Some(err) = &r.error
        && let Some(ms) = err.manifest_span
    {
        labels.push(Label {
            span: ms,
            text: "absent here".into(),
        });
    }
    Diagnostic {
        level,
        code: format!("{code}[{}]", p.name).into(),
        message: r.message.clone().unwrap_or_default(),
        labels,
        help: match (&r.help, &r.remediation) {
            (Some(h), Some(rem)) => Some(format!("{h}\nto pass: {rem}")),
            (None, Some(rem)) => Some(format!("to pass: {rem}")),
            (h, None) => h.clone(),
        },
    }
}

/// Renders one diagnostic with miette; labels in other files than the first label's become
/// related diagnostics, each with its own source snippet.
pub fn render_diagnostic(sources: &Sources, d: &Diagnostic, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    if d.labels
        .iter()
        .any(|l| line_len(sources, l.span) > MAX_SNIPPET_LINE)
    {
        return render_plain(sources, d);
    }
    let report = Report::build(sources, d);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", d.code, d.message);
    }
    // miette pads lines with trailing spaces; they only make snapshots and CI logs noisy.
    let mut trimmed: String = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    trimmed.push('\n');
    trimmed
}

/// Lines longer than this (minified JSON, generated policies) are not drawn as snippets.
const MAX_SNIPPET_LINE: usize = 400;

fn line_len(sources: &Sources, span: Span) -> usize {
    let text = &sources.get(span.file).text;
    let at = (span.start as usize).min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    end - start
}

/// A diagnostic without source snippets: each label as `file:line:col: text` with an excerpt.
fn render_plain(sources: &Sources, d: &Diagnostic) -> String {
    let mark = match d.level {
        Level::Error => "×",
        Level::Warning => "⚠",
        Level::Advice => "☞",
    };
    let mut out = format!("{}\n\n  {mark} {}\n", d.code, d.message);
    for l in &d.labels {
        let loc = super::locate(sources, l.span);
        let text = &sources.get(l.span.file).text;
        let at = (l.span.start as usize).min(text.len());
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(30)
            .map_or(0, |(i, _)| i);
        let to = text[at..]
            .char_indices()
            .nth(50)
            .map_or(text.len(), |(i, _)| at + i);
        let excerpt: String = text[from..to].replace('\n', " ");
        out.push_str(&format!(
            "   --> {}:{}:{}: {}\n       …{}…\n",
            loc.file, loc.line, loc.column, l.text, excerpt
        ));
    }
    if let Some(h) = &d.help {
        out.push_str(&format!("  help: {h}\n"));
    }
    out
}

#[derive(Debug)]
struct Report {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn build(sources: &Sources, d: &Diagnostic) -> Report {
        let severity = match d.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Advice => miette::Severity::Advice,
        };
        let mut files: Vec<crate::source::FileId> = Vec::new();
        for l in &d.labels {
            if !files.contains(&l.span.file) {
                files.push(l.span.file);
            }
        }
        let mut main = Report {
            message: d.message.clone(),
            code: Some(d.code.to_string()),
            severity,
            help: d.help.clone(),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        for (i, file) in files.iter().enumerate() {
            let f = sources.get(*file);
            let labels: Vec<LabeledSpan> = d
                .labels
                .iter()
                .filter(|l| l.span.file == *file)
                .map(|l| labeled(l.span, &l.text, f.text.len()))
                .collect();
            let source = Some(NamedSource::new(f.name.clone(), f.text.to_string()));
            if i == 0 {
                main.source = source;
                main.labels = labels;
            } else {
                main.related.push(Report {
                    message: format!("in {}", f.name),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source,
                    labels,
                    related: Vec::new(),
                });
            }
        }
        main
    }
}

fn labeled(span: Span, text: &str, len: usize) -> LabeledSpan {
    let start = (span.start as usize).min(len);
    let end = (span.end as usize).min(len).max(start);
    LabeledSpan::new_with_span(Some(text.to_string()), SourceSpan::from(start..end))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}
