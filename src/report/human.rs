//! Human output: miette's graphical diagnostics (colour on a terminal, plain otherwise), a line
//! per manifest, and a closing summary line. With `quiet`, only what fails the run.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::{
    ManifestRun, Run, Tally, count_outcomes, diagnostic_fails, is_failure, manifest_decision,
    manifest_fails, override_diagnostic, plural, result_diagnostic, result_fails, summary,
    summary_of,
};
use crate::diag::{Diagnostic, Level, escape_controls};
use crate::eval::Outcome;
use crate::source::{Sources, Span};

/// How to draw diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
    /// `--quiet`: only what fails the run (see [`super::status`]); no summary line.
    pub quiet: bool,
}

/// Policy-set problems shown in full. A snippet costs a scan of its file from the start, so
/// thousands of problems in one large file (a generated file gone wrong) took minutes; past
/// this many they are counted.
const MAX_SHOWN: usize = 200;

/// What comes before the manifests: the problems in the policy files (and, when the policy set
/// has errors, the closing line: nothing else follows).
pub fn render_head(run: &Run<'_>, style: Style) -> String {
    let mut out = String::new();
    let mut hidden = 0;
    for (i, d) in run
        .policy_diagnostics
        .iter()
        .filter(|d| !style.quiet || diagnostic_fails(run, d))
        .enumerate()
    {
        if i < MAX_SHOWN {
            out.push_str(&render_diagnostic(run.sources, d, style));
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        out.push_str(&format!(
            "... and {hidden} more problems in the policy set, not shown (`--format json` lists every one)\n\n"
        ));
    }
    if run.program.is_none() {
        out.push_str(&summary(run));
        out.push('\n');
    }
    out
}

/// One manifest: its line, its problems, and each failed policy. `run.sources` must hold the
/// manifest's text; `run.manifests` is not read.
pub fn render_manifest(run: &Run<'_>, m: &ManifestRun, style: Style) -> String {
    let Some(program) = run.program else {
        return String::new();
    };
    if style.quiet && !manifest_fails(run, m) {
        return String::new();
    }
    let mut out = String::new();
    let decision = manifest_decision(m);
    let detail = match &m.decision {
        None => {
            let n = m
                .diagnostics
                .iter()
                .filter(|d| d.level == Level::Error)
                .count();
            format!(
                "{} in the manifest; no policy was evaluated",
                plural(n, "problem", "problems")
            )
        }
        Some(d) => {
            // Policies that could not be evaluated are named apart from those that failed.
            let failed: Vec<String> = d
                .results
                .iter()
                .filter(|r| is_failure(r))
                .map(|r| match r.outcome {
                    Outcome::Error => format!("{} (error)", program.policies[r.policy].name),
                    _ => program.policies[r.policy].name.clone(),
                })
                .collect();
            let (pass, skip) = (
                count_outcomes(d, Outcome::Pass),
                count_outcomes(d, Outcome::Skip),
            );
            let mut detail = String::new();
            if !failed.is_empty() {
                detail = format!("failed: {}; ", failed.join(", "));
            }
            for (outcome, word) in [
                (Outcome::Overridden, "overridden"),
                (Outcome::Waived, "waived"),
            ] {
                let names: Vec<&str> = (d.results.iter())
                    .filter(|r| r.outcome == outcome)
                    .map(|r| program.policies[r.policy].name.as_str())
                    .collect();
                if !names.is_empty() {
                    detail.push_str(&format!("{word}: {}; ", names.join(", ")));
                }
            }
            detail.push_str(&format!("{pass} passed, {skip} skipped"));
            detail
        }
    };
    out.push_str(&format!(
        "{decision:<5} {} ({detail})\n",
        escape_controls(&m.name, false)
    ));
    for d in &m.diagnostics {
        if !style.quiet || diagnostic_fails(run, d) {
            out.push_str(&render_diagnostic(run.sources, d, style));
        }
    }
    if let Some(d) = &m.decision {
        for r in &d.results {
            if is_failure(r) && (!style.quiet || result_fails(run, program, r)) {
                out.push_str(&render_diagnostic(
                    run.sources,
                    &result_diagnostic(program, r),
                    style,
                ));
            } else if let Some(diag) = override_diagnostic(program, r)
                && !style.quiet
            {
                out.push_str(&render_diagnostic(run.sources, &diag, style));
            }
        }
    }
    out
}

/// The closing line for the manifests counted in `tally`, and the `now` the run used.
/// `printed` tells whether anything was printed before (with `quiet`, a run that printed nothing
/// stays silent).
pub fn render_tail(run: &Run<'_>, tally: &Tally, printed: bool, style: Style) -> String {
    let mut out = String::new();
    if run.program.is_none() {
        return out;
    }
    if !style.quiet {
        out.push_str(&summary_of(run, tally));
        out.push('\n');
    }
    if let Some(now) = run.now
        && tally.total() > 0
        && (!style.quiet || printed)
    {
        out.push_str(&format!("now = {now} (reproduce with --now {now})\n"));
    }
    out
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
    let mut out = format!(
        "{}\n\n  {mark} {}\n",
        d.code,
        escape_controls(&d.message, true)
    );
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
            escape_controls(&loc.file, false),
            loc.line,
            loc.column,
            escape_controls(&l.text, false),
            escape_controls(&excerpt, false)
        ));
    }
    if let Some(h) = &d.help {
        out.push_str(&format!("  help: {}\n", escape_controls(h, true)));
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
            message: escape_controls(&d.message, true).into_owned(),
            code: Some(d.code.to_string()),
            severity,
            help: d
                .help
                .as_deref()
                .map(|h| escape_controls(h, true).into_owned()),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        for (i, file) in files.iter().enumerate() {
            let f = sources.get(*file);
            // The snippet shows the file with its control characters escaped; label offsets
            // move by what the escapes add before them.
            let shown = Shown::new(&f.text);
            let labels: Vec<LabeledSpan> = d
                .labels
                .iter()
                .filter(|l| l.span.file == *file)
                .map(|l| {
                    labeled(
                        &shown,
                        l.span,
                        &escape_controls(&l.text, false),
                        f.text.len(),
                    )
                })
                .collect();
            let name = escape_controls(&f.name, false).into_owned();
            let source = Some(NamedSource::new(name.clone(), shown.text));
            if i == 0 {
                main.source = source;
                main.labels = labels;
            } else {
                main.related.push(Report {
                    message: format!("in {name}"),
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

fn labeled(shown: &Shown, span: Span, text: &str, len: usize) -> LabeledSpan {
    let start = (span.start as usize).min(len);
    let end = (span.end as usize).min(len).max(start);
    let (start, end) = (shown.offset(start), shown.offset(end));
    LabeledSpan::new_with_span(Some(text.to_string()), SourceSpan::from(start..end))
}

/// A file as a snippet shows it: control characters escaped (`\u{1b}`), with the offset in the
/// shown text of every offset in the file.
struct Shown {
    text: String,
    /// `(offset in the file just past an escaped character, bytes added up to there)`, in order.
    moves: Vec<(usize, usize)>,
}

impl Shown {
    fn new(file: &str) -> Shown {
        let text = escape_controls(file, true);
        let mut moves = Vec::new();
        if let std::borrow::Cow::Owned(_) = text {
            let mut added = 0;
            for (i, c) in file.char_indices() {
                let kept = c == '\n'
                    || c == '\t'
                    || (c == '\r' && file.as_bytes().get(i + 1) == Some(&b'\n'));
                if crate::diag::is_unsafe_char(c) && !kept {
                    added += format!("\\u{{{:x}}}", c as u32).len() - c.len_utf8();
                    moves.push((i + c.len_utf8(), added));
                }
            }
        }
        Shown {
            text: text.into_owned(),
            moves,
        }
    }

    fn offset(&self, at: usize) -> usize {
        let n = self.moves.partition_point(|&(end, _)| end <= at);
        at + n.checked_sub(1).map_or(0, |i| self.moves[i].1)
    }
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
