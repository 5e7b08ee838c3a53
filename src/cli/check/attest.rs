//! `charter check --attest FILE`: one DSSE envelope per manifest, as JSON Lines, in input
//! order. The workers build and sign each manifest's envelope beside its check (on every
//! core); the calling thread writes them in order.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::check::ir::Program;
use crate::cli::project::display;
use crate::evidence::dsse;
use crate::evidence::key::PrivateKey;
use crate::report::{ManifestRun, Provenance, attest};

/// What makes an envelope for a manifest: the signing key (`None`: `--attest-unsigned`), the
/// policy set and the run's provenance.
pub struct Attester<'a> {
    pub key: Option<&'a PrivateKey>,
    pub program: Option<&'a Program>,
    pub provenance: Provenance,
}

impl Attester<'_> {
    /// The manifest's envelope line (with its line end); `None` for a manifest that could not be
    /// read.
    pub fn envelope(&self, m: &ManifestRun) -> Option<String> {
        let statement = attest::statement(self.program, &self.provenance, m)?;
        let mut line = dsse::envelope(dsse::IN_TOTO, statement.to_json().as_bytes(), self.key);
        line.push('\n');
        Some(line)
    }
}

/// The attestation file, written as the envelopes come.
pub struct AttestFile {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    failed: Option<std::io::Error>,
    /// Envelopes written, and manifests left without one (they could not be read).
    pub written: usize,
    pub missing: usize,
}

impl AttestFile {
    /// Creates (or empties) the file; a missing folder is made.
    pub fn create(path: &Path) -> Result<AttestFile, String> {
        let fail = |e: std::io::Error| {
            format!("cannot write the attestation file `{}`: {e}", display(path))
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let file = std::fs::File::create(path).map_err(fail)?;
        Ok(AttestFile {
            path: path.to_path_buf(),
            out: std::io::BufWriter::with_capacity(256 * 1024, file),
            failed: None,
            written: 0,
            missing: 0,
        })
    }

    pub fn write(&mut self, line: Option<&str>) {
        let Some(line) = line else {
            self.missing += 1;
            return;
        };
        if self.failed.is_none()
            && let Err(e) = self.out.write_all(line.as_bytes())
        {
            self.failed = Some(e);
        }
        self.written += 1;
    }

    /// Flushes and syncs the file: the run reports success only once the attestations are on
    /// disk. The error is a message for standard error.
    pub fn finish(mut self) -> Result<(), String> {
        let result = match self.failed.take() {
            Some(e) => Err(e),
            None => self
                .out
                .flush()
                .and_then(|()| self.out.get_ref().sync_all()),
        };
        result.map_err(|e| {
            format!(
                "cannot write the attestation file `{}`: {e}",
                display(&self.path)
            )
        })
    }
}
