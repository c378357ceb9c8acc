//! Artifacts out of a container (worker.md §8.2): stat the path through the archive endpoint,
//! stream it as a tar, and store what is safe. Symlinks are resolved inside the container (the
//! daemon's stat gives the resolved target), hard links copy the earlier entry, devices and
//! FIFOs are skipped. The host side (`LocalDir`) refuses any name that would leave `<A>`.

use std::io::{self, Read};

use bollard::Docker;
use bollard::container::PathStatResponse;
use bollard::query_parameters::{ContainerArchiveInfoOptions, DownloadFromContainerOptions};
use futures_util::TryStreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::artifacts::{self, ArtifactSpec, INVALID, Kind, LocalDir, MISSING, Record, StoreError};
use crate::error::chain;

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

/// Why an artifact could not be copied out of the container (its manifest entry says so).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
enum CopyError {
    #[error("cannot stat {path} in the container")]
    #[diagnostic(code(tc::run::docker::stat))]
    Stat {
        path: String,
        #[source]
        source: bollard::errors::Error,
    },

    #[error("{path} is a dangling symlink")]
    #[diagnostic(code(tc::run::artifact::dangling))]
    Dangling { path: String },

    #[error("cannot read the container's archive")]
    #[diagnostic(code(tc::run::docker::archive))]
    Archive {
        #[source]
        source: io::Error,
    },

    #[error("not a regular file")]
    #[diagnostic(code(tc::run::artifact::not_a_file))]
    NotRegular,

    #[error("the container's archive is empty")]
    #[diagnostic(code(tc::run::docker::archive))]
    EmptyArchive,

    #[error("hard link to {target}, which was not stored")]
    #[diagnostic(code(tc::run::artifact::hard_link))]
    HardLinkNotStored {
        target: String,
        #[source]
        source: io::Error,
    },

    #[error("hard link outside the artifact directory")]
    #[diagnostic(code(tc::run::artifact::hard_link))]
    HardLinkOutside,

    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] StoreError),

    #[error(transparent)]
    #[diagnostic(code(tc::run::docker::copy))]
    Copier(#[from] tokio::task::JoinError),
}

/// The path's stat; `Ok(None)` when it does not exist, `Err` when the daemon failed.
async fn try_stat(
    docker: &Docker,
    container: &str,
    path: &str,
) -> Result<Option<PathStatResponse>, CopyError> {
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
        Err(source) => Err(CopyError::Stat {
            path: path.to_owned(),
            source,
        }),
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
) -> Result<(String, PathStatResponse), CopyError> {
    if st.file_mode & MODE_SYMLINK == 0 {
        return Ok((path.to_owned(), st));
    }
    let dangling = || CopyError::Dangling {
        path: path.to_owned(),
    };
    if st.link_target.is_empty() {
        return Err(dangling());
    }
    let target = st.link_target.clone();
    match stat(docker, container, &target).await {
        Some(t) if t.file_mode & MODE_SYMLINK == 0 => Ok((target, t)),
        _ => Err(dangling()),
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
            .map_err(|source| CopyError::Archive { source })?;
        match entries.next() {
            Some(Ok(mut entry)) if entry.header().entry_type().is_file() => {
                Ok(sink.store(&name_owned, &mut entry)?)
            }
            Some(Ok(_)) => Err(CopyError::NotRegular),
            Some(Err(source)) => Err(CopyError::Archive { source }),
            None => Err(CopyError::EmptyArchive),
        }
    })
    .await
    .unwrap_or_else(|e| Err(CopyError::Copier(e)));
    artifacts::stored_record(name, &spec_owned, stored)
}

pub(super) async fn extract(
    docker: &Docker,
    container: &str,
    spec: &ArtifactSpec,
    sink: &LocalDir,
) -> Vec<Record> {
    let error =
        |name: &str, reason: &str, msg: String| Record::error(name, reason, msg, spec.optional);
    if let Err(why) = artifacts::check_name(&spec.name) {
        return vec![error(&spec.name, INVALID, why.to_string())];
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
        Err(why) => return vec![error(&spec.name, INVALID, sink.fail(&why))],
    };
    let (path, st) = match follow(docker, container, &spec.path, st).await {
        Ok(p) => p,
        Err(why) => return vec![error(&spec.name, INVALID, chain(&why))],
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
                Err(why) => Record::error(&link.name, INVALID, chain(&why), spec.optional),
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
    let fail = |source| {
        let e = CopyError::Archive { source };
        Record::error(&spec.name, INVALID, chain(&e), spec.optional)
    };
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return (vec![fail(e)], links),
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                records.push(fail(e));
                break;
            }
        };
        let Ok(raw) = entry.path().map(|p| p.to_string_lossy().into_owned()) else {
            continue;
        };
        // The archive's first component is the directory's own name.
        let rel = raw
            .trim_end_matches('/')
            .split_once('/')
            .map_or("", |(_, rel)| rel)
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
            records.push(Record::error(
                &name,
                INVALID,
                why.to_string(),
                spec.optional,
            ));
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
                .and_then(|t| t.split_once('/').map(|(_, rest)| rest.to_owned()));
            let stored = match target {
                Some(t) if artifacts::check_name(&format!("{}/{t}", spec.name)).is_ok() => {
                    let earlier = sink.root().join(&spec.name).join(&t);
                    std::fs::File::open(&earlier)
                        .map_err(|source| CopyError::HardLinkNotStored { target: t, source })
                        .and_then(|mut f| Ok(sink.store(&name, &mut f)?))
                }
                _ => Err(CopyError::HardLinkOutside),
            };
            records.push(artifacts::stored_record(&name, spec, stored));
        }
        // Devices, FIFOs and sockets are skipped.
    }
    (records, links)
}
