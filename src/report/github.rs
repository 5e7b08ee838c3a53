//! GitHub Actions workflow commands (`--format github`): one annotation per finding, which
//! GitHub shows on the file and line in the run and in the pull request's diff.
//!
//! ```text
//! ::error file=MANIFEST,line=L,col=C,endLine=L2,endColumn=C2,title=deny[POLICY]::MESSAGE
//! ```
//!
//! A failed or errored policy is `error` (deny), `warning` (warn) or `notice` (info), anchored
//! where `--format sarif` anchors it: the manifest value that decided it, else the manifest
//! (no line). The message continues with each failed clause and deciding value as
//! `file:line:column: text`, and the help. Diagnostics (syntax errors, invalid manifests) are
//! annotations at their first label, titled by their code. The summary line closes the output
//! as plain text. With `quiet`, only what fails the run, and no summary. An overridden or
//! waived policy is a `notice` with the override's or waiver's message.

use super::{
    ManifestRun, Run, Tally, diagnostic_fails, locate, manifest_anchor, override_diagnostic,
    plain_text, result_diagnostic, result_fails, severity_level, summary_of,
};
use crate::diag::{Diagnostic, Level};
use crate::source::{Sources, Span};

/// The policy set's annotations, which come first.
pub(super) fn head(run: &Run<'_>, quiet: bool) -> String {
    let mut out = String::new();
    for d in &run.policy_diagnostics {
        diagnostic(run, &mut out, d, None, quiet);
    }
    out
}

fn diagnostic(run: &Run<'_>, out: &mut String, d: &Diagnostic, file: Option<&str>, quiet: bool) {
    if !quiet || diagnostic_fails(run, d) {
        out.push_str(&command(
            run.sources,
            d.level,
            d.labels.first().map(|l| l.span),
            file,
            &d.code,
            &plain_text(run.sources, d),
        ));
    }
}

/// One manifest's annotations. `run.sources` must hold the manifest's text.
pub(super) fn part(run: &Run<'_>, m: &ManifestRun, quiet: bool) -> String {
    let sources = run.sources;
    let mut out = String::new();
    // A manifest that could not be read still names the file, if it exists.
    let file = m.file.map(|_| m.name.as_str());
    for d in &m.diagnostics {
        diagnostic(run, &mut out, d, file, quiet);
    }
    let (Some(decision), Some(program)) = (&m.decision, run.program) else {
        return out;
    };
    for r in decision.results.iter().filter(|r| super::is_failure(r)) {
        if quiet && !result_fails(run, program, r) {
            continue;
        }
        let p = &program.policies[r.policy];
        let d = result_diagnostic(program, r);
        out.push_str(&command(
            sources,
            severity_level(p.severity),
            manifest_anchor(r),
            Some(&m.name),
            &d.code,
            &plain_text(sources, &d),
        ));
    }
    // Overrides and waivers are on the record: a notice each (not with --quiet, which shows
    // only failures).
    for r in decision.results.iter().filter(|_| !quiet) {
        let Some(d) = override_diagnostic(program, r) else {
            continue;
        };
        out.push_str(&command(
            sources,
            d.level,
            r.overridden
                .as_ref()
                .and_then(|o| o.evidence.first().map(|e| e.span))
                .or_else(|| manifest_anchor(r)),
            Some(&m.name),
            &d.code,
            &plain_text(sources, &d),
        ));
    }
    out
}

/// The closing summary line (none with `quiet`).
pub(super) fn tail(run: &Run<'_>, tally: &Tally, quiet: bool) -> String {
    if quiet {
        String::new()
    } else {
        format!("{}\n", summary_of(run, tally))
    }
}

/// One workflow command. `at` wins over `file` for the location.
fn command(
    sources: &Sources,
    level: Level,
    at: Option<Span>,
    file: Option<&str>,
    title: &str,
    message: &str,
) -> String {
    let name = match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Advice => "notice",
    };
    let mut props: Vec<String> = Vec::new();
    match (at, file) {
        (Some(span), _) => {
            let l = locate(sources, span);
            props.push(format!("file={}", property(&l.file)));
            props.push(format!("line={}", l.line));
            props.push(format!("col={}", l.column));
            props.push(format!("endLine={}", l.end_line));
            props.push(format!("endColumn={}", l.end_column));
        }
        (None, Some(f)) => props.push(format!("file={}", property(f))),
        (None, None) => {}
    }
    props.push(format!("title={}", property(title)));
    format!("::{name} {}::{}\n", props.join(","), data(message))
}

/// Escapes a command's message: `%`, CR and LF; other control characters (but tab) and the
/// bidirectional overrides would garble the log or hide text, and are written `\u{1b}`.
fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            '\t' => out.push(c),
            c if crate::diag::is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value: as a message, plus `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}
