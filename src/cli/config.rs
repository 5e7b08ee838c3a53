//! `charter.toml`: found by walking up from the working directory. Names the policy folder and
//! output defaults for everyone who runs Charter in the repository.

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

pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut config: Config = toml::from_str(&text).map_err(|e| {
        let msg = e.message();
        let at = e.span().map(|s| {
            let before = &text[..s.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(":{line}:{col}")
        });
        format!(
            "invalid `{}{}`: {msg}\n  help: charter.toml accepts `policies = \"dir\"`, `format = \"human\"` (or json, sarif, junit, github) and a `[manifest]` table (`people`, `ai_tools`, `ai_emails`, `ai_logins`)",
            path.display(),
            at.unwrap_or_default()
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
