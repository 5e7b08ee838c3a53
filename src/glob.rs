//! Path patterns with gitignore/CODEOWNERS rules, compiled once when a policy is checked.
//!
//! - a pattern without a `/` (other than a trailing one) matches at any depth: `*.md`, `docs`;
//! - otherwise it is anchored at the repository root; a leading `/` anchors explicitly;
//! - `*` and `?` never cross `/`; `**` matches zero or more folders;
//! - a pattern that names a folder also matches everything below it; a trailing `/` matches only
//!   what is below (`docs/` matches `docs/a.md`, not a file called `docs`);
//! - as in CODEOWNERS, a pattern ending in `/*` matches only direct children: `docs/*` matches
//!   `docs/a.md`, not `docs/sub/a.md`.

use globset::{GlobBuilder, GlobMatcher};

#[derive(Clone, Debug)]
pub struct Glob {
    pattern: String,
    /// The literal text every match starts with (`src/auth/` for `src/auth/**`): a path
    /// without it is refused before the matchers run.
    prefix: String,
    /// Whether the prefix alone decides (`src/auth/**`, `docs/`: a literal folder and
    /// everything below it). Then no matcher is compiled: compiling one is a regex, ~70k
    /// instructions, a few percent of a single check for every such pattern.
    prefix_decides: bool,
    exact: Option<GlobMatcher>,
    below: Option<GlobMatcher>,
}

/// The characters that make a pattern more than literal text.
const SPECIAL: [char; 7] = ['*', '?', '[', ']', '{', '}', '\\'];

impl Glob {
    /// Compiles a pattern; the error is a sentence for a person.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        Glob::build(pattern, true)
    }

    /// `new`, with the literal-folder shortcut or (for tests) always with matchers.
    fn build(pattern: &str, shortcut: bool) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err("the pattern is empty".into());
        }
        let dir_only = pattern.ends_with('/');
        let body = pattern.trim_end_matches('/');
        let anchored = body.starts_with('/') || body.contains('/');
        let body = body.trim_start_matches('/');
        if body.is_empty() {
            return Err("the pattern matches no path".into());
        }
        let full = if anchored || body.starts_with("**") {
            body.to_string()
        } else {
            format!("**/{body}")
        };
        let build = |p: &str| {
            GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map(|g| g.compile_matcher())
                .map_err(|e| e.kind().to_string())
        };
        let children_only = body == "*" || body.ends_with("/*");
        // `LIT/**`, or `LIT/` (everything below a literal folder): a match is a path that
        // starts with `LIT/`.
        let folder = match full.strip_suffix("/**") {
            Some(lit) => Some(lit),
            None => dir_only.then_some(full.as_str()),
        };
        let literal = |lit: &&str| shortcut && !lit.is_empty() && !lit.contains(SPECIAL);
        if let Some(lit) = folder.filter(literal) {
            return Ok(Glob {
                pattern: pattern.to_string(),
                prefix: format!("{lit}/"),
                prefix_decides: true,
                exact: None,
                below: None,
            });
        }
        let below = if children_only {
            None
        } else {
            Some(build(&format!("{full}/**"))?)
        };
        let exact = if dir_only { None } else { Some(build(&full)?) };
        let prefix = full
            .find(SPECIAL)
            .map_or(full.as_str(), |i| &full[..i])
            .to_string();
        Ok(Glob {
            pattern: pattern.to_string(),
            prefix,
            prefix_decides: false,
            exact,
            below,
        })
    }

    pub fn is_match(&self, path: &str) -> bool {
        let path = path.strip_prefix("./").unwrap_or(path);
        let path = path.strip_prefix('/').unwrap_or(path);
        if !path.starts_with(&self.prefix) {
            return false;
        }
        if self.prefix_decides {
            return true;
        }
        self.exact.as_ref().is_some_and(|m| m.is_match(path))
            || self.below.as_ref().is_some_and(|m| m.is_match(path))
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }
}

/// Whether a backslash is anything but `charter manifest`'s `\\xNN` for a byte that is not UTF-8
/// (`80` to `FF`: never `/` or `.`, so the escape cannot hide a folder).
fn stray_backslash(path: &str) -> bool {
    let b = path.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'\\'
            && !(b.get(i + 1) == Some(&b'x')
                && b.get(i + 2)
                    .is_some_and(|d| matches!(d, b'8'..=b'9' | b'A'..=b'F'))
                && b.get(i + 3)
                    .is_some_and(|d| matches!(d, b'0'..=b'9' | b'A'..=b'F')))
    })
}

/// Why a manifest path is not in its one normal spelling: what is wrong, and the normal spelling
/// (`None` when there is none, e.g. a path that leaves the repository).
pub fn path_problem(path: &str) -> Option<(&'static str, Option<String>)> {
    let why = if path.is_empty() {
        return Some(("the path is empty", None));
    } else if path.chars().any(char::is_control) {
        "it contains a control character"
    } else if stray_backslash(path) {
        "it contains a backslash; paths are separated by `/`"
    } else if path.starts_with('/') {
        "it starts with `/`; paths are relative to the repository root"
    } else if path.ends_with('/') {
        "it ends with `/`; a path names a file"
    } else if path.split('/').any(str::is_empty) {
        "it has an empty segment (`//`)"
    } else if path.split('/').any(|s| s == "." || s == "..") {
        "it has a `.` or `..` segment"
    } else {
        return None;
    };
    let mut out: Vec<&str> = Vec::new();
    let cleaned: String = path.chars().filter(|c| !c.is_control()).collect();
    let cleaned = if stray_backslash(&cleaned) {
        cleaned.replace('\\', "/")
    } else {
        cleaned
    };
    for seg in cleaned.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Some((why, None));
                }
            }
            s => out.push(s),
        }
    }
    Some((why, (!out.is_empty()).then(|| out.join("/"))))
}

#[cfg(test)]
mod tests {
    use super::{Glob, path_problem};

    #[test]
    fn paths_have_one_spelling() {
        let normal = |p: &str| path_problem(p).map(|(_, n)| n);
        assert_eq!(normal("src/auth/x.rs"), None);
        assert_eq!(normal(".github/CODEOWNERS"), None);
        assert_eq!(
            normal("src/x/../auth/x.rs"),
            Some(Some("src/auth/x.rs".into()))
        );
        assert_eq!(normal("src//auth/x.rs"), Some(Some("src/auth/x.rs".into())));
        assert_eq!(
            normal("./src/auth/x.rs"),
            Some(Some("src/auth/x.rs".into()))
        );
        assert_eq!(normal("/src/auth/x.rs"), Some(Some("src/auth/x.rs".into())));
        assert_eq!(normal("src/auth/"), Some(Some("src/auth".into())));
        assert_eq!(
            normal("src\\auth\\x.rs"),
            Some(Some("src/auth/x.rs".into()))
        );
        assert_eq!(
            normal("src/auth/x\u{7}.rs"),
            Some(Some("src/auth/x.rs".into()))
        );
        assert_eq!(normal("../x.rs"), Some(None));
        assert_eq!(normal(""), Some(None));
        // `charter manifest`'s spelling of a byte that is not UTF-8; never an ASCII byte.
        assert_eq!(normal("caf\\xE9.txt"), None);
        assert_eq!(normal("src\\x2Fauth"), Some(Some("src/x2Fauth".into())));
    }

    /// The literal-prefix shortcuts (the prefix test before the matchers, and the prefix alone for
    /// a literal folder) never change an answer.
    #[test]
    fn prefix_shortcut_agrees_with_the_matchers() {
        let patterns = [
            "src/auth/**",
            "src/auth/",
            "src/auth",
            "/src/auth/*",
            "docs",
            "*.md",
            "docs/*",
            "src/**/test_*.rs",
            "src/a?c/**",
            "src/[ab]/x",
            "src/{a,b}/**",
            "src/main.rs",
            "**/auth/**",
            "src\\*/x",
            "src/auth/",
            "/src/auth/**",
            "a/b/**",
            "docs/",
        ];
        let paths = [
            "src/auth/token.rs",
            "src/auth/mfa/totp.rs",
            "src/authz/policy.rs",
            "src/auth",
            "src/auth/",
            "lib/src/auth/x.rs",
            "./src/auth/x",
            "/src/auth/x",
            "docs",
            "docs/a.md",
            "docs/sub/a.md",
            "a.md",
            "x/y/a.md",
            "src/abc/q",
            "src/a/x",
            "src/b/z/w",
            "src/main.rs",
            "src/main.rs/x",
            "src/x/test_a.rs",
            "src*/x",
            "",
            "src/auth//x",
            "src/auth/\nx",
            "src/auth\n/x",
            "a/b",
            "a/b/",
            "a/b/c/d",
            "a/bc",
            "docs/",
            "docs//",
        ];
        for p in patterns {
            let g = Glob::new(p).expect("a valid pattern");
            let mut unfiltered = Glob::build(p, false).expect("a valid pattern");
            unfiltered.prefix.clear();
            for path in paths {
                assert_eq!(g.is_match(path), unfiltered.is_match(path), "{p} on {path}");
            }
        }
    }
}
