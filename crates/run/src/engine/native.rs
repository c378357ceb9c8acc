//! The native engine (worker.md §3.5): generic-worker's insecure engine. Each command runs
//! directly (no shell) in a fresh task directory, as the invoking user, with stdin from the
//! null device, stdout and stderr merged into one pipe, and in its own process group.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::sync::{mpsc, watch};

use super::{Engine, LogStream, RunSpec, Sandbox};
use crate::artifacts::{self, ArtifactSpec, LocalDir, Record};
use crate::error::chain;
use crate::outcome::TaskError;
use tc_taskdef::Family;

pub struct NativeEngine;

/// Why a command or the interactive shell could not run (the log says so; a command that
/// cannot start exits 127, a shell that cannot is an internal error).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
enum NativeError {
    #[error("cannot create {}", path.display())]
    #[diagnostic(code(tc::run::native::create))]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write {}", path.display())]
    #[diagnostic(code(tc::run::native::write))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot start the shell {shell}")]
    #[diagnostic(code(tc::run::native::shell))]
    Shell {
        shell: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the command is empty")]
    #[diagnostic(code(tc::run::native::empty_command))]
    EmptyCommand,

    #[error("cannot make a pipe")]
    #[diagnostic(code(tc::run::native::pipe))]
    Pipe {
        #[source]
        source: nix::errno::Errno,
    },

    #[error("cannot make a pipe")]
    #[diagnostic(code(tc::run::native::pipe))]
    PipeClone {
        #[source]
        source: std::io::Error,
    },

    #[error("cannot read the command's output")]
    #[diagnostic(code(tc::run::native::output))]
    Output {
        #[source]
        source: std::io::Error,
    },

    /// Starting or waiting for the process failed: the system's own message.
    #[error(transparent)]
    #[diagnostic(code(tc::run::native::process))]
    Process(std::io::Error),
}

/// The process groups of every command running now, so a second Ctrl-C can kill them all
/// before tc leaves.
static LIVE_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// SIGKILL to every running command's process group.
pub fn kill_every_group() {
    if let Ok(groups) = LIVE_GROUPS.lock() {
        for g in groups.iter() {
            let _ = killpg(Pid::from_raw(*g), Signal::SIGKILL);
        }
    }
}

/// A fresh task directory name: `<C>/tasks/<taskId>-<runId>-<6 random chars>` (under the
/// cache root so caches can move in by rename).
pub fn task_dir(cache_root: &Path, task_id: &str, run_id: u32) -> PathBuf {
    let suffix: String = tc_taskdef::slugid::nice()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(6)
        .collect();
    cache_root
        .join("tasks")
        .join(format!("{task_id}-{run_id}-{suffix}"))
}

#[async_trait]
impl Engine for NativeEngine {
    fn name(&self) -> &'static str {
        "native"
    }

    fn accepts(&self, family: Family) -> bool {
        family == Family::GenericWorker
    }

    async fn preflight(&self) -> Result<(), TaskError> {
        Ok(())
    }

    async fn prepare(&self, spec: &RunSpec) -> Result<Box<dyn Sandbox>, TaskError> {
        let dir = spec.task_dir.clone();
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                TaskError::internal(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        std::fs::create_dir(&dir).map_err(|e| {
            TaskError::internal(format!(
                "cannot create the task directory {}: {e}",
                dir.display()
            ))
        })?;
        let (exit_tx, exit_rx) = watch::channel(None);
        Ok(Box::new(NativeSandbox {
            dir,
            commands: spec.commands.clone(),
            interactive: spec.interactive,
            env: spec
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            group: Arc::new(Mutex::new(None)),
            stopped: Arc::new(Mutex::new(false)),
            exit_tx: Arc::new(exit_tx),
            exit_rx,
        }))
    }
}

struct NativeSandbox {
    dir: PathBuf,
    commands: Vec<Vec<String>>,
    interactive: bool,
    env: Vec<(String, String)>,
    /// The process group of the command that is running now.
    group: Arc<Mutex<Option<i32>>>,
    /// Set by `terminate`: no further command starts.
    stopped: Arc<Mutex<bool>>,
    exit_tx: Arc<watch::Sender<super::Exit>>,
    exit_rx: watch::Receiver<super::Exit>,
}

/// `argv` as a shell would need it quoted, for the log.
pub fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[async_trait]
impl Sandbox for NativeSandbox {
    fn describe(&self) -> Vec<String> {
        let n = self.commands.len();
        let mut lines = vec![format!("Task dir: {}", self.dir.display())];
        for (i, argv) in self.commands.iter().enumerate() {
            lines.push(format!("Command {}/{n}: {}", i + 1, shell_quote(argv)));
        }
        lines
    }

    async fn start(&self) -> Result<LogStream, TaskError> {
        let (tx, rx) = mpsc::channel::<Vec<u8>>(64);
        let commands = self.commands.clone();
        let env = self.env.clone();
        let dir = self.dir.clone();
        let group = self.group.clone();
        let stopped = self.stopped.clone();
        let exit_tx = self.exit_tx.clone();
        if self.interactive {
            tokio::task::spawn_blocking(move || {
                let result = interactive_shell(&commands, &env, &dir)
                    .map_err(|e| TaskError::internal(chain(&e)));
                drop(tx);
                let _ = exit_tx.send(Some(result));
            });
            return Ok(rx);
        }
        tokio::spawn(async move {
            let code = run_commands(&commands, &env, &dir, &group, &stopped, &tx).await;
            let _ = exit_tx.send(Some(Ok(code)));
        });
        Ok(rx)
    }

    async fn wait(&self) -> Result<i32, TaskError> {
        crate::engine::wait_for_exit(&self.exit_rx).await
    }

    async fn terminate(&self, grace: Duration) {
        if let Ok(mut stopped) = self.stopped.lock() {
            *stopped = true;
        }
        let Some(pgid) = self.group.lock().ok().and_then(|g| *g) else {
            return;
        };
        let group = Pid::from_raw(pgid);
        let _ = killpg(group, Signal::SIGTERM);
        // Up to the grace period for the command to exit, then whatever is left of its
        // process group is killed, whether or not the command itself is gone.
        let mut rx = self.exit_rx.clone();
        let _ = tokio::time::timeout(grace, rx.wait_for(Option::is_some)).await;
        let _ = killpg(group, Signal::SIGKILL);
    }

    async fn extract(&self, artifact: &ArtifactSpec, sink: &LocalDir) -> Vec<Record> {
        let (artifact, dir, sink) = (artifact.clone(), self.dir.clone(), sink.clone());
        tokio::task::spawn_blocking(move || artifacts::copy_native(&artifact, &dir, &sink))
            .await
            .unwrap_or_default()
    }

    async fn cleanup(&self, keep: bool, _purge_caches: bool) -> Vec<String> {
        // The native engine's caches were moved out and released by the pipeline already.
        if keep {
            return vec![format!("task directory kept: {}", self.dir.display())];
        }
        let dir = self.dir.clone();
        match tokio::task::spawn_blocking(move || remove_tree(&dir)).await {
            Ok(Ok(())) => Vec::new(),
            Ok(Err(e)) => vec![format!("cannot remove the task directory: {e}")],
            Err(e) => vec![format!("cannot remove the task directory: {e}")],
        }
    }
}

/// `--interactive`: the user's shell in the task directory with the task's environment, and
/// `exec-task` (the payload's commands, stopping at the first failure) first in its PATH. The
/// shell gets the terminal's foreground, so Ctrl-C reaches it and not tc. Its exit status is
/// the task's exit code.
fn interactive_shell(
    commands: &[Vec<String>],
    env: &[(String, String)],
    dir: &Path,
) -> Result<i32, NativeError> {
    use std::os::unix::process::CommandExt;
    let bin = write_exec_task(commands, dir)?;
    let mut env: Vec<(String, String)> = env.to_vec();
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    env.retain(|(k, _)| k != "PATH");
    env.push(("PATH".into(), format!("{}:{path}", bin.display())));
    let shell = env
        .iter()
        .find(|(k, _)| k == "SHELL")
        .map(|(_, v)| v.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "sh".into());
    let mut command = std::process::Command::new(&shell);
    command
        .env_clear()
        .envs(env)
        .current_dir(dir)
        .process_group(0);
    // Listed with tc's guard until the shell has exited (the tie is dropped at the end).
    let _tie = super::guard::tie_process_group(&mut command);
    let mut child = command
        .spawn()
        .map_err(|source| NativeError::Shell { shell, source })?;
    let status = in_the_foreground(&mut child).map_err(NativeError::Process)?;
    Ok(exit_code(status))
}

/// `<task dir>/.tc/exec-task`: the task's commands, as tc would run them. Returns its
/// directory, for the shell's PATH.
fn write_exec_task(commands: &[Vec<String>], dir: &Path) -> Result<PathBuf, NativeError> {
    use std::fmt::Write as _;
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join(".tc");
    std::fs::create_dir_all(&bin).map_err(|source| NativeError::Create {
        path: bin.clone(),
        source,
    })?;
    let mut script = String::from(
        "#!/bin/sh\n# The task's commands, as tc would run them; stops at the first failure.\nset -e\n",
    );
    let _ = writeln!(script, "cd {}", shell_quote(&[dir.display().to_string()]));
    for argv in commands {
        script.push_str(&shell_quote(argv));
        script.push('\n');
    }
    let exec_task = bin.join("exec-task");
    std::fs::write(&exec_task, script)
        .and_then(|()| std::fs::set_permissions(&exec_task, std::fs::Permissions::from_mode(0o755)))
        .map_err(|source| NativeError::Write {
            path: exec_task,
            source,
        })?;
    Ok(bin)
}

/// Waits for the shell with the terminal's foreground handed to its process group, so Ctrl-C
/// reaches it and not tc; tc takes the terminal back afterwards.
fn in_the_foreground(child: &mut std::process::Child) -> std::io::Result<ExitStatus> {
    use nix::sys::signal::{SigHandler, signal};
    let stdin = std::io::stdin();
    let pgid = Pid::from_raw(child.id().cast_signed());
    // tc moves to the background while the shell runs; it must not be stopped for taking the
    // terminal back.
    // SAFETY: SIG_IGN runs no handler code, so no signal can interrupt tc with code that is
    // not async-signal-safe; `signal` is unsafe only because of what a handler may do.
    let old = unsafe { signal(Signal::SIGTTOU, SigHandler::SigIgn) };
    let _ = nix::unistd::tcsetpgrp(&stdin, pgid);
    // The shell may have touched the terminal before it was handed over, and been stopped
    // for it: let it go on.
    let _ = killpg(pgid, Signal::SIGCONT);
    let status = child.wait();
    let _ = nix::unistd::tcsetpgrp(&stdin, nix::unistd::getpgrp());
    if let Ok(old) = old {
        // SAFETY: `old` is the disposition tc had before (the default, or a handler that was
        // installed with its own guarantees): it is put back as it was.
        let _ = unsafe { signal(Signal::SIGTTOU, old) };
    }
    status
}

/// The exit code as a shell gives it: a signal s is 128 + s.
fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Removes a task directory even where the task left read-only directories behind.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
        return Ok(());
    }
    make_writable(dir);
    std::fs::remove_dir_all(dir)
}

/// Gives the owner rwx on every directory under `p` (symlinks are not followed).
fn make_writable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) {
        let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700));
        if let Ok(entries) = std::fs::read_dir(p) {
            for e in entries.flatten() {
                make_writable(&e.path());
            }
        }
    }
}

/// Runs the commands in order, stopping at the first failure; returns that exit code.
async fn run_commands(
    commands: &[Vec<String>],
    env: &[(String, String)],
    dir: &Path,
    group: &Mutex<Option<i32>>,
    stopped: &Mutex<bool>,
    log: &mpsc::Sender<Vec<u8>>,
) -> i32 {
    let n = commands.len();
    for (i, argv) in commands.iter().enumerate() {
        if stopped.lock().map_or(true, |s| *s) {
            break;
        }
        let _ = log
            .send(format!("[tc] Running command {}/{n}\n", i + 1).into_bytes())
            .await;
        let ended = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let code = run_one(argv, env, dir, group, stopped, log, &ended).await;
        let ended_line = ended.load(std::sync::atomic::Ordering::SeqCst);
        let shown = match &code {
            Ok(c) => c.to_string(),
            Err(e) => format!("none ({})", chain(e)),
        };
        // tc's line starts on a line of its own even when the output did not end one.
        let newline = if ended_line { "" } else { "\n" };
        let _ = log
            .send(format!("{newline}[tc] Command {}/{n} exited with {shown}\n", i + 1).into_bytes())
            .await;
        match code {
            Ok(0) => {}
            Ok(c) => return c,
            // A command that cannot start (not found, not executable) fails like a shell does.
            Err(_) => return 127,
        }
    }
    0
}

/// Runs one command; `ended_line` says whether its output ended with a newline.
async fn run_one(
    argv: &[String],
    env: &[(String, String)],
    dir: &Path,
    group: &Mutex<Option<i32>>,
    stopped: &Mutex<bool>,
    log: &mpsc::Sender<Vec<u8>>,
    ended_line: &Arc<std::sync::atomic::AtomicBool>,
) -> Result<i32, NativeError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(NativeError::EmptyCommand);
    };
    let (reader, writer) = nix::unistd::pipe().map_err(|source| NativeError::Pipe { source })?;
    let writer2 = writer
        .try_clone()
        .map_err(|source| NativeError::PipeClone { source })?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer2))
        .process_group(0)
        .kill_on_drop(false);
    // Listed with tc's guard until the command has exited (the tie is dropped at the end).
    let _tie = super::guard::tie_process_group(cmd.as_std_mut());
    let spawned = cmd.spawn();
    drop(cmd);
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let _ = log
                .send(format!("[tc] Cannot run {program}: {e}\n").into_bytes())
                .await;
            return Err(NativeError::Process(e));
        }
    };
    // A pid is a positive i32 (the kernel's pid_max is at most 2^22).
    let pid = child.id().map(u32::cast_signed);
    if let (Some(pid), Ok(mut g)) = (pid, group.lock()) {
        *g = Some(pid);
        if let Ok(mut live) = LIVE_GROUPS.lock() {
            live.push(pid);
        }
    }
    // A terminate that came between the check before this command and now finds no group:
    // stop the command here instead.
    if stopped.lock().map_or(true, |s| *s)
        && let Some(pid) = pid
    {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    // The pipe is read on a blocking thread; chunks go to the log as they come.
    let forward = log.clone();
    let ended_line = ended_line.clone();
    let mut pipe = tokio::net::unix::pipe::Receiver::from_owned_fd(reader)
        .map_err(|source| NativeError::Output { source })?;
    let mut pump = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    ended_line.store(buf[n - 1] == b'\n', std::sync::atomic::Ordering::SeqCst);
                    if forward.send(buf[..n].to_vec()).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    let status = child.wait().await.map_err(NativeError::Process)?;
    // Output still in the pipe comes first; a descendant that keeps the pipe open past the
    // command's exit is not waited for: its end of the pipe is closed after a second.
    if tokio::time::timeout(Duration::from_secs(1), &mut pump)
        .await
        .is_err()
    {
        pump.abort();
    }
    if let Ok(mut g) = group.lock()
        && let (Some(pgid), Ok(mut live)) = (g.take(), LIVE_GROUPS.lock())
    {
        live.retain(|p| *p != pgid);
    }
    Ok(exit_code(status))
}
