//! Images of the Docker engine (worker.md §4): what the payload or `--image` names, and how it
//! becomes an image ID in the daemon: already there, pulled, loaded from a tarball, or built
//! in-tree. The container always uses the ID, never the tag again.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::CreateImageOptions;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::engine::PullPolicy;
use super::load;
use crate::mounts::{Content, Fetched, Fetcher};
use crate::outcome::{Reason, TaskError};

/// What names the image (§4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Registry(String),
    InTree(String),
    TaskImage {
        task_id: String,
        path: String,
    },
    Indexed {
        namespace: String,
        path: String,
    },
    /// Only through `--image`.
    Tarball(PathBuf),
}

const TARBALL_SUFFIXES: [&str; 4] = [".tar", ".tar.gz", ".tar.zst", ".tar.lz4"];
const DEFAULT_IMAGE_ARTIFACT: &str = "public/image.tar.zst";

impl ImageSource {
    /// The payload's `image` (its shape was checked with the payload).
    pub fn from_payload(image: &Value) -> Result<ImageSource, TaskError> {
        let field = |key: &str| {
            image
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| TaskError::malformed(format!("payload/image/{key}: is required")))
        };
        match image {
            Value::String(s) => Ok(ImageSource::Registry(s.clone())),
            _ => match image.get("type").and_then(Value::as_str) {
                Some("docker-image") => Ok(ImageSource::InTree(field("name")?)),
                Some("task-image") => Ok(ImageSource::TaskImage {
                    task_id: field("taskId")?,
                    path: field("path")?,
                }),
                Some("indexed-image") => Ok(ImageSource::Indexed {
                    namespace: field("namespace")?,
                    path: field("path")?,
                }),
                _ => Err(TaskError::malformed(
                    "payload/image: a string or {type: docker-image|task-image|indexed-image, …}",
                )),
            },
        }
    }

    /// `--image VALUE` when given, else the payload's `image`.
    pub fn chosen(flag: Option<&str>, payload: &Value) -> Result<ImageSource, TaskError> {
        match flag {
            Some(flag) => Ok(ImageSource::from_flag(flag)),
            None => ImageSource::from_payload(payload),
        }
    }

    /// `--image VALUE` (§4.1).
    pub fn from_flag(value: &str) -> ImageSource {
        let split = |rest: &str| match rest.split_once(':') {
            Some((a, b)) => (a.to_owned(), b.to_owned()),
            None => (rest.to_owned(), DEFAULT_IMAGE_ARTIFACT.to_owned()),
        };
        if TARBALL_SUFFIXES.iter().any(|s| value.ends_with(s)) && Path::new(value).is_file() {
            ImageSource::Tarball(PathBuf::from(value))
        } else if let Some(rest) = value.strip_prefix("task-id=") {
            let (task_id, path) = split(rest);
            ImageSource::TaskImage { task_id, path }
        } else if let Some(rest) = value.strip_prefix("index=") {
            let (namespace, path) = split(rest);
            ImageSource::Indexed { namespace, path }
        } else if let Some(name) = value.strip_prefix("in-tree=") {
            ImageSource::InTree(name.to_owned())
        } else {
            ImageSource::Registry(value.to_owned())
        }
    }
}

/// An image the daemon has.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// What the user named (a reference, a file, `task <id> <path>`, an in-tree tag).
    pub reference: String,
    pub id: String,
    /// `local`, `pulled`, `loaded` or `built`.
    pub source: &'static str,
    /// Loaded or built earlier; nothing was done now.
    pub cached: bool,
    /// For the header: `present locally`, `pulled in 3.2s`, `loaded (cached)`, …
    pub note: String,
}

/// What resolving an image needs.
pub struct Resolver<'a> {
    pub docker: &'a Docker,
    pub pull: PullPolicy,
    pub cache_root: &'a Path,
    pub root_url: &'a str,
    pub graph_root: Option<&'a Path>,
    /// `--network`, for build steps.
    pub network: Option<&'a str>,
    /// Lines for the live log (build output, pull results).
    pub notes: Option<&'a UnboundedSender<String>>,
    /// Where pulls report their progress (the command line draws it).
    pub progress: Option<&'a dyn PullProgress>,
}

/// Shows image pulls as they go: the command line draws them (a bar per layer on a
/// terminal, a line at each end elsewhere); tc-run only reports.
pub trait PullProgress: Send + Sync + std::fmt::Debug {
    /// A pull of `reference` starts (each attempt is one); the sink sees its layers and end.
    fn pull(&self, reference: &str) -> Box<dyn PullSink>;
}

/// One pull's progress.
pub trait PullSink: Send {
    /// A layer's status (`Downloading`, `Pull complete`, …) and, while it moves, its bytes
    /// so far and in all.
    fn layer(&mut self, id: &str, status: &str, bytes: Option<(u64, u64)>);
    /// The pull ended; `failure` is the daemon's error when it failed.
    fn finished(self: Box<Self>, failure: Option<&str>);
}

impl Resolver<'_> {
    pub fn note(&self, line: String) {
        if let Some(n) = self.notes {
            let _ = n.send(line);
        }
    }
}

pub async fn resolve(r: &Resolver<'_>, source: &ImageSource) -> Result<ResolvedImage, TaskError> {
    match source {
        ImageSource::Registry(reference) => registry(r, reference).await,
        ImageSource::Tarball(path) => {
            let (image, _) = load::tarball(r, path, &path.display().to_string(), None).await?;
            Ok(image)
        }
        ImageSource::TaskImage { task_id, path } => {
            let fetcher = Fetcher::new(&r.cache_root.join("downloads"), r.root_url)?;
            task_image(r, &fetcher, task_id, path, None).await
        }
        ImageSource::Indexed { namespace, path } => {
            let fetcher = Fetcher::new(&r.cache_root.join("downloads"), r.root_url)?;
            let what = format!("the image indexed at `{namespace}`");
            let task_id = fetcher.index_lookup(namespace, &what).await?;
            task_image(r, &fetcher, &task_id, path, Some(namespace)).await
        }
        ImageSource::InTree(name) => super::build::in_tree(r, name).await,
    }
}

/// Task and indexed images (§4.4): downloaded once into `<C>/downloads/<sha256>`, with
/// `refs.json` mapping (root URL, taskId, path) to that digest, then loaded like a tarball.
async fn task_image(
    r: &Resolver<'_>,
    fetcher: &Fetcher,
    task_id: &str,
    path: &str,
    namespace: Option<&str>,
) -> Result<ResolvedImage, TaskError> {
    let reference = match namespace {
        Some(ns) => format!("index {ns} (task {task_id}) {path}"),
        None => format!("task {task_id} {path}"),
    };
    let downloads = r.cache_root.join("downloads");
    let refs_file = downloads.join("refs.json");
    let key = format!("{} {task_id} {path}", r.root_url);
    let mut refs: std::collections::BTreeMap<String, String> = std::fs::read(&refs_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some(sha) = refs.get(&key) {
        let stored = downloads.join(sha);
        if stored.is_file() {
            return Ok(load::tarball(r, &stored, &reference, Some(sha)).await?.0);
        }
    }
    let content = Content::Artifact {
        task_id: task_id.to_owned(),
        artifact: path.to_owned(),
        sha256: None,
    };
    let Fetched::Temporary(temp) = fetcher.fetch(&content).await? else {
        return Err(TaskError::internal("an image download was not a file"));
    };
    // Loading reads the file once and gives its digest, which names it in the download cache.
    let (image, sha) = load::tarball(r, &temp, &reference, None).await?;
    temp.persist(downloads.join(&sha)).map_err(|e| {
        TaskError::internal(format!("cannot keep the downloaded image: {}", e.error))
    })?;
    refs.insert(key, sha);
    let tmp = refs_file.with_extension("json.tmp");
    let saved = serde_json::to_vec_pretty(&refs)
        .map_err(std::io::Error::other)
        .and_then(|b| std::fs::write(&tmp, b))
        .and_then(|()| std::fs::rename(&tmp, &refs_file));
    if let Err(e) = saved {
        r.note(format!(
            "[tc] Warning: cannot update {}: {e}",
            refs_file.display()
        ));
    }
    Ok(image)
}

/// Credentials for the reference's registry from the Docker client config's `auths`;
/// credential helpers are not consulted.
fn credentials(r: &Resolver<'_>, reference: &str) -> Option<DockerCredentials> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".docker")))?;
    let config: Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).ok()?).ok()?;
    let first = reference.split('/').next().unwrap_or("");
    let registry = if reference.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost")
    {
        first.to_owned()
    } else {
        "https://index.docker.io/v1/".to_owned()
    };
    if config.get("credsStore").is_some()
        || config
            .get("credHelpers")
            .and_then(|h| h.get(&registry))
            .is_some()
    {
        r.note(format!(
            "[tc] Warning: credential helpers are not consulted; only `auths` in the Docker config is used for {registry}"
        ));
    }
    let auths = config.get("auths")?.as_object()?;
    let entry = auths.iter().find(|(k, _)| {
        k.trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            == registry
                .trim_start_matches("https://")
                .trim_end_matches('/')
            || k.as_str() == registry
    })?;
    let auth = entry.1.get("auth")?.as_str()?;
    Some(DockerCredentials {
        auth: Some(auth.to_owned()),
        serveraddress: Some(entry.0.clone()),
        ..Default::default()
    })
}

/// The reference with `:latest` when it names no tag or digest: without one, the daemon would
/// pull every tag of the repository.
fn with_tag(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if last.contains(':') || last.contains('@') {
        reference.to_owned()
    } else {
        format!("{reference}:latest")
    }
}

/// Is the daemon's error one a rerun would meet again?
fn is_final(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "not found",
        "manifest unknown",
        "denied",
        "unauthorized",
        "invalid reference",
    ]
    .iter()
    .any(|w| m.contains(w))
}

async fn inspect(docker: &Docker, reference: &str) -> Option<String> {
    docker
        .inspect_image(reference)
        .await
        .ok()
        .and_then(|i| i.id)
}

async fn registry(r: &Resolver<'_>, reference: &str) -> Result<ResolvedImage, TaskError> {
    let resolved = |id: String, source: &'static str, note: String| ResolvedImage {
        reference: reference.to_owned(),
        id,
        source,
        cached: false,
        note,
    };
    if r.pull != PullPolicy::Always {
        if let Some(id) = inspect(r.docker, reference).await {
            return Ok(resolved(id, "local", "present locally".into()));
        }
        if r.pull == PullPolicy::Never {
            return Err(TaskError::malformed(format!(
                "the image {reference} is not present locally and --pull never: load or pull it first, or use --pull missing"
            )));
        }
    }
    let began = Instant::now();
    let delays = [Duration::from_secs(1), Duration::from_secs(2)];
    let mut last = String::new();
    for attempt in 0..=delays.len() {
        if attempt > 0 {
            tokio::time::sleep(delays[attempt - 1]).await;
        }
        match pull_once(r, reference).await {
            Ok(()) => {
                let id = inspect(r.docker, reference).await.ok_or_else(|| {
                    TaskError::internal(format!(
                        "{reference} was pulled but the daemon does not know it; check `docker image ls`, then run the task again"
                    ))
                })?;
                let note = format!("pulled in {:.1}s", began.elapsed().as_secs_f64());
                return Ok(resolved(id, "pulled", note));
            }
            Err(e) if is_final(&e.to_string()) => {
                return Err(TaskError::malformed(format!(
                    "cannot pull {reference}: {e}"
                )));
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(TaskError::new(
        Reason::ResourceUnavailable,
        format!(
            "cannot pull {reference} after 3 attempts: {last}; check that the registry answers from this machine (network, proxy, credentials), then run the task again"
        ),
    ))
}

/// Why one pull failed: the daemon's message, or the API call itself.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
enum PullError {
    #[error("{0}")]
    #[diagnostic(code(tc::run::docker::pull))]
    Daemon(String),
    #[error(transparent)]
    #[diagnostic(code(tc::run::docker::api))]
    Api(#[from] bollard::errors::Error),
}

/// One pull, its progress reported to the command line's display (if any).
async fn pull_once(r: &Resolver<'_>, reference: &str) -> Result<(), PullError> {
    let mut shown = r.progress.map(|p| p.pull(reference));
    let mut stream = r.docker.create_image(
        Some(CreateImageOptions {
            from_image: Some(with_tag(reference)),
            ..Default::default()
        }),
        None,
        credentials(r, reference),
    );
    let mut failure = None;
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                failure = Some(PullError::Api(e));
                break;
            }
        };
        if let Some(e) = info.error_detail.and_then(|d| d.message) {
            failure = Some(PullError::Daemon(e));
            break;
        }
        if let (Some(sink), Some(id)) = (shown.as_mut(), info.id) {
            // The daemon counts in i64; a negative count is no count.
            let bytes = info.progress_detail.and_then(|d| {
                let (current, total) = (d.current?, d.total?);
                Some((
                    u64::try_from(current).unwrap_or(0),
                    u64::try_from(total).unwrap_or(0),
                ))
            });
            sink.layer(&id, info.status.as_deref().unwrap_or_default(), bytes);
        }
    }
    if let Some(sink) = shown {
        sink.finished(failure.as_ref().map(ToString::to_string).as_deref());
    }
    failure.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payload_images_of_every_form() {
        assert_eq!(
            ImageSource::from_payload(&json!("ubuntu:22.04")).unwrap(),
            ImageSource::Registry("ubuntu:22.04".into())
        );
        assert_eq!(
            ImageSource::from_payload(&json!({"type": "docker-image", "name": "deb12"})).unwrap(),
            ImageSource::InTree("deb12".into())
        );
        assert_eq!(
            ImageSource::from_payload(
                &json!({"type": "task-image", "taskId": "abc", "path": "public/i.tar.zst"})
            )
            .unwrap(),
            ImageSource::TaskImage {
                task_id: "abc".into(),
                path: "public/i.tar.zst".into()
            }
        );
        assert_eq!(
            ImageSource::from_payload(
                &json!({"type": "indexed-image", "namespace": "a.b", "path": "p"})
            )
            .unwrap(),
            ImageSource::Indexed {
                namespace: "a.b".into(),
                path: "p".into()
            }
        );
        assert!(ImageSource::from_payload(&json!({"type": "task-image"})).is_err());
    }

    #[test]
    fn image_flags_pick_their_form() {
        let dir = tempfile::tempdir().unwrap();
        let tarball = dir.path().join("img.tar.lz4");
        std::fs::write(&tarball, b"x").unwrap();
        let flag = tarball.to_str().unwrap();
        assert_eq!(
            ImageSource::from_flag(flag),
            ImageSource::Tarball(tarball.clone())
        );
        // A tarball name that does not exist is a reference (the daemon says it is not found).
        assert_eq!(
            ImageSource::from_flag("missing.tar"),
            ImageSource::Registry("missing.tar".into())
        );
        assert_eq!(
            ImageSource::from_flag("task-id=abc"),
            ImageSource::TaskImage {
                task_id: "abc".into(),
                path: "public/image.tar.zst".into()
            }
        );
        assert_eq!(
            ImageSource::from_flag("index=a.b.c:public/x.tar"),
            ImageSource::Indexed {
                namespace: "a.b.c".into(),
                path: "public/x.tar".into()
            }
        );
        assert_eq!(
            ImageSource::from_flag("in-tree=deb12"),
            ImageSource::InTree("deb12".into())
        );
        assert_eq!(
            ImageSource::from_flag("busybox"),
            ImageSource::Registry("busybox".into())
        );
    }

    #[test]
    fn pulls_name_a_tag() {
        assert_eq!(with_tag("busybox"), "busybox:latest");
        assert_eq!(with_tag("localhost:5000/a/b"), "localhost:5000/a/b:latest");
        assert_eq!(with_tag("localhost:5000/a/b:1"), "localhost:5000/a/b:1");
        assert_eq!(with_tag("a/b@sha256:00"), "a/b@sha256:00");
    }

    #[test]
    fn registry_errors_that_a_rerun_would_meet_again() {
        assert!(is_final("manifest unknown: manifest unknown"));
        assert!(is_final(
            "pull access denied for x, repository does not exist"
        ));
        assert!(is_final("repository tc-test/none not found"));
        assert!(!is_final(
            "Get \"https://127.0.0.1:9/v2/\": dial tcp 127.0.0.1:9: connect: connection refused"
        ));
        assert!(!is_final(
            "received unexpected HTTP status: 503 Service Unavailable"
        ));
    }
}
