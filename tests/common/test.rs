//! The shared harness: `tc` run the way a user runs it, written as a sentence.
//!
//! ```ignore
//! let out = Test::new()
//!     .file("task.yml", "payload: {command: [[/bin/true]], maxRunTime: 30}\n")
//!     .args(["run-local", "task.yml", "--format", "json"])
//!     .stderr_contains("native engine")
//!     .run();
//! assert_eq!(out.json()["outcome"], "completed");
//! ```
//!
//! Each test runs tc in a scratch directory of its own (the working directory, and the cache
//! root through `TC_CACHE_DIR`), with colour off, no `$COLUMNS` and none of the TaskCluster
//! variables a developer's shell may hold. `run` checks the exit status (0 unless `status` says
//! otherwise) and every expectation on the output, and returns the output for further asserts.
//! The runs of one test share their directory through `TestDir` (`out.dir.test()`).

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;

use serde_json::Value;

/// A test's scratch directory, removed when the last `TestDir`, `Test` or `Output` holding it is
/// dropped.
#[derive(Clone)]
pub(crate) struct TestDir(Rc<tempfile::TempDir>);

impl TestDir {
    pub(crate) fn new() -> TestDir {
        TestDir(Rc::new(tempfile::tempdir().expect("a temporary directory")))
    }

    /// The directory itself.
    pub(crate) fn root(&self) -> &Path {
        self.0.path()
    }

    /// `rel` inside the directory.
    pub(crate) fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes `rel` (and the directories above it); returns its path.
    pub(crate) fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// The text of `rel`.
    #[track_caller]
    pub(crate) fn read(&self, rel: impl AsRef<Path>) -> String {
        let path = self.path(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `rel` read as JSON.
    #[track_caller]
    pub(crate) fn json(&self, rel: impl AsRef<Path>) -> Value {
        let text = self.read(&rel);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e}: {text}", rel.as_ref().display()))
    }

    /// Whether `rel` exists.
    pub(crate) fn exists(&self, rel: impl AsRef<Path>) -> bool {
        self.path(rel).exists()
    }

    /// A new run of tc in this directory.
    pub(crate) fn test(&self) -> Test {
        Test::in_dir(self.clone())
    }
}

/// Which output stream an expectation is about.
#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// What one stream must hold.
enum Expect {
    Exactly(String),
    Contains(String),
    Lacks(String),
    Json(Value),
}

/// One run of tc: what to set up, how to run it and what must come out.
#[must_use = "a Test runs nothing until `run`"]
pub(crate) struct Test {
    dir: TestDir,
    current_dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    status: Option<i32>,
    expect: Vec<(Stream, Expect)>,
}

impl Test {
    /// tc in a fresh scratch directory.
    pub(crate) fn new() -> Test {
        Test::in_dir(TestDir::new())
    }

    fn in_dir(dir: TestDir) -> Test {
        Test {
            dir,
            current_dir: PathBuf::new(),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            status: Some(0),
            expect: Vec::new(),
        }
    }

    /// `rel` inside the test's directory (for arguments that need an absolute path).
    pub(crate) fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path(rel)
    }

    /// Writes `rel` into the test's directory before tc runs.
    pub(crate) fn file(self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Test {
        self.dir.write(rel, contents);
        self
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Test {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn args<I>(mut self, args: I) -> Test
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Runs tc in `rel` of the test's directory (or in `rel` itself when it is absolute).
    pub(crate) fn current_dir(mut self, rel: impl AsRef<Path>) -> Test {
        self.current_dir = rel.as_ref().to_path_buf();
        self
    }

    pub(crate) fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Test {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// What tc reads on stdin (else nothing: stdin is empty).
    pub(crate) fn stdin(mut self, input: impl Into<Vec<u8>>) -> Test {
        self.stdin = Some(input.into());
        self
    }

    /// The exit status tc must end with (0 unless this says otherwise).
    pub(crate) fn status(mut self, code: i32) -> Test {
        self.status = Some(code);
        self
    }

    /// Any exit status will do (the test looks at it itself, or at nothing but the output).
    pub(crate) fn any_status(mut self) -> Test {
        self.status = None;
        self
    }

    /// Stdout must be exactly `text`.
    pub(crate) fn stdout(self, text: impl Into<String>) -> Test {
        self.expect(Stream::Stdout, Expect::Exactly(text.into()))
    }

    /// Stderr must be exactly `text`.
    pub(crate) fn stderr(self, text: impl Into<String>) -> Test {
        self.expect(Stream::Stderr, Expect::Exactly(text.into()))
    }

    pub(crate) fn stdout_contains(self, text: impl Into<String>) -> Test {
        self.expect(Stream::Stdout, Expect::Contains(text.into()))
    }

    pub(crate) fn stderr_contains(self, text: impl Into<String>) -> Test {
        self.expect(Stream::Stderr, Expect::Contains(text.into()))
    }

    pub(crate) fn stdout_lacks(self, text: impl Into<String>) -> Test {
        self.expect(Stream::Stdout, Expect::Lacks(text.into()))
    }

    pub(crate) fn stderr_lacks(self, text: impl Into<String>) -> Test {
        self.expect(Stream::Stderr, Expect::Lacks(text.into()))
    }

    /// Stdout must be one JSON document equal to `value`.
    pub(crate) fn stdout_json(self, value: Value) -> Test {
        self.expect(Stream::Stdout, Expect::Json(value))
    }

    fn expect(mut self, stream: Stream, expect: Expect) -> Test {
        self.expect.push((stream, expect));
        self
    }

    /// The command this test describes, not yet started: for tests that drive the process
    /// themselves (signals, a pseudo-terminal). The caller keeps the directory alive.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("tc"));
        cmd.args(&self.args)
            .current_dir(self.dir.path(&self.current_dir));
        cmd.env("NO_COLOR", "1")
            .env("TC_CACHE_DIR", self.dir.path("cache"))
            .env_remove("COLUMNS");
        for var in [
            "TASKCLUSTER_ROOT_URL",
            "TASKCLUSTER_CLIENT_ID",
            "TASKCLUSTER_ACCESS_TOKEN",
            "TASKCLUSTER_CERTIFICATE",
            "TASKCLUSTER_PROXY_URL",
            "TASK_ID",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs tc to the end and checks the status and every expectation.
    #[track_caller]
    pub(crate) fn run(self) -> Output {
        let out = self.output();
        if let Some(code) = self.status {
            assert_eq!(out.status, Some(code), "exit status of {out}");
        }
        for (stream, expect) in &self.expect {
            let (name, text) = match stream {
                Stream::Stdout => ("stdout", &out.stdout),
                Stream::Stderr => ("stderr", &out.stderr),
            };
            let (holds, what) = match expect {
                Expect::Exactly(want) => (text == want, format!("is not exactly {want:?}")),
                Expect::Contains(part) => (
                    text.contains(part.as_str()),
                    format!("does not contain {part:?}"),
                ),
                Expect::Lacks(part) => {
                    (!text.contains(part.as_str()), format!("contains {part:?}"))
                }
                Expect::Json(want) => (
                    serde_json::from_str::<Value>(text).ok().as_ref() == Some(want),
                    format!("is not the JSON document {want}"),
                ),
            };
            assert!(holds, "{name} {what}: {out}");
        }
        out
    }

    fn output(&self) -> Output {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the tc binary starts");
        let input = self.stdin.clone().unwrap_or_default();
        let mut stdin = child.stdin.take().expect("a stdin pipe");
        // Written from a thread: tc may fill its stdout before it has read all of its input.
        let writer = std::thread::spawn(move || {
            // tc may exit without reading everything (a usage error): a broken pipe is fine.
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("tc runs");
        writer.join().expect("the stdin writer");
        Output {
            dir: self.dir.clone(),
            command: format!("tc {}", shown(&self.args)),
            status: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("tc writes UTF-8 on stdout"),
            stderr: String::from_utf8(out.stderr).expect("tc writes UTF-8 on stderr"),
        }
    }
}

/// The command line, for failure messages.
fn shown(args: &[OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a run of tc gave.
pub(crate) struct Output {
    /// The test's directory (still there while this output is).
    pub(crate) dir: TestDir,
    command: String,
    /// The exit status; `None` when tc was killed by a signal.
    pub(crate) status: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    /// Stdout read as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}) in {self}"))
    }

    /// Stdout read as one JSON document per line.
    #[track_caller]
    pub(crate) fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{line:?} is not JSON ({e}) in {self}"))
            })
            .collect()
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (exit status {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}
