//! Links the `charter` binary as a position-dependent executable on Linux (GNU): a single check
//! is a whole process of about two milliseconds, and a position-independent one spends a tenth
//! of that applying ~11,000 relocations before `main` (measured: 147k instructions, 46 page
//! faults). Everything else (libraries, tests, other targets) links as usual.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let var = |name| std::env::var(name).unwrap_or_default();
    // A static build (`-C target-feature=+crt-static`) is left as rustc links it.
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" && !static_crt
    {
        println!("cargo::rustc-link-arg-bin=charter=-no-pie");
    }
}
