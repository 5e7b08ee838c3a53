//! Inputs the fuzzers of `fuzz/` found, kept here so that CI (stable Rust, no fuzzer) holds them:
//! each test names the target that found it and what went wrong.

use charter::manifest;
use charter::source::Sources;

/// The shipped policy set, compiled as the `manifest` fuzz target compiles it.
fn shipped() -> (Sources, charter::check::ir::Program) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut sources = Sources::new();
    let mut files = Vec::new();
    for name in ["schema.charter", "reviews.charter", "rollout.charter"] {
        let text = std::fs::read_to_string(root.join(name)).expect("a shipped policy file");
        files.push(sources.add(name, text));
    }
    let program = charter::compile(&sources, &files)
        .program
        .expect("the shipped policy set compiles");
    (sources, program)
}

/// `manifest`: an empty manifest's "the manifest is empty" label ended one byte past the text.
#[test]
fn every_manifest_label_lies_inside_the_manifest() {
    let (mut sources, program) = shipped();
    for text in ["", "\n", "# only a comment\n", "~", "null"] {
        let file = sources.add("fuzz.yaml", text);
        let loaded = manifest::load(file, text, &program.schema);
        assert!(!loaded.diagnostics.is_empty(), "{text:?} is not a manifest");
        for d in &loaded.diagnostics {
            for l in d.labels.iter().filter(|l| l.span.file == file) {
                assert!(
                    l.span.range().end <= text.len(),
                    "{text:?}: label {:?} ends past the text",
                    l.span
                );
            }
        }
    }
}

/// `lsp`: the target's seed sessions run through the loop the binary uses, in memory, as the
/// fuzzer runs them: each ends cleanly and answers every request it did not cancel.
#[test]
fn the_lsp_seed_sessions_run_in_memory() {
    use charter::lsp::{Ended, Options, serve};
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/lsp");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the lsp seeds").flatten() {
        let input = std::fs::read(entry.path()).expect("a seed");
        let mut out = Vec::new();
        let ended = serve(
            std::io::Cursor::new(input),
            &mut out,
            Options { disk: false },
        );
        assert_eq!(ended, Ended::Clean, "{}", entry.path().display());
        let out = String::from_utf8(out).expect("UTF-8 output");
        let answered: Vec<i64> = out
            .split("Content-Length: ")
            .filter_map(|m| m.split_once("\r\n\r\n"))
            .filter_map(|(_, body)| serde_json::from_str::<serde_json::Value>(body).ok())
            .filter(|v| v.get("method").is_none())
            .filter_map(|v| v["id"].as_i64())
            .collect();
        for id in 1..=9 {
            assert!(answered.contains(&id), "request {id} answered: {out}");
        }
        seen += 1;
    }
    assert!(seen >= 3, "seeds in {}", dir.display());
}
