//! The queue's task definition and what goes with it. For now: slugids and relative times.

pub mod reltime;
pub mod slugid;
