//! The parse-only floor for benches/compare.sh: the time to read and parse the same manifests
//! with the same parser crates and the same number of threads as `charter check`, and nothing
//! else (no schema, no policies, no output). Whatever `charter check` spends beyond this is its
//! own overhead.
//!
//! ```text
//! parse_floor yaml-events DIR     each file parsed by granit-parser (the events Charter's fast
//!                                 route reads), events counted
//! parse_floor yaml-serde  DIR     each file parsed by serde-saphyr into a serde_json::Value
//!                                 (as in ../shared/bench/peers/RESULTS.md), nodes counted
//! parse_floor json        DIR     each file parsed by serde_json into a Value
//! parse_floor jsonl       FILE    each line parsed by serde_json into a Value
//! ```
//!
//! Threads: rayon's default (one per core), or `-j N` before the mode, like `charter check`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "-j") && args.len() > 1 {
        let n: usize = args[1].parse().unwrap_or(0);
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
        args.drain(..2);
    }
    let (Some(mode), Some(input)) = (args.first(), args.get(1)) else {
        eprintln!("usage: parse_floor [-j N] yaml-events|yaml-serde|json|jsonl PATH");
        std::process::exit(2);
    };
    let input = Path::new(input);
    let count: usize = match mode.as_str() {
        "yaml-events" => files(input, "yaml")
            .par_iter()
            .map(|p| yaml_events(&read(p)))
            .sum(),
        "yaml-serde" => files(input, "yaml")
            .par_iter()
            .map(|p| yaml_serde(&read(p)))
            .sum(),
        "json" => files(input, "json")
            .par_iter()
            .map(|p| json(&read(p)))
            .sum(),
        "jsonl" => {
            let text = read(input);
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            lines.par_iter().map(|l| json(l)).sum()
        }
        other => {
            eprintln!("unknown mode `{other}`");
            std::process::exit(2);
        }
    };
    println!("{count}");
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The files with this extension under `dir`, sorted (as `charter check` orders them).
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn yaml_events(text: &str) -> usize {
    let options = granit_parser::options! { emit_comments: false };
    granit_parser::Parser::new_from_str_with_options(text, options)
        .take_while(Result::is_ok)
        .count()
}

fn yaml_serde(text: &str) -> usize {
    serde_saphyr::from_str::<serde_json::Value>(text).map_or(0, |v| nodes(&v))
}

fn json(text: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(text).map_or(0, |v| nodes(&v))
}

fn nodes(v: &serde_json::Value) -> usize {
    1 + match v {
        serde_json::Value::Array(xs) => xs.iter().map(nodes).sum(),
        serde_json::Value::Object(m) => m.values().map(nodes).sum(),
        _ => 0,
    }
}
