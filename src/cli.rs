//! The command line: argument parsing, file discovery and I/O, exit codes. The only module that
//! touches the file system, the terminal and the process.

mod check;
mod config;
mod init;
mod manifest;

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
    /// Print the change manifest of a commit, a range or a pull request.
    Manifest(manifest::Args),
    /// Set up Charter in a repository: charter.toml, a policy set, a people file, a CI workflow.
    Init(init::Args),
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Human,
    Json,
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

/// Parses the arguments and runs the command on a thread with a large stack (deeply nested
/// input is refused with an error well before it could exhaust it).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || run(cli));
    match worker.map(|h| h.join()) {
        Ok(Ok(exit)) => exit.into(),
        _ => {
            eprintln!("error: internal error: please file an issue at the Charter repository");
            Exit::BadInput.into()
        }
    }
}

fn run(cli: Cli) -> Exit {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Manifest(args) => manifest::run(&args),
        Command::Init(args) => init::run(&args),
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
