//! Order independence: permuting any list of a manifest (reviewers, files, labels, commits, ...)
//! never changes a policy's outcome, for the shipped set (`policies/`), `charter init`'s set and
//! every ported set. A manifest written by the person whose change is judged could otherwise
//! reorder a list to flip a decision.

use std::path::{Path, PathBuf};

use charter::check::ir::Program;
use charter::eval;
use charter::manifest;
use charter::source::{FileId, Sources};
use proptest::prelude::*;
use serde_json::Value;

const FILE: FileId = FileId(1000);

struct Set {
    name: String,
    sources: Sources,
    program: Program,
    manifests: Vec<(String, Value)>,
}

fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            files(&p, keep, out);
        } else if keep(&p) {
            out.push(p);
        }
    }
    out.sort();
}

fn is_manifest(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
        && !name.ends_with(".test.yaml")
}

fn set(dir: &Path, extra: &[PathBuf]) -> Set {
    let mut sources = Sources::new();
    let mut charter_files = Vec::new();
    files(
        dir,
        &|p| p.extension().is_some_and(|x| x == "charter"),
        &mut charter_files,
    );
    let ids: Vec<FileId> = charter_files
        .iter()
        .map(|p| {
            sources.add(
                p.display().to_string(),
                std::fs::read_to_string(p).expect("policy"),
            )
        })
        .collect();
    let program = charter::compile(&sources, &ids)
        .program
        .unwrap_or_else(|| panic!("{} compiles", dir.display()));
    let mut paths = Vec::new();
    files(dir, &is_manifest, &mut paths);
    paths.extend_from_slice(extra);
    let manifests = paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            let v: Value = serde_saphyr::from_str(&text).ok()?;
            // Only manifests of this set: a fixture that does not load is another test's.
            let json = serde_json::to_string(&v).ok()?;
            manifest::load(FILE, &json, &program.schema).manifest?;
            Some((p.display().to_string(), v))
        })
        .collect();
    Set {
        name: dir.display().to_string(),
        sources,
        program,
        manifests,
    }
}

fn sets() -> Vec<Set> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![set(&root.join("policies"), &[])];
    // charter init's set, with every 5th vendored real change.
    let mut real = Vec::new();
    files(&crate::support::real_changes(), &is_manifest, &mut real);
    let real: Vec<PathBuf> = real.into_iter().step_by(5).collect();
    out.push(set(&root.join("examples/init/policies"), &real));
    let mut ported: Vec<PathBuf> = std::fs::read_dir(root.join("examples/ported"))
        .expect("examples/ported")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    ported.sort();
    out.extend(ported.iter().map(|d| set(d, &[])));
    out
}

/// Every policy's outcome for a manifest given as JSON text.
fn outcomes(s: &Set, v: &Value) -> Vec<&'static str> {
    let json = serde_json::to_string(v).expect("JSON");
    let m = manifest::load(FILE, &json, &s.program.schema)
        .manifest
        .expect("a permuted manifest still loads");
    let options = eval::Options {
        now: "2026-12-09T12:00:00Z".parse().expect("a timestamp"),
        ..eval::Options::default()
    };
    eval::evaluate(&s.program, &m, &s.sources, options)
        .results
        .iter()
        .map(|r| r.outcome.as_str())
        .collect()
}

/// Permutes every list in `v` (recursively), each by its own draw from `seed`.
fn shuffle(v: &mut Value, seed: &mut u64) {
    let mut next = || {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) as usize
    };
    match v {
        Value::Array(xs) => {
            for i in (1..xs.len()).rev() {
                let j = next() % (i + 1);
                xs.swap(i, j);
            }
            for x in xs {
                shuffle(x, seed);
            }
        }
        Value::Object(m) => {
            for (_, x) in m.iter_mut() {
                shuffle(x, seed);
            }
        }
        _ => {}
    }
}

fn every_set() -> &'static [Set] {
    static SETS: std::sync::OnceLock<Vec<Set>> = std::sync::OnceLock::new();
    SETS.get_or_init(sets)
}

#[test]
fn every_set_has_manifests_to_permute() {
    for s in every_set() {
        assert!(!s.manifests.is_empty(), "{}: no manifest loads", s.name);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn permuting_lists_never_changes_an_outcome(seed in any::<u64>()) {
        for s in every_set() {
            for (name, v) in &s.manifests {
                let want = outcomes(s, v);
                let mut p = v.clone();
                let mut state = seed;
                shuffle(&mut p, &mut state);
                let got = outcomes(s, &p);
                prop_assert_eq!(&got, &want, "{}: {} permuted (seed {})", s.name, name, seed);
            }
        }
    }
}
