//! A task's log on stdout (`tc task log`, `tc submit --follow`).

use std::io::Write as _;
use std::time::Duration;

use tc_client::Client;

use crate::error::{Error, Result};

/// Prints a task's log; with `follow`, new output until the task resolves (Range requests
/// for what is new, also while the task is still pending).
pub(super) async fn print_log(
    client: &Client,
    id: &str,
    run: Option<u32>,
    follow: bool,
) -> Result<i32> {
    let mut printed: u64 = 0;
    loop {
        let s = client.task_status(id).await?;
        let state = s["state"].as_str().unwrap_or_default().to_owned();
        let has_runs = s["runs"].as_array().is_some_and(|r| !r.is_empty());
        if has_runs {
            let run = client.run_of(id, run).await?;
            let from = (follow && printed > 0).then_some(printed);
            let mut got = client
                .artifact(id, run, "public/logs/live.log", from)
                .await?;
            if got.is_none() {
                got = client
                    .artifact(id, run, "public/logs/live_backing.log", from)
                    .await?;
            }
            if let Some(bytes) = got {
                let mut out = std::io::stdout().lock();
                out.write_all(&bytes)?;
                out.flush()?;
                printed += bytes.len() as u64;
            } else if !follow {
                return Err(Error::Api(format!("task {id} has no log yet")));
            }
        }
        if !follow || tc_client::resolved(&state) {
            return Ok(0);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
