//! Formatter round trip: a file that parses formats (never an internal error), the output parses
//! to the same tree, and formatting the output again changes nothing.
#![no_main]

use charter::source::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    {
        let parsed = charter::syntax::parse(FileId(0), text);
        if !parsed.errors.is_empty() {
            return;
        }
        let once = match charter::fmt::format(FileId(0), text) {
            Ok(s) => s,
            Err(d) => panic!("a file that parses does not format: {d:?}"),
        };
        let again = charter::syntax::parse(FileId(0), &once);
        assert!(
            again.errors.is_empty(),
            "formatted output does not parse: {:?}",
            again.errors
        );
        assert!(
            charter::fmt::same_shape(&parsed.file, &again.file),
            "formatting changed the tree"
        );
        let twice = charter::fmt::format(FileId(0), &once).expect("formatted output formats");
        assert_eq!(once, twice, "formatting is not idempotent");
    }
});
