//! Diagnostics as plain data: every stage (syntax, check, manifest, eval) reports problems as
//! [`Diagnostic`] values; `report` renders them. Labels may point into several files (a policy
//! and a manifest); the renderer groups them per file.

use std::borrow::Cow;

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Advice,
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub level: Level,
    /// Stable code, e.g. `charter::check::unknown_field`; also the SARIF rule id for tool errors.
    pub code: Cow<'static, str>,
    pub message: String,
    /// The first label is the primary one: it decides the file and line the diagnostic is shown at.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            code: Cow::Borrowed(code),
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// The closest candidate to `name` by edit similarity, for "did you mean" help.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// `help: did you mean `x`?` when a close candidate exists.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Whether `c` must not reach a terminal or a CI log as it is: C0 controls, DEL, C1 controls
/// (`\u{1b}[2J` clears a screen) and the bidirectional overrides and isolates, which can make
/// text read in another order than it is.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [`is_unsafe_char`] written as `\u{1b}`, so text from a manifest cannot drive
/// the terminal it is printed on. `keep_lines` keeps `\n` (and a `\r` before it) and `\t`, for a
/// text of several lines (a message, a file); a single value escapes them too.
pub fn escape_controls(s: &str, keep_lines: bool) -> Cow<'_, str> {
    let kept = |s: &str, i: usize, c: char| {
        keep_lines
            && (c == '\n' || c == '\t' || (c == '\r' && s.as_bytes().get(i + 1) == Some(&b'\n')))
    };
    if !s
        .char_indices()
        .any(|(i, c)| is_unsafe_char(c) && !kept(s, i, c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, c) in s.char_indices() {
        if is_unsafe_char(c) && !kept(s, i, c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod escape_tests {
    use super::escape_controls;

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        assert_eq!(escape_controls("a\u{1b}[2Jb", true), "a\\u{1b}[2Jb");
        assert_eq!(
            escape_controls("x\u{7f}\u{85}\u{202e}\u{2066}", true),
            "x\\u{7f}\\u{85}\\u{202e}\\u{2066}"
        );
        assert_eq!(
            escape_controls("a\nb\tc\r\nd\re", true),
            "a\nb\tc\r\nd\\u{d}e"
        );
        assert_eq!(
            escape_controls("a\nb\tc\r\n", false),
            "a\\u{a}b\\u{9}c\\u{d}\\u{a}"
        );
        assert_eq!(escape_controls("café ٣\u{a0}", false), "café ٣\u{a0}");
    }
}
