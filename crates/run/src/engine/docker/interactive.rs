//! `--interactive` on the Docker engine (worker.md §10): the container runs a shell with a TTY
//! instead of the task; `/.tc/exec-task` (uploaded before start) runs the task's exact argv.
//! A run-task command keeps run-task in front of the shell, so checkouts, fetches and the user
//! switch happen before the shell opens. The terminal is in raw mode while the shell runs, so
//! Ctrl-C reaches the shell, and window resizes are forwarded.

use std::fmt::Write as _;
use std::io::{Read, Write};

use bollard::Docker;
use bollard::query_parameters::{ResizeContainerTTYOptions, UploadToContainerOptions};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::engine::native::shell_quote;
use crate::outcome::TaskError;

/// Opens bash when the image has it, else sh, with `/.tc` first in PATH.
const SHELL: &str = "export PATH=\"/.tc:$PATH\"; if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi";

/// What the container runs instead of the task, and what `exec-task` runs.
pub(super) struct Plan {
    /// Entrypoint for the container (`None`: the image's).
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Vec<String>,
    pub exec_task: String,
}

/// `command` is the payload's (empty: the image's Entrypoint + Cmd, given as `image_default`).
pub(super) fn plan(command: &[String], image_default: &[String]) -> Plan {
    let is_run_task = crate::develop::is_run_task(command);
    if let (true, Some(split)) = (is_run_task, command.iter().position(|a| a == "--")) {
        let (options, task) = (&command[..split], &command[split + 1..]);
        let cwd = options.iter().enumerate().find_map(|(i, o)| {
            o.strip_prefix("--task-cwd=")
                .map(str::to_owned)
                .or_else(|| {
                    (o == "--task-cwd")
                        .then(|| options.get(i + 1).cloned())
                        .flatten()
                })
        });
        let mut cmd = options.to_vec();
        cmd.extend(["--".into(), "sh".into(), "-c".into(), SHELL.into()]);
        return Plan {
            entrypoint: None,
            cmd,
            exec_task: script(task, cwd.as_deref()),
        };
    }
    let argv = if command.is_empty() {
        image_default
    } else {
        command
    };
    Plan {
        entrypoint: Some(vec!["sh".into(), "-c".into(), SHELL.into()]),
        cmd: Vec::new(),
        exec_task: script(argv, None),
    }
}

fn script(argv: &[String], cwd: Option<&str>) -> String {
    let mut s = String::from("#!/bin/sh\n# The task's command, exactly as tc would run it.\n");
    if let Some(dir) = cwd {
        let _ = writeln!(s, "cd {} || exit 1", shell_quote(&[dir.to_owned()]));
    }
    if argv.is_empty() {
        s.push_str("echo 'exec-task: the task has no command and the image no Entrypoint or Cmd' >&2\nexit 127\n");
    } else {
        let _ = writeln!(s, "exec {}", shell_quote(argv));
    }
    s
}

/// Uploads `/.tc/exec-task` into the created container.
pub(super) async fn upload(
    docker: &Docker,
    container: &str,
    exec_task: &str,
) -> Result<(), TaskError> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_ustar();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    let mut file = tar::Header::new_ustar();
    file.set_mode(0o755);
    file.set_size(exec_task.len() as u64);
    let archive = tar
        .append_data(&mut dir, ".tc/", std::io::empty())
        .and_then(|()| tar.append_data(&mut file, ".tc/exec-task", exec_task.as_bytes()))
        .and_then(|()| tar.into_inner())
        .map_err(|e| TaskError::internal(format!("cannot pack exec-task: {e}")))?;
    docker
        .upload_to_container(
            container,
            Some(UploadToContainerOptions {
                path: "/".into(),
                ..Default::default()
            }),
            bollard::body_full(Bytes::from(archive)),
        )
        .await
        .map_err(|e| TaskError::internal(format!("cannot upload /.tc/exec-task: {e}")))
}

/// The terminal in raw mode until dropped.
struct RawMode {
    saved: Option<nix::sys::termios::Termios>,
}

impl RawMode {
    fn enter() -> RawMode {
        use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok();
        if let Some(old) = &saved {
            let mut raw = old.clone();
            cfmakeraw(&mut raw);
            let _ = tcsetattr(&stdin, SetArg::TCSANOW, &raw);
        }
        RawMode { saved }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(old) = &self.saved {
            let _ = nix::sys::termios::tcsetattr(
                std::io::stdin(),
                nix::sys::termios::SetArg::TCSANOW,
                old,
            );
        }
    }
}

async fn resize(docker: &Docker, container: &str) {
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the pointer it is given.
    let ok = unsafe { nix::libc::ioctl(1, nix::libc::TIOCGWINSZ, &mut size) } == 0;
    if ok && size.ws_row > 0 {
        let _ = docker
            .resize_container_tty(
                container,
                ResizeContainerTTYOptions {
                    h: i32::from(size.ws_row),
                    w: i32::from(size.ws_col),
                },
            )
            .await;
    }
}

/// Connects this terminal to the started container until the shell exits.
pub(super) async fn attach_terminal(
    docker: Docker,
    container: String,
    output: std::pin::Pin<
        Box<
            dyn futures_util::Stream<
                    Item = Result<bollard::container::LogOutput, bollard::errors::Error>,
                > + Send,
        >,
    >,
    mut input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
) {
    let raw = RawMode::enter();
    resize(&docker, &container).await;
    // Keystrokes are read on a thread of their own: a blocking read cannot be canceled, and
    // the shell may end while one waits.
    let (keys_tx, mut keys) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 1024];
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || keys_tx.blocking_send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut winch =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok();
    let mut output = output;
    loop {
        tokio::select! {
            chunk = output.next() => match chunk {
                Some(Ok(c)) => {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(&c.into_bytes());
                    let _ = out.flush();
                }
                _ => break,
            },
            Some(k) = keys.recv() => {
                if input.write_all(&k).await.is_err() {
                    break;
                }
            }
            _ = async { if let Some(w) = winch.as_mut() { w.recv().await } else { std::future::pending().await } } => {
                resize(&docker, &container).await;
            }
        }
    }
    drop(raw);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn run_task_stays_in_front_of_the_shell() {
        let argv = strings(&[
            "/usr/bin/run-task",
            "--gecko-checkout=/builds/src",
            "--task-cwd",
            "/builds/src",
            "--",
            "bash",
            "-c",
            "make",
        ]);
        let p = plan(&argv, &[]);
        assert_eq!(p.entrypoint, None);
        assert_eq!(&p.cmd[..4], &argv[..4]);
        assert_eq!(&p.cmd[4..6], &strings(&["--", "sh"])[..]);
        assert!(
            p.exec_task.contains("cd /builds/src || exit 1"),
            "{}",
            p.exec_task
        );
        assert!(p.exec_task.contains("exec bash -c make"), "{}", p.exec_task);
    }

    #[test]
    fn without_run_task_the_shell_replaces_the_command() {
        let p = plan(&strings(&["echo", "it's"]), &[]);
        assert_eq!(p.entrypoint.as_ref().map(|e| e[0].as_str()), Some("sh"));
        assert!(p.cmd.is_empty());
        assert!(
            p.exec_task.contains("exec echo 'it'\\''s'"),
            "{}",
            p.exec_task
        );
        // No command: the image's Entrypoint + Cmd.
        let p = plan(&[], &strings(&["sh", "-c", "echo hi"]));
        assert!(
            p.exec_task.contains("exec sh -c 'echo hi'"),
            "{}",
            p.exec_task
        );
    }
}
