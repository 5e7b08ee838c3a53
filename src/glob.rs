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
    exact: Option<GlobMatcher>,
    below: Option<GlobMatcher>,
}

impl Glob {
    /// Compiles a pattern; the error is a sentence for a person.
    pub fn new(pattern: &str) -> Result<Glob, String> {
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
        let below = if children_only {
            None
        } else {
            Some(build(&format!("{full}/**"))?)
        };
        let exact = if dir_only { None } else { Some(build(&full)?) };
        Ok(Glob {
            pattern: pattern.to_string(),
            exact,
            below,
        })
    }

    pub fn is_match(&self, path: &str) -> bool {
        let path = path.strip_prefix("./").unwrap_or(path);
        let path = path.strip_prefix('/').unwrap_or(path);
        self.exact.as_ref().is_some_and(|m| m.is_match(path))
            || self.below.as_ref().is_some_and(|m| m.is_match(path))
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }
}
