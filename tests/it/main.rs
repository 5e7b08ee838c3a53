//! One integration test binary (matklad's layout): data-driven cases plus a few focused tests.

mod cases;
mod cli;
mod fast;
mod fmt;
mod formats;
mod lsp;
mod outcomes;
mod recipes;
mod test_cmd;
