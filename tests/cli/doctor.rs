//! `tc doctor` against a real Docker daemon, a dead socket, and a queue that answers.

use crate::common::{self, Test};

use std::io::{Read, Write};
use std::net::TcpListener;

use serde_json::Value;

/// A test whose cache root (`TC_CACHE_DIR`) is there.
fn with_cache_root() -> Test {
    let test = Test::new();
    std::fs::create_dir(test.path("cache")).unwrap();
    test
}

fn doctor(envs: &[(&str, &str)], args: &[&str]) -> (i32, Value) {
    let mut test = with_cache_root()
        .args(["doctor", "--format", "json"])
        .args(args)
        .any_status();
    for (k, v) in envs {
        test = test.env(k, v);
    }
    let out = test.run();
    (out.status.unwrap(), out.json())
}

fn check<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap()
}

#[test]
fn a_dead_docker_host_is_named_and_fails() {
    let (code, doc) = doctor(&[("DOCKER_HOST", "unix:///nonexistent/tc-test.sock")], &[]);
    assert_eq!(code, 1);
    let docker = check(&doc, "docker");
    assert_eq!(docker["ok"], false);
    assert!(
        docker["detail"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/tc-test.sock"),
        "{docker}"
    );
    assert!(docker["detail"].as_str().unwrap().contains("DOCKER_HOST"));
}

#[test]
fn a_live_daemon_is_reported_with_its_version() {
    if !common::docker_available() {
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, doc) = doctor(&[], &["--root-url", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(
        code, 0,
        "docker and the cache root are fine; no queue is only noted: {doc}"
    );
    let docker = check(&doc, "docker");
    assert_eq!(docker["ok"], true);
    assert!(
        docker["detail"].as_str().unwrap().contains("API 1."),
        "{docker}"
    );
    assert_eq!(check(&doc, "queue")["ok"], false);
    assert!(
        check(&doc, "queue")["detail"]
            .as_str()
            .unwrap()
            .contains("tc queue serve")
    );
}

#[test]
fn a_queue_that_answers_ping_is_ok() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten().take(3) {
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let body = r#"{"alive": true, "uptime": 1}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let (_, doc) = doctor(&[], &["--root-url", &format!("http://127.0.0.1:{port}/")]);
    assert_eq!(check(&doc, "queue")["ok"], true, "{doc}");
    assert_eq!(check(&doc, "cache root")["ok"], true);
}

/// The human table fits `$COLUMNS`: details wrap in their column, the advice stays whole, and a
/// huge detail (a long `DOCKER_HOST`) ends in `…`.
#[test]
fn the_human_table_fits_the_columns_and_cuts_a_huge_detail() {
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let socket = format!(
        "/nonexistent/{}/docker.sock",
        ["deeply-nested-directory"; 20].join("/")
    );
    let text = with_cache_root()
        .env("COLUMNS", "60")
        .env("DOCKER_HOST", format!("unix://{socket}"))
        .args(["doctor", "--root-url"])
        .arg(format!("http://127.0.0.1:{closed_port}"))
        .status(1)
        .run()
        .stdout;
    for line in text.lines() {
        assert!(common::display_width(line) <= 60, "{line:?} in\n{text}");
    }
    assert_eq!(
        text.matches('…').count(),
        1,
        "only the docker detail is cut: {text}"
    );
    let docker_row_end = text
        .lines()
        .take_while(|l| !l.contains("cache root"))
        .last()
        .unwrap();
    assert!(
        docker_row_end.trim_end_matches([' ', '│']).ends_with('…'),
        "{text}"
    );
    assert!(
        text.contains("deployment"),
        "the queue's advice is whole: {text}"
    );
}
