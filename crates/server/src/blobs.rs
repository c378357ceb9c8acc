//! tc's stand-in for S3 (queue-api.md §4.5): `/_tc/blobs/<taskId>/<runId>/<name>` with signed
//! `op=put|get` URLs, streamed to disk on PUT (fsync, then rename) and served with Range.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::State;
use super::artifacts;
use super::error::ApiError;
use super::routes::{bad_escape, percent_decode};
use super::validate::slugid_ok;

fn fail(e: ApiError) -> Response {
    e.reply("blob", &json!({}), &json!({}))
}

pub async fn handle(state: &State, parts: &Parts, rest: &str, query: &str, body: Body) -> Response {
    match handle_inner(state, parts, rest, query, body).await {
        Ok(r) => r,
        Err(e) => fail(e),
    }
}

async fn handle_inner(
    state: &State,
    parts: &Parts,
    rest: &str,
    query: &str,
    body: Body,
) -> Result<Response, ApiError> {
    let mut seg = rest.splitn(3, '/');
    let (Some(task_id), Some(run), Some(name)) = (seg.next(), seg.next(), seg.next()) else {
        return Err(ApiError::not_found("no such blob"));
    };
    let name = percent_decode(name).map_err(|_| bad_escape("blob name", name))?;
    let run: i64 = run
        .parse()
        .map_err(|_| ApiError::not_found("no such blob"))?;
    if !slugid_ok(task_id) {
        return Err(ApiError::not_found("no such blob"));
    }
    let q = |k: &str| -> Result<String, ApiError> {
        let raw = query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .unwrap_or_default();
        percent_decode(raw).map_err(|_| bad_escape(&format!("query parameter {k}"), raw))
    };
    let (op, exp, sig) = (q("op")?, q("exp")?, q("sig")?);
    let exp: i64 = exp
        .parse()
        .map_err(|_| ApiError::auth("the blob URL has no valid expiry; ask the queue for a new one (getArtifact or createArtifact)"))?;
    let want = artifacts::blob_signature(&state.blob_secret, &op, task_id, run, &name, exp);
    if !super::hawk::same(&want, &sig) || exp < chrono::Utc::now().timestamp() {
        return Err(ApiError::auth(
            "the blob URL's signature is wrong or has expired; ask the queue for a new one",
        ));
    }
    let path = artifacts::blob_path(&state.blobs, task_id, run, &name);
    let (id, n) = (task_id.to_owned(), name.clone());
    let artifact = state
        .db
        .write(move |tx| artifacts::get(tx, &id, run, &n))
        .await?
        .filter(|a| a.storage_type == "s3")
        .ok_or_else(|| ApiError::not_found(format!("no s3 artifact `{name}`")))?;
    match (&parts.method, op.as_str()) {
        (&Method::PUT, "put") => {
            let size = store(state, &path, body).await?;
            let encoding = parts
                .headers
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let (id, n) = (task_id.to_owned(), name.clone());
            state
                .db
                .write(move |tx| {
                    let size = i64::try_from(size).unwrap_or(i64::MAX);
                    artifacts::uploaded(tx, &id, run, &n, size, encoding.as_deref())
                })
                .await?;
            Ok(StatusCode::OK.into_response())
        }
        (&Method::GET | &Method::HEAD, "get") => serve(parts, &path, &artifact).await,
        _ => Err(ApiError::auth(
            "this blob URL is signed for another operation",
        )),
    }
}

/// Streams the body to a temporary file, fsyncs it, renames it into place and fsyncs the
/// directory: the reply comes only when the bytes are on disk.
async fn store(state: &State, path: &std::path::Path, body: Body) -> Result<u64, ApiError> {
    let dir = path
        .parent()
        .ok_or_else(|| ApiError::internal("a blob path has no directory"))?;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(ApiError::internal)?;
    let tmp = dir.join(format!(".upload-{}", uuid::Uuid::new_v4()));
    let mut file = tokio::fs::File::create(&tmp)
        .await
        .map_err(ApiError::internal)?;
    let mut stream = body.into_data_stream();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(ApiError::input(format!("the upload was cut short: {e}")));
            }
        };
        size += chunk.len() as u64;
        if size > state.config.max_blob_size {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(ApiError::too_large(format!(
                "the upload is over {} bytes (--max-blob-size)",
                state.config.max_blob_size
            )));
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    file.sync_all().await.map_err(ApiError::internal)?;
    drop(file);
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(ApiError::internal)?;
    if let Ok(d) = tokio::fs::File::open(dir).await {
        let _ = d.sync_all().await;
    }
    Ok(size)
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` within `len`: the inclusive range, or `Err` when it
/// cannot be satisfied; `None` for anything else (served whole).
fn range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let parsed = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            if n == 0 || len == 0 {
                return Some(Err(()));
            }
            (len.saturating_sub(n), len - 1)
        }
        (a, "") => (a.parse().ok()?, len.saturating_sub(1)),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.min(len.saturating_sub(1)),
        ),
    };
    Some(if parsed.0 >= len || parsed.0 > parsed.1 {
        Err(())
    } else {
        Ok(parsed)
    })
}

async fn serve(
    parts: &Parts,
    path: &std::path::Path,
    artifact: &artifacts::Artifact,
) -> Result<Response, ApiError> {
    let Ok(mut file) = tokio::fs::File::open(path).await else {
        return Err(ApiError::not_found(format!(
            "artifact `{}` was not uploaded",
            artifact.name
        )));
    };
    let len = file.metadata().await.map_err(ApiError::internal)?.len();
    let wanted = parts
        .headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| range(v, len));
    let (status, start, end) = match wanted {
        Some(Err(())) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
        Some(Ok((a, b))) => (StatusCode::PARTIAL_CONTENT, a, b + 1),
        None => (StatusCode::OK, 0, len),
    };
    let count = end - start;
    let body = if parts.method == Method::HEAD {
        Body::empty()
    } else {
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(ApiError::internal)?;
        let reader = file.take(count);
        Body::from_stream(tokio_util::io::ReaderStream::new(reader))
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&artifact.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Some(enc) = artifact
        .content_encoding
        .as_deref()
        .and_then(|e| HeaderValue::from_str(e).ok())
    {
        h.insert(header::CONTENT_ENCODING, enc);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(r)
}
