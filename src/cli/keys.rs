//! Key files: `charter keygen --out PREFIX` writes `PREFIX.key` (PKCS#8 PEM, mode 0600) and
//! `PREFIX.pub` (SPKI PEM); the signing commands read the private key from a file or from the
//! environment variable [`KEY_ENV`] (never from the command line, where `ps` and shell history
//! would show it), and the verifying commands a public key from a file.
//!
//! Errors are messages for standard error (the run exits 2) and name the file or variable.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Exit;
use super::project::display;
use crate::evidence::key::{PrivateKey, PublicKey};

/// The environment variable that may hold the private key's PEM text (a CI secret).
pub const KEY_ENV: &str = "CHARTER_SIGNING_KEY";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write PREFIX.key (the private key, PKCS#8 PEM, readable by its owner only) and PREFIX.pub
    /// (the public key, SPKI PEM).
    #[arg(long, value_name = "PREFIX")]
    out: PathBuf,
    /// Overwrite key files that already exist.
    #[arg(long)]
    force: bool,
}

pub fn run(args: &Args) -> Exit {
    match write_keypair(&args.out, args.force) {
        Ok((key, public)) => {
            super::print(&format!(
                "wrote {} (private key: keep it secret, e.g. as a CI secret)\nwrote {} (public key: share it with whoever verifies)\nkey id {}\n",
                display(&key.0),
                display(&key.1),
                public.keyid()
            ));
            Exit::Ok
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            Exit::BadInput
        }
    }
}

/// `PREFIX.key` and `PREFIX.pub`: the suffix is appended to the whole prefix (so `ci.2026`
/// gives `ci.2026.key`).
pub fn keypair_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |suffix: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    (with(".key"), with(".pub"))
}

/// Generates a key from the operating system's random source and writes both files. Without
/// `force`, an existing file is an error and nothing is written. Returns the two paths
/// (private, public) and the public key.
pub fn write_keypair(
    prefix: &Path,
    force: bool,
) -> Result<((PathBuf, PathBuf), PublicKey), String> {
    let (key_path, pub_path) = keypair_paths(prefix);
    if !force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                return Err(format!(
                    "`{}` already exists\n  help: choose another --out PREFIX, or pass --force to replace the key pair",
                    display(p)
                ));
            }
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| format!("cannot get random bytes from the operating system: {e}"))?;
    let key = PrivateKey::from_seed(&seed);
    seed.fill(0);
    write_private(&key_path, key.to_pem().as_bytes())?;
    std::fs::write(&pub_path, key.public().to_pem())
        .map_err(|e| format!("cannot write `{}`: {e}", display(&pub_path)))?;
    Ok(((key_path, pub_path), key.public().clone()))
}

/// Writes the private key readable by its owner only: the file is created with mode 0600 (and
/// an existing one, with `--force`, is set to 0600 before the key goes in).
fn write_private(path: &Path, pem: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", display(path));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        let mut f = opts.open(path).map_err(fail)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
        f.write_all(pem).map_err(fail)?;
        f.sync_all().map_err(fail)
    }
    #[cfg(not(unix))]
    {
        let mut f = opts.open(path).map_err(fail)?;
        f.write_all(pem).map_err(fail)?;
        f.sync_all().map_err(fail)
    }
}

/// The signing key: from `file` when given, else from the environment variable [`KEY_ENV`].
/// Neither is an error that says how to give one.
pub fn load_private_key(file: Option<&Path>) -> Result<PrivateKey, String> {
    match file {
        Some(path) => read_private_key_file(path),
        None => match std::env::var(KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => {
                PrivateKey::from_pem(&text, &format!("${KEY_ENV}")).map_err(|e| e.to_string())
            }
            Ok(_) => Err(format!(
                "the environment variable `{KEY_ENV}` is empty\n  help: set it to the text of the `.key` file that `charter keygen` wrote, or pass --key-file PATH"
            )),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "the environment variable `{KEY_ENV}` is not UTF-8 text\n  help: set it to the text of the `.key` file that `charter keygen` wrote"
            )),
            Err(std::env::VarError::NotPresent) => Err(format!(
                "no signing key: pass --key-file PATH or set the environment variable `{KEY_ENV}` to the key's PEM text\n  help: `charter keygen --out PREFIX` makes a key pair; to write unsigned envelopes pass --attest-unsigned"
            )),
        },
    }
}

/// A private key file (PKCS#8 PEM).
pub fn read_private_key_file(path: &Path) -> Result<PrivateKey, String> {
    let text = read_key_text(path, "key file")?;
    PrivateKey::from_pem(&text, &display(path)).map_err(|e| e.to_string())
}

/// A public key file (SPKI PEM).
pub fn load_public_key(path: &Path) -> Result<PublicKey, String> {
    let text = read_key_text(path, "public key file")?;
    PublicKey::from_pem(&text, &display(path)).map_err(|e| e.to_string())
}

/// A key file's text; key files are small, so anything over 64 KiB is not one.
fn read_key_text(path: &Path, what: &str) -> Result<String, String> {
    const MAX: u64 = 64 * 1024;
    let name = display(path);
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {what} `{name}`: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{what} `{name}` is a folder, not a PEM file"));
    }
    if meta.len() > MAX {
        return Err(format!(
            "{what} `{name}` is {} bytes: not a PEM key",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {what} `{name}`: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{what} `{name}` is not text: not a PEM key"))
}
