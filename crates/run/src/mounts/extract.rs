//! Writing mounts into the task dir, and extracting tar and zip archives so that nothing is
//! ever written outside the mount directory (worker.md §9.2, §14).
//!
//! The archive crates are used only to read entries; every entry is written by [`Tree`],
//! which the crates' own `unpack` helpers could not replace: they accept symlinks to anywhere,
//! keep setuid bits and create device nodes. `Tree`'s rules:
//! - names are relative, without `..`; `.` and empty components are dropped;
//! - parent directories are created one component at a time and must be real directories:
//!   nothing is ever written through a symlink, even one the same archive made;
//! - a file replaces an earlier file or symlink of the same name (removed first, then created
//!   exclusively, so the new file is never a symlink's target); a directory is never replaced;
//! - a symlink's target must stay inside the mount directory when resolved from the link's
//!   place; it is stored lexically normalised (`a/../b` → `b`), so a `..` never follows a
//!   component that could itself be a symlink;
//! - a hard link must name a regular file extracted earlier, reached without symlinks;
//! - device nodes and FIFOs are skipped; setuid, setgid and sticky bits are dropped;
//! - the files' data, decompressed, may not add up to more than the mount's cap.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Cursor, Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::fetch::Fetched;
use super::size::Budget;
use super::size::TooLarge;
use super::spec::{ArchiveFormat, FileFormat, Mount};
use crate::outcome::{Reason, TaskError};

/// Why an entry, or a mount, could not be written.
#[derive(Debug, thiserror::Error)]
enum Problem {
    /// The archive or the payload asks for something unsafe or impossible.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The archive cannot be read: damaged, or not in the stated format.
    #[error(transparent)]
    Damaged(io::Error),
    /// The local file system failed (not the payload's fault).
    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A local file-system failure `action` (`cannot create`, …) on `path`.
fn io_problem(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Problem {
    let path = path.to_path_buf();
    move |source| Problem::Io {
        action,
        path,
        source,
    }
}

/// Why an entry or a mount is refused: what it asks for is unsafe or impossible.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error(transparent)]
    Name(#[from] NameProblem),
    #[error(
        "it goes through `{path}`, a symlink made by {earlier}; tc never writes through a symlink"
    )]
    ThroughSymlink { path: String, earlier: &'static str },
    #[error("it needs `{path}` to be a directory, but {earlier} made it a file")]
    NotADirectory { path: String, earlier: &'static str },
    #[error("the name is the mount directory itself, which can only be a directory")]
    MountDirectoryItself,
    #[error(
        "`{path}` is a directory already (made by {earlier}), and a directory is never replaced"
    )]
    IsADirectory { path: String, earlier: &'static str },
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
    #[error(transparent)]
    Symlink(#[from] LinkProblem),
    #[error("it is a hard link to `{target}`, which leaves the mount directory ({why})")]
    HardLinkLeaves { target: String, why: NameProblem },
    #[error("it is a hard link to `{target}`, {why}")]
    HardLinkNotExtracted { target: String, why: NotExtracted },
    #[error("it is a link without a target")]
    LinkWithoutTarget,
}

/// An archive name (or a mount path) that would leave the mount directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum NameProblem {
    #[error("the name is empty")]
    Empty,
    #[error("the name holds a NUL byte")]
    Nul,
    #[error("the name is absolute, which would leave the mount directory")]
    Absolute,
    #[error("the name has a `..` component, which would leave the mount directory")]
    Parent,
}

/// A symlink target that would leave the mount directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum LinkProblem {
    #[error("it is a symlink with an empty or unusable target")]
    Unusable,
    #[error("it is a symlink to the absolute path `{target}`, which leaves the mount directory")]
    Absolute { target: String },
    #[error("it is a symlink to `{target}`, which leaves the mount directory")]
    Leaves { target: String },
}

/// Why a hard link's target is not a file it may name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum NotExtracted {
    #[error("which is not a regular file extracted earlier")]
    NotEarlier,
    #[error("which is a symlink (its target would change meaning at a new place)")]
    Symlink,
    #[error("which goes through the symlink `{path}`")]
    ThroughSymlink { path: String },
}

/// Wraps `r` in the decompressor for `format`.
fn decoder<'a>(
    r: Box<dyn Read + 'a>,
    format: Option<FileFormat>,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match format {
        None => r,
        Some(FileFormat::Gz) => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Some(FileFormat::Bz2) => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        Some(FileFormat::Xz) => Box::new(liblzma::read::XzDecoder::new_multi_decoder(r)),
        Some(FileFormat::Zst) => Box::new(zstd::stream::read::Decoder::new(r)?),
        Some(FileFormat::Lz4) => Box::new(Lz4Frames(lz4_flex::frame::FrameDecoder::new(
            BufReader::new(r),
        ))),
    })
}

/// lz4_flex's decoder ends each frame with a zero-length read; the `lz4` tool reads on
/// through concatenated frames, and so does this.
struct Lz4Frames<R: Read>(lz4_flex::frame::FrameDecoder<BufReader<R>>);

impl<R: Read> Read for Lz4Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use io::BufRead as _;
        loop {
            let n = self.0.read(buf)?;
            if n > 0 || buf.is_empty() || self.0.get_mut().fill_buf()?.is_empty() {
                return Ok(n);
            }
        }
    }
}

/// Copies an entry's data, telling read errors (the archive) from write errors (the disk),
/// and stops when the mount's budget runs out. Returns the number of bytes copied.
fn copy(
    src: &mut dyn Read,
    dst: &mut File,
    path: &Path,
    budget: &mut Budget,
) -> Result<u64, Problem> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Problem::Damaged(e)),
        };
        budget.take(n as u64).map_err(Refusal::from)?;
        dst.write_all(&buf[..n])
            .map_err(io_problem("cannot write", path))?;
        total += n as u64;
    }
}

/// Splits an archive name into components: refuses absolute names and `..`, drops `.` and
/// empty components.
fn components(name: &[u8]) -> Result<Vec<&OsStr>, NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.contains(&0) {
        return Err(NameProblem::Nul);
    }
    if name.starts_with(b"/") {
        return Err(NameProblem::Absolute);
    }
    let mut parts = Vec::new();
    for part in name.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err(NameProblem::Parent),
            p => parts.push(OsStr::from_bytes(p)),
        }
    }
    Ok(parts)
}

fn show(parts: &[&OsStr]) -> String {
    let joined: Vec<_> = parts.iter().map(|p| p.to_string_lossy()).collect();
    joined.join("/")
}

/// A directory that entries are written into, and never outside of.
struct Tree {
    root: PathBuf,
    /// `an earlier entry` or `an earlier mount`, for messages.
    earlier: &'static str,
    /// Directory modes, applied at the end: a read-only directory would stop later entries.
    dir_modes: Vec<(PathBuf, u32)>,
    /// What the files may still take (`--max-mount-size`).
    budget: Budget,
}

impl Tree {
    fn new(root: &Path, earlier: &'static str, max_size: u64) -> Tree {
        Tree {
            root: root.to_owned(),
            earlier,
            dir_modes: Vec::new(),
            budget: Budget::new(max_size),
        }
    }

    /// The real directory `parts` under the root, created as needed, never through a symlink.
    fn dirs(&self, parts: &[&OsStr]) -> Result<PathBuf, Problem> {
        let mut path = self.root.clone();
        for (i, part) in parts.iter().enumerate() {
            path.push(part);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(Refusal::ThroughSymlink {
                        path: show(&parts[..=i]),
                        earlier: self.earlier,
                    }
                    .into());
                }
                Ok(_) => {
                    return Err(Refusal::NotADirectory {
                        path: show(&parts[..=i]),
                        earlier: self.earlier,
                    }
                    .into());
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&path).map_err(io_problem("cannot create", &path))?;
                }
                Err(e) => return Err(io_problem("cannot inspect", &path)(e)),
            }
        }
        Ok(path)
    }

    /// The parent directory of `parts` (created) and the full path of the last component,
    /// made free for a new file, symlink or hard link: an earlier file or symlink there is
    /// removed (a later entry wins, as with tar); a directory is never replaced.
    fn place(&self, parts: &[&OsStr]) -> Result<PathBuf, Problem> {
        let Some((last, parents)) = parts.split_last() else {
            return Err(Refusal::MountDirectoryItself.into());
        };
        let path = self.dirs(parents)?.join(last);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => Err(Refusal::IsADirectory {
                path: show(parts),
                earlier: self.earlier,
            }
            .into()),
            Ok(_) => fs::remove_file(&path)
                .map_err(io_problem("cannot replace", &path))
                .map(|()| path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(path),
            Err(e) => Err(io_problem("cannot inspect", &path)(e)),
        }
    }

    fn dir(&mut self, parts: &[&OsStr], mode: u32) -> Result<(), Problem> {
        let path = self.dirs(parts)?;
        if !parts.is_empty() {
            // Owner rwx stays, so later entries and the cleanup can get in.
            self.dir_modes.push((path, (mode & 0o777) | 0o700));
        }
        Ok(())
    }

    fn file(
        &mut self,
        parts: &[&OsStr],
        mode: u32,
        data: &mut dyn Read,
        size: Option<u64>,
        mtime: Option<SystemTime>,
    ) -> Result<(), Problem> {
        // A size the archive declares is refused before a byte is written.
        if let Some(size) = size {
            self.budget.fits(size).map_err(Refusal::from)?;
        }
        let path = self.place(parts)?;
        // `create_new` (O_EXCL) never follows a symlink, so the file is ours.
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(io_problem("cannot create", &path))?;
        let copied = copy(data, &mut file, &path, &mut self.budget)?;
        // A tar entry cut short reads as a short file: say so instead.
        if let Some(size) = size
            && copied < size
        {
            return Err(Problem::Damaged(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the archive ends {copied} bytes into this {size}-byte file"),
            )));
        }
        // No setuid, setgid or sticky bit.
        file.set_permissions(fs::Permissions::from_mode(mode & 0o777))
            .map_err(io_problem("cannot set the mode of", &path))?;
        if let Some(t) = mtime {
            // Best effort: a time the file system cannot store is not worth failing for.
            let _ = file.set_modified(t);
        }
        Ok(())
    }

    fn symlink(&mut self, parts: &[&OsStr], target: &[u8]) -> Result<(), Problem> {
        let target = safe_link_target(parts, target).map_err(Refusal::from)?;
        let path = self.place(parts)?;
        std::os::unix::fs::symlink(OsStr::from_bytes(&target), &path)
            .map_err(io_problem("cannot create the symlink", &path))
    }

    fn hard_link(&mut self, parts: &[&OsStr], target: &[u8]) -> Result<(), Problem> {
        let shown = || String::from_utf8_lossy(target).into_owned();
        let tparts = components(target).map_err(|why| Refusal::HardLinkLeaves {
            target: shown(),
            why,
        })?;
        let source = self
            .existing_file(&tparts)
            .map_err(|why| Refusal::HardLinkNotExtracted {
                target: shown(),
                why,
            })?;
        if tparts == parts {
            // A link to itself names the file that is there already.
            return Ok(());
        }
        let path = self.place(parts)?;
        fs::hard_link(&source, &path).map_err(io_problem("cannot create the hard link", &path))
    }

    /// The path of a regular file extracted earlier, reached without symlinks.
    fn existing_file(&self, parts: &[&OsStr]) -> Result<PathBuf, NotExtracted> {
        if parts.is_empty() {
            return Err(NotExtracted::NotEarlier);
        }
        let mut path = self.root.clone();
        for (i, part) in parts.iter().enumerate() {
            path.push(part);
            let meta = fs::symlink_metadata(&path).map_err(|_| NotExtracted::NotEarlier)?;
            let last = i + 1 == parts.len();
            if meta.file_type().is_symlink() {
                return Err(if last {
                    NotExtracted::Symlink
                } else {
                    NotExtracted::ThroughSymlink {
                        path: show(&parts[..=i]),
                    }
                });
            }
            let fits = if last { meta.is_file() } else { meta.is_dir() };
            if !fits {
                return Err(NotExtracted::NotEarlier);
            }
        }
        Ok(path)
    }

    /// Applies the directory modes, deepest first.
    fn finish(mut self) -> Result<(), Problem> {
        self.dir_modes
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
        for (path, mode) in &self.dir_modes {
            // chmod follows symlinks: only touch what is still a real directory.
            match fs::symlink_metadata(path) {
                Ok(m) if m.is_dir() => {}
                _ => continue,
            }
            fs::set_permissions(path, fs::Permissions::from_mode(*mode))
                .map_err(io_problem("cannot set the mode of", path))?;
        }
        Ok(())
    }
}

/// Checks a symlink target from the link's place (`parts`) and returns it lexically
/// normalised: `../` steps first, then names. Absolute targets and targets that climb above
/// the mount directory are refused.
fn safe_link_target(parts: &[&OsStr], target: &[u8]) -> Result<Vec<u8>, LinkProblem> {
    let shown = || String::from_utf8_lossy(target).into_owned();
    if target.is_empty() || target.contains(&0) {
        return Err(LinkProblem::Unusable);
    }
    if target.starts_with(b"/") {
        return Err(LinkProblem::Absolute { target: shown() });
    }
    let parent: Vec<&[u8]> = parts[..parts.len().saturating_sub(1)]
        .iter()
        .map(|p| p.as_bytes())
        .collect();
    let mut resolved = parent.clone();
    for part in target.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if resolved.pop().is_none() {
                    return Err(LinkProblem::Leaves { target: shown() });
                }
            }
            p => resolved.push(p),
        }
    }
    let common = parent
        .iter()
        .zip(&resolved)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out: Vec<&[u8]> = vec![b".."; parent.len() - common];
    out.extend(&resolved[common..]);
    if out.is_empty() {
        return Ok(b".".to_vec());
    }
    Ok(out.join(&b'/'))
}

/// Where an entry failed, for the message.
fn entry_error(p: Problem, archive: &str, entry: &str) -> TaskError {
    match p {
        Problem::Refused(why) => {
            TaskError::malformed(format!("refused entry `{entry}` of the {archive}: {why}"))
        }
        Problem::Damaged(e) => TaskError::malformed(format!(
            "cannot read the {archive} at entry `{entry}`: {e} (is the archive damaged, or is `format` wrong?)"
        )),
        io @ Problem::Io { .. } => TaskError::caused(Reason::InternalError, &io),
    }
}

fn archive_error(p: Problem, archive: &str) -> TaskError {
    match p {
        Problem::Damaged(e) => TaskError::malformed(format!(
            "cannot read the {archive}: {e} (is the archive damaged, or is `format` wrong?)"
        )),
        other => entry_error(other, archive, "?"),
    }
}

/// Extracts the archive file `archive` of `format` into `dest` (created if missing), writing
/// at most `max_size` bytes of file data. A refused entry, a damaged archive or one that
/// expands past `max_size` → malformed-payload naming the entry; a local file-system failure
/// → internal-error. Entries written before a failure stay: the caller discards the directory.
pub fn extract(
    archive: &Path,
    format: ArchiveFormat,
    dest: &Path,
    max_size: u64,
) -> Result<(), TaskError> {
    let file = File::open(archive).map_err(|e| {
        TaskError::internal(format!(
            "cannot open the archive {}: {e}",
            archive.display()
        ))
    })?;
    fs::create_dir_all(dest)
        .map_err(|e| TaskError::internal(format!("cannot create {}: {e}", dest.display())))?;
    extract_from(
        BufReader::with_capacity(64 * 1024, file),
        format,
        dest,
        max_size,
    )
}

fn extract_from<R: Read + Seek>(
    reader: R,
    format: ArchiveFormat,
    dest: &Path,
    max_size: u64,
) -> Result<(), TaskError> {
    let what = format!("{format} archive");
    let mut tree = Tree::new(dest, "an earlier entry", max_size);
    match format {
        ArchiveFormat::Zip => extract_zip(reader, &mut tree, &what)?,
        tar => extract_tar(Box::new(reader), tar.compression(), &mut tree, &what)?,
    }
    tree.finish().map_err(|p| archive_error(p, &what))
}

fn extract_tar(
    reader: Box<dyn Read + '_>,
    compression: Option<FileFormat>,
    tree: &mut Tree,
    what: &str,
) -> Result<(), TaskError> {
    let stream =
        decoder(reader, compression).map_err(|e| archive_error(Problem::Damaged(e), what))?;
    let mut archive = tar::Archive::new(stream);
    let entries = archive
        .entries()
        .map_err(|e| archive_error(Problem::Damaged(e), what))?;
    let mut previous: Option<String> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| {
            let place = match &previous {
                Some(p) => format!(" after entry `{p}`"),
                None => String::new(),
            };
            TaskError::malformed(format!(
                "cannot read the {what}{place}: {e} (is the archive damaged, or is `format` wrong?)"
            ))
        })?;
        let name = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&name).into_owned();
        tar_entry(&mut entry, &name, tree).map_err(|p| entry_error(p, what, &shown))?;
        previous = Some(shown);
    }
    Ok(())
}

fn tar_entry<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    name: &[u8],
    tree: &mut Tree,
) -> Result<(), Problem> {
    use tar::EntryType as T;
    let header = entry.header();
    let kind = header.entry_type();
    let mode = header.mode().map_err(Problem::Damaged)?;
    let mtime = header
        .mtime()
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
    let link = entry.link_name_bytes().map(std::borrow::Cow::into_owned);
    // Devices and FIFOs are skipped; pax global headers and other metadata entries carry no
    // file.
    let makes_something = matches!(
        kind,
        T::Regular | T::Continuous | T::GNUSparse | T::Directory | T::Symlink | T::Link
    );
    if !makes_something {
        return Ok(());
    }
    let parts = components(name).map_err(Refusal::from)?;
    match kind {
        T::Directory => tree.dir(&parts, mode),
        // Old (v7) archives mark directories by a trailing slash only.
        T::Regular if name.ends_with(b"/") => tree.dir(&parts, mode),
        T::Symlink | T::Link => {
            let Some(target) = link else {
                return Err(Refusal::LinkWithoutTarget.into());
            };
            if kind == T::Symlink {
                tree.symlink(&parts, &target)
            } else {
                tree.hard_link(&parts, &target)
            }
        }
        _ => {
            let size = entry.size();
            tree.file(&parts, mode, entry, Some(size), mtime)
        }
    }
}

const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;

fn extract_zip<R: Read + Seek>(reader: R, tree: &mut Tree, what: &str) -> Result<(), TaskError> {
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| archive_error(Problem::Damaged(io::Error::other(e)), what))?;
    for i in 0..zip.len() {
        let shown = zip.name_for_index(i).unwrap_or("?").to_owned();
        let mut file = zip
            .by_index(i)
            .map_err(|e| entry_error(Problem::Damaged(io::Error::other(e)), what, &shown))?;
        zip_entry(&mut file, tree).map_err(|p| entry_error(p, what, &shown))?;
    }
    Ok(())
}

fn zip_entry(file: &mut zip::read::ZipFile<'_, impl Read>, tree: &mut Tree) -> Result<(), Problem> {
    // Zip names use `/`; a backslash comes from a Windows tool and means the same.
    let name = file.name().replace('\\', "/");
    let mode = file.unix_mode();
    let kind = mode.map(|m| m & S_IFMT);
    let is_dir = name.ends_with('/') || kind == Some(S_IFDIR);
    let parts = components(name.as_bytes()).map_err(Refusal::from)?;
    match kind {
        Some(S_IFLNK) => {
            let mut target = Vec::new();
            file.take(4096)
                .read_to_end(&mut target)
                .map_err(Problem::Damaged)?;
            tree.symlink(&parts, &target)
        }
        // Device nodes, FIFOs and sockets carry no file.
        Some(k) if k != 0 && k != S_IFDIR && k != S_IFREG => Ok(()),
        _ if is_dir => tree.dir(&parts, mode.unwrap_or(0o755)),
        // The zip crate checks sizes and CRCs itself.
        _ => tree.file(&parts, mode.unwrap_or(0o644), file, None, None),
    }
}

/// Extracts fetched archive content into `dest` (a directory mount, or a new cache instance),
/// writing at most `max_size` bytes of file data.
pub fn extract_fetched(
    fetched: &Fetched,
    format: ArchiveFormat,
    dest: &Path,
    max_size: u64,
) -> Result<(), TaskError> {
    match fetched {
        Fetched::Bytes(bytes) => extract_from(Cursor::new(bytes), format, dest, max_size),
        other => {
            let file = other.path().map(File::open).transpose().map_err(|e| {
                TaskError::internal(format!("cannot open the downloaded archive: {e}"))
            })?;
            match file {
                Some(f) => extract_from(
                    BufReader::with_capacity(64 * 1024, f),
                    format,
                    dest,
                    max_size,
                ),
                None => Err(TaskError::internal("downloaded content has no file")),
            }
        }
    }
}

/// Writes a file mount or extracts a directory mount into `task_dir`. Mount paths were checked
/// by `parse`; parents are created inside `task_dir` and never through a symlink. A directory
/// mount extracts into `<task_dir>/<directory>`, which is created, or reused when an earlier
/// mount made it. Cache mounts are the cache module's: it preloads a new instance with
/// [`extract`]. A mount writes at most `max_size` bytes of file data (decompressed).
pub fn apply(
    mount: &Mount,
    fetched: &Fetched,
    task_dir: &Path,
    max_size: u64,
) -> Result<(), TaskError> {
    let path = mount.path();
    let parts = components(path.as_bytes())
        .map_err(|why| TaskError::malformed(format!("mount `{path}`: {why}")))?;
    let mut tree = Tree::new(task_dir, "an earlier mount", max_size);
    let mount_error = |p: Problem| match p {
        Problem::Refused(why) => {
            TaskError::malformed(format!("{} mount `{path}`: {why}", mount.kind()))
        }
        Problem::Damaged(e) => TaskError::malformed(format!(
            "{} mount `{path}`: cannot read the content: {e}",
            mount.kind()
        )),
        io @ Problem::Io { .. } => TaskError::caused(Reason::InternalError, &io),
    };
    match mount {
        Mount::File { format, .. } => {
            let target = tree.place(&parts).map_err(mount_error)?;
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(&target)
                .map_err(|e| {
                    TaskError::internal(format!("cannot create {}: {e}", target.display()))
                })?;
            let source = fetched.reader().map_err(|e| {
                TaskError::internal(format!("cannot read the downloaded content: {e}"))
            })?;
            let mut data =
                decoder(source, *format).map_err(|e| mount_error(Problem::Damaged(e)))?;
            copy(&mut data, &mut file, &target, &mut tree.budget).map(drop).map_err(|p| match (p, format) {
                (Problem::Damaged(e), Some(f)) => TaskError::malformed(format!(
                    "file mount `{path}`: the content is not valid {f} data ({e}); check `format`"
                )),
                (p, _) => mount_error(p),
            })
        }
        Mount::Directory { format, .. } => {
            let dest = tree.dirs(&parts).map_err(mount_error)?;
            extract_fetched(fetched, *format, &dest, max_size).map_err(|e| TaskError {
                message: format!("directory mount `{path}`: {}", e.message),
                ..e
            })
        }
        Mount::Cache { .. } => Err(TaskError::internal(format!(
            "cache mount `{path}` is applied by the cache module, not by mounts::apply"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(name: &str) -> Vec<&OsStr> {
        components(name.as_bytes()).unwrap()
    }

    fn target(link: &str, to: &str) -> Result<String, LinkProblem> {
        safe_link_target(&parts(link), to.as_bytes()).map(|t| String::from_utf8(t).unwrap())
    }

    #[test]
    fn names_are_relative_without_parent_components() {
        assert_eq!(parts("./a//b/./c/"), ["a", "b", "c"]);
        assert!(parts("./").is_empty());
        for bad in ["/etc/passwd", "../x", "a/../../x", "a/..", ""] {
            assert!(components(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(components(b"a\0b").is_err());
        // Not valid UTF-8 is still a fine Unix name.
        assert_eq!(components(b"caf\xe9").unwrap().len(), 1);
    }

    #[test]
    fn symlink_targets_stay_inside_and_are_normalised() {
        assert_eq!(target("link", "hello.txt").unwrap(), "hello.txt");
        assert_eq!(target("bin/up", "../hello.txt").unwrap(), "../hello.txt");
        assert_eq!(target("a/b/s", "../..").unwrap(), "../..");
        assert_eq!(target("a/b/s", "../../a/b").unwrap(), ".");
        assert_eq!(target("a/b/s", "./c/../d/").unwrap(), "d");
        // `s/..` is taken lexically and stored so: the kernel never resolves `..` after a
        // component that might be a symlink.
        assert_eq!(target("l", "a/b/s/../x").unwrap(), "a/b/x");
        assert_eq!(
            target("a/l", "../../a/x").unwrap_err().to_string(),
            "it is a symlink to `../../a/x`, which leaves the mount directory"
        );
        for bad in ["/etc", "..", "../x", "a/../../x", ""] {
            assert!(target("link", bad).is_err(), "{bad}");
        }
    }
}
