//! Artifacts out of a container (worker.md §8.2): stat the path through the archive endpoint,
//! stream it as a tar, and store what is safe. Symlinks are resolved inside the container (the
//! daemon's stat gives the resolved target), hard links copy the earlier entry, devices and
//! FIFOs are skipped. The host side (`LocalDir`) refuses any name that would leave `<A>`.

use std::io::Read;

use bollard::Docker;
use bollard::container::PathStatResponse;
use bollard::query_parameters::{ContainerArchiveInfoOptions, DownloadFromContainerOptions};
use futures_util::TryStreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::artifacts::{self, ArtifactSpec, INVALID, Kind, LocalDir, MISSING, Record};

/// Go's `os.FileMode` bits, as the daemon reports them.
const MODE_DIR: u32 = 1 << 31;
const MODE_SYMLINK: u32 = 1 << 27;
const MODE_NOT_REGULAR: u32 = MODE_DIR
    | MODE_SYMLINK
    | (1 << 26) // device
    | (1 << 25) // named pipe
    | (1 << 24) // socket
    | (1 << 21) // character device
    | (1 << 19); // irregular

/// The path's stat; `Ok(None)` when it does not exist, `Err` when the daemon failed.
async fn try_stat(
    docker: &Docker,
    container: &str,
    path: &str,
) -> Result<Option<PathStatResponse>, String> {
    match docker
        .get_container_archive_info(
            container,
            Some(ContainerArchiveInfoOptions {
                path: path.to_owned(),
            }),
        )
        .await
    {
        Ok(st) => Ok(Some(st)),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(format!("cannot stat {path} in the container: {e}")),
    }
}

/// The stat of a link's target: anything but a stat is a dangling link.
async fn stat(docker: &Docker, container: &str, path: &str) -> Option<PathStatResponse> {
    try_stat(docker, container, path).await.ok().flatten()
}

/// The path's tar stream as a blocking reader, for a blocking thread.
fn tar_reader(docker: &Docker, container: &str, path: &str) -> impl Read + Send + 'static {
    let stream = docker
        .download_from_container(
            container,
            Some(DownloadFromContainerOptions {
                path: path.to_owned(),
            }),
        )
        .map_err(std::io::Error::other);
    SyncIoBridge::new(StreamReader::new(Box::pin(stream)))
}

/// Follows a symlink inside the container: the stat of the real path, or why not.
async fn follow(
    docker: &Docker,
    container: &str,
    path: &str,
    st: PathStatResponse,
) -> Result<(String, PathStatResponse), String> {
    if st.file_mode & MODE_SYMLINK == 0 {
        return Ok((path.to_owned(), st));
    }
    if st.link_target.is_empty() {
        return Err(format!("{path} is a dangling symlink"));
    }
    let target = st.link_target.clone();
    match stat(docker, container, &target).await {
        Some(t) if t.file_mode & MODE_SYMLINK == 0 => Ok((target, t)),
        _ => Err(format!("{path} is a dangling symlink")),
    }
}

/// Copies one regular file out of the container into `<A>/<name>`.
async fn copy_file(
    docker: &Docker,
    container: &str,
    path: &str,
    name: &str,
    spec: &ArtifactSpec,
    sink: &LocalDir,
) -> Record {
    let reader = tar_reader(docker, container, path);
    let (name_owned, sink, spec_owned) = (name.to_owned(), sink.clone(), spec.clone());
    let stored = tokio::task::spawn_blocking(move || {
        let mut archive = tar::Archive::new(reader);
        let mut entries = archive
            .entries()
            .map_err(|e| format!("cannot read the container's archive: {e}"))?;
        match entries.next() {
            Some(Ok(mut entry)) if entry.header().entry_type().is_file() => {
                sink.store(&name_owned, &mut entry)
            }
            Some(Ok(_)) => Err("not a regular file".to_owned()),
            Some(Err(e)) => Err(format!("cannot read the container's archive: {e}")),
            None => Err("the container's archive is empty".to_owned()),
        }
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    artifacts::stored_record(name, &spec_owned, stored)
}

pub async fn extract(
    docker: &Docker,
    container: &str,
    spec: &ArtifactSpec,
    sink: &LocalDir,
) -> Vec<Record> {
    let error =
        |name: &str, reason: &str, msg: String| Record::error(name, reason, msg, spec.optional);
    if let Err(why) = artifacts::check_name(&spec.name) {
        return vec![error(&spec.name, INVALID, why)];
    }
    let st = match try_stat(docker, container, &spec.path).await {
        Ok(Some(st)) => st,
        Ok(None) => {
            return vec![error(
                &spec.name,
                MISSING,
                format!("{} does not exist in the container", spec.path),
            )];
        }
        // The daemon's failure, not the task's: the run cannot complete.
        Err(why) => return vec![error(&spec.name, INVALID, sink.fail(why))],
    };
    let (path, st) = match follow(docker, container, &spec.path, st).await {
        Ok(p) => p,
        Err(why) => return vec![error(&spec.name, INVALID, why)],
    };
    match spec.kind {
        Kind::File if st.file_mode & MODE_NOT_REGULAR != 0 => {
            vec![error(
                &spec.name,
                INVALID,
                format!("{} is not a regular file", spec.path),
            )]
        }
        Kind::File => vec![copy_file(docker, container, &path, &spec.name, spec, sink).await],
        Kind::Directory if st.file_mode & MODE_DIR == 0 => {
            vec![error(
                &spec.name,
                INVALID,
                format!("{} is not a directory", spec.path),
            )]
        }
        Kind::Directory => copy_directory(docker, container, &path, spec, sink).await,
    }
}

/// A symlink met inside a directory artifact, resolved after the tar pass.
struct Link {
    name: String,
    /// The link's own path in the container.
    path: String,
}

async fn copy_directory(
    docker: &Docker,
    container: &str,
    path: &str,
    spec: &ArtifactSpec,
    sink: &LocalDir,
) -> Vec<Record> {
    let reader = tar_reader(docker, container, path);
    let (spec_owned, sink_owned, dir) = (
        spec.clone(),
        sink.clone(),
        path.trim_end_matches('/').to_owned(),
    );
    let walked =
        tokio::task::spawn_blocking(move || walk_tar(reader, &dir, &spec_owned, &sink_owned))
            .await
            .unwrap_or_else(|e| {
                (
                    vec![Record::error(
                        &spec.name,
                        INVALID,
                        e.to_string(),
                        spec.optional,
                    )],
                    Vec::new(),
                )
            });
    let (mut records, links) = walked;
    for link in links {
        let record = match stat(docker, container, &link.path).await {
            None => Record::error(
                &link.name,
                INVALID,
                format!("{} is a dangling symlink", link.path),
                spec.optional,
            ),
            Some(st) => match follow(docker, container, &link.path, st).await {
                Err(why) => Record::error(&link.name, INVALID, why, spec.optional),
                Ok((_, t)) if t.file_mode & MODE_NOT_REGULAR != 0 => Record::error(
                    &link.name,
                    INVALID,
                    format!(
                        "{} links to something that is not a regular file",
                        link.path
                    ),
                    spec.optional,
                ),
                Ok((target, _)) => {
                    copy_file(docker, container, &target, &link.name, spec, sink).await
                }
            },
        };
        records.push(record);
    }
    records.sort_by(|a, b| a.name.cmp(&b.name));
    records
}

/// One pass over the directory's tar: regular files and hard links stored, symlinks listed
/// for later, everything else skipped.
fn walk_tar(
    reader: impl Read,
    dir: &str,
    spec: &ArtifactSpec,
    sink: &LocalDir,
) -> (Vec<Record>, Vec<Link>) {
    let mut records = Vec::new();
    let mut links = Vec::new();
    let fail = |msg: String| Record::error(&spec.name, INVALID, msg, spec.optional);
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            return (
                vec![fail(format!("cannot read the container's archive: {e}"))],
                links,
            );
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                records.push(fail(format!("cannot read the container's archive: {e}")));
                break;
            }
        };
        let Ok(raw) = entry.path().map(|p| p.to_string_lossy().into_owned()) else {
            continue;
        };
        // The archive's first component is the directory's own name.
        let rel = raw
            .trim_end_matches('/')
            .splitn(2, '/')
            .nth(1)
            .unwrap_or("")
            .to_owned();
        if rel.is_empty() {
            continue;
        }
        let name = format!("{}/{rel}", spec.name);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if let Err(why) = artifacts::check_name(&name) {
            records.push(Record::error(&name, INVALID, why, spec.optional));
            continue;
        }
        if kind.is_file() {
            let stored = sink.store(&name, &mut entry);
            records.push(artifacts::stored_record(&name, spec, stored));
        } else if kind.is_symlink() {
            links.push(Link {
                name,
                path: format!("{dir}/{rel}"),
            });
        } else if kind.is_hard_link() {
            let target = entry
                .link_name()
                .ok()
                .flatten()
                .map(|p| p.to_string_lossy().into_owned())
                .and_then(|t| t.splitn(2, '/').nth(1).map(str::to_owned));
            let stored = match target {
                Some(t) if artifacts::check_name(&format!("{}/{t}", spec.name)).is_ok() => {
                    let earlier = sink.root().join(&spec.name).join(&t);
                    std::fs::File::open(&earlier)
                        .map_err(|e| format!("hard link to {t}, which was not stored: {e}"))
                        .and_then(|mut f| sink.store(&name, &mut f))
                }
                _ => Err("hard link outside the artifact directory".to_owned()),
            };
            records.push(artifacts::stored_record(&name, spec, stored));
        }
        // Devices, FIFOs and sockets are skipped.
    }
    (records, links)
}
