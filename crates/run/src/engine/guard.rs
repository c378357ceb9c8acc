//! Ties the processes and containers that run tasks to this tc process (worker.md §3.5): a
//! `kill -9` of `tc worker` must not leave its task running, or the queue, once the claim has
//! expired, runs the task again elsewhere while the first copy goes on.
//!
//! The kernel alone does not cover it: `PR_SET_PDEATHSIG` reaches one child (and fires when
//! the *thread* that spawned it exits, as tokio's pool threads do), not the grandchildren in
//! its process group, and nothing ties a container to its client. So a helper process, forked
//! before tc starts any thread, holds the read end of a pipe whose write end only tc holds
//! (close-on-exec: tc's children drop it when they exec). tc tells the helper, a line each,
//! which process groups and containers are live; when the pipe reports end of file (tc has
//! exited, however it died) the helper SIGKILLs every group still listed, force-removes every
//! container still listed, and exits. After a normal run nothing is listed.
//!
//! A command lists its own process group, from the child between fork and exec, so it never
//! runs unknown to the helper. Processes that leave the group (`setsid`) are not covered.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

/// The write end of the helper's pipe; -1 when there is no helper.
static PIPE: AtomicI32 = AtomicI32::new(-1);

/// Starts the helper, once per process; call it before any thread exists (before the async
/// runtime). Without a helper (a failure, or threads already running) tasks still run, only
/// without the tie, and tc says so.
pub fn start() {
    if PIPE.load(Ordering::SeqCst) >= 0 {
        return;
    }
    if !single_threaded() {
        eprintln!(
            "[tc] warning: tasks are not tied to this process (it already runs threads): a kill -9 of tc would leave them running"
        );
        return;
    }
    let (reader, writer) = match std::io::pipe() {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("[tc] warning: tasks are not tied to this process: {e}");
            return;
        }
    };
    // SAFETY: the process has one thread (checked above), so the child may do anything.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            drop(writer);
            watch(reader)
        }
        Ok(nix::unistd::ForkResult::Parent { .. }) => {
            drop(reader);
            PIPE.store(writer.into_raw_fd(), Ordering::SeqCst);
        }
        Err(e) => eprintln!("[tc] warning: tasks are not tied to this process: {e}"),
    }
}

/// Whether the helper runs (tc's own tasks are tied to it).
pub fn active() -> bool {
    PIPE.load(Ordering::SeqCst) >= 0
}

/// Makes the command list its own process group with the helper as it starts (the command
/// must be spawned in a new process group, `process_group(0)`: its pid is the group's id).
/// The group stays listed until the returned tie is dropped: drop it once the command has
/// exited, or when the spawn failed.
pub fn tie_process_group(cmd: &mut std::process::Command) -> Option<Tie> {
    use std::os::unix::process::CommandExt;
    let fd = PIPE.load(Ordering::SeqCst);
    if fd < 0 {
        return None;
    }
    // A token the parent knows even when the spawn fails and the child's pid is never seen.
    let token = NEXT_TOKEN.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the closure runs between fork and exec, so it only makes async-signal-safe
    // calls (getpid, signal, write) on a stack buffer, and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            let mut buf = [0u8; 48];
            let line = group_line(std::process::id(), token, &mut buf);
            // A helper that is gone must not kill the command with SIGPIPE.
            let old = nix::libc::signal(nix::libc::SIGPIPE, nix::libc::SIG_IGN);
            write_all(fd, line);
            nix::libc::signal(nix::libc::SIGPIPE, old);
            Ok(())
        });
    }
    Some(Tie(token))
}

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

/// A command's process group as the helper lists it; dropping it takes the group off the
/// list (the command has exited, and its group id may be reused).
#[derive(Debug)]
pub struct Tie(u64);

impl Drop for Tie {
    fn drop(&mut self) {
        send(format!("-t {}\n", self.0).as_bytes());
    }
}

/// A container that runs a task: removed by the helper if tc exits before `untie_container`.
pub fn tie_container(name: &str) {
    send(format!("+c {name}\n").as_bytes());
}

pub fn untie_container(name: &str) {
    send(format!("-c {name}\n").as_bytes());
}

fn send(line: &[u8]) {
    let fd = PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        write_all(fd, line);
    }
}

/// One `write` of a whole line: lines are far shorter than PIPE_BUF, so each arrives whole
/// even when a child writes at the same moment.
fn write_all(fd: RawFd, line: &[u8]) {
    loop {
        // SAFETY: `line` is valid for its length; a bad fd only makes write fail.
        let n = unsafe { nix::libc::write(fd, line.as_ptr().cast(), line.len()) };
        if n >= 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// `+g <pid> <token>\n` in `buf`, without allocating (it runs between fork and exec).
fn group_line(pid: u32, token: u64, buf: &mut [u8; 48]) -> &[u8] {
    let mut len = 0;
    for part in [
        &b"+g "[..],
        &digits(u64::from(pid)).0[..],
        b" ",
        &digits(token).0[..],
    ] {
        for &b in part.iter().filter(|b| **b != 0) {
            buf[len] = b;
            len += 1;
        }
    }
    buf[len] = b'\n';
    &buf[..=len]
}

/// The decimal digits of `n`, right-aligned after NUL padding.
struct Digits([u8; 20]);

fn digits(mut n: u64) -> Digits {
    let mut out = [0u8; 20];
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return Digits(out);
        }
    }
}

#[cfg(target_os = "linux")]
fn single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|d| d.count() == 1)
}

#[cfg(not(target_os = "linux"))]
fn single_threaded() -> bool {
    // No cheap way to count; tc calls `start` before it makes any thread.
    true
}

/// What the helper has been told is live.
#[derive(Debug, Default, PartialEq)]
struct Listed {
    /// Process groups by the token that ties them.
    groups: BTreeMap<u64, i32>,
    containers: BTreeSet<String>,
}

impl Listed {
    fn apply(&mut self, line: &str) {
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some("+g"), Some(pgid), Some(token)) => {
                // Never group 0 (ours) or 1 (init): only real groups of commands.
                let pgid = pgid.parse::<i32>().ok().filter(|g| *g > 1);
                if let (Some(pgid), Ok(token)) = (pgid, token.parse()) {
                    self.groups.insert(token, pgid);
                }
            }
            (Some("-t"), Some(token), None) => {
                if let Ok(token) = token.parse() {
                    self.groups.remove(&token);
                }
            }
            (Some("+c"), Some(name), None) if !name.is_empty() => {
                self.containers.insert(name.to_owned());
            }
            (Some("-c"), Some(name), None) => {
                self.containers.remove(name);
            }
            _ => {}
        }
    }
}

/// The helper: reads the list until tc is gone, then stops whatever is still listed.
fn watch(reader: std::io::PipeReader) -> ! {
    detach(reader.as_raw_fd());
    let mut listed = Listed::default();
    let mut lines = BufReader::new(reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => listed.apply(String::from_utf8_lossy(&line).trim_end()),
        }
    }
    for pgid in listed.groups.values() {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(*pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let removed = remove_containers(&listed.containers);
    if !listed.groups.is_empty() || !listed.containers.is_empty() {
        eprintln!(
            "[tc] tc exited while tasks ran: killed {} process group(s){}",
            listed.groups.len(),
            if listed.containers.is_empty() {
                String::new()
            } else {
                format!(
                    ", removed {removed} of {} container(s)",
                    listed.containers.len()
                )
            }
        );
    }
    // SAFETY: `_exit` only ends the helper; nothing of tc's runs in it.
    unsafe { nix::libc::_exit(0) }
}

/// Leaves tc's session (a Ctrl-C or a signal to tc's process group must not stop the helper
/// first) and keeps only the pipe and stderr open: a copy of one of tc's sockets or pipes
/// would keep it from closing when tc closes it.
fn detach(keep: RawFd) {
    let _ = nix::unistd::setsid();
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_name(c"tc-guard");
    if let Ok(null) = std::fs::File::open("/dev/null") {
        let _ = nix::unistd::dup2(null.as_raw_fd(), 0);
        let _ = nix::unistd::dup2(null.as_raw_fd(), 1);
    }
    let dir = if cfg!(target_os = "linux") {
        "/proc/self/fd"
    } else {
        "/dev/fd"
    };
    let open: Vec<RawFd> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    for fd in open.into_iter().filter(|fd| *fd > 2 && *fd != keep) {
        let _ = nix::unistd::close(fd);
    }
}

/// Force-removes the containers (with their anonymous volumes); how many went.
fn remove_containers(names: &BTreeSet<String>) -> usize {
    if names.is_empty() {
        return 0;
    }
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return 0;
    };
    rt.block_on(async {
        let Ok(docker) = super::docker::client().await else {
            return 0;
        };
        let mut removed = 0;
        for name in names {
            let options = bollard::query_parameters::RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            let gone = tokio::time::timeout(
                Duration::from_secs(30),
                docker.remove_container(name, Some(options)),
            )
            .await;
            if matches!(gone, Ok(Ok(()))) {
                removed += 1;
            }
        }
        removed
    })
}

#[cfg(test)]
mod tests {
    use super::{Listed, group_line};

    #[test]
    fn group_lines_are_written_without_allocating() {
        let mut buf = [0u8; 48];
        assert_eq!(group_line(42, 7, &mut buf), b"+g 42 7\n");
        assert_eq!(group_line(0, 10, &mut buf), b"+g 0 10\n");
        assert_eq!(
            group_line(u32::MAX, u64::MAX, &mut buf),
            b"+g 4294967295 18446744073709551615\n"
        );
    }

    #[test]
    fn the_list_follows_ties_and_unties_and_ignores_nonsense() {
        let mut l = Listed::default();
        for line in [
            "+g 100 1",
            "+g 200 2",
            "-t 1",
            "+g 300 3",
            "-t 3",
            "+c tc-a-0",
            "+c tc-b-0",
            "-c tc-a-0",
            "+g 0 4",
            "+g 1 5",
            "+g -5 6",
            "+g x 7",
            "+g 400",
            "+c",
            "?? what",
            "",
        ] {
            l.apply(line);
        }
        assert_eq!(l.groups.into_values().collect::<Vec<_>>(), [200]);
        assert_eq!(l.containers.into_iter().collect::<Vec<_>>(), ["tc-b-0"]);
    }
}
