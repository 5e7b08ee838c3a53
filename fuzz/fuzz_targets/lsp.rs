//! Arbitrary bytes as the language server's input stream (framing and JSON-RPC), through the
//! binary's own message loop (`charter::lsp::serve`) over an in-memory reader and writer: never
//! a panic, and the server always ends. Documents are sets of their own (no disk).
#![no_main]

use charter::lsp::{Options, serve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let _ended = serve(
        std::io::Cursor::new(data.to_vec()),
        &mut out,
        Options { disk: false },
    );
});
