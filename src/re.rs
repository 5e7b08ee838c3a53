//! Regular expressions with Go's RE2 semantics, as policy-bot rules are written: an unanchored
//! search where `\d`, `\w`, `\s` and `\b` are ASCII-only (Rust's `regex` crate makes them Unicode
//! by default, so `\w+` would match all of "café" where Go matches "caf"). The pattern is
//! rewritten to the ASCII classes, then compiled once, when the policy is checked.

/// Compiles a Go-syntax pattern; the error is a sentence for a person.
pub fn compile(pattern: &str) -> Result<regex::Regex, String> {
    let translated = translate(pattern);
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

/// Rewrites Perl classes to Go's ASCII meaning, inside and outside brackets.
fn translate(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let ascii = match n {
                    'd' => Some("0-9"),
                    'w' => Some("0-9A-Za-z_"),
                    's' => Some("\\t\\n\\f\\r "),
                    _ => None,
                };
                match (n, ascii, in_class) {
                    (_, Some(set), true) => out.push_str(set),
                    (_, Some(set), false) => {
                        out.push('[');
                        out.push_str(set);
                        out.push(']');
                    }
                    ('D', _, false) => out.push_str("[^0-9]"),
                    ('W', _, false) => out.push_str("[^0-9A-Za-z_]"),
                    ('S', _, false) => out.push_str("[^\\t\\n\\f\\r ]"),
                    ('b', _, false) => out.push_str("(?-u:\\b)"),
                    ('B', _, false) => out.push_str("(?-u:\\B)"),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // A POSIX class such as [:alpha:]: copy it whole.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}
