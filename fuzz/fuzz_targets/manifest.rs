//! Manifest bytes -> load + evaluate against the shipped policy set: never a panic, and every
//! diagnostic inside the manifest's text.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod shipped;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let set = &*shipped::SET;
    {
        let checker = charter::bulk::Checker {
            program: &set.program,
            sources: &set.sources,
            options: Default::default(),
        };
        let run = checker.check("fuzz.yaml".into(), set.manifest, text);
        for d in &run.diagnostics {
            for l in &d.labels {
                if l.span.file == set.manifest {
                    assert!(
                        l.span.range().end <= text.len(),
                        "label outside the manifest: {d:?}"
                    );
                }
            }
        }
    }
});
