//! The `charter` binary: everything lives in the library; this only hands over to the CLI.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    charter::cli::main()
}
