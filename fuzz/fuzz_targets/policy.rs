//! Policy text -> parse + check: never a panic or a stack overflow, and every diagnostic's labels
//! lie inside the file, on character boundaries.
#![no_main]

use charter::source::Sources;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    {
        let mut sources = Sources::new();
        let file = sources.add("fuzz.charter", text);
        let set = charter::compile(&sources, &[file]);
        for d in &set.diagnostics {
            for l in &d.labels {
                let r = l.span.range();
                assert!(
                    r.start <= r.end && r.end <= text.len(),
                    "label outside the file: {d:?}"
                );
                assert!(
                    text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
                    "label inside a character: {d:?}"
                );
            }
        }
    }
});
