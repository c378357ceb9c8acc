//! Mounts and caches through `tc run-local` on the native engine (worker.md §9): content from
//! raw text, base64 archives and a real HTTP server on 127.0.0.1; caches kept between runs,
//! purged by onExitStatus.purgeCaches, exclusive between concurrent runs.

use crate::common::{Test, TestDir};

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value;

/// `tc run-local --format json` of `task` (a new file in `dir`) into a new artifacts directory:
/// the exit status and the summary.
fn run(dir: &TestDir, task: &str, extra: &[&str]) -> (i32, Value) {
    let path = dir.write(format!("t{}.yml", rand_suffix()), task);
    let out = dir
        .test()
        .arg("run-local")
        .arg(path)
        .args(["--format", "json", "--artifacts-dir"])
        .arg(dir.path(format!("A{}", rand_suffix())))
        .args(extra)
        .any_status()
        .run();
    (
        out.status.unwrap(),
        serde_json::from_str(&out.stdout).unwrap_or(Value::Null),
    )
}

fn rand_suffix() -> String {
    tc_taskdef::slugid::nice()[..8].replace(['-', '_'], "x")
}

/// A tar.gz holding `hello/world.txt`, made with the system's tar.
fn tar_gz(dir: &Path) -> Vec<u8> {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("hello")).unwrap();
    std::fs::write(src.join("hello/world.txt"), "from the archive\n").unwrap();
    let out = dir.join("a.tar.gz");
    let ok = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&out)
        .arg("-C")
        .arg(&src)
        .arg("hello")
        .status()
        .unwrap();
    assert!(ok.success());
    std::fs::read(out).unwrap()
}

/// Serves `body` to every request on a free port; returns the URL.
fn serve(body: Vec<u8>, status: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(20) {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://127.0.0.1:{port}/content")
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn file_and_directory_mounts_are_in_place_before_the_task_starts() {
    let dir = TestDir::new();
    let archive = base64::engine::general_purpose::STANDARD.encode(tar_gz(dir.root()));
    let url = serve(b"downloaded\n".to_vec(), "200 OK");
    let task = format!(
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'cat conf/settings.txt tree/hello/world.txt got.txt > out.txt']]\n  artifacts: [{{type: file, path: out.txt}}]\n  mounts:\n    - {{file: conf/settings.txt, content: {{raw: \"raw text\\n\"}}}}\n    - {{directory: tree, format: tar.gz, content: {{base64: '{archive}'}}}}\n    - {{file: got.txt, content: {{url: '{url}', sha256: {}}}}}\n",
        sha256(b"downloaded\n")
    );
    let (code, sum) = run(&dir, &task, &[]);
    assert_eq!(code, 0, "{sum}");
    let out = PathBuf::from(sum["artifactsDir"].as_str().unwrap()).join("out.txt");
    assert_eq!(
        std::fs::read_to_string(out).unwrap(),
        "raw text\nfrom the archive\ndownloaded\n"
    );
}

#[test]
fn bad_mount_content_is_a_malformed_payload() {
    let dir = TestDir::new();
    let cases = [
        "mounts: [{file: x, content: {base64: '%%%'}}]".to_owned(),
        "mounts: [{directory: ../up, format: tar, content: {raw: x}}]".to_owned(),
        "mounts: [{directory: d, format: 7z, content: {raw: x}}]".to_owned(),
        format!(
            "mounts: [{{file: x, content: {{url: '{}', sha256: {}}}}}]",
            serve(b"other".to_vec(), "200 OK"),
            sha256(b"expected")
        ),
        format!(
            "mounts: [{{file: x, content: {{url: '{}'}}}}]",
            serve(b"gone".to_vec(), "404 Not Found")
        ),
    ];
    for mounts in cases {
        let task = format!("payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  {mounts}\n");
        let (code, sum) = run(&dir, &task, &[]);
        assert_eq!(
            (code, sum["reason"].as_str()),
            (2, Some("malformed-payload")),
            "{mounts}: {sum}"
        );
        assert!(
            sum["message"].as_str().unwrap().contains("mount")
                || sum["message"].as_str().unwrap().contains("sha256"),
            "{sum}"
        );
    }
}

#[test]
fn a_mount_past_max_mount_size_is_a_malformed_payload() {
    let dir = TestDir::new();
    // 2 MiB of zeros, a few kilobytes of gz.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&vec![0u8; 2 << 20]).unwrap();
    let content = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    let task = format!(
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  mounts: [{{file: big.bin, format: gz, content: {{base64: '{content}'}}}}]\n"
    );
    let (code, sum) = run(&dir, &task, &["--max-mount-size", "1M"]);
    assert_eq!(
        (code, sum["reason"].as_str()),
        (2, Some("malformed-payload")),
        "{sum}"
    );
    assert!(
        sum["message"]
            .as_str()
            .unwrap()
            .contains("file mount `big.bin`: it expands to more than 1 MiB"),
        "{sum}"
    );
    // The default cap (8 GiB) lets it through.
    let (code, sum) = run(&dir, &task, &[]);
    assert_eq!(code, 0, "{sum}");
    // A size tc cannot read is a usage error naming the flag.
    Test::new()
        .args(["run-local", "t.yml", "--max-mount-size", "lots"])
        .status(2)
        .stderr_contains("--max-mount-size")
        .stderr_contains("`lots` is not a size")
        .run();
}

#[test]
fn an_unreachable_server_is_resource_unavailable() {
    let dir = TestDir::new();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let task = format!(
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  mounts: [{{file: x, content: {{url: 'http://127.0.0.1:{port}/x'}}}}]\n"
    );
    let (code, sum) = run(&dir, &task, &[]);
    assert_eq!(
        (code, sum["reason"].as_str()),
        (3, Some("resource-unavailable")),
        "{sum}"
    );
}

const CACHE_TASK: &str = "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'cat cache/count 2>/dev/null || echo none; echo x >> cache/count; cp cache/count seen.txt; exit ${EXIT:-0}']]\n  env: {EXIT: '0'}\n  artifacts: [{type: file, path: seen.txt}]\n  onExitStatus: {purgeCaches: [7]}\n  mounts: [{directory: cache, cacheName: counter}]\n";

/// `seen.txt` of a run whose artifacts directory may be relative to `dir`.
fn seen_in(dir: &Path, sum: &Value) -> String {
    std::fs::read_to_string(
        dir.join(sum["artifactsDir"].as_str().unwrap())
            .join("seen.txt"),
    )
    .unwrap()
}

fn seen(sum: &Value) -> String {
    seen_in(Path::new("/"), sum)
}

#[test]
fn caches_persist_between_runs_and_purge_on_listed_exit_codes() {
    let dir = TestDir::new();
    let (code, sum) = run(&dir, CACHE_TASK, &[]);
    assert_eq!(code, 0, "{sum}");
    assert_eq!(seen(&sum), "x\n");
    let (_, sum) = run(&dir, CACHE_TASK, &[]);
    assert_eq!(
        seen(&sum),
        "x\nx\n",
        "the second run sees the first run's cache"
    );
    let (_, sum) = run(&dir, CACHE_TASK, &["--no-caches"]);
    assert_eq!(seen(&sum), "x\n", "--no-caches starts empty");
    let (code, _) = run(&dir, CACHE_TASK, &["--env", "EXIT=7"]);
    assert_eq!(code, 7);
    let (_, sum) = run(&dir, CACHE_TASK, &[]);
    assert_eq!(seen(&sum), "x\n", "exit code 7 purged the cache");
}

#[test]
fn concurrent_runs_of_one_cache_get_different_instances() {
    let dir = TestDir::new();
    let task = "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'touch cache/mine-$TASK_ID; sleep 1; ls cache > seen.txt']]\n  artifacts: [{type: file, path: seen.txt}]\n  mounts: [{directory: cache, cacheName: shared}]\n";
    let summaries = dir
        .test()
        .file("a.yml", task)
        .file("b.yml", task)
        .args(["run-local", "a.yml", "b.yml", "-j", "2"])
        .args(["--format", "json", "--artifacts-dir", "A"])
        .run()
        .json_lines();
    for sum in summaries {
        let listing = seen_in(dir.root(), &sum);
        assert_eq!(
            listing.lines().count(),
            1,
            "each run had the cache to itself: {listing}"
        );
    }
    let instances = std::fs::read_dir(dir.path("cache/caches"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(instances.join("0").is_dir() && instances.join("1").is_dir());
}
