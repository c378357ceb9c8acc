//! Loading image tarballs (worker.md §4.4, §4.5): the file is read once, hashed as it is read,
//! decompressed by its magic bytes (zstd, lz4 frame, gzip, else plain tar) and streamed into
//! the daemon's load endpoint. `<C>/images/index.json` remembers (daemon, sha256 of the file)
//! → image ID, and which file had which sha256, so a tarball is loaded once per daemon.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bollard::query_parameters::ImportImageOptions;
use bytes::Bytes;
use futures_util::StreamExt;
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::images::{ResolvedImage, Resolver};
use crate::error::chain;
use crate::outcome::TaskError;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    /// `<daemon ID>/<sha256>` → what loading it gave.
    #[serde(default)]
    images: std::collections::BTreeMap<String, Loaded>,
    /// Canonical path → the file as last hashed.
    #[serde(default)]
    files: std::collections::BTreeMap<String, Hashed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Loaded {
    image_id: String,
    reference: String,
    #[serde(rename = "loadedAt")]
    at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hashed {
    size: u64,
    mtime_ns: i128,
    inode: u64,
    sha256: String,
}

fn hashed_key(meta: &fs::Metadata) -> (u64, i128, u64) {
    (
        meta.len(),
        i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        meta.ino(),
    )
}

/// The index, held under an exclusive lock until dropped.
struct Locked {
    path: PathBuf,
    index: Index,
    _lock: Flock<File>,
}

fn open_index(dir: &Path) -> io::Result<Locked> {
    fs::create_dir_all(dir)?;
    let lock_file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("index.lock"))?;
    let lock =
        Flock::lock(lock_file, FlockArg::LockExclusive).map_err(|(_, e)| io::Error::from(e))?;
    let path = dir.join("index.json");
    // A damaged index only costs a reload.
    let index = fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    Ok(Locked {
        path,
        index,
        _lock: lock,
    })
}

impl Locked {
    fn save(&self) -> io::Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        fs::write(
            &tmp,
            serde_json::to_vec_pretty(&self.index).map_err(io::Error::other)?,
        )?;
        fs::rename(&tmp, &self.path)
    }
}

/// The image cache's index, locked, opened off the async threads (the lock may wait).
async fn lock_index(cache_root: &Path) -> Result<Locked, TaskError> {
    let dir = cache_root.join("images");
    tokio::task::spawn_blocking(move || open_index(&dir))
        .await
        .map_err(|e| TaskError::internal(e.to_string()))?
        .map_err(|e| TaskError::internal(format!("cannot open the image cache: {e}")))
}

/// Reads through, hashing every byte.
struct Hashing<R> {
    inner: R,
    state: Arc<Mutex<(Sha256, u64)>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut s) = self.state.lock() {
            s.0.update(&buf[..n]);
            s.1 += n as u64;
        }
        Ok(n)
    }
}

const CHUNK: usize = 1 << 20;

/// Reads, decompresses and sends the tarball; returns the sha256 of the file as stored.
fn stream_file(
    path: &Path,
    tx: &tokio::sync::mpsc::Sender<io::Result<Bytes>>,
) -> io::Result<String> {
    let state = Arc::new(Mutex::new((Sha256::new(), 0u64)));
    let mut raw = Hashing {
        inner: File::open(path)?,
        state: state.clone(),
    };
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = raw.read(&mut magic[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let whole = io::Cursor::new(magic[..got].to_vec()).chain(raw);
    let mut decoded: Box<dyn Read> = match magic {
        [0x28, 0xb5, 0x2f, 0xfd] => Box::new(zstd::stream::read::Decoder::new(whole)?),
        [0x04, 0x22, 0x4d, 0x18] => Box::new(lz4_flex::frame::FrameDecoder::new(whole)),
        [0x1f, 0x8b, _, _] => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        _ => Box::new(whole),
    };
    loop {
        let mut buf = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            let n = decoded.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        buf.truncate(filled);
        if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
            return Err(io::Error::other("the daemon stopped reading the image"));
        }
    }
    drop(decoded);
    // A decompressor may stop before the end of the file: the rest counts for the hash.
    let (mut hasher, read) = state
        .lock()
        .map(|s| s.clone())
        .map_err(|_| io::Error::other("hash state"))?;
    let mut rest = File::open(path)?;
    rest.seek(SeekFrom::Start(read))?;
    io::copy(&mut rest, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Why streaming a tarball into the daemon failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
enum LoadError {
    #[error("cannot read it")]
    #[diagnostic(code(tc::run::docker::load_read))]
    Read {
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    #[diagnostic(code(tc::run::docker::api))]
    Daemon(#[from] bollard::errors::Error),
    #[error(transparent)]
    #[diagnostic(code(tc::run::docker::load_reader))]
    Reader(#[from] tokio::task::JoinError),
}

/// Streams the tarball into the daemon; returns (sha256, what the daemon says it loaded).
async fn load_stream(r: &Resolver<'_>, path: &Path) -> Result<(String, Vec<String>), LoadError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(4);
    let file = path.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || {
        let result = stream_file(&file, &tx);
        if let Err(e) = &result {
            let _ = tx.blocking_send(Err(io::Error::new(e.kind(), e.to_string())));
        }
        result
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut replies = r.docker.import_image_stream(
        ImportImageOptions {
            quiet: true,
            ..Default::default()
        },
        body,
        None,
    );
    let mut loaded = Vec::new();
    let mut failure = None;
    while let Some(item) = replies.next().await {
        match item {
            Ok(info) => {
                for line in info.stream.unwrap_or_default().lines() {
                    if let Some(id) = line
                        .strip_prefix("Loaded image: ")
                        .or_else(|| line.strip_prefix("Loaded image ID: "))
                    {
                        loaded.push(id.trim().to_owned());
                    }
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(replies);
    let read = reader.await?;
    let sha = match (read, failure) {
        (Err(source), _) => return Err(LoadError::Read { source }),
        (Ok(_), Some(f)) => return Err(LoadError::Daemon(f)),
        (Ok(sha), None) => sha,
    };
    Ok((sha, loaded))
}

/// The tarball's trouble (malformed-payload): `why` it cannot be loaded.
fn unreadable(path: &Path, why: &dyn std::fmt::Display) -> TaskError {
    TaskError::malformed(format!(
        "cannot load the image tarball {}: {why}",
        path.display()
    ))
}

/// Loads a tarball unless this daemon already has what it holds; `sha256` is the file's digest
/// when the caller knows it already (a download kept under its digest). Returns the image and
/// the file's digest.
pub(super) async fn tarball(
    r: &Resolver<'_>,
    path: &Path,
    reference: &str,
    sha256: Option<&str>,
) -> Result<(ResolvedImage, String), TaskError> {
    let meta = fs::metadata(path).map_err(|e| unreadable(path, &e))?;
    let canonical = path.canonicalize().map_err(|e| unreadable(path, &e))?;
    // The daemon's ID and the index, at once: both are on the way of every run.
    let (info, locked) = tokio::join!(r.docker.info(), lock_index(r.cache_root));
    let daemon = info.ok().and_then(|i| i.id).unwrap_or_default();
    let locked = locked?;
    let file_key = canonical.display().to_string();
    let (size, mtime_ns, inode) = hashed_key(&meta);
    let known_sha = sha256.map(str::to_owned).or_else(|| {
        locked
            .index
            .files
            .get(&file_key)
            .filter(|h| (h.size, h.mtime_ns, h.inode) == (size, mtime_ns, inode))
            .map(|h| h.sha256.clone())
    });
    if let Some(sha) = known_sha
        && let Some(hit) = locked.index.images.get(&format!("{daemon}/{sha}"))
        && r.docker.inspect_image(&hit.image_id).await.is_ok()
    {
        let image = ResolvedImage {
            reference: reference.to_owned(),
            id: hit.image_id.clone(),
            source: "loaded",
            cached: true,
            note: "loaded (cached)".into(),
        };
        return Ok((image, sha));
    }
    // Not held while loading: other runs may load other files meanwhile.
    drop(locked);
    let (sha, loaded) = load_stream(r, path)
        .await
        .map_err(|e| load_failed(path, &e))?;
    let (first, id) = loaded_image(r, path, &loaded).await?;
    let hashed = Hashed {
        size,
        mtime_ns,
        inode,
        sha256: sha.clone(),
    };
    let entry = Loaded {
        image_id: id.clone(),
        reference: first.clone(),
        at: tc_taskdef::reltime::format_timestamp(chrono::Utc::now()),
    };
    remember(r, file_key, hashed, format!("{daemon}/{sha}"), entry).await?;
    r.note(format!("[tc] Image {reference}: loaded {first}"));
    let image = ResolvedImage {
        reference: reference.to_owned(),
        id,
        source: "loaded",
        cached: false,
        note: "loaded".into(),
    };
    Ok((image, sha))
}

/// A load that failed: the machine's trouble (a rerun elsewhere would work) is an internal
/// error, anything else the tarball's.
fn load_failed(path: &Path, e: &LoadError) -> TaskError {
    let why = chain(e);
    let machine = [
        "no space left",
        "read-only file system",
        "broken pipe",
        "connection reset",
    ];
    if machine.iter().any(|m| why.to_ascii_lowercase().contains(m)) {
        TaskError::internal(format!("loading {} failed: {why}", path.display()))
    } else {
        unreadable(path, &why)
    }
}

/// The first image the daemon says it loaded, and its ID.
async fn loaded_image(
    r: &Resolver<'_>,
    path: &Path,
    loaded: &[String],
) -> Result<(String, String), TaskError> {
    let Some(first) = loaded.first() else {
        return Err(unreadable(
            path,
            &"the daemon loaded no image from it; give a `docker save` archive (manifest.json at its root)",
        ));
    };
    if loaded.len() > 1 {
        r.note(format!(
            "[tc] Warning: {} holds {} images; using the first, {first}",
            path.display(),
            loaded.len()
        ));
    }
    let id = r
        .docker
        .inspect_image(first)
        .await
        .ok()
        .and_then(|i| i.id)
        .ok_or_else(|| {
            unreadable(
                path,
                &format!("the daemon does not know {first}, which it loaded"),
            )
        })?;
    Ok((first.clone(), id))
}

/// Records the file's digest and what loading it gave, so it is not loaded again; a cache
/// that cannot be written only costs a reload next time.
async fn remember(
    r: &Resolver<'_>,
    file_key: String,
    hashed: Hashed,
    image_key: String,
    entry: Loaded,
) -> Result<(), TaskError> {
    let mut locked = lock_index(r.cache_root).await?;
    locked.index.files.insert(file_key, hashed);
    locked.index.images.insert(image_key, entry);
    if let Err(e) = locked.save() {
        r.note(format!("[tc] Warning: cannot update the image cache: {e}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Decodes `file` as the loader does, collecting what it would send to the daemon.
    fn decoded(file: &Path) -> (Vec<u8>, String) {
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let path = file.to_path_buf();
        let reader = std::thread::spawn(move || stream_file(&path, &tx));
        let mut out = Vec::new();
        while let Some(chunk) = rx.blocking_recv() {
            out.extend_from_slice(&chunk.unwrap());
        }
        (out, reader.join().unwrap().unwrap())
    }

    #[test]
    fn compression_is_told_by_magic_bytes_and_the_hash_is_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let plain = dir.path().join("a.tar.zst"); // the extension is only a hint
        std::fs::write(&plain, &data).unwrap();
        let zst = dir.path().join("b.tar");
        std::fs::write(&zst, zstd::encode_all(&data[..], 3).unwrap()).unwrap();
        let gz = dir.path().join("c.tar");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&data).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let lz4 = dir.path().join("d.tar");
        let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
        enc.write_all(&data).unwrap();
        std::fs::write(&lz4, enc.finish().unwrap()).unwrap();
        for file in [&plain, &zst, &gz, &lz4] {
            let (out, sha) = decoded(file);
            assert_eq!(out.len(), data.len(), "{}", file.display());
            assert!(out == data, "{}", file.display());
            let expected = hex::encode(Sha256::digest(std::fs::read(file).unwrap()));
            assert_eq!(sha, expected, "{}", file.display());
        }
    }

    #[test]
    fn a_damaged_stream_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.tar.zst");
        let mut bytes = zstd::encode_all(&vec![7u8; 100_000][..], 3).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&bad, bytes).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let reader = std::thread::spawn(move || stream_file(&bad, &tx));
        while rx.blocking_recv().is_some() {}
        assert!(reader.join().unwrap().is_err());
    }
}
