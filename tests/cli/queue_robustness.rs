//! Malformed requests to `tc queue serve` (the queue issue's reliability list): random methods,
//! paths, Hawk headers, content types and bodies get the spec's 4xx answers, never a 500, and
//! the server keeps serving.

use crate::common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::queue::Queue;
use proptest::prelude::*;

/// Sends one HTTP/1.1 request; returns the status code.
fn send(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<u16> {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        let _ = write!(req, "{k}: {v}\r\n");
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    send_raw(addr, &bytes).map(|(status, _)| status)
}

/// Sends `request` as it is (any bytes) and reads until the server closes: the status code and
/// the whole answer, or `None` when the connection closed without one.
fn send_raw(addr: &str, request: &[u8]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    s.write_all(request).ok()?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text))
}

/// Sends only the head of a request (its headers say how long the body would be).
fn send_head(addr: &str, method: &str, path: &str, headers: &[(String, String)]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        let _ = write!(req, "{k}: {v}\r\n");
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
        // The clock check must not overflow on the most negative ts.
        Just(Some(
            "Hawk id=\"probe-client\", ts=\"-9223372036854775808\", nonce=\"n\", mac=\"x\""
                .to_owned()
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

/// Path tails of raw bytes: percent-escapes whole, cut short or not hex, UTF-8 whole and cut
/// in two, bytes that are never UTF-8, and the characters that split paths and queries.
fn raw_tail() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"%".to_vec()),
        Just(b"%a".to_vec()),
        Just(b"%C3%A9".to_vec()),
        Just(b"%c3".to_vec()),
        Just(b"%ff".to_vec()),
        Just(b"%zz".to_vec()),
        Just("é".as_bytes().to_vec()),
        Just(vec![0xc3]),
        Just(vec![0xa9]),
        Just(vec![0xff]),
        Just(b"/".to_vec()),
        Just(b"?".to_vec()),
        Just(b"&sig=".to_vec()),
        Just(b"+".to_vec()),
        "[A-Za-z0-9_-]{1,4}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
}

/// The routes that take a path segment, a rest-of-path name or a query value.
const RAW_PREFIXES: [&str; 9] = [
    "/api/queue/v1/task/",
    "/api/queue/v1/task/fTW-mBb9Q7G4aDQ3MQfYmA/runs/0/artifacts/",
    "/api/queue/v1/task/fTW-mBb9Q7G4aDQ3MQfYmA/artifacts/",
    "/api/queue/v1/task-group/",
    "/api/queue/v1/task-group/fTW-mBb9Q7G4aDQ3MQfYmA/list?continuationToken=",
    "/api/queue/v1/claim-work/",
    "/_tc/blobs/fTW-mBb9Q7G4aDQ3MQfYmA/0/",
    "/_tc/blobs/fTW-mBb9Q7G4aDQ3MQfYmA/0/public/x?op=get&exp=",
    "/_tc/blobs/fTW-mBb9Q7G4aDQ3MQfYmA/0/public/x?op=get&exp=99999999999&sig=",
];

/// Sends `method prefix+tail` with no credentials; the status and answer.
fn send_raw_target(addr: &str, method: &str, target: &[u8]) -> Option<(u16, String)> {
    let mut req = format!("{method} ").into_bytes();
    req.extend_from_slice(target);
    req.extend_from_slice(
        b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    send_raw(addr, &req)
}

#[test]
fn raw_request_lines_never_panic_a_handler() {
    let q = Queue::start(&["--claim-work-timeout", "0.2"]);
    let addr = q.root_url.trim_start_matches("http://").to_owned();
    // The issue's request: an escape cut short before a two-byte character.
    let (status, answer) =
        send_raw_target(&addr, "GET", b"/api/queue/v1/task/%a\xc3\xa9").expect("an answer");
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("percent-encoded"), "{answer}");
    let config = ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(
        method in prop_oneof![Just("GET"), Just("PUT"), Just("POST"), Just("HEAD")],
        prefix in prop::sample::select(&RAW_PREFIXES[..]),
        tail in raw_tail(),
    )| {
        let mut target = prefix.as_bytes().to_vec();
        target.extend_from_slice(&tail);
        let shown = String::from_utf8_lossy(&target).into_owned();
        let answer = send_raw_target(&addr, method, &target);
        let (status, _) = answer.unwrap_or_else(|| panic!("no answer to {method} {shown:?}\n{}", q.log()));
        prop_assert!(status < 500, "{method} {shown:?} got {status}\n{}", q.log());
    });
    let log = q.log();
    assert!(
        !log.contains("panicked") && !log.contains("internal error"),
        "{log}"
    );
}

/// An unnamed temporary credential of the probe client, `start`..`expiry` (ms): its
/// certificate as JSON and its access token (both derived as upstream's clients derive them).
fn temporary_credentials(start: i64, expiry: i64) -> (String, String) {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use tc_server::hawk::hmac_sha256;
    let key = common::queue::ACCESS_TOKEN.as_bytes();
    let seed = "s".repeat(44);
    let signed = format!("version:1\nseed:{seed}\nstart:{start}\nexpiry:{expiry}\nscopes:\n*");
    let cert = serde_json::json!({
        "version": 1, "scopes": ["*"], "start": start, "expiry": expiry, "seed": seed,
        "signature": STANDARD.encode(hmac_sha256(key, signed.as_bytes())),
    });
    let token = URL_SAFE_NO_PAD.encode(hmac_sha256(key, seed.as_bytes()));
    (cert.to_string(), token)
}

#[test]
fn a_certificate_whose_lifetime_overflows_is_401() {
    let q = Queue::start(&[]);
    let status_with = |start: i64, expiry: i64| {
        let (cert, token) = temporary_credentials(start, expiry);
        let out = common::tc()
            .args(["task", "status", "fTW-mBb9Q7G4aDQ3MQfYmA"])
            .env("TASKCLUSTER_ROOT_URL", &q.root_url)
            .env("TASKCLUSTER_CLIENT_ID", common::queue::CLIENT_ID)
            .env("TASKCLUSTER_ACCESS_TOKEN", token)
            .env("TASKCLUSTER_CERTIFICATE", cert)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let now = chrono::Utc::now().timestamp_millis();
    // A certificate of an hour is accepted: the task is simply not there.
    let fine = status_with(now - 60_000, now + 3_600_000);
    assert!(fine.contains("ResourceNotFound"), "{fine}\n{}", q.log());
    // The issue's: `expiry - start` wraps to a short lifetime when computed unchecked.
    for (start, expiry) in [
        (i64::MIN, 1_000_000_000_000_000_000),
        (i64::MIN + 1, i64::MAX),
    ] {
        let err = status_with(start, expiry);
        assert!(
            err.contains("AuthenticationFailed") && err.contains("invalid certificate"),
            "start {start}, expiry {expiry}: {err}\n{}",
            q.log()
        );
    }
}

/// Whether the server closes `s` (end of stream or reset) before the client's own minute runs
/// out; bytes the server sends first are read and dropped.
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Reads one keep-alive answer (head and `Content-Length` body); its status.
fn read_answer(s: &mut TcpStream) -> Option<u16> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).ok().filter(|n| *n > 0)?;
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_owned())
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if body.len() >= length {
            return head.split_whitespace().nth(1)?.parse().ok();
        }
    }
}

const PING: &[u8] = b"GET /api/queue/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn idle_and_slow_connections_are_closed() {
    let q = Queue::start(&["--header-read-timeout", "1", "--idle-timeout", "1"]);
    let addr = q.root_url.trim_start_matches("http://").to_owned();
    let connect = || TcpStream::connect(&addr).unwrap();
    let mut idle: Vec<TcpStream> = (0..20).map(|_| connect()).collect();
    // Kept alive after one answer, then idle.
    let mut answered = connect();
    answered.write_all(PING).unwrap();
    assert_eq!(read_answer(&mut answered), Some(200));
    // Headers trickling in: a byte every 200 ms, never ending the head.
    let mut trickling: Vec<TcpStream> = (0..20).map(|_| connect()).collect();
    let writers: Vec<_> = trickling
        .iter()
        .map(|s| {
            let mut w = s.try_clone().unwrap();
            std::thread::spawn(move || {
                let _ = w.write_all(b"GET /api/queue/v1/ping HTTP/1.1\r\nX-Slow: ");
                for _ in 0..300 {
                    if w.write_all(b"a").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        })
        .collect();
    for s in idle
        .iter_mut()
        .chain([&mut answered])
        .chain(trickling.iter_mut())
    {
        assert!(closed_by_server(s), "a connection stayed open\n{}", q.log());
    }
    for w in writers {
        w.join().unwrap();
    }
    // The server still serves.
    assert_eq!(
        send(&addr, "GET", "/api/queue/v1/ping", &[], b""),
        Some(200)
    );
}

#[test]
fn connections_over_the_cap_wait_for_a_free_one() {
    let q = Queue::start(&["--max-connections", "2"]);
    let addr = q.root_url.trim_start_matches("http://").to_owned();
    let kept: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(PING).unwrap();
            assert_eq!(read_answer(&mut s), Some(200));
            s
        })
        .collect();
    // A third connection is not served while the two are open...
    let mut third = TcpStream::connect(&addr).unwrap();
    third.write_all(PING).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = third.read(&mut byte);
    assert!(
        early.as_ref().is_err_and(|e| matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )),
        "{early:?}"
    );
    assert!(q.log().contains("--max-connections"), "{}", q.log());
    // ...and is once one of them closes.
    drop(kept);
    third
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    assert_eq!(read_answer(&mut third), Some(200), "{}", q.log());
}

#[test]
fn a_long_poll_outlasts_the_idle_timeout() {
    if !common::queue::pyclient_available() {
        return;
    }
    // claimWork holds 3 s on an empty queue; the idle timeout of 1 s must not cut it.
    let q = Queue::start(&["--claim-work-timeout", "3", "--idle-timeout", "1"]);
    let (ok, out) = q.python("claim_one.py", &["proj/none"]);
    assert!(ok, "{out}\n{}", q.log());
    assert_eq!(out.trim(), "0 tasks");
}

/// A free loopback port (free when this returns; the test takes it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server on `port` over `dir`, serving once this returns; its log is `dir/<port>.log`.
fn serve_on(dir: &std::path::Path, port: u16) -> std::process::Child {
    let log = std::fs::File::create(dir.join(format!("{port}.log"))).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tc"))
        .args(["queue", "serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--state-dir")
        .arg(dir)
        .args(["--root-client-id", common::queue::CLIENT_ID])
        .args(["--root-access-token", common::queue::ACCESS_TOKEN])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..600 {
        if send(&addr, "GET", "/api/queue/v1/ping", &[], b"") == Some(200) {
            return child;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(dir.join(format!("{port}.log"))).unwrap();
            panic!("the server exited ({status}) instead of serving:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the server on port {port} did not answer");
}

fn stop(mut child: std::process::Child) {
    let pid = nix::unistd::Pid::from_raw(child.id().cast_signed());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn credentials_json_is_rewritten_only_when_it_changes_and_never_stops_a_start() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials.json");
    let port = free_port();
    stop(serve_on(dir.path(), port));
    let (text, inode) = (
        std::fs::read_to_string(&creds).unwrap(),
        std::fs::metadata(&creds).unwrap().ino(),
    );
    // The same address: the file is left as it is.
    stop(serve_on(dir.path(), port));
    assert_eq!(std::fs::metadata(&creds).unwrap().ino(), inode);
    // A disk that takes no new file (the temporary file cannot be created): a server on another
    // address still starts, says so, and the old file stays whole.
    std::fs::create_dir(dir.path().join(".credentials.json.tmp")).unwrap();
    let other = free_port();
    stop(serve_on(dir.path(), other));
    let log = std::fs::read_to_string(dir.path().join(format!("{other}.log"))).unwrap();
    assert!(log.contains("warning: cannot write"), "{log}");
    assert_eq!(std::fs::read_to_string(&creds).unwrap(), text);
}

#[test]
fn a_non_ascii_authorization_header_is_401() {
    let q = Queue::start(&[]);
    let addr = q.root_url.trim_start_matches("http://").to_owned();
    let claim = r#"{"workerGroup": "g", "workerId": "w", "tasks": 1}"#;
    // Anonymous, the first would be 404 (no such task) and the second 403 (no scopes).
    for (method, route, body) in [
        ("GET", "task/fTW-mBb9Q7G4aDQ3MQfYmA/status", ""),
        ("POST", "claim-work/proj/q", claim),
    ] {
        let mut req = format!(
            "{method} /api/queue/v1/{route} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAuthorization: Hawk id=\"",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice("é\", ts=\"1\", nonce=\"n\", mac=\"m\"\r\n\r\n".as_bytes());
        req.extend_from_slice(body.as_bytes());
        let (status, answer) = send_raw(&addr, &req).expect("an answer");
        assert_eq!(status, 401, "{method} {route}: {answer}");
        assert!(answer.contains("not ASCII"), "{answer}");
    }
}

#[test]
fn a_second_server_on_the_state_dir_exits_2_and_leaves_the_first_alone() {
    let q = Queue::start(&[]);
    let dir = q.state_dir.path();
    let creds = std::fs::read_to_string(dir.join("credentials.json")).unwrap();
    let holder = format!("in use by process {}", q.pid().unwrap());
    // On another port (the issue's case), and on the first one's.
    let first = q.root_url.trim_start_matches("http://");
    for listen in ["127.0.0.1:0", first] {
        let out = common::tc()
            .args(["queue", "serve", "--listen", listen, "--state-dir"])
            .arg(dir)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&holder), "{err}");
    }
    // --print-env names the running server, and changes nothing.
    let env = common::tc()
        .args([
            "queue",
            "serve",
            "--print-env",
            "--listen",
            "127.0.0.1:9",
            "--state-dir",
        ])
        .arg(dir)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let env = String::from_utf8_lossy(&env.stdout);
    assert!(
        env.contains(&format!("export TASKCLUSTER_ROOT_URL={}\n", q.root_url)),
        "{env}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("credentials.json")).unwrap(),
        creds
    );
}

#[test]
fn an_anonymous_403_shows_the_scope_expression_and_how_to_authenticate() {
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("task.yml");
    std::fs::write(
        &file,
        "payload:\n  command: [[/bin/true]]\n  maxRunTime: 60\nmetadata:\n  name: hello\n",
    )
    .unwrap();
    // No credentials anywhere: none in the environment, no credentials.json to fall back on.
    let out = common::tc()
        .arg("submit")
        .arg(&file)
        .env("TASKCLUSTER_ROOT_URL", &q.root_url)
        .env_remove("TASKCLUSTER_CLIENT_ID")
        .env_remove("TASKCLUSTER_ACCESS_TOKEN")
        .env_remove("TASKCLUSTER_CERTIFICATE")
        .env("TC_QUEUE_STATE_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("InsufficientScopes"), "{err}");
    // The expression itself, not only the sentence that introduces it.
    assert!(
        err.contains("queue:create-task:") && err.contains("queue:scheduler-id:"),
        "{err}"
    );
    assert!(err.contains("carried no credentials"), "{err}");
    assert!(err.contains("TASKCLUSTER_ACCESS_TOKEN"), "{err}");
}
