//! A real `tc queue serve` on a free loopback port for the queue tests, and the guard for the
//! official Python client (queue-api.md §10): skipped when it is missing unless
//! `TC_REQUIRE_PYCLIENT` is set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const CLIENT_ID: &str = "probe-client";
pub(crate) const ACCESS_TOKEN: &str = "probe-access-token";

/// Whether `import taskcluster` works; fails the test when required and missing.
pub(crate) fn pyclient_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import taskcluster, mohawk, slugid, requests"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        super::skip::missing(
            "TC_REQUIRE_PYCLIENT",
            "the official Python client",
            "pip install taskcluster",
        );
    }
    ok
}

/// A running server; killed when dropped.
pub(crate) struct Queue {
    child: Option<Child>,
    pub state_dir: tempfile::TempDir,
    pub root_url: String,
    args: Vec<String>,
}

impl Queue {
    /// Starts `tc queue serve` with the probe root client and `extra` flags.
    pub(crate) fn start(extra: &[&str]) -> Queue {
        let state_dir = tempfile::tempdir().unwrap();
        let mut q = Queue {
            child: None,
            state_dir,
            root_url: String::new(),
            args: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        q.spawn("127.0.0.1:0");
        q
    }

    fn spawn(&mut self, listen: &str) {
        let creds = self.state_dir.path().join("credentials.json");
        let _ = std::fs::remove_file(&creds);
        let log = std::fs::File::create(self.state_dir.path().join("server.log")).unwrap();
        let child = Command::new(assert_cmd::cargo::cargo_bin("tc"))
            .args(["queue", "serve", "--listen", listen, "--state-dir"])
            .arg(self.state_dir.path())
            .args([
                "--root-client-id",
                CLIENT_ID,
                "--root-access-token",
                ACCESS_TOKEN,
            ])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("tc queue serve starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = std::fs::read_to_string(&creds)
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            {
                let url = v["rootUrl"].as_str().unwrap_or_default().to_owned();
                let addr = url.trim_start_matches("http://").to_owned();
                if std::net::TcpStream::connect(&addr).is_ok() {
                    self.root_url = url;
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the queue did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's stderr so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.state_dir.path().join("server.log")).unwrap_or_default()
    }

    /// SIGTERM, then the server's exit status (waiting up to a minute).
    pub(crate) fn terminate(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let pid = nix::unistd::Pid::from_raw(child.id().cast_signed());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        None
    }

    /// `kill -9`, then a new server on the same port and state directory.
    pub(crate) fn kill9_and_restart(&mut self) {
        self.kill9_and_restart_after(Duration::ZERO);
    }

    /// `kill -9`, `pause`, then a new server on the same port and state directory.
    pub(crate) fn kill9_and_restart_after(&mut self, pause: Duration) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        std::thread::sleep(pause);
        let listen = self.root_url.trim_start_matches("http://").to_owned();
        self.spawn(&listen);
    }

    /// `python3 tests/queue/<script> ARGS` with the client environment of this queue.
    pub(crate) fn python_command(&self, script: &str, args: &[&str]) -> Command {
        let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/queue")
            .join(script);
        let mut cmd = Command::new("python3");
        cmd.arg(&path)
            .args(args)
            .env("TASKCLUSTER_ROOT_URL", &self.root_url)
            .env("TASKCLUSTER_CLIENT_ID", CLIENT_ID)
            .env("TASKCLUSTER_ACCESS_TOKEN", ACCESS_TOKEN)
            .env_remove("TASKCLUSTER_CERTIFICATE")
            .env_remove("TASKCLUSTER_PROXY_URL");
        cmd
    }

    /// Runs `tests/queue/<script>` with the client environment; returns (success, output).
    pub(crate) fn python(&self, script: &str, args: &[&str]) -> (bool, String) {
        let out = self
            .python_command(script, args)
            .output()
            .expect("python3 runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
