//! Reading the files a command is named (manifests, policy and test files, `charter.toml`, a
//! people file, an event payload, reviews): regular files only, each at most [`MAX_FILE`]
//! bytes. A named pipe or a device has no end (`/dev/zero`) or blocks until someone writes to
//! it, so it is refused by its metadata, before it is opened. Standard input (`-`) and JSON Lines
//! files are streams, read document by document elsewhere; a JSON Lines path must still be a
//! regular file ([`regular`]).

use std::fmt;
use std::io::Read;
use std::path::Path;

/// The most one file may hold (64 MiB): far beyond any manifest or policy file, and small
/// enough that reading one never exhausts memory.
pub const MAX_FILE: u64 = 64 * 1024 * 1024;

/// Why a file was not read. Displayed as the end of `cannot read manifest `x`: ...`.
#[derive(Debug)]
pub enum Problem {
    /// What the operating system said (the file does not exist, permission denied, ...).
    Io(std::io::Error),
    /// Not a regular file: what it is (`a named pipe (FIFO)`, `a character device`, ...).
    NotRegular(&'static str),
    /// More than [`MAX_FILE`] bytes: its size, when known before it was read.
    TooLarge(Option<u64>),
}

impl Problem {
    /// Whether the file does not exist.
    pub fn is_missing(&self) -> bool {
        matches!(self, Problem::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Io(e) => write!(f, "{e}"),
            Problem::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            Problem::TooLarge(Some(size)) => write!(
                f,
                "it holds {}, more than the {} one file may hold",
                mib(*size),
                mib(MAX_FILE)
            ),
            Problem::TooLarge(None) => {
                write!(
                    f,
                    "it holds more than the {} one file may hold",
                    mib(MAX_FILE)
                )
            }
        }
    }
}

/// A size in MiB, one decimal rounded up (`64 MiB`, `80.5 MiB`; a byte more than 64 MiB is
/// `64.1 MiB`).
fn mib(bytes: u64) -> String {
    let tenths = (bytes as u128 * 10).div_ceil(1024 * 1024) as u64;
    if tenths.is_multiple_of(10) {
        format!("{} MiB", tenths / 10)
    } else {
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    }
}

/// The file's metadata (links followed) when it is a regular file; looked at without opening it.
pub fn regular(path: &Path) -> Result<std::fs::Metadata, Problem> {
    let meta = std::fs::metadata(path).map_err(Problem::Io)?;
    if meta.is_file() {
        Ok(meta)
    } else {
        Err(Problem::NotRegular(kind(&meta.file_type())))
    }
}

#[cfg(unix)]
fn kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn kind(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() { "a folder" } else { "not a file" }
}

/// The bytes of a regular file of at most [`MAX_FILE`] bytes. The size is checked before the
/// file is read and again while it is read (a file may grow, and some files, such as those under
/// `/proc`, say they are empty).
pub fn read(path: &Path) -> Result<Vec<u8>, Problem> {
    let meta = regular(path)?;
    if meta.len() > MAX_FILE {
        return Err(Problem::TooLarge(Some(meta.len())));
    }
    let file = std::fs::File::open(path).map_err(Problem::Io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(Problem::Io)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(Problem::TooLarge(None));
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text (what `std::fs::read_to_string` says when it is not).
pub fn read_text(path: &Path) -> Result<String, Problem> {
    String::from_utf8(read(path)?).map_err(|_| {
        Problem::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::mib;

    #[test]
    fn sizes_in_mib() {
        assert_eq!(mib(64 * 1024 * 1024), "64 MiB");
        assert_eq!(mib(64 * 1024 * 1024 + 1), "64.1 MiB");
        assert_eq!(mib(80 * 1024 * 1024 + 512 * 1024), "80.5 MiB");
    }
}
