//! `charter explain [--policy NAME] MANIFEST`

use std::path::PathBuf;

use super::project::{self, display, parse_now};
use super::{Color, Exit, Format};
use crate::eval;
use crate::report::explain::{Explanation, render, render_json};
use crate::report::human::{Style, render_diagnostic};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The manifest to explain (YAML or JSON).
    pub manifest: PathBuf,
    /// Only this policy (repeatable); default: every policy.
    #[arg(long = "policy", value_name = "NAME")]
    pub policies_named: Vec<String>,
    /// The policy folder (default: from charter.toml, else `policies/`).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// `human` (a tree) or `json` (the same tree as data).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<ExplainFormat>,
    /// The time `now` stands for (RFC 3339); default: the clock.
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    pub now: Option<jiff::Timestamp>,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum ExplainFormat {
    Human,
    Json,
}

pub fn run(args: &Args) -> Exit {
    let project = match project::load(args.policies.as_deref(), args.config.as_deref()) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let style = Style {
        color: args.color.enabled(),
        width: super::terminal_width(),
        quiet: false,
    };
    let base = project.options;
    let (mut sources, set) = (project.sources, project.set);
    let Some(program) = &set.program else {
        for d in &set.diagnostics {
            super::print(&render_diagnostic(&sources, d, style));
        }
        return Exit::BadInput;
    };
    let mut selected = Vec::new();
    for name in &args.policies_named {
        match program.policies.iter().position(|p| &p.name == name) {
            Some(i) => selected.push(i),
            None => {
                let names = program.policies.iter().map(|p| p.name.as_str());
                let help = crate::diag::suggest(name, names)
                    .map(|s| format!("\n  help: {s}"))
                    .unwrap_or_default();
                eprintln!("error: no policy named `{name}`{help}");
                return Exit::BadInput;
            }
        }
    }
    if selected.is_empty() {
        selected = (0..program.policies.len()).collect();
    }
    let name = display(&args.manifest);
    let text = match super::files::read_text(&args.manifest) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read manifest `{name}`: {e}");
            return Exit::BadInput;
        }
    };
    let file = sources.add(name.clone(), text);
    let loaded = crate::manifest::load(file, &sources.get(file).text.clone(), &program.schema);
    for d in &loaded.diagnostics {
        super::print(&render_diagnostic(&sources, d, style));
    }
    let Some(manifest) = loaded.manifest else {
        return Exit::BadInput;
    };
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    let options = eval::Options { now, ..base };
    let traces = selected
        .iter()
        .map(|&i| eval::explain(program, &manifest, &sources, options, i))
        .collect();
    let explanation = Explanation {
        sources: &sources,
        program,
        manifest: &name,
        now: program.uses_now.then_some(now),
        traces,
    };
    let json = match args.format {
        Some(f) => f == ExplainFormat::Json,
        None => project.format == Some(Format::Json),
    };
    let out = if json {
        render_json(&explanation)
    } else {
        render(&explanation)
    };
    super::print(&out);
    Exit::Ok
}
