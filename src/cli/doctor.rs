//! `tc doctor`: what tc would use on this machine, and why.

use super::format::DocumentFormatArg;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::output::{self, Format, table};

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The cache root to check (default $TC_CACHE_DIR, else your user cache directory + /tc).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// The queue to check.
    #[arg(
        long,
        env = "TASKCLUSTER_ROOT_URL",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    pub root_url: String,

    #[command(flatten)]
    pub format: DocumentFormatArg,
}

/// The most lines a check's details take in the human table (a narrow terminal wraps them a lot).
const DETAIL_LINES: usize = 10;

/// One check: what, whether it is fine, and the details or the remedy.
fn check(name: &str, ok: bool, detail: String) -> Value {
    json!({"check": name, "ok": ok, "detail": detail})
}

/// Whether a failed check makes `tc doctor` fail: local runs need no queue.
fn required(name: &str) -> bool {
    name != "queue"
}

async fn checks(args: &DoctorArgs) -> Vec<Value> {
    let mut out = Vec::new();
    match tc_run::engine::docker::connect().await {
        Ok((_, d)) => out.push(check(
            "docker",
            true,
            format!(
                "{} {} (API {}){} at {}",
                d.product,
                d.version,
                d.api_version,
                if d.rootless { ", rootless" } else { "" },
                d.address
            ),
        )),
        Err(e) => out.push(check(
            "docker",
            false,
            format!(
                "{}; docker-worker tasks need a daemon (start dockerd, or set DOCKER_HOST)",
                tc_run::error::chain(&e)
            ),
        )),
    }
    let root = tc_run::caches::root(args.cache_dir.as_deref());
    let writable =
        std::fs::create_dir_all(&root).and_then(|()| tempfile::tempfile_in(&root).map(drop));
    out.push(match writable {
        Ok(()) => check("cache root", true, format!("{} (writable)", root.display())),
        Err(e) => check(
            "cache root",
            false,
            format!(
                "{}: {e}; choose another with --cache-dir or TC_CACHE_DIR",
                root.display()
            ),
        ),
    });
    let url = format!("{}/api/queue/v1/ping", args.root_url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build();
    let answer = match client {
        Ok(c) => c.get(&url).send().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    out.push(match answer {
        Ok(resp) if resp.status().is_success() => check("queue", true, format!("{} answers", args.root_url)),
        Ok(resp) => check("queue", false, format!("{url} answered {}", resp.status())),
        Err(e) => check(
            "queue",
            false,
            format!(
                "no queue is answering at {} ({e}) — start one with 'tc queue serve', or set TASKCLUSTER_ROOT_URL to a TaskCluster deployment",
                args.root_url
            ),
        ),
    });
    out
}

pub(super) fn run(args: DoctorArgs, format: Format) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    let results = runtime.block_on(checks(&args));
    let all_ok = results
        .iter()
        .all(|r| r["ok"] == true || !required(r["check"].as_str().unwrap_or_default()));
    match format {
        Format::Human => {
            // The details hold the advice (what to start or set): shown whole unless huge.
            let mut t = table::with_max_lines(&["check", "", "details"], DETAIL_LINES);
            for r in &results {
                let name = r["check"].as_str().unwrap_or_default();
                let mark = match (r["ok"] == true, required(name)) {
                    (true, _) => "ok",
                    (false, true) => "FAIL",
                    (false, false) => "absent",
                };
                t.add_row(vec![
                    r["check"].as_str().unwrap_or_default().to_owned(),
                    mark.to_owned(),
                    r["detail"].as_str().unwrap_or_default().to_owned(),
                ]);
            }
            output::print_text(&t.to_string())?;
        }
        _ => output::print_document(format, &json!({ "checks": results, "ok": all_ok }))?,
    }
    Ok(if all_ok {
        tc_run::exit_codes::OK
    } else {
        tc_run::exit_codes::FAILED
    })
}
