//! One task queue's claim loop (queue-api.md §9): reserve free slots, claim that many runs,
//! hand each to a job, give the unused slots back.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use super::error::WorkerError;
use super::{Ctx, job};
use tc_api::encode;
use tc_client::api_error;

/// claimWork asks for at most this many runs at once.
const MAX_CLAIM: usize = 32;

/// A pause of `base` plus up to a quarter more, so workers do not poll in step.
fn jittered(base: Duration) -> Duration {
    base + base * u32::from(uuid::Uuid::new_v4().as_bytes()[0]) / 1024
}

/// Claims from `queue` until the worker stops claiming. Credentials the queue refuses end the
/// worker (an error); everything else is retried.
pub(super) async fn claim_loop(ctx: Arc<Ctx>, queue: String) -> Result<(), WorkerError> {
    let mut backoff = Duration::from_secs(1);
    let mut stop = ctx.stop.clone();
    let mut gave_up = ctx.gave_up.subscribe();
    let route = format!("claim-work/{}", encode(&queue));
    loop {
        if !ctx.may_claim() {
            return Ok(());
        }
        // The semaphore hands slots out in the order asked, so queues take turns.
        let first = tokio::select! {
            p = ctx.slots.clone().acquire_owned() => p.map_err(WorkerError::Slots)?,
            _ = stop.wait_for(|s| s.stopping()) => return Ok(()),
        };
        // A fair share of the free slots, so one queue's long poll does not hold them all.
        let free = 1 + ctx.slots.available_permits();
        let share = free.div_ceil(ctx.cfg.queues.len().max(1)).min(MAX_CLAIM);
        let mut permits = vec![first];
        while permits.len() < share {
            match ctx.slots.clone().try_acquire_owned() {
                Ok(p) => permits.push(p),
                Err(_) => break,
            }
        }
        if !ctx.may_claim() {
            return Ok(());
        }
        let body = json!({
            "workerGroup": ctx.cfg.worker_group,
            "workerId": ctx.cfg.worker_id,
            "tasks": permits.len(),
        });
        // Not raced with shutdown: the queue may claim at any moment of the long poll, and a
        // claim that arrives is reported (worker-shutdown), never dropped. The end of
        // `--once`'s wait closes the request instead: the queue claims nothing for a request
        // that is gone (queue-api.md §4.3), and one whose answer was on its way expires.
        let answer = tokio::select! {
            a = ctx.cfg.client.call("POST", &route, Some(&body)) => a,
            _ = gave_up.wait_for(|g| *g) => return Ok(()),
        };
        let pause = match answer {
            Ok(a) if a.status == 200 => {
                backoff = Duration::from_secs(1);
                let tasks = a.body["tasks"].as_array().cloned().unwrap_or_default();
                for claim in &tasks {
                    let Some(permit) = permits.pop() else {
                        ctx.say("the queue gave more tasks than asked for; the extra claims will expire");
                        break;
                    };
                    ctx.claimed.fetch_add(1, Ordering::SeqCst);
                    if ctx.cfg.once {
                        ctx.claiming.store(false, Ordering::SeqCst);
                    }
                    tokio::spawn(job::run(ctx.clone(), claim.clone(), permit));
                }
                // Slots not filled go back before the pause.
                drop(permits);
                if !tasks.is_empty() {
                    continue;
                }
                jittered(Duration::from_secs(1))
            }
            Ok(a) if matches!(a.status, 401 | 403) => {
                return Err(WorkerError::ClaimRefused {
                    queue,
                    worker_group: ctx.cfg.worker_group.clone(),
                    worker_id: ctx.cfg.worker_id.clone(),
                    refusal: Box::new(api_error(&a)),
                });
            }
            Ok(a) => {
                ctx.say(&format!("claimWork on {queue}: {}", api_error(&a)));
                drop(permits);
                next_backoff(&mut backoff)
            }
            Err(e) => {
                ctx.say(&format!("claimWork on {queue}: {e}"));
                drop(permits);
                next_backoff(&mut backoff)
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|s| s.stopping()) => return Ok(()),
        }
    }
}

/// 1 s, doubling to 30 s, with jitter.
fn next_backoff(backoff: &mut Duration) -> Duration {
    let now = *backoff;
    *backoff = (*backoff * 2).min(Duration::from_secs(30));
    jittered(now)
}
