//! The states and reasons of tasks and runs as the queue's API writes them (queue-api.md §3.4):
//! lowercase words on the wire, enums everywhere else.
//!
//! ```
//! use tc_api::states::{ReasonResolved, Resolution, RunState, TaskState};
//!
//! let state: RunState = serde_json::from_str("\"running\"").unwrap();
//! assert_eq!(TaskState::of_latest_run(Some(state)), TaskState::Running);
//! assert_eq!(TaskState::of_latest_run(None).as_str(), "unscheduled");
//! let r = Resolution::Exception(ReasonResolved::WorkerShutdown);
//! assert_eq!((r.state(), r.reason().as_str()), (RunState::Exception, "worker-shutdown"));
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A word that is not one of the values a state or reason may take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("`{value}` is not a {what}; expected one of: {expected}")]
#[diagnostic(code(tc::api::unknown_value))]
pub struct UnknownValue {
    /// What was expected (`run state`, `reasonResolved`...).
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

/// `as_str`, `Display` and `FromStr` over the wire words of a fieldless enum.
macro_rules! wire_words {
    ($ty:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the spec's order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The word on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(UnknownValue {
                        what: $what,
                        value: s.to_owned(),
                        expected: [$($word),+].join(", "),
                    }),
                }
            }
        }
    };
}

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Pending,
    Running,
    Completed,
    Failed,
    Exception,
}

wire_words!(RunState, "run state", {
    Pending => "pending",
    Running => "running",
    Completed => "completed",
    Failed => "failed",
    Exception => "exception",
});

impl RunState {
    /// `completed`, `failed` or `exception`: the run is over.
    pub fn is_resolved(self) -> bool {
        matches!(
            self,
            RunState::Completed | RunState::Failed | RunState::Exception
        )
    }

    /// `pending` or `running`: the run is not over yet.
    pub fn is_open(self) -> bool {
        !self.is_resolved()
    }
}

/// The state of a task: its latest run's, or `unscheduled` while it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    Unscheduled,
    Pending,
    Running,
    Completed,
    Failed,
    Exception,
}

wire_words!(TaskState, "task state", {
    Unscheduled => "unscheduled",
    Pending => "pending",
    Running => "running",
    Completed => "completed",
    Failed => "failed",
    Exception => "exception",
});

impl TaskState {
    /// The state of a task whose latest run is `latest` (§3.4).
    pub fn of_latest_run(latest: Option<RunState>) -> TaskState {
        match latest {
            None => TaskState::Unscheduled,
            Some(RunState::Pending) => TaskState::Pending,
            Some(RunState::Running) => TaskState::Running,
            Some(RunState::Completed) => TaskState::Completed,
            Some(RunState::Failed) => TaskState::Failed,
            Some(RunState::Exception) => TaskState::Exception,
        }
    }

    /// `completed`, `failed` or `exception`: nothing runs any more unless rerun.
    pub fn is_resolved(self) -> bool {
        matches!(
            self,
            TaskState::Completed | TaskState::Failed | TaskState::Exception
        )
    }
}

/// Why a run was created (`reasonCreated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonCreated {
    Scheduled,
    Retry,
    TaskRetry,
    Rerun,
    Exception,
}

wire_words!(ReasonCreated, "reasonCreated", {
    Scheduled => "scheduled",
    Retry => "retry",
    TaskRetry => "task-retry",
    Rerun => "rerun",
    Exception => "exception",
});

/// Why a run resolved (`reasonResolved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonResolved {
    Completed,
    Failed,
    DeadlineExceeded,
    Canceled,
    ClaimExpired,
    WorkerShutdown,
    MalformedPayload,
    ResourceUnavailable,
    InternalError,
    IntermittentTask,
    /// Upstream's; tc never resolves a run so.
    Superseded,
}

wire_words!(ReasonResolved, "reasonResolved", {
    Completed => "completed",
    Failed => "failed",
    DeadlineExceeded => "deadline-exceeded",
    Canceled => "canceled",
    ClaimExpired => "claim-expired",
    WorkerShutdown => "worker-shutdown",
    MalformedPayload => "malformed-payload",
    ResourceUnavailable => "resource-unavailable",
    InternalError => "internal-error",
    IntermittentTask => "intermittent-task",
    Superseded => "superseded",
});

impl ReasonResolved {
    /// The reasons a worker may give reportException (§2), in the spec's order.
    pub const REPORTABLE: [ReasonResolved; 5] = [
        ReasonResolved::WorkerShutdown,
        ReasonResolved::MalformedPayload,
        ReasonResolved::ResourceUnavailable,
        ReasonResolved::InternalError,
        ReasonResolved::IntermittentTask,
    ];

    /// The reason of the retry run an exception with this reason gets (§4.1), if any.
    pub fn retried_as(self) -> Option<ReasonCreated> {
        match self {
            ReasonResolved::WorkerShutdown | ReasonResolved::ClaimExpired => {
                Some(ReasonCreated::Retry)
            }
            ReasonResolved::IntermittentTask => Some(ReasonCreated::TaskRetry),
            _ => None,
        }
    }
}

/// How a run resolves: the state with its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Completed,
    Failed,
    Exception(ReasonResolved),
}

impl Resolution {
    pub fn state(self) -> RunState {
        match self {
            Resolution::Completed => RunState::Completed,
            Resolution::Failed => RunState::Failed,
            Resolution::Exception(_) => RunState::Exception,
        }
    }

    /// `reasonResolved`: `completed`, `failed`, or the exception's reason.
    pub fn reason(self) -> ReasonResolved {
        match self {
            Resolution::Completed => ReasonResolved::Completed,
            Resolution::Failed => ReasonResolved::Failed,
            Resolution::Exception(r) => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_word_and_serde() {
        for s in RunState::ALL {
            assert_eq!(s.as_str().parse::<RunState>(), Ok(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        }
        for s in TaskState::ALL {
            assert_eq!(s.as_str().parse::<TaskState>(), Ok(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        }
        for r in ReasonCreated::ALL {
            assert_eq!(r.as_str().parse::<ReasonCreated>(), Ok(*r));
            assert_eq!(serde_json::to_string(r).unwrap(), format!("\"{r}\""));
        }
        for r in ReasonResolved::ALL {
            assert_eq!(r.as_str().parse::<ReasonResolved>(), Ok(*r));
            assert_eq!(serde_json::to_string(r).unwrap(), format!("\"{r}\""));
        }
    }

    #[test]
    fn an_unknown_word_names_the_expected_ones() {
        let e = "done".parse::<RunState>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`done` is not a run state; expected one of: pending, running, completed, failed, exception"
        );
        assert!(serde_json::from_str::<TaskState>("\"Completed\"").is_err());
    }

    #[test]
    fn retries_follow_the_exception_reason() {
        assert_eq!(
            ReasonResolved::ClaimExpired.retried_as(),
            Some(ReasonCreated::Retry)
        );
        assert_eq!(
            ReasonResolved::IntermittentTask.retried_as(),
            Some(ReasonCreated::TaskRetry)
        );
        assert_eq!(ReasonResolved::Canceled.retried_as(), None);
        assert!(RunState::Running.is_open() && RunState::Exception.is_resolved());
    }
}
