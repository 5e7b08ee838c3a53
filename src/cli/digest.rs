//! `charter digest [--policies DIR] [--list]`: the policy-set digest, so a repository can pin
//! the policy set its decisions were made with (README.md, "Evidence and audit").

use std::path::PathBuf;

use super::Exit;
use super::project::{self, display};
use crate::evidence::digest;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy folder (default: from charter.toml, else `policies/`).
    #[arg(long, short = 'p', value_name = "DIR")]
    policies: Option<PathBuf>,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    config: Option<PathBuf>,
    /// Also print the canonical file list the digest is the SHA-256 of (one
    /// `<sha256>  <path>` line per file, sorted by path).
    #[arg(long)]
    list: bool,
}

pub fn run(args: &Args) -> Exit {
    match digest_of(args) {
        Ok(out) => {
            super::print(&out);
            Exit::Ok
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            Exit::BadInput
        }
    }
}

fn digest_of(args: &Args) -> Result<String, String> {
    let dir = project::policy_dir(args.policies.as_deref(), args.config.as_deref())?;
    let mut files = Vec::new();
    for path in project::charter_files(&dir)? {
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("cannot read policy file `{}`: {e}", display(&path)))?;
        files.push((project::relative_name(&dir, &path), bytes));
    }
    let listed: Vec<(String, &[u8])> = files.iter().map(|(n, b)| (n.clone(), &b[..])).collect();
    let mut out = String::new();
    if args.list {
        out.push_str(&digest::policy_set_list(&listed));
    }
    out.push_str(&format!("{}\n", digest::policy_set(&listed)));
    Ok(out)
}
