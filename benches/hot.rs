//! Micro-benchmarks of the hot paths of `charter check` (divan): compiling the shipped policy set,
//! loading one manifest (YAML and JSON, the fast route and the full one), and evaluating it.
//!
//! `cargo bench --bench hot`. The whole-process comparison with other engines is
//! `benches/compare.sh`.

use std::hint::black_box;
use std::path::Path;

use charter::check::ir::Program;
use charter::eval::{self, Options};
use charter::manifest;
use charter::source::{FileId, Sources};

fn main() {
    divan::main();
}

/// The shipped policy set, read once.
fn policies() -> (Sources, Vec<FileId>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Sources::new();
    let mut paths: Vec<_> = std::fs::read_dir(root.join("policies"))
        .expect("policies/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "charter"))
        .collect();
    paths.sort();
    let ids = paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("a policy file");
            sources.add(p.display().to_string(), text)
        })
        .collect();
    (sources, ids)
}

fn program() -> (Sources, Program) {
    let (sources, ids) = policies();
    let program = charter::compile(&sources, &ids)
        .program
        .expect("the shipped policies check");
    (sources, program)
}

/// A shipped example manifest as YAML, and the same document as one line of JSON.
fn example(name: &str) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/changes")
        .join(name);
    let yaml = std::fs::read_to_string(path).expect("an example manifest");
    let value: serde_json::Value = serde_saphyr::from_str(&yaml).expect("YAML");
    let json = serde_json::to_string(&value).expect("JSON");
    (yaml, json)
}

const ALLOWED: &str = "chg-1041-ok.yaml";
const DENIED: &str = "chg-1042-ai-unreviewed.yaml";
const FILE: FileId = FileId(9);

#[divan::bench]
fn compile_policy_set(bencher: divan::Bencher) {
    let (sources, ids) = policies();
    bencher.bench(|| charter::compile(black_box(&sources), black_box(&ids)));
}

#[divan::bench(args = ["yaml", "json"])]
fn load_fast(bencher: divan::Bencher, format: &str) {
    let (_, program) = program();
    let (yaml, json) = example(ALLOWED);
    let text = if format == "yaml" { yaml } else { json };
    bencher.bench(|| {
        manifest::fast::load(FILE, black_box(&text), &program.schema).expect("a clean manifest")
    });
}

#[divan::bench(args = ["yaml", "json"])]
fn load_full(bencher: divan::Bencher, format: &str) {
    let (_, program) = program();
    let (yaml, json) = example(ALLOWED);
    let text = if format == "yaml" { yaml } else { json };
    bencher.bench(|| manifest::load(FILE, black_box(&text), &program.schema));
}

#[divan::bench(args = [ALLOWED, DENIED])]
fn evaluate(bencher: divan::Bencher, name: &str) {
    let (sources, program) = program();
    let (yaml, _) = example(name);
    let m = manifest::load(FILE, &yaml, &program.schema)
        .manifest
        .expect("a valid manifest");
    let options = Options::default();
    bencher.bench(|| eval::evaluate(&program, black_box(&m), &sources, options));
}

/// Load (the fast route) and evaluate: the work per manifest of a bulk run, without output.
#[divan::bench(args = [ALLOWED, DENIED])]
fn check_json(bencher: divan::Bencher, name: &str) {
    let (sources, program) = program();
    let (_, json) = example(name);
    let options = Options::default();
    bencher.bench(|| {
        let loaded = manifest::load_fast(FILE, black_box(&json), &program.schema);
        loaded
            .manifest
            .map(|m| eval::evaluate(&program, &m, &sources, options))
    });
}
