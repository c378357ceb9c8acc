//! Malformed requests to `tc queue serve` (the queue issue's reliability list): random methods,
//! paths, Hawk headers, content types and bodies get the spec's 4xx answers, never a 500, and
//! the server keeps serving.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::queue::Queue;
use proptest::prelude::*;

/// Sends one raw HTTP/1.1 request; returns the status code.
fn send(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Sends only the head of a request (its headers say how long the body would be).
fn send_head(addr: &str, method: &str, path: &str, headers: &[(String, String)]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn path() -> impl Strategy<Value = String> {
    let id = prop_oneof![
        Just("fTW-mBb9Q7G4aDQ3MQfYmA".to_owned()),
        "[A-Za-z0-9_%-]{0,30}",
        Just("%ZZ".to_owned()),
        Just("..".to_owned()),
    ];
    let segs = prop::collection::vec(id, 0..4);
    let route = prop_oneof![
        Just("task/{}"),
        Just("task/{}/status"),
        Just("task/{}/runs/{}/completed"),
        Just("task/{}/runs/{}/artifacts/{}"),
        Just("claim-work/{}/{}"),
        Just("task-group/{}/list"),
        Just("task/{}/cancel"),
        Just("{}"),
    ];
    let query = prop_oneof![
        Just(String::new()),
        Just("?limit=0".to_owned()),
        Just("?continuationToken=%%%".to_owned()),
        Just("?bewit=abc".to_owned()),
        "\\?[a-z=&%0-9]{0,20}",
    ];
    (route, segs, query).prop_map(|(r, segs, q)| {
        let mut out = r.to_owned();
        for s in segs {
            out = out.replacen("{}", &s, 1);
        }
        format!("/api/queue/v1/{}{q}", out.replace("{}", "x"))
    })
}

fn authorization() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "[ -~]{0,80}".prop_map(Some),
        ("[a-z]{1,8}", "[0-9]{1,12}", "[A-Za-z0-9+/=]{0,20}").prop_map(|(id, ts, mac)| Some(
            format!("Hawk id=\"{id}\", ts=\"{ts}\", nonce=\"n\", mac=\"{mac}\", ext=\"{mac}\"")
        )),
        Just(Some(
            "Hawk id=\"probe-client\", ts=\"1\", nonce=\"n\", mac=\"x\", dlg=\"y\"".to_owned()
        )),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        Just(b"{\"taskQueueId\": 5}".to_vec()),
        Just(b"{\"workerGroup\": \"g\", \"workerId\": \"w\", \"tasks\": 99}".to_vec()),
        Just(b"[]".to_vec()),
        Just(b"{\"storageType\": \"s3\", \"expires\": \"yesterday\"}".to_vec()),
        "[ -~]{0,100}".prop_map(String::into_bytes),
    ]
}

#[test]
fn malformed_requests_never_get_a_500() {
    let q = Queue::start(&["--claim-work-timeout", "0.2"]);
    let addr = q.root_url.trim_start_matches("http://").to_owned();
    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(
        method in prop_oneof![Just("GET"), Just("PUT"), Just("POST"), Just("DELETE"), Just("HEAD")],
        path in path(),
        auth in authorization(),
        ctype in prop_oneof![Just("application/json"), Just("text/plain"), Just("")],
        body in body(),
    )| {
        let mut headers = vec![("Content-Type".to_owned(), ctype.to_owned())];
        if let Some(a) = auth {
            headers.push(("Authorization".to_owned(), a));
        }
        let status = send(&addr, method, &path, &headers, &body);
        let status = status.unwrap_or_else(|| panic!("no answer to {method} {path}\n{}", q.log()));
        prop_assert!(status < 500, "{method} {path} got {status}\n{}", q.log());
    });
    // A body declared over 10 MiB is 413 before it is sent, and the server still answers.
    let declared = [("Content-Length".to_owned(), (11 * 1024 * 1024).to_string())];
    assert_eq!(
        send_head(
            &addr,
            "PUT",
            "/api/queue/v1/task/fTW-mBb9Q7G4aDQ3MQfYmA",
            &declared
        ),
        Some(413)
    );
    assert_eq!(
        send(&addr, "GET", "/api/queue/v1/ping", &[], b""),
        Some(200)
    );
    assert!(!q.log().contains("internal error"), "{}", q.log());
}

#[test]
fn credentials_stay_private_and_print_env_points_clients_at_the_queue() {
    use std::os::unix::fs::PermissionsExt;
    let q = Queue::start(&[]);
    let creds = q.state_dir.path().join("credentials.json");
    let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        !q.log().contains(common::queue::ACCESS_TOKEN),
        "the log never shows a token"
    );
    // A second state dir: the root token is generated once and kept.
    let dir = tempfile::tempdir().unwrap();
    let env = |dir: &std::path::Path| {
        let out = common::tc()
            .args([
                "queue",
                "serve",
                "--print-env",
                "--listen",
                "127.0.0.1:9999",
                "--state-dir",
            ])
            .arg(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let first = env(dir.path());
    assert!(
        first.contains("export TASKCLUSTER_ROOT_URL=http://127.0.0.1:9999\n"),
        "{first}"
    );
    assert!(
        first.contains("export TASKCLUSTER_CLIENT_ID=static/taskcluster/root\n"),
        "{first}"
    );
    let token = first
        .lines()
        .find_map(|l| l.strip_prefix("export TASKCLUSTER_ACCESS_TOKEN="))
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 44, "{token}");
    assert_eq!(env(dir.path()), first, "the same token on the next start");
}

#[test]
fn sigterm_answers_waiting_claims_with_no_tasks_and_exits_0() {
    if !common::queue::pyclient_available() {
        return;
    }
    // claimWork would hold a minute; SIGTERM must answer it at once with no tasks.
    let mut q = Queue::start(&["--claim-work-timeout", "60"]);
    let waiting = q
        .python_command("claim_one.py", &["proj/none"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The claim is in the server's long poll once the Python client has started and connected
    // (well under 4 s; the poll itself would last 60).
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(q.terminate(), Some(0), "{}", q.log());
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0 tasks");
}
