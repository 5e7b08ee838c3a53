//! The stream splitter against a naive split: when every non-blank line is a complete JSON
//! object, the stream's documents are exactly those lines; on any input it never panics.
#![no_main]

use charter::bulk::Stream;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let docs: Vec<_> = Stream::new(data).collect();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.starts_with('\u{feff}') {
        return;
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let naive = !lines.is_empty()
        && lines.iter().all(|l| {
            l.trim_start().starts_with('{')
                && serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l).is_ok()
        });
    if !naive {
        return;
    }
    let got: Vec<String> = docs
        .into_iter()
        .map(|d| {
            d.expect("a stream of JSON objects reads")
                .trim()
                .to_string()
        })
        .collect();
    let want: Vec<String> = lines.iter().map(|l| l.trim().to_string()).collect();
    assert_eq!(got, want, "the stream split JSON Lines differently");
});
