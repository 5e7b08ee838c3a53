//! `charter lsp`: the language server over standard input and output.

use super::Exit;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Accepted for editors that pass it; standard input and output are the only transport.
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: &Args) -> Exit {
    let (conn, io_threads) = lsp_server::Connection::stdio();
    let result = crate::lsp::serve(&conn);
    // The writer thread ends only when every sender is gone: drop the connection first.
    drop(conn);
    let joined = io_threads.join();
    match (result, joined) {
        (Ok(()), Ok(())) => Exit::Ok,
        (Err(e), _) => {
            eprintln!("error: language server: {e}");
            Exit::BadInput
        }
        (_, Err(e)) => {
            eprintln!("error: language server: {e}");
            Exit::BadInput
        }
    }
}
