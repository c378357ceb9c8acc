//! The queue's throughput (issue: 10,000 no-op tasks created, claimed by 4 concurrent claimers
//! and resolved, durable storage on): end-to-end tasks per second and the p50/p99 of every call.
//! Run by scripts/bench-queue.sh against a release `tc queue serve`:
//! `queue_load ROOT_URL CLIENT_ID ACCESS_TOKEN [TASKS]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tc_api::encode;
use tc_client::{Client, Credentials};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

type Samples = Arc<Mutex<Vec<(&'static str, Duration)>>>;

async fn timed(
    samples: &Samples,
    name: &'static str,
    c: &Client,
    method: &str,
    route: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    let start = Instant::now();
    let a = c
        .ok(method, route, body)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    samples.lock().await.push((name, start.elapsed()));
    a.body
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [root, id, token, rest @ ..] = &args[..] else {
        eprintln!("usage: queue_load ROOT_URL CLIENT_ID ACCESS_TOKEN [TASKS]");
        std::process::exit(2);
    };
    let total: usize = rest.first().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let client = Client::new(root, Some(Credentials::new(id, token, None))).unwrap();
    let samples: Samples = Arc::default();
    // When the last task resolved (the claimers' final long-polls do not count).
    let finished: Arc<Mutex<Option<Instant>>> = Arc::default();
    let start = Instant::now();
    // Four creators and four claimers, all at once.
    let mut jobs = create_tasks(&client, &samples, total);
    jobs.extend(claim_and_resolve(&client, &samples, total, &finished));
    for j in jobs {
        j.await.unwrap();
    }
    let elapsed = finished
        .lock()
        .await
        .map_or_else(|| start.elapsed(), |f| f - start);
    println!(
        "{total} tasks created, claimed and resolved in {:.2} s: {:.0} tasks/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    print_latencies(&samples.lock().await);
}

const QUEUE: &str = "bench/noop";

/// Four creators that make `total` no-op tasks between them.
fn create_tasks(client: &Client, samples: &Samples, total: usize) -> Vec<JoinHandle<()>> {
    let created = Arc::new(AtomicUsize::new(0));
    (0..4)
        .map(|_| {
            let (c, s, created) = (client.clone(), samples.clone(), created.clone());
            tokio::spawn(async move {
                while created.fetch_add(1, Ordering::Relaxed) < total {
                    let now = chrono::Utc::now();
                    let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                    let task = json!({
                        "taskQueueId": QUEUE,
                        "created": fmt(now),
                        "deadline": fmt(now + chrono::TimeDelta::hours(1)),
                        "payload": {},
                        "metadata": {"name": "noop", "description": "bench", "owner": "bench@example.com", "source": "https://example.com/bench"},
                    });
                    let id = tc_taskdef::slugid::nice();
                    timed(&s, "createTask", &c, "PUT", &format!("task/{id}"), Some(&task)).await;
                }
            })
        })
        .collect()
}

/// Four claimers that resolve what they claim until `total` tasks resolved; `finished` gets the
/// moment the last one did.
fn claim_and_resolve(
    client: &Client,
    samples: &Samples,
    total: usize,
    finished: &Arc<Mutex<Option<Instant>>>,
) -> Vec<JoinHandle<()>> {
    let resolved = Arc::new(AtomicUsize::new(0));
    (0..4)
        .map(|w| {
            let (c, s, resolved, finished) = (
                client.clone(),
                samples.clone(),
                resolved.clone(),
                finished.clone(),
            );
            tokio::spawn(async move {
                let body =
                    json!({"workerGroup": "bench", "workerId": format!("w{w}"), "tasks": 32});
                let route = format!("claim-work/{}", encode(QUEUE));
                // The claimers stop once every task resolved; a last empty long-poll may remain.
                while resolved.load(Ordering::Relaxed) < total {
                    let got = timed(&s, "claimWork", &c, "POST", &route, Some(&body)).await;
                    for t in got["tasks"].as_array().cloned().unwrap_or_default() {
                        resolve(&s, &c, &t).await;
                        if resolved.fetch_add(1, Ordering::Relaxed) + 1 == total {
                            *finished.lock().await = Some(Instant::now());
                        }
                    }
                }
            })
        })
        .collect()
}

/// reportCompleted for one claim, with its credentials.
async fn resolve(samples: &Samples, client: &Client, claim: &serde_json::Value) {
    let task_id = claim["status"]["taskId"].as_str().unwrap_or_default();
    let cr = &claim["credentials"];
    let creds = Credentials::new(
        cr["clientId"].as_str().unwrap_or_default(),
        cr["accessToken"].as_str().unwrap_or_default(),
        cr["certificate"].as_str().map(str::to_owned),
    );
    let route = format!("task/{task_id}/runs/0/completed");
    let wc = client.with_credentials(Some(creds));
    timed(samples, "reportCompleted", &wc, "POST", &route, None).await;
}

/// p50 and p99 of each call.
fn print_latencies(samples: &[(&'static str, Duration)]) {
    for name in ["createTask", "claimWork", "reportCompleted"] {
        let mut d: Vec<Duration> = samples
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, d)| *d)
            .collect();
        d.sort();
        if d.is_empty() {
            continue;
        }
        let at =
            |percent: usize| d[(d.len() * percent / 100).min(d.len() - 1)].as_secs_f64() * 1000.0;
        println!(
            "{name:<16} {:>6} calls  p50 {:>6.2} ms  p99 {:>6.2} ms",
            d.len(),
            at(50),
            at(99)
        );
    }
}
