//! TaskCluster on one machine, in one process (`tc run-local --graph`): an embedded queue in a
//! temporary directory, the tasks of a graph created on it dependencies first, and an
//! in-process worker running them to the end. Dependents see their dependencies' artifacts
//! through that queue, as on a real deployment. What a caller shows of the run comes through
//! [`Observer`]; nothing here prints.

mod embedded;
mod schedule;

pub use embedded::{Embedded, EmbeddedError};
pub use schedule::{Observer, Outcome, RunError, Settings, TaskView, run};
