//! Artifacts (worker.md §8): what the payload asks for, the local artifacts directory that
//! receives them (never written outside), and the records that end up in the manifest.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::mask::Masker;
use crate::error::chain;

/// The manifest's file name in the artifacts directory.
pub const MANIFEST: &str = "tc-manifest.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
}

/// One artifact the payload asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactSpec {
    pub name: String,
    pub kind: Kind,
    /// Relative to the task dir (generic-worker) or absolute in the container (docker-worker).
    pub path: String,
    pub expires: String,
    pub content_type: Option<String>,
    pub optional: bool,
}

/// One manifest entry (§8.5).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
}

impl Record {
    fn blank(name: &str, kind: &'static str) -> Record {
        Record {
            name: name.to_owned(),
            kind,
            size: None,
            sha256: None,
            content_type: None,
            expires: None,
            target: None,
            reason: None,
            message: None,
            optional: None,
        }
    }

    pub fn file(
        name: &str,
        size: u64,
        sha256: String,
        content_type: String,
        expires: &str,
    ) -> Record {
        Record {
            size: Some(size),
            sha256: Some(sha256),
            content_type: Some(content_type),
            expires: Some(expires.to_owned()),
            ..Record::blank(name, "file")
        }
    }

    pub fn link(name: &str, target: &str) -> Record {
        Record {
            target: Some(target.to_owned()),
            ..Record::blank(name, "link")
        }
    }

    /// An error artifact: `file-missing-on-worker` or `invalid-resource-on-worker`.
    pub fn error(name: &str, reason: &str, message: impl Into<String>, optional: bool) -> Record {
        Record {
            reason: Some(reason.to_owned()),
            message: Some(message.into()),
            optional: Some(optional),
            ..Record::blank(name, "error")
        }
    }

    /// The record with every secret value in its text replaced by `***`.
    #[must_use]
    pub fn masked(self, masker: &super::mask::Masker) -> Record {
        let mask = |s: Option<String>| s.map(|s| masker.mask_str(&s));
        Record {
            name: masker.mask_str(&self.name),
            target: mask(self.target),
            reason: mask(self.reason),
            message: mask(self.message),
            ..self
        }
    }

    pub fn is_error(&self) -> bool {
        self.kind == "error"
    }
}

pub const MISSING: &str = "file-missing-on-worker";
pub const INVALID: &str = "invalid-resource-on-worker";

/// Why an artifact name is refused (§8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum NameError {
    #[error("the name is empty")]
    #[diagnostic(code(tc::run::artifact::name))]
    Empty,
    #[error("the name is absolute, so it escapes the artifacts directory")]
    #[diagnostic(code(tc::run::artifact::name))]
    Absolute,
    #[error("the name holds a NUL or a backslash")]
    #[diagnostic(code(tc::run::artifact::name))]
    NulOrBackslash,
    #[error("the name has an empty path component")]
    #[diagnostic(code(tc::run::artifact::name))]
    EmptyComponent,
    #[error("the name has a `.` component")]
    #[diagnostic(code(tc::run::artifact::name))]
    DotComponent,
    #[error("the name escapes the artifacts directory (`..`)")]
    #[diagnostic(code(tc::run::artifact::name))]
    ParentComponent,
    #[error("`{MANIFEST}` is the name of tc's manifest")]
    #[diagnostic(code(tc::run::artifact::name))]
    Manifest,
}

/// Checks an artifact name (§8.2): relative, `/`-separated, no `.`, `..` or empty parts, no NUL
/// or backslash, and not the manifest's name.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.starts_with('/') {
        return Err(NameError::Absolute);
    }
    if name.contains('\0') || name.contains('\\') {
        return Err(NameError::NulOrBackslash);
    }
    for part in name.split('/') {
        match part {
            "" => return Err(NameError::EmptyComponent),
            "." => return Err(NameError::DotComponent),
            ".." => return Err(NameError::ParentComponent),
            _ => {}
        }
    }
    if name == MANIFEST {
        return Err(NameError::Manifest);
    }
    Ok(())
}

/// Why the artifacts directory `<A>` cannot be used: the user's to fix (another
/// `--artifacts-dir`), so exit 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ArtifactsDirError {
    #[error("cannot create the artifacts directory {}", path.display())]
    #[diagnostic(code(tc::run::artifacts_dir::create))]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot use the artifacts directory {}", path.display())]
    #[diagnostic(code(tc::run::artifacts_dir::inspect))]
    Inspect {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("the artifacts directory {} exists and is not a directory", path.display())]
    #[diagnostic(code(tc::run::artifacts_dir::not_a_directory))]
    NotADirectory { path: PathBuf },

    #[error("cannot read the artifacts directory {}", path.display())]
    #[diagnostic(code(tc::run::artifacts_dir::read))]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "the artifacts directory {} is not empty and holds no {MANIFEST} from an earlier run: \
         choose another with --artifacts-dir, or empty it",
        path.display()
    )]
    #[diagnostic(code(tc::run::artifacts_dir::not_ours))]
    NotOurs { path: PathBuf },

    #[error("cannot empty {}", path.display())]
    #[diagnostic(code(tc::run::artifacts_dir::empty))]
    Empty {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Why one artifact file was not stored in `<A>`: its manifest entry says so.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StoreError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Name(#[from] NameError),

    #[error("`{name}` collides with the task log")]
    #[diagnostic(code(tc::run::artifact::collides))]
    CollidesWithLog { name: String },

    #[error("`{name}` collides with a stored artifact")]
    #[diagnostic(code(tc::run::artifact::collides))]
    Collides { name: String },

    #[error("cannot create {}", path.display())]
    #[diagnostic(code(tc::run::artifact::io))]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot use {}", path.display())]
    #[diagnostic(code(tc::run::artifact::io))]
    Inspect {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot write {}", path.display())]
    #[diagnostic(code(tc::run::artifact::io))]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The artifact's own content could not be read (the task's file, the container's tar).
    #[error("cannot read the artifact {name}")]
    #[diagnostic(code(tc::run::artifact::read))]
    ReadArtifact {
        name: String,
        #[source]
        source: io::Error,
    },

    #[error("cannot read {}", path.display())]
    #[diagnostic(code(tc::run::artifact::read))]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Why the manifest could not be written (a warning: the run's outcome stands).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ManifestError {
    #[error(transparent)]
    #[diagnostic(code(tc::run::manifest::json))]
    Json(#[from] serde_json::Error),

    #[error("cannot write {}", path.display())]
    #[diagnostic(code(tc::run::manifest::write))]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot write the manifest")]
    #[diagnostic(code(tc::run::manifest::write))]
    Rename {
        #[source]
        source: io::Error,
    },
}

/// Content types by extension; `--script` renders the same table as a shell `case`.
pub const CONTENT_TYPES: &[(&[&str], &str)] = &[
    (&["txt", "log"], "text/plain; charset=utf-8"),
    (&["json"], "application/json"),
    (&["html", "htm"], "text/html; charset=utf-8"),
    (&["xml"], "application/xml"),
    (&["css"], "text/css"),
    (&["js"], "application/javascript"),
    (&["gz", "tgz"], "application/gzip"),
    (&["bz2"], "application/x-bzip2"),
    (&["xz"], "application/x-xz"),
    (&["zst"], "application/zstd"),
    (&["tar"], "application/x-tar"),
    (&["zip"], "application/zip"),
    (&["png"], "image/png"),
    (&["jpg", "jpeg"], "image/jpeg"),
    (&["svg"], "image/svg+xml"),
    (&["pdf"], "application/pdf"),
    (&["wasm"], "application/wasm"),
];

/// For any other extension.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The content type from a file name's extension.
pub fn content_type_for(name: &str) -> String {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    CONTENT_TYPES
        .iter()
        .find(|(exts, _)| exts.contains(&ext.as_str()))
        .map_or(DEFAULT_CONTENT_TYPE, |(_, ct)| ct)
        .to_owned()
}

/// The local artifacts directory `<A>`. Files are created exclusively, parents one by one,
/// and no symlink is ever followed or created inside it.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
    /// Names no artifact may take (the live log's link).
    reserved: Vec<String>,
    /// The first write failure that is the machine's fault (disk full, not writable), not the
    /// artifact's: the run becomes an internal error (worker.md §11 row 13).
    io_failure: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    /// Masks secret values out of the names files are stored under: the manifest names them
    /// masked, so the files must be there under those names (and no file name keeps a secret).
    names: Masker,
    /// Stored names that the mask changed, each once: the run warns about them.
    masked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl LocalDir {
    /// Creates `<A>`, or empties one that holds an earlier run's manifest. Anything else in
    /// an existing directory is the user's: refuse rather than overwrite.
    pub fn prepare(root: &Path) -> Result<LocalDir, ArtifactsDirError> {
        let path = || root.to_path_buf();
        match fs::symlink_metadata(root) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(root).map_err(|source| ArtifactsDirError::Create {
                    path: path(),
                    source,
                })?;
            }
            Err(source) => {
                return Err(ArtifactsDirError::Inspect {
                    path: path(),
                    source,
                });
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(ArtifactsDirError::NotADirectory { path: path() });
            }
            Ok(_) => empty_earlier_run(root)?,
        }
        Ok(LocalDir {
            root: root.to_path_buf(),
            reserved: Vec::new(),
            io_failure: std::sync::Arc::default(),
            names: Masker::default(),
            masked: std::sync::Arc::default(),
        })
    }

    /// Stores files under names with every secret value masked as `***`.
    pub fn mask_names(&mut self, masker: Masker) {
        self.names = masker;
        self.masked = std::sync::Arc::default();
    }

    /// The masked names of the files whose own names held a secret value.
    pub fn masked_names(&self) -> Vec<String> {
        self.masked.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The name `name` is stored under; a name the mask changes is noted.
    fn stored_name(&self, name: &str) -> String {
        let stored = self.names.mask_str(name);
        if stored != name
            && let Ok(mut masked) = self.masked.lock()
            && !masked.contains(&stored)
        {
            masked.push(stored.clone());
        }
        stored
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a checked name lands, with its parents created (never through a symlink).
    fn destination(&self, name: &str) -> Result<PathBuf, StoreError> {
        check_name(name)?;
        let mut dir = self.root.clone();
        let parts: Vec<&str> = name.split('/').collect();
        let (last, parents) = parts.split_last().unwrap_or((&name, &[]));
        for part in parents {
            dir.push(part);
            match fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(StoreError::Collides {
                        name: name.to_owned(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&dir).map_err(|source| {
                        self.failed(StoreError::Create {
                            path: dir.clone(),
                            source,
                        })
                    })?;
                }
                Err(source) => return Err(self.failed(StoreError::Inspect { path: dir, source })),
            }
        }
        Ok(dir.join(last))
    }

    /// Notes a failure of the machine (not of the artifact) and passes it on.
    fn failed<E: std::error::Error>(&self, error: E) -> E {
        self.fail(&error);
        error
    }

    /// Records a failure of the machine's (not the task's) while storing artifacts: a run that
    /// would complete becomes an internal error. Returns the failure as one line of text.
    pub fn fail(&self, error: &dyn std::error::Error) -> String {
        let message = chain(error);
        if let Ok(mut first) = self.io_failure.lock() {
            first.get_or_insert_with(|| message.clone());
        }
        message
    }

    /// The first write failure that was the machine's fault, if any.
    pub fn io_failure(&self) -> Option<String> {
        self.io_failure.lock().ok().and_then(|f| f.clone())
    }

    /// Keeps `name` from any artifact (it names the live log's link).
    pub fn reserve(&mut self, name: &str) {
        self.reserved.push(name.to_owned());
    }

    /// Creates `<A>/<name>` exclusively, parents included, never through a symlink; a secret
    /// value in `name` is masked.
    pub fn create(&self, name: &str) -> Result<File, StoreError> {
        let name = &self.stored_name(name);
        if self.reserved.iter().any(|r| r == name) {
            return Err(StoreError::CollidesWithLog {
                name: name.to_owned(),
            });
        }
        let dest = self.destination(name)?;
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&dest)
            .map_err(|source| match source.kind() {
                io::ErrorKind::AlreadyExists => StoreError::Collides {
                    name: name.to_owned(),
                },
                _ => self.failed(StoreError::Create { path: dest, source }),
            })
    }

    /// Copies `reader` to `<A>/<name>` (masked as in `create`); returns its size and sha256.
    pub fn store(&self, name: &str, reader: &mut dyn Read) -> Result<(u64, String), StoreError> {
        let dest = self.root.join(self.names.mask_str(name));
        let mut file = self.create(name)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|source| StoreError::ReadArtifact {
                    name: name.to_owned(),
                    source,
                })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n]).map_err(|source| {
                self.failed(StoreError::Write {
                    path: dest.clone(),
                    source,
                })
            })?;
            size += n as u64;
        }
        Ok((size, hex::encode(hasher.finalize())))
    }

    /// Writes the manifest atomically (temporary file, then rename).
    pub fn write_manifest(&self, manifest: &serde_json::Value) -> Result<(), ManifestError> {
        let tmp = self.root.join(format!(".{MANIFEST}.tmp"));
        let text = serde_json::to_string_pretty(manifest)?;
        let write = |source| ManifestError::Write {
            path: tmp.clone(),
            source,
        };
        let mut f = File::create(&tmp).map_err(write)?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.write_all(b"\n"))
            .and_then(|()| f.sync_all())
            .map_err(write)?;
        fs::rename(&tmp, self.root.join(MANIFEST))
            .map_err(|source| ManifestError::Rename { source })
    }
}

/// An existing `<A>`: emptied when it holds an earlier run's manifest, refused when it holds
/// anything else (the user's files are never overwritten).
fn empty_earlier_run(root: &Path) -> Result<(), ArtifactsDirError> {
    let entries: Vec<_> = fs::read_dir(root)
        .map_err(|source| ArtifactsDirError::Read {
            path: root.to_path_buf(),
            source,
        })?
        .filter_map(Result::ok)
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    if !root.join(MANIFEST).is_file() {
        return Err(ArtifactsDirError::NotOurs {
            path: root.to_path_buf(),
        });
    }
    for entry in entries {
        let path = entry.path();
        let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(|source| ArtifactsDirError::Empty { path, source })?;
    }
    Ok(())
}

/// Copies a native artifact out of the task dir into `sink`, refusing anything that lies
/// outside the task dir once symlinks are resolved (§8.2).
pub fn copy_native(spec: &ArtifactSpec, task_dir: &Path, sink: &LocalDir) -> Vec<Record> {
    let error =
        |name: &str, reason: &str, msg: String| Record::error(name, reason, msg, spec.optional);
    if let Err(why) = check_name(&spec.name) {
        return vec![error(&spec.name, INVALID, why.to_string())];
    }
    let Ok(root) = task_dir.canonicalize() else {
        return vec![error(
            &spec.name,
            MISSING,
            "the task directory is gone".into(),
        )];
    };
    let wanted = root.join(&spec.path);
    let real = match wanted.canonicalize() {
        Ok(p) => p,
        Err(_) if fs::symlink_metadata(&wanted).is_ok() => {
            return vec![error(
                &spec.name,
                INVALID,
                format!("{} is a dangling symlink", spec.path),
            )];
        }
        Err(_) => {
            return vec![error(
                &spec.name,
                MISSING,
                format!("{} does not exist in the task directory", spec.path),
            )];
        }
    };
    if !real.starts_with(&root) {
        return vec![error(
            &spec.name,
            INVALID,
            format!("{} resolves outside the task directory", spec.path),
        )];
    }
    match spec.kind {
        Kind::File => {
            if !real.is_file() {
                return vec![error(
                    &spec.name,
                    INVALID,
                    format!("{} is not a regular file", spec.path),
                )];
            }
            vec![copy_one(&real, &spec.name, spec, sink)]
        }
        Kind::Directory => {
            if !real.is_dir() {
                return vec![error(
                    &spec.name,
                    INVALID,
                    format!("{} is not a directory", spec.path),
                )];
            }
            let mut records = Vec::new();
            walk(&real, &root, "", spec, sink, &mut records);
            records
        }
    }
}

fn copy_one(real: &Path, name: &str, spec: &ArtifactSpec, sink: &LocalDir) -> Record {
    let stored = File::open(real)
        .map_err(|source| StoreError::Open {
            path: real.to_path_buf(),
            source,
        })
        .and_then(|mut f| sink.store(name, &mut f));
    stored_record(name, spec, stored)
}

/// The manifest entry for one file stored (or not) under `name`.
pub fn stored_record<E: std::error::Error>(
    name: &str,
    spec: &ArtifactSpec,
    stored: Result<(u64, String), E>,
) -> Record {
    match stored {
        Ok((size, sha)) => {
            let ct = spec
                .content_type
                .clone()
                .unwrap_or_else(|| content_type_for(name));
            Record::file(name, size, sha, ct, &spec.expires)
        }
        Err(why) => Record::error(name, INVALID, chain(&why), spec.optional),
    }
}

fn walk(
    dir: &Path,
    root: &Path,
    rel: &str,
    spec: &ArtifactSpec,
    sink: &LocalDir,
    out: &mut Vec<Record>,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let rel_child = if rel.is_empty() {
            file_name
        } else {
            format!("{rel}/{file_name}")
        };
        let name = format!("{}/{rel_child}", spec.name);
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, root, &rel_child, spec, sink, out);
        } else if meta.file_type().is_symlink() {
            match path.canonicalize() {
                Ok(real) if !real.starts_with(root) => out.push(Record::error(
                    &name,
                    INVALID,
                    "symlink target outside the task directory",
                    spec.optional,
                )),
                Ok(real) if real.is_file() => out.push(copy_one(&real, &name, spec, sink)),
                // Directory walks do not follow directory symlinks.
                Ok(_) => {}
                Err(_) => out.push(Record::error(
                    &name,
                    INVALID,
                    "dangling symlink",
                    spec.optional,
                )),
            }
        } else if meta.is_file() {
            out.push(copy_one(&path, &name, spec, sink));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_or_confuse_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "a/../../x",
            "..",
            "a//b",
            "./a",
            "a/./b",
            "a\\b",
            "a\0b",
            MANIFEST,
            "a/",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in [
            "public/build/app.tar.gz",
            "a",
            "public/logs/live_backing.log",
            "x/tc-manifest.json",
        ] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_non_empty_directory_of_someone_else_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("precious.txt"), "mine").unwrap();
        assert!(
            LocalDir::prepare(dir.path())
                .unwrap_err()
                .to_string()
                .contains("not empty")
        );
        assert!(dir.path().join("precious.txt").exists());
        fs::write(dir.path().join(MANIFEST), "{}").unwrap();
        LocalDir::prepare(dir.path()).unwrap();
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "an earlier run's directory is emptied"
        );
    }

    #[test]
    fn store_never_overwrites_or_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let sink = LocalDir::prepare(&dir.path().join("a")).unwrap();
        sink.store("public/x.txt", &mut "one".as_bytes()).unwrap();
        assert!(sink.store("public/x.txt", &mut "two".as_bytes()).is_err());
        assert!(sink.store("public/x.txt/y", &mut "two".as_bytes()).is_err());
        std::os::unix::fs::symlink(outside.path(), dir.path().join("a/link")).unwrap();
        assert!(sink.store("link/evil.txt", &mut "x".as_bytes()).is_err());
        std::os::unix::fs::symlink(outside.path().join("f"), dir.path().join("a/flink")).unwrap();
        assert!(sink.store("flink", &mut "x".as_bytes()).is_err());
        assert_eq!(
            fs::read_dir(outside.path()).unwrap().count(),
            0,
            "nothing written outside"
        );
    }

    #[test]
    fn native_copy_refuses_escapes_and_reports_missing() {
        let task = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let secret = tempfile::NamedTempFile::new().unwrap();
        fs::create_dir_all(task.path().join("dist/sub")).unwrap();
        fs::write(task.path().join("dist/a.txt"), "aaa").unwrap();
        fs::write(task.path().join("dist/sub/b.bin"), "b").unwrap();
        std::os::unix::fs::symlink(secret.path(), task.path().join("dist/leak")).unwrap();
        std::os::unix::fs::symlink(secret.path(), task.path().join("leak.txt")).unwrap();
        let sink = LocalDir::prepare(&out.path().join("A")).unwrap();
        let spec = |name: &str, kind, path: &str| ArtifactSpec {
            name: name.into(),
            kind,
            path: path.into(),
            expires: "2030-01-01T00:00:00.000Z".into(),
            content_type: None,
            optional: false,
        };
        let recs = copy_native(
            &spec("public/dist", Kind::Directory, "dist"),
            task.path(),
            &sink,
        );
        let names: Vec<(&str, &str)> = recs.iter().map(|r| (r.name.as_str(), r.kind)).collect();
        assert_eq!(
            names,
            [
                ("public/dist/a.txt", "file"),
                ("public/dist/leak", "error"),
                ("public/dist/sub/b.bin", "file")
            ]
        );
        assert_eq!(recs[0].size, Some(3));
        assert_eq!(
            recs[0].content_type.as_deref(),
            Some("text/plain; charset=utf-8")
        );
        let leak = copy_native(
            &spec("public/leak.txt", Kind::File, "leak.txt"),
            task.path(),
            &sink,
        );
        assert_eq!(leak[0].reason.as_deref(), Some(INVALID));
        let up = copy_native(&spec("public/up", Kind::File, "../x"), task.path(), &sink);
        assert!(up[0].is_error());
        let missing = copy_native(
            &spec("public/none.txt", Kind::File, "none.txt"),
            task.path(),
            &sink,
        );
        assert_eq!(missing[0].reason.as_deref(), Some(MISSING));
        let evil = copy_native(
            &spec("../evil", Kind::File, "dist/a.txt"),
            task.path(),
            &sink,
        );
        assert_eq!(evil[0].reason.as_deref(), Some(INVALID));
        assert!(!out.path().join("evil").exists());
    }
}
