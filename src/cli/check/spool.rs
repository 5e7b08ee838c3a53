//! Where a document's body waits until the run ends (its opening holds what the whole run
//! decides: the JSON decision, JUnit's totals, SARIF's rules): in memory up to [`IN_MEMORY`]
//! bytes, then in a temporary file that has no name (deleted when closed, even if Charter is
//! killed), so memory stays flat however many manifests a run has.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

/// What a body may hold in memory before it moves to a temporary file.
pub const IN_MEMORY: usize = 8 * 1024 * 1024;

pub struct Spool {
    memory: Vec<u8>,
    file: Option<BufWriter<File>>,
    limit: usize,
}

impl Spool {
    pub fn new() -> Spool {
        Spool::with_limit(IN_MEMORY)
    }

    fn with_limit(limit: usize) -> Spool {
        Spool {
            memory: Vec::new(),
            file: None,
            limit,
        }
    }

    /// Writes everything the spool holds to `out`.
    pub fn copy_to(self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.file {
            None => out.write_all(&self.memory),
            Some(w) => {
                let mut file = w.into_inner().map_err(|e| e.into_error())?;
                file.seek(SeekFrom::Start(0))?;
                std::io::copy(&mut file, out).map(|_| ())
            }
        }
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() > self.limit {
            let file = tempfile::tempfile().map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "more than {} MiB of output is held in a temporary file, which cannot be made in `{}` (set TMPDIR to a writable folder): {e}",
                        self.limit >> 20,
                        std::env::temp_dir().display()
                    ),
                )
            })?;
            let mut w = BufWriter::with_capacity(256 * 1024, file);
            w.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(w);
        }
        match &mut self.file {
            Some(w) => w.write(buf),
            None => {
                self.memory.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::Spool;

    /// Past its limit a spool holds nothing in memory, and gives back every byte in order.
    #[test]
    fn a_spool_moves_to_a_file_past_its_limit() {
        let mut spool = Spool::with_limit(100);
        let mut expected = Vec::new();
        for i in 0..1000 {
            let line = format!("line {i}\n");
            spool.write_all(line.as_bytes()).expect("written");
            expected.extend_from_slice(line.as_bytes());
            if expected.len() > 100 {
                assert!(spool.memory.is_empty() && spool.file.is_some());
            }
        }
        let mut out = Vec::new();
        spool.copy_to(&mut out).expect("copied");
        assert_eq!(out, expected);

        let mut small = Spool::with_limit(100);
        small.write_all(b"short").expect("written");
        assert!(small.file.is_none());
        let mut out = Vec::new();
        small.copy_to(&mut out).expect("copied");
        assert_eq!(out, b"short");
    }
}
