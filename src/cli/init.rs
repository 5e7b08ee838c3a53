//! `charter init [DIR] [--force]`: writes a working setup (the files of `examples/init/`,
//! embedded in the binary) into a repository.

use std::path::{Path, PathBuf};

use super::Exit;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The repository to set up (default: the working directory).
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Overwrite files that already exist.
    #[arg(long)]
    force: bool,
}

/// Every scaffolded file: its path in the repository and its text.
pub const FILES: &[(&str, &str)] = &[
    (
        "charter.toml",
        include_str!("../../examples/init/charter.toml"),
    ),
    (
        "people.yaml",
        include_str!("../../examples/init/people.yaml"),
    ),
    (
        "policies/schema.charter",
        include_str!("../../examples/init/policies/schema.charter"),
    ),
    (
        "policies/reviews.charter",
        include_str!("../../examples/init/policies/reviews.charter"),
    ),
    (
        "policies/ai.charter",
        include_str!("../../examples/init/policies/ai.charter"),
    ),
    (
        "policies/hygiene.charter",
        include_str!("../../examples/init/policies/hygiene.charter"),
    ),
    (
        "policies/tests/policies.test.yaml",
        include_str!("../../examples/init/policies/tests/policies.test.yaml"),
    ),
    (
        "policies/tests/allow/reviewed.yaml",
        include_str!("../../examples/init/policies/tests/allow/reviewed.yaml"),
    ),
    (
        "policies/tests/allow/ai-assisted-senior-approved.yaml",
        include_str!("../../examples/init/policies/tests/allow/ai-assisted-senior-approved.yaml"),
    ),
    (
        "policies/tests/deny/ai-assisted-without-senior.yaml",
        include_str!("../../examples/init/policies/tests/deny/ai-assisted-without-senior.yaml"),
    ),
    (
        "policies/tests/deny/auth-without-security.yaml",
        include_str!("../../examples/init/policies/tests/deny/auth-without-security.yaml"),
    ),
    (
        "policies/tests/deny/changes-requested.yaml",
        include_str!("../../examples/init/policies/tests/deny/changes-requested.yaml"),
    ),
    (
        "policies/tests/deny/dismissed-approval.yaml",
        include_str!("../../examples/init/policies/tests/deny/dismissed-approval.yaml"),
    ),
    (
        "policies/tests/deny/large-change-one-approval.yaml",
        include_str!("../../examples/init/policies/tests/deny/large-change-one-approval.yaml"),
    ),
    (
        "policies/tests/deny/no-approval.yaml",
        include_str!("../../examples/init/policies/tests/deny/no-approval.yaml"),
    ),
    (
        "policies/tests/deny/self-approval.yaml",
        include_str!("../../examples/init/policies/tests/deny/self-approval.yaml"),
    ),
    (
        "policies/tests/deny/shallow-clone.yaml",
        include_str!("../../examples/init/policies/tests/deny/shallow-clone.yaml"),
    ),
    (
        ".github/workflows/charter.yml",
        include_str!("../../examples/init/.github/workflows/charter.yml"),
    ),
];

pub fn run(args: &Args) -> Exit {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let shown = |rel: &str| -> String {
        if args.dir.is_none() {
            rel.to_string()
        } else {
            dir.join(rel).display().to_string()
        }
    };
    if !args.force {
        let existing: Vec<String> = FILES
            .iter()
            .filter(|(rel, _)| dir.join(rel).exists())
            .map(|(rel, _)| shown(rel))
            .collect();
        if !existing.is_empty() {
            eprintln!(
                "error: {} already exist{}: {}\n  help: nothing was written; move {} away, or pass --force to overwrite",
                if existing.len() == 1 {
                    "a file"
                } else {
                    "files"
                },
                if existing.len() == 1 { "s" } else { "" },
                existing.join(", "),
                if existing.len() == 1 { "it" } else { "them" },
            );
            return Exit::BadInput;
        }
    }
    for (rel, text) in FILES {
        if let Err(e) = write(&dir.join(rel), text) {
            eprintln!("error: cannot write `{}`: {e}", shown(rel));
            return Exit::BadInput;
        }
    }
    let at = match &args.dir {
        Some(d) => format!("cd {} && ", d.display()),
        None => String::new(),
    };
    super::print(&format!(
        "wrote charter.toml, people.yaml, policies/ (the schema, three policy files and their tests) and
.github/workflows/charter.yml
next:
  {at}charter test                           # the policies' tests
  {at}charter check policies/tests/deny      # the denied examples, each with its reason
  {at}charter manifest git HEAD | charter check -   # your last commit against the policies
then edit people.yaml (your team's seniority and teams) and the policies, and set the repository
variable CHARTER_GIT for the workflow (see its first lines)
"
    ));
    Exit::Ok
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}
