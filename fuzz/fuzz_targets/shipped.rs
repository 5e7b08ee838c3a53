//! The shipped policy set (`policies/`), compiled once for the manifest targets.

use std::sync::LazyLock;

use charter::check::ir::Program;
use charter::source::{FileId, Sources};

// Not every target renders, so not every target reads `sources`.
#[allow(dead_code)]
pub struct Shipped {
    pub sources: Sources,
    pub program: Program,
    pub manifest: FileId,
}

fn load() -> Shipped {
    let mut sources = Sources::new();
    let files = [
        sources.add(
            "schema.charter",
            include_str!("../../policies/schema.charter"),
        ),
        sources.add(
            "reviews.charter",
            include_str!("../../policies/reviews.charter"),
        ),
        sources.add(
            "rollout.charter",
            include_str!("../../policies/rollout.charter"),
        ),
    ];
    let program = charter::compile(&sources, &files)
        .program
        .expect("the shipped policy set compiles");
    let manifest = sources.add("fuzz.yaml", "");
    Shipped {
        sources,
        program,
        manifest,
    }
}

/// The set, compiled on first use and shared by every input.
pub static SET: LazyLock<Shipped> = LazyLock::new(load);
