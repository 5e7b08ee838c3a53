//! The fast manifest route against the full one: when the fast route returns a manifest, the
//! full route returns the same values and spans and no diagnostic.
#![no_main]

use charter::manifest;
use libfuzzer_sys::fuzz_target;

mod shipped;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let set = &*shipped::SET;
    {
        let schema = &set.program.schema;
        let Some(quick) = manifest::fast::load(set.manifest, text, schema) else {
            return;
        };
        let full = manifest::load(set.manifest, text, schema);
        assert!(
            full.diagnostics.is_empty(),
            "the fast route accepted what the full route reports on: {:?}",
            full.diagnostics
        );
        let full = full.manifest.expect("no diagnostics, so a manifest");
        assert_eq!(format!("{:?}", quick.root), format!("{:?}", full.root));
    }
});
