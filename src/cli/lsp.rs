//! `charter lsp`: the language server over standard input and output.

use super::Exit;
use crate::lsp::{Ended, Options};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Accepted for editors that pass it; standard input and output are the only transport.
    #[arg(long)]
    pub stdio: bool,
}

/// Exit codes as LSP defines them: 0 after `shutdown` then `exit` (or the end of the input),
/// 1 without `shutdown`; a stream that cannot be followed is reported and exits 2.
pub fn run(_args: &Args) -> Exit {
    let ended = crate::lsp::serve(
        std::io::stdin(),
        std::io::stdout().lock(),
        Options { disk: true },
    );
    match ended {
        Ended::Clean => Exit::Ok,
        Ended::NoShutdown => Exit::Denied,
        Ended::Broken(e) => {
            eprintln!("error: language server: {e}");
            Exit::BadInput
        }
    }
}
