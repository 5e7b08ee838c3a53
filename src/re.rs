//! Regular expressions with Go's RE2 semantics, as policy-bot rules are written: an unanchored
//! search where `\d`, `\w`, `\s` and `\b` are ASCII-only, bare or inside brackets (Rust's `regex`
//! crate makes them Unicode by default, so `\w+` would match all of "café" where Go matches
//! "caf"). The pattern is parsed with `regex-syntax` (the parser `regex` itself uses), every Perl
//! class and word boundary is rewritten in place to its ASCII form, and the result is compiled
//! once, when the policy is checked.

use regex_syntax::ast::{self, AssertionKind, Ast, ClassPerl, ClassPerlKind, ClassSetItem};

/// Compiles a Go-syntax pattern; the error is a sentence for a person.
pub fn compile(pattern: &str) -> Result<regex::Regex, String> {
    let translated = translate(pattern)?;
    regex::RegexBuilder::new(&translated)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(msg) => msg
                .lines()
                .last()
                .unwrap_or("invalid pattern")
                .trim_start_matches("error: ")
                .to_string(),
            regex::Error::CompiledTooBig(_) => "the pattern is too large".to_string(),
            _ => "invalid pattern".to_string(),
        })
}

/// Go's meaning of a Perl class, as a bracketed class (which may also stand inside brackets).
fn ascii_class(p: &ClassPerl) -> &'static str {
    match (&p.kind, p.negated) {
        (ClassPerlKind::Digit, false) => "[0-9]",
        (ClassPerlKind::Digit, true) => "[^0-9]",
        (ClassPerlKind::Word, false) => "[0-9A-Za-z_]",
        (ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
        // `\x20`, not a space, so that `(?x)` does not drop it.
        (ClassPerlKind::Space, false) => r"[\t\n\f\r\x20]",
        (ClassPerlKind::Space, true) => r"[^\t\n\f\r\x20]",
    }
}

/// Collects the byte range and replacement of every Perl class and word boundary.
struct Rewrites(Vec<(std::ops::Range<usize>, &'static str)>);

impl ast::Visitor for Rewrites {
    type Output = Vec<(std::ops::Range<usize>, &'static str)>;
    type Err = std::convert::Infallible;

    fn finish(self) -> Result<Self::Output, Self::Err> {
        Ok(self.0)
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), Self::Err> {
        match ast {
            Ast::ClassPerl(p) => self
                .0
                .push((p.span.start.offset..p.span.end.offset, ascii_class(p))),
            Ast::Assertion(a) => {
                let ascii = match a.kind {
                    AssertionKind::WordBoundary => r"(?-u:\b)",
                    AssertionKind::NotWordBoundary => r"(?-u:\B)",
                    _ => return Ok(()),
                };
                self.0.push((a.span.start.offset..a.span.end.offset, ascii));
            }
            _ => {}
        }
        Ok(())
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), Self::Err> {
        if let ClassSetItem::Perl(p) = item {
            self.0
                .push((p.span.start.offset..p.span.end.offset, ascii_class(p)));
        }
        Ok(())
    }
}

/// Rewrites Perl classes and word boundaries to Go's ASCII meaning, inside and outside brackets;
/// everything else is kept as written. A pattern that does not parse, or names a class that does
/// not exist, is an error with its position.
fn translate(pattern: &str) -> Result<String, String> {
    let at = |span: &ast::Span, what: String| {
        let column = pattern[..span.start.offset].chars().count() + 1;
        format!("{what} (at character {column} of the pattern)")
    };
    let parsed = ast::parse::Parser::new()
        .parse(pattern)
        .map_err(|e| at(e.span(), e.kind().to_string()))?;
    // What the `regex` crate would refuse later (`\p{Nope}`, classes that are empty), with a
    // position in the pattern as written.
    regex_syntax::hir::translate::Translator::new()
        .translate(pattern, &parsed)
        .map_err(|e| at(e.span(), e.kind().to_string()))?;
    let mut rewrites = match ast::visit(&parsed, Rewrites(Vec::new())) {
        Ok(r) => r,
        Err(never) => match never {},
    };
    rewrites.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(pattern.len() + 16 * rewrites.len());
    let mut last = 0;
    for (range, ascii) in rewrites {
        out.push_str(&pattern[last..range.start]);
        out.push_str(ascii);
        last = range.end;
    }
    out.push_str(&pattern[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is(pattern: &str, text: &str) -> bool {
        let re = compile(&format!("^(?:{pattern})$")).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        re.is_match(text)
    }

    /// Every Perl class, bare, in brackets and in negated brackets, on ASCII and non-ASCII input,
    /// against Go's meaning (`regexp.MustCompile(p).MatchString(s)` in Go 1.22).
    #[test]
    fn perl_classes_are_ascii_everywhere() {
        let e_acute = "é";
        let arabic_three = "\u{663}";
        let nbsp = "\u{a0}";
        let em_space = "\u{2003}";
        // (pattern, input, Go's answer)
        let cases: &[(&str, &str, bool)] = &[
            (r"\d", "3", true),
            (r"\d", arabic_three, false),
            (r"[\d]", "3", true),
            (r"[\d]", arabic_three, false),
            (r"[^\d]", arabic_three, true),
            (r"[^\d]", "3", false),
            (r"\D", arabic_three, true),
            (r"\D", "3", false),
            (r"[\D]", arabic_three, true),
            (r"[\D]", "3", false),
            (r"[^\D]", arabic_three, false),
            (r"[^\D]", "3", true),
            (r"\w", "a", true),
            (r"\w", e_acute, false),
            (r"[\w]", "_", true),
            (r"[\w]", e_acute, false),
            (r"[^\w]", e_acute, true),
            (r"[^\w]", "a", false),
            (r"\W", e_acute, true),
            (r"\W", "a", false),
            (r"[\W]", e_acute, true),
            (r"[\W]", "a", false),
            (r"[^\W]", e_acute, false),
            (r"[^\W]", "a", true),
            (r"\s", " ", true),
            (r"\s", "\t", true),
            (r"\s", nbsp, false),
            (r"\s", em_space, false),
            (r"\s", "\u{b}", false),
            (r"[\s]", "\n", true),
            (r"[\s]", nbsp, false),
            (r"[^\s]", nbsp, true),
            (r"[^\s]", " ", false),
            (r"\S", nbsp, true),
            (r"\S", " ", false),
            (r"[\S]", nbsp, true),
            (r"[\S]", "\r", false),
            (r"[^\S]", nbsp, false),
            (r"[^\S]", "\u{c}", true),
            // Mixed with other items, and in a class set operation.
            (r"[a\D]", arabic_three, true),
            (r"[\d\s]+", "1 2", true),
            (r"[\w&&[^_]]+", "ab", true),
            (r"[\w&&[^_]]", e_acute, false),
        ];
        for &(p, s, go) in cases {
            assert_eq!(is(p, s), go, "{p} on {s:?}: Go says {go}");
        }
    }

    #[test]
    fn word_boundaries_are_ascii() {
        // Go: `\bcaf\b` matches in "café" (é is not a word character); Unicode would not.
        let re = |p: &str| compile(p).expect("a valid pattern");
        assert!(re(r"\bcaf\b").is_match("café"));
        assert!(!re(r"caf\B").is_match("café"));
        assert_eq!(re(r"\w+").find("café").map(|m| m.as_str()), Some("caf"));
    }

    #[test]
    fn flags_posix_classes_and_escapes_keep_working() {
        assert!(is(r"(?i)FEAT\d", "feat1"));
        assert!(is(r"(?i)[[:upper:]]+", "abc"));
        assert!(is(r"[[:alpha:]]+", "abc"));
        assert!(!is(r"[[:alpha:]]", "é"));
        assert!(is(r"[^[:digit:]]", "x"));
        assert!(is(r"[]a]+", "]a"));
        assert!(is(r"[^]a]", "b"));
        assert!(is(r"\\d", r"\d"));
        assert!(is(r"[\\d]+", r"\d"));
        assert!(is(r"(?x) \d \s \d ", "1 2"));
        assert!(is(r"\pL+", "é"));
        assert!(is(r"\x{e9}", "é"));
    }

    #[test]
    fn errors_are_sentences_with_a_position() {
        let err = |p: &str| compile(p).expect_err("an invalid pattern");
        assert_eq!(
            err("feat(x"),
            "unclosed group (at character 5 of the pattern)"
        );
        assert_eq!(
            err("é[a"),
            "unclosed character class (at character 2 of the pattern)"
        );
        assert!(err(r"\p{Nope}").starts_with("Unicode property not found (at character 1"));
        assert_eq!(
            err("x|*a"),
            "repetition operator missing expression (at character 3 of the pattern)"
        );
    }
}
