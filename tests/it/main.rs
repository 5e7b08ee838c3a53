//! One integration test binary (matklad's layout): data-driven cases plus a few focused tests.

mod bulk;
mod cases;
mod cli;
mod diff;
mod evidence;
mod fast;
mod fmt;
mod formats;
mod fuzz_regressions;
mod init;
mod inputs;
mod lsp;
mod manifest_git;
mod manifest_github;
mod order;
mod outcomes;
mod recipes;
mod support;
mod test_cmd;
