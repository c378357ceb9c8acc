//! In-tree images (worker.md §4.3): each context (parents first, from `engine::intree`) is
//! built through the daemon's build endpoint and tagged by the digest of its context, so an
//! unchanged image is never built twice. Build output reaches the live log with a prefix.

use std::collections::VecDeque;

use bollard::query_parameters::BuildImageOptions;
use bytes::Bytes;
use futures_util::StreamExt;

use super::engine::PullPolicy;
use super::images::{ResolvedImage, Resolver};
use crate::intree;
use crate::outcome::{Reason, TaskError};

/// How many build lines a failure quotes.
const QUOTED_LINES: usize = 20;

pub(super) async fn in_tree(r: &Resolver<'_>, name: &str) -> Result<ResolvedImage, TaskError> {
    let root = match r.graph_root {
        Some(root) => root.to_path_buf(),
        None => crate::input::graph_root(None).ok_or_else(|| {
            TaskError::malformed(format!(
                "the in-tree image {name} needs a graph root: run tc inside the repository or give --root DIR (its taskcluster directory)"
            ))
        })?,
    };
    let contexts = intree::contexts(&root, name)
        .map_err(|e| TaskError::caused(Reason::MalformedPayload, &e))?;
    let mut built_now = false;
    let mut last = None;
    for ctx in contexts {
        let existing = r
            .docker
            .inspect_image(&ctx.tag)
            .await
            .ok()
            .and_then(|i| i.id);
        let id = if let Some(id) = existing {
            r.note(format!("[image {}] {} is built already", ctx.name, ctx.tag));
            id
        } else {
            built_now = true;
            build(r, &ctx.name, &ctx.tag, ctx.parent.is_none(), ctx.tar).await?
        };
        last = Some((ctx.tag.clone(), id));
    }
    let (tag, id) = last.ok_or_else(|| TaskError::internal("no image context"))?;
    Ok(ResolvedImage {
        reference: tag,
        id,
        source: "built",
        cached: !built_now,
        note: if built_now {
            "built".into()
        } else {
            "built (cached)".into()
        },
    })
}

/// Builds one context; `base` is an image without an in-tree parent (only its FROM can be
/// pulled: a parent exists only in this daemon).
async fn build(
    r: &Resolver<'_>,
    name: &str,
    tag: &str,
    base: bool,
    tar: Vec<u8>,
) -> Result<String, TaskError> {
    let prefix = format!("[image {name}] ");
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".into(),
        t: Some(tag.to_owned()),
        rm: true,
        forcerm: true,
        pull: (base && r.pull == PullPolicy::Always).then(|| "true".to_owned()),
        labels: Some(super::labels(None)),
        // RUN steps share the task's network mode (`--network none` builds offline).
        networkmode: r.network.map(str::to_owned),
        ..Default::default()
    };
    let body = bollard::body_full(Bytes::from(tar));
    let mut stream = r.docker.build_image(options, None, Some(body));
    let mut tail: VecDeque<String> = VecDeque::new();
    let mut failure = None;
    while let Some(item) = stream.next().await {
        let text = match item {
            Ok(info) => {
                if let Some(e) = info.error_detail.and_then(|d| d.message) {
                    failure = Some(e);
                    break;
                }
                info.stream.or(info.status).unwrap_or_default()
            }
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            r.note(format!("{prefix}{line}"));
            if tail.len() == QUOTED_LINES {
                tail.pop_front();
            }
            tail.push_back(line.to_owned());
        }
    }
    if let Some(why) = failure {
        let quoted: Vec<String> = tail.into_iter().collect();
        return Err(TaskError::new(
            Reason::ResourceUnavailable,
            format!(
                "building the in-tree image {name} failed: {why}\nlast build lines:\n{}",
                quoted.join("\n")
            ),
        ));
    }
    r.docker
        .inspect_image(tag)
        .await
        .ok()
        .and_then(|i| i.id)
        .ok_or_else(|| {
            TaskError::internal(format!("{tag} was built but the daemon does not know it"))
        })
}
