//! One integration test binary (matklad's layout): data-driven cases plus a few focused tests.

mod cases;
mod cli;
mod init;
mod manifest_git;
mod manifest_github;
mod support;
