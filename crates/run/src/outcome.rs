//! The outcome contract (worker.md §11): what happened in a run → the state the queue would
//! record and tc's exit status. One pure function, tested row by row.

use serde::Serialize;

use crate::exit_codes;

/// Why a run ended in an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    MalformedPayload,
    ResourceUnavailable,
    InternalError,
    IntermittentTask,
    Canceled,
    WorkerShutdown,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MalformedPayload => "malformed-payload",
            Reason::ResourceUnavailable => "resource-unavailable",
            Reason::InternalError => "internal-error",
            Reason::IntermittentTask => "intermittent-task",
            Reason::Canceled => "canceled",
            Reason::WorkerShutdown => "worker-shutdown",
        }
    }
}

/// An error that ends a run, with the exception reason it resolves to. Its message is text
/// (the live log, the queue and the summary carry it); `caused` writes an error's causes into it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message} ({})", reason.as_str())]
#[diagnostic(code(tc::run::task))]
pub struct TaskError {
    pub reason: Reason,
    pub message: String,
}

impl TaskError {
    pub fn new(reason: Reason, message: impl Into<String>) -> TaskError {
        TaskError {
            reason,
            message: message.into(),
        }
    }

    pub fn malformed(message: impl Into<String>) -> TaskError {
        TaskError::new(Reason::MalformedPayload, message)
    }

    pub fn internal(message: impl Into<String>) -> TaskError {
        TaskError::new(Reason::InternalError, message)
    }

    /// `error` with its causes on one line, resolving to `reason`.
    pub fn caused(reason: Reason, error: &dyn std::error::Error) -> TaskError {
        TaskError::new(reason, crate::error::chain(error))
    }
}

/// The state the queue would record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Failed,
    Exception(Reason),
}

impl Outcome {
    /// `completed`, `failed` or `exception`.
    pub fn state(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Failed => "failed",
            Outcome::Exception(_) => "exception",
        }
    }

    /// `reasonResolved`.
    pub fn reason(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Failed => "failed",
            Outcome::Exception(r) => r.as_str(),
        }
    }

    /// As the footer writes it: `completed`, `failed`, `exception (<reason>)`.
    pub fn describe(self) -> String {
        match self {
            Outcome::Exception(r) => format!("exception ({})", r.as_str()),
            other => other.state().to_owned(),
        }
    }
}

/// What stopped a run from outside: a signal to `tc run-local`, or `tc worker` shutting down
/// or losing its claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    Sigint,
    Sigterm,
    /// `tc worker` is shutting down and its grace period is over: the queue retries the task.
    Shutdown,
    /// A reclaim answered 409 (the task was canceled, or its claim expired): nothing is reported.
    Aborted,
}

impl Interrupt {
    /// The exception the run resolves to.
    pub fn reason(self) -> Reason {
        match self {
            Interrupt::Shutdown => Reason::WorkerShutdown,
            _ => Reason::Canceled,
        }
    }

    /// The live log's line when it happens.
    pub fn log_line(self) -> &'static str {
        match self {
            Interrupt::Sigint | Interrupt::Sigterm => "Canceled by user",
            Interrupt::Shutdown => "Worker shutting down: the task is stopped",
            Interrupt::Aborted => {
                "Aborted: the queue refused the reclaim (the task was canceled or its claim expired)"
            }
        }
    }
}

/// What happened, in pipeline order (worker.md §13.2).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunEvents {
    /// The run ended before the task started (validation, env, mounts, image, start).
    pub before_start: Option<TaskError>,
    /// The task's exit code (first failing native command; signal s → 128 + s).
    pub exit_code: Option<i32>,
    /// maxRunTime killed the task.
    pub max_run_time_exceeded: bool,
    /// Something broke after the start (tc bug, daemon error, artifacts dir not writable).
    pub internal_error: Option<String>,
    /// SIGINT or SIGTERM canceled the run.
    pub interrupted: Option<Interrupt>,
    /// `onExitStatus.retry`.
    pub retry_codes: Vec<i32>,
    /// Missing or refused artifacts that the `--missing-artifacts` policy counts, each as
    /// `<name> missing` or `<name> invalid` (the failure's explanation when the exit code is 0).
    pub failing_artifacts: Vec<String>,
}

/// `artifact public/x missing`, or `artifacts public/x missing, public/y invalid`.
fn artifact_failure(failing: &[String]) -> String {
    let noun = if failing.len() == 1 {
        "artifact"
    } else {
        "artifacts"
    };
    format!("{noun} {}", failing.join(", "))
}

/// The outcome, tc's exit status for it, and a message for exceptions and for a failure the
/// exit code does not explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub outcome: Outcome,
    pub exit_code: i32,
    pub message: Option<String>,
}

fn exception_exit(reason: Reason) -> i32 {
    match reason {
        Reason::MalformedPayload => exit_codes::USAGE,
        Reason::Canceled => exit_codes::SIGINT,
        _ => exit_codes::EXCEPTION,
    }
}

/// §11.1: the first decisive event in pipeline order wins; cancellation overrides anything not
/// yet resolved; a failing artifact only turns completed into failed.
pub fn resolve(ev: &RunEvents) -> Resolution {
    let exception = |reason: Reason, message: Option<String>| Resolution {
        outcome: Outcome::Exception(reason),
        exit_code: exception_exit(reason),
        message,
    };
    if let Some(signal) = ev.interrupted {
        let (code, message) = match signal {
            Interrupt::Sigint => (exit_codes::SIGINT, "canceled by SIGINT"),
            Interrupt::Sigterm => (exit_codes::SIGTERM, "canceled by SIGTERM"),
            Interrupt::Shutdown => (exit_codes::EXCEPTION, "the worker shut down"),
            Interrupt::Aborted => (
                exit_codes::EXCEPTION,
                "the queue refused the reclaim: the task was canceled or its claim expired",
            ),
        };
        return Resolution {
            outcome: Outcome::Exception(signal.reason()),
            exit_code: code,
            message: Some(message.to_owned()),
        };
    }
    if let Some(err) = &ev.before_start {
        return exception(err.reason, Some(err.message.clone()));
    }
    if let Some(message) = &ev.internal_error {
        return exception(Reason::InternalError, Some(message.clone()));
    }
    if ev.max_run_time_exceeded {
        return Resolution {
            outcome: Outcome::Failed,
            exit_code: exit_codes::FAILED,
            message: None,
        };
    }
    match ev.exit_code {
        // The command succeeded, so the message is the only place that says why it failed.
        Some(0) if !ev.failing_artifacts.is_empty() => Resolution {
            outcome: Outcome::Failed,
            exit_code: exit_codes::FAILED,
            message: Some(artifact_failure(&ev.failing_artifacts)),
        },
        Some(0) => Resolution {
            outcome: Outcome::Completed,
            exit_code: exit_codes::OK,
            message: None,
        },
        Some(n) if ev.retry_codes.contains(&n) => exception(
            Reason::IntermittentTask,
            Some(format!("exit code {n} is listed in onExitStatus.retry")),
        ),
        Some(n) => Resolution {
            outcome: Outcome::Failed,
            exit_code: n,
            message: None,
        },
        None => exception(
            Reason::InternalError,
            Some("the task has no exit code".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ev: &RunEvents) -> (Outcome, i32) {
        let r = resolve(ev);
        (r.outcome, r.exit_code)
    }

    fn exited(code: i32) -> RunEvents {
        RunEvents {
            exit_code: Some(code),
            ..RunEvents::default()
        }
    }

    #[test]
    fn row_1_exit_0_completes() {
        assert_eq!(run(&exited(0)), (Outcome::Completed, 0));
    }

    #[test]
    fn row_2_exit_n_fails_with_n() {
        assert_eq!(run(&exited(4)), (Outcome::Failed, 4));
        assert_eq!(run(&exited(137)), (Outcome::Failed, 137));
    }

    #[test]
    fn row_3_a_retry_code_is_intermittent() {
        let ev = RunEvents {
            retry_codes: vec![4, 5],
            ..exited(5)
        };
        assert_eq!(run(&ev), (Outcome::Exception(Reason::IntermittentTask), 3));
    }

    #[test]
    fn row_4_max_run_time_fails_with_1() {
        let ev = RunEvents {
            max_run_time_exceeded: true,
            retry_codes: vec![1],
            failing_artifacts: vec!["public/x missing".into()],
            ..Default::default()
        };
        assert_eq!(run(&ev), (Outcome::Failed, 1));
    }

    #[test]
    fn rows_5_and_6_malformed_payload_exit_2() {
        let ev = RunEvents {
            before_start: Some(TaskError::malformed("bad")),
            ..Default::default()
        };
        assert_eq!(run(&ev), (Outcome::Exception(Reason::MalformedPayload), 2));
    }

    #[test]
    fn rows_7_and_8_resource_unavailable_exit_3() {
        let ev = RunEvents {
            before_start: Some(TaskError::new(Reason::ResourceUnavailable, "down")),
            ..Default::default()
        };
        assert_eq!(
            run(&ev),
            (Outcome::Exception(Reason::ResourceUnavailable), 3)
        );
    }

    #[test]
    fn row_9_and_10_missing_artifacts_only_turn_completed_into_failed() {
        let ev = RunEvents {
            failing_artifacts: vec!["public/x missing".into()],
            ..exited(0)
        };
        assert_eq!(run(&ev), (Outcome::Failed, 1));
        let ev = RunEvents {
            failing_artifacts: vec!["public/x missing".into()],
            ..exited(7)
        };
        assert_eq!(run(&ev), (Outcome::Failed, 7));
        let ev = RunEvents {
            failing_artifacts: vec!["public/x missing".into()],
            retry_codes: vec![7],
            ..exited(7)
        };
        assert_eq!(run(&ev), (Outcome::Exception(Reason::IntermittentTask), 3));
    }

    #[test]
    fn row_12_cancellation_overrides_everything() {
        let ev = RunEvents {
            interrupted: Some(Interrupt::Sigint),
            max_run_time_exceeded: true,
            ..exited(0)
        };
        assert_eq!(run(&ev), (Outcome::Exception(Reason::Canceled), 130));
        let ev = RunEvents {
            interrupted: Some(Interrupt::Sigterm),
            before_start: Some(TaskError::malformed("x")),
            ..Default::default()
        };
        assert_eq!(run(&ev), (Outcome::Exception(Reason::Canceled), 143));
    }

    #[test]
    fn row_13_internal_error_exit_3() {
        let ev = RunEvents {
            internal_error: Some("disk full".into()),
            ..exited(0)
        };
        assert_eq!(run(&ev), (Outcome::Exception(Reason::InternalError), 3));
    }

    #[test]
    fn the_first_event_before_start_wins_over_later_ones() {
        let ev = RunEvents {
            before_start: Some(TaskError::malformed("x")),
            internal_error: Some("y".into()),
            ..exited(1)
        };
        assert_eq!(run(&ev).0, Outcome::Exception(Reason::MalformedPayload));
    }
}
