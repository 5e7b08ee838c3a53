//! Shared by the tests of `charter manifest` and `charter init`: temporary git repositories and
//! the standard schema that `charter init` writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use charter::source::Sources;

/// A folder under the system's temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "charter-it-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Environment that makes git ignore the machine's configuration, so tests (and the commit
/// hashes in their snapshots) are the same everywhere.
pub fn isolated<'c>(cmd: &'c mut Command, home: &Path) -> &'c mut Command {
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", home)
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GITHUB_BASE_REF")
        .env_remove("CHARTER_CONFIG")
}

/// Who made a commit and when (`Name <email>`, RFC 3339 date with its offset).
#[derive(Clone, Copy)]
pub struct Who<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub date: &'a str,
}

/// A git repository in a temporary folder.
pub struct Repo {
    pub dir: TempDir,
}

impl Repo {
    pub fn new(name: &str) -> Repo {
        let repo = Repo {
            dir: TempDir::new(name),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = isolated(&mut Command::new("git"), self.path())
            .args(args)
            .current_dir(self.path())
            .stdin(Stdio::null())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Writes (`Some`) or deletes (`None`) files, then commits everything.
    pub fn commit(
        &self,
        message: &str,
        files: &[(&[u8], Option<&[u8]>)],
        author: Who<'_>,
        committer: Who<'_>,
    ) -> String {
        for (path, content) in files {
            let path = self.path().join(bytes_path(path));
            match content {
                Some(c) => {
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent).expect("folders");
                    }
                    std::fs::write(&path, c).expect("a file");
                }
                None => std::fs::remove_file(&path).expect("a file to delete"),
            }
        }
        self.git(&["add", "-A"]);
        let out = isolated(&mut Command::new("git"), self.path())
            .args([
                "commit",
                "-q",
                "--allow-empty",
                "--cleanup=verbatim",
                "-m",
                message,
            ])
            .env("GIT_AUTHOR_NAME", author.name)
            .env("GIT_AUTHOR_EMAIL", author.email)
            .env("GIT_AUTHOR_DATE", author.date)
            .env("GIT_COMMITTER_NAME", committer.name)
            .env("GIT_COMMITTER_EMAIL", committer.email)
            .env("GIT_COMMITTER_DATE", committer.date)
            .current_dir(self.path())
            .output()
            .expect("git commit runs");
        assert!(
            out.status.success(),
            "git commit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.git(&["rev-parse", "HEAD"])
    }

    /// Runs `charter ARGS` in the repository: exit code, stdout, stderr.
    pub fn charter(&self, args: &[&str]) -> (i32, String, String) {
        run_charter(self.path(), args, self.path())
    }
}

pub fn run_charter(dir: &Path, args: &[&str], home: &Path) -> (i32, String, String) {
    let out = isolated(&mut Command::new(env!("CARGO_BIN_EXE_charter")), home)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the charter binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
fn bytes_path(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn bytes_path(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

/// The policy set `charter init` writes (`examples/init/policies`), compiled: the standard
/// schema every manifest `charter manifest` emits must satisfy.
pub struct Standard {
    sources: Sources,
    program: charter::check::ir::Program,
}

impl Standard {
    pub fn new() -> Standard {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/init/policies");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("examples/init/policies")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "charter"))
            .collect();
        files.sort();
        let mut sources = Sources::new();
        let ids: Vec<_> = files
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("a policy file");
                sources.add(p.display().to_string(), text)
            })
            .collect();
        let set = charter::compile(&sources, &ids);
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert!(
            messages.is_empty(),
            "the scaffolded policy set has diagnostics: {messages:?}"
        );
        let program = set.program.expect("the scaffolded policy set compiles");
        Standard { sources, program }
    }

    /// Every problem (errors and warnings, e.g. an undeclared field) the schema finds in one
    /// manifest's text.
    pub fn problems(&mut self, name: &str, text: &str) -> Vec<String> {
        let id = self.sources.add(name.to_string(), text.to_string());
        let loaded = charter::manifest::load(id, text, &self.program.schema);
        let mut out: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|d| format!("{:?}: {}", d.level, d.message))
            .collect();
        if loaded.manifest.is_none() && out.is_empty() {
            out.push("not loaded".into());
        }
        out
    }

    /// Asserts that every manifest of a stream (JSON Lines or YAML documents) validates cleanly.
    pub fn assert_valid_stream(&mut self, what: &str, stream: &str) -> usize {
        let docs: Vec<String> = charter::bulk::Stream::new(stream.as_bytes())
            .map(|d| d.expect("UTF-8 text"))
            .collect();
        for (i, doc) in docs.iter().enumerate() {
            let problems = self.problems(&format!("{what}:{}", i + 1), doc);
            assert!(
                problems.is_empty(),
                "{what}, manifest {}: {problems:?}\n{doc}",
                i + 1
            );
        }
        docs.len()
    }
}

/// The real change manifests the tests read: the slice vendored in `tests/data/real-changes`,
/// or the folder named by `CHARTER_REAL_CHANGES` (the full 4,000, say) when it is set.
pub fn real_changes() -> PathBuf {
    match std::env::var_os("CHARTER_REAL_CHANGES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/real-changes"),
    }
}

/// Snapshot settings for `charter check` output: the evaluation time (the clock, unless the run
/// passed `--now`) becomes `[TIME]` and the engine's version `[VERSION]`, so snapshots change
/// with what a case decides, not with the day or the release. The policy-set and manifest
/// digests stay: they are the same on every machine.
pub fn provenance_filters(settings: &mut insta::Settings) {
    settings.add_filter(
        r#"(evaluated(?:_at|At)?(?:": "|":"|" value="| ))\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"#,
        "${1}[TIME]",
    );
    settings.add_filter(
        &format!(
            r"charter([/ ]){}\b",
            regex_escape(env!("CARGO_PKG_VERSION"))
        ),
        "charter${1}[VERSION]",
    );
}

/// [`provenance_filters`] on a copy of the current settings, bound until the guard drops.
pub fn redact_provenance() -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    provenance_filters(&mut settings);
    settings.bind_to_scope()
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// `text` with every `"evaluated_at"` value of JSON output replaced by `[TIME]`: for comparing
/// the output of two runs that read the clock.
pub fn untimed(text: &str) -> String {
    let re = regex::Regex::new(r#""evaluated_at": ?"[^"]*""#).expect("a valid pattern");
    re.replace_all(text, r#""evaluated_at":"[TIME]""#)
        .into_owned()
}
