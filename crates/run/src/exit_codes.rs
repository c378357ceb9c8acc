//! The exit statuses of every tc command, in one place (DESIGN.md, worker.md §11.2).
//! `tc run-local` passes a failed task's own exit code through; with several tasks the
//! highest status wins.

/// Success; the task completed.
pub const OK: i32 = 0;
/// A task failed, a check failed, or the queue answered with an API error.
pub const FAILED: i32 = 1;
/// Usage error or bad input (including try-syntax errors); confirmation refused.
pub const USAGE: i32 = 2;
/// A task exception, the queue unreachable, or input tc does not support.
pub const EXCEPTION: i32 = 3;
/// `tc worker --once` claimed nothing.
pub const NO_TASK: i32 = 4;
/// Interrupted by SIGINT (Ctrl-C).
pub const SIGINT: i32 = 130;
/// Interrupted by SIGTERM.
pub const SIGTERM: i32 = 143;

/// The exit status for a task's resolution: 0 completed, 1 failed, 3 exception (queue-api.md
/// §8.2; `tc submit --wait`, `tc worker --once`).
pub fn for_resolution(state: &str) -> i32 {
    match state {
        "completed" => OK,
        "failed" => FAILED,
        _ => EXCEPTION,
    }
}

/// The table printed at the end of `tc --help`.
pub const HELP: &str = "\
Exit status:
  0    ok; the task completed
  1    a task failed, a check failed, or the queue returned an API error
  2    usage error or bad input (try-syntax errors included); confirmation refused
  3    task exception, queue unreachable, or input tc does not support
  4    `tc worker --once` claimed nothing
  130  interrupted by SIGINT (Ctrl-C)
  143  interrupted by SIGTERM
  `tc run-local` passes a failed task's own exit code through.";
