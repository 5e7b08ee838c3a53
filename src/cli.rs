//! The command line: argument parsing, file discovery and I/O, exit codes. The only module that
//! touches the file system, the terminal and the process.

pub(crate) mod check;
pub(crate) mod config;
mod diff;
mod digest;
mod explain;
pub(crate) mod files;
mod fmt;
mod init;
pub mod keys;
pub(crate) mod log;
mod lsp;
mod manifest;
pub(crate) mod project;
mod test;
mod verify;
mod waivers;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit codes for CI: 0 allowed (or warned), 1 denied, 2 bad input. The highest applicable wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok = 0,
    Denied = 1,
    BadInput = 2,
}

impl Exit {
    /// `charter fmt --check`: at least one file is not formatted.
    pub const UNFORMATTED: Exit = Exit::Denied;
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Parser, Debug)]
#[command(name = "charter", version, about = "Policy-as-code for change governance", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check change manifests against the policy set (with no manifests: check the policies only).
    Check(check::Args),
    /// Show how each policy's outcome was reached for one manifest: every expression with its
    /// value, the elements quantifiers looked at, and where each value is in the manifest.
    Explain(explain::Args),
    /// Run the policy tests (`*.test.yaml` under the policy folder), optionally with coverage.
    Test(test::Args),
    /// Format policy files in place (`--check`: report, change nothing).
    Fmt(fmt::Args),
    /// Run the language server (LSP over standard input and output) for editors.
    Lsp(lsp::Args),
    /// Print the change manifest of a commit, a range or a pull request.
    Manifest(manifest::Args),
    /// What changing the policy set would flip: both sets (the work tree's and the one at a git
    /// revision, or another folder) evaluated on the same manifests, e.g. a replayed history.
    Diff(diff::Args),
    /// Set up Charter in a repository: charter.toml, a policy set, a people file, a CI workflow.
    Init(init::Args),
    /// Make an Ed25519 key pair for signing attestations: PREFIX.key (private, PKCS#8 PEM) and
    /// PREFIX.pub (public, SPKI PEM).
    Keygen(keys::Args),
    /// The decision log that `charter check --log` appends to: verify it, prove that a record
    /// is in it or that it only grew, check such a proof without the log.
    Log(log::Args),
    /// Print the policy-set digest (SHA-256 over the set's files; README.md gives the format).
    Digest(digest::Args),
    /// Verify an attestation file: every envelope's signature, and, given manifests, that the
    /// policy set still makes each recorded decision.
    Verify(verify::Args),
    /// List the waivers of the waiver file with their state (active, expiring, expired, and,
    /// given manifests, unused).
    Waivers(waivers::Args),
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Diagnostics with source snippets, a line per manifest, a summary line.
    Human,
    /// One JSON document (versioned; schemas/charter-report.schema.json).
    Json,
    /// JSON Lines: one JSON object per manifest, printed as it is checked (the objects of
    /// `manifests` in the JSON format).
    Jsonl,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
    /// GitHub Actions annotations (workflow commands).
    Github,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

impl Color {
    fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// The stack of the thread that runs a command, and of `charter check`'s workers.
const STACK_SIZE: usize = 256 * 1024 * 1024;

/// Parses the arguments and runs the command on a large stack (deeply nested input is refused
/// with an error well before it could exhaust it). The stack is switched on the same thread
/// rather than a new thread spawned: a single check takes a few milliseconds, and a new thread
/// costs the allocator a fresh heap and the scheduler a wake-up.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = stacker::grow(STACK_SIZE, || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli)))
    });
    match outcome {
        Ok(exit) => exit.into(),
        Err(_) => {
            eprintln!("error: internal error: please file an issue at the Charter repository");
            Exit::BadInput.into()
        }
    }
}

fn run(cli: Cli) -> Exit {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Lsp(args) => lsp::run(&args),
        Command::Manifest(args) => manifest::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Keygen(args) => keys::run(&args),
        Command::Log(args) => log::run(&args),
        Command::Digest(args) => digest::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Waivers(args) => waivers::run(&args),
    }
}

/// Writes to stdout; a closed pipe (`charter check ... | head`) is not an error.
fn print(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

fn terminal_width() -> usize {
    if std::io::stdout().is_terminal() {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100)
    } else {
        100
    }
}
