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
    /// `[limits]`: resource budgets of evaluation.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// `[evidence]`: attestations (and the key that signs them).
    #[serde(default)]
    pub evidence: EvidenceConfig,
    /// `[overrides]`: how break-glass overrides may be used.
    #[serde(default)]
    pub overrides: OverridesConfig,
    /// The waiver file, relative to this file (default: `waivers.yaml` in the policy folder).
    pub waivers: Option<PathBuf>,
    /// How far ahead a waiver may expire, in days (default 90).
    pub max_waiver_days: Option<u32>,
    /// `[log]`: the decision log `charter check` appends to.
    #[serde(default)]
    pub log: LogConfig,
}

/// `[log]`: the decision log (`charter check --log`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The log file, relative to charter.toml; every `charter check` appends to it.
    pub file: Option<PathBuf>,
    /// The origin a new log is created with (the name its checkpoints are signed under).
    pub origin: Option<String>,
}

/// `[evidence]`: what `charter check` leaves behind as evidence. Paths are relative to the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceConfig {
    /// Write signed attestations here (as `--attest`).
    pub attest: Option<PathBuf>,
    /// The private key file that signs (as `--key-file`). Never the key itself.
    pub key_file: Option<PathBuf>,
}

/// `[overrides]`: who may get past a rule.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverridesConfig {
    /// A failure whose override holds still fails (what `--deny-overrides` does for one run).
    #[serde(default)]
    pub deny: bool,
    /// Policies that may never be overridden or waived: a policy set that gives one an
    /// `override when`, or a waiver file that waives one, is refused.
    #[serde(default)]
    pub never: Vec<toml::Spanned<String>>,
    /// Where each of `never` is written (`charter.toml:3:10`), filled by [`load`].
    #[serde(skip)]
    pub never_at: Vec<String>,
}

/// `[limits]`: how much a policy may do for one manifest.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Bytes of values one policy may build for one manifest: an integer of bytes or a string
    /// such as `"64MiB"` (`B`, `KiB`, `MiB`, `GiB`; `KB`, `MB`, `GB` are the same powers of two).
    #[serde(default, deserialize_with = "bytes")]
    pub eval_memory: Option<u64>,
}

fn bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Text(String),
    }
    let n = match Raw::deserialize(d)? {
        Raw::Int(n) => n,
        Raw::Text(t) => parse_bytes(&t).map_err(serde::de::Error::custom)?,
    };
    if n == 0 {
        return Err(serde::de::Error::custom(
            "the memory budget must be more than 0 bytes",
        ));
    }
    Ok(Some(n))
}

/// `"64MiB"`, `"64 MiB"`, `"512KiB"`, `"1000"` -> bytes.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = (&t[..split], t[split..].trim());
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => u32::MAX,
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| String::new())
        .and_then(|n| {
            if shift == u32::MAX {
                Err(String::new())
            } else {
                Ok(n)
            }
        })
        .map_err(|_| {
            format!("`{text}` is not a size; write e.g. \"64MiB\", \"512KiB\" or a number of bytes")
        })?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
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
const KEYS: [&str; 9] = [
    "policies",
    "format",
    "manifest",
    "limits",
    "overrides",
    "waivers",
    "max_waiver_days",
    "log",
    "evidence",
];
const OVERRIDES_KEYS: [&str; 2] = ["deny", "never"];
const MANIFEST_KEYS: [&str; 4] = ["people", "ai_tools", "ai_emails", "ai_logins"];
const LIMITS_KEYS: [&str; 1] = ["eval_memory"];
const LOG_KEYS: [&str; 2] = ["file", "origin"];
const EVIDENCE_KEYS: [&str; 2] = ["attest", "key_file"];
const HELP: &str = "charter.toml accepts `policies = \"dir\"`, `format = \"human\"` (or json, jsonl, sarif, junit, github), a `[manifest]` table (`people`, `ai_tools`, `ai_emails`, `ai_logins`), a `[limits]` table (`eval_memory = \"64MiB\"`), an `[overrides]` table (`deny = true`, `never = [\"policy\"]`), `waivers = \"waivers.yaml\"`, `max_waiver_days = 90`, a `[log]` table (`file`, `origin`) and an `[evidence]` table (`attest`, `key_file`)";

pub fn load(path: &Path) -> Result<Config, String> {
    let text = super::files::read_text(path)
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
    config.overrides.never_at = (config.overrides.never.iter())
        .map(|n| format!("{}{}", path.display(), position(&text, n.span().start)))
        .collect();
    let base = path.parent().unwrap_or(Path::new("."));
    // Paths in the file are relative to it.
    for p in [
        &mut config.policies,
        &mut config.log.file,
        &mut config.evidence.attest,
        &mut config.evidence.key_file,
        &mut config.waivers,
        &mut config.manifest.people,
    ] {
        *p = p.take().map(|p| relative(base, &p));
    }
    Ok(config)
}

/// `p` as seen from the working directory, when it is written relative to `base`.
fn relative(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() || base.as_os_str().is_empty() {
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
        limits: Option<Keys>,
        evidence: Option<Keys>,
        overrides: Option<Keys>,
        log: Option<Keys>,
    }
    if let Ok(outer) = toml::from_str::<Outer>(text) {
        for (table, known) in [
            (outer.manifest, &MANIFEST_KEYS[..]),
            (outer.limits, &LIMITS_KEYS[..]),
            (outer.evidence, &EVIDENCE_KEYS[..]),
            (outer.overrides, &OVERRIDES_KEYS[..]),
            (outer.log, &LOG_KEYS[..]),
        ] {
            for key in table.iter().flat_map(|t| t.keys()) {
                if !known.contains(&key.get_ref().as_str()) {
                    out.push((key.get_ref().clone(), key.span().start, known));
                }
            }
        }
    }
    out.sort_by_key(|k| k.1);
    out
}
