//! `charter.toml`: found by walking up from the working directory. Names the policy folder and
//! output defaults for everyone who runs Charter in the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Format;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The policy folder, relative to the file.
    pub policies: Option<PathBuf>,
    /// The default output format.
    pub format: Option<Format>,
    /// Settings of `charter manifest`.
    #[serde(default)]
    pub manifest: ManifestConfig,
}

/// `[manifest]`: how `charter manifest` reads people and AI tools.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestConfig {
    /// The people file (seniority, teams, bots), relative to charter.toml.
    pub people: Option<PathBuf>,
    /// More AI tool names, added to the built-in list.
    #[serde(default)]
    pub ai_tools: Vec<String>,
    /// More AI co-author e-mail addresses.
    #[serde(default)]
    pub ai_emails: Vec<String>,
    /// More GitHub accounts of AI tools.
    #[serde(default)]
    pub ai_logins: Vec<String>,
}

/// The nearest `charter.toml` at or above the absolute folder `start`, as a path relative to it
/// (`charter.toml`, `../charter.toml`, ...) so file names in diagnostics stay short.
pub fn find(start: &Path) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for dir in start.ancestors() {
        if dir.join("charter.toml").is_file() {
            return Some(rel.join("charter.toml"));
        }
        rel.push("..");
    }
    None
}

/// The project file named by `explicit`, else the nearest one; defaults when there is none.
pub fn discover(explicit: Option<&Path>) -> Result<Config, String> {
    let found = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::current_dir().ok().and_then(|d| find(&d)),
    };
    Ok(found.map(|p| load(&p)).transpose()?.unwrap_or_default())
}

/// The keys `charter.toml` knows, at the top and in `[manifest]`.
const KEYS: [&str; 3] = ["policies", "format", "manifest"];
const MANIFEST_KEYS: [&str; 4] = ["people", "ai_tools", "ai_emails", "ai_logins"];
const HELP: &str = "charter.toml accepts `policies = \"dir\"`, `format = \"human\"` (or json, jsonl, sarif, junit, github) and a `[manifest]` table (`people`, `ai_tools`, `ai_emails`, `ai_logins`)";

pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    // Every unknown key at once (serde stops at the first), each with its place.
    let unknown = unknown_keys(&text);
    if !unknown.is_empty() {
        let lines: Vec<String> = unknown
            .iter()
            .map(|(key, start, known)| {
                let hint = crate::diag::suggest(key, known.iter().copied())
                    .map(|s| format!("; {s}"))
                    .unwrap_or_default();
                format!(
                    "  {}{}: unknown key `{key}`{hint}",
                    path.display(),
                    position(&text, *start)
                )
            })
            .collect();
        return Err(format!(
            "invalid `{}`: {} unknown key{}\n{}\n  help: {HELP}",
            path.display(),
            unknown.len(),
            if unknown.len() == 1 { "" } else { "s" },
            lines.join("\n")
        ));
    }
    let mut config: Config = toml::from_str(&text).map_err(|e| {
        let at = e.span().map(|s| position(&text, s.start));
        format!(
            "invalid `{}{}`: {}\n  help: {HELP}",
            path.display(),
            at.unwrap_or_default(),
            e.message()
        )
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    config.policies = config.policies.map(|p| {
        if p.is_absolute() {
            p
        } else {
            relative(base, &p)
        }
    });
    config.manifest.people = config.manifest.people.map(|p| {
        if p.is_absolute() {
            p
        } else {
            relative(base, &p)
        }
    });
    Ok(config)
}

fn relative(base: &Path, p: &Path) -> PathBuf {
    if base.as_os_str().is_empty() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// `:line:column` of a byte offset.
fn position(text: &str, start: usize) -> String {
    let before = &text[..start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(":{line}:{col}")
}

type Keys = BTreeMap<toml::Spanned<String>, toml::Value>;

/// The keys of `text` that `charter.toml` does not know: the key, where it starts, and the keys
/// that were expected there. Empty when the text is not TOML (the full parse reports that).
fn unknown_keys(text: &str) -> Vec<(String, usize, &'static [&'static str])> {
    let Ok(top) = toml::from_str::<Keys>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in top.keys() {
        if !KEYS.contains(&key.get_ref().as_str()) {
            out.push((key.get_ref().clone(), key.span().start, &KEYS[..]));
        }
    }
    #[derive(Deserialize)]
    struct Outer {
        manifest: Option<Keys>,
    }
    if let Ok(Outer { manifest: Some(m) }) = toml::from_str::<Outer>(text) {
        for key in m.keys() {
            if !MANIFEST_KEYS.contains(&key.get_ref().as_str()) {
                out.push((key.get_ref().clone(), key.span().start, &MANIFEST_KEYS[..]));
            }
        }
    }
    out.sort_by_key(|k| k.1);
    out
}
