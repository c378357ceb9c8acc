//! The queue's task definition and what goes with it: reading task documents, defaults,
//! relative times, payload families and their field support, slugids.

pub mod definition;
pub mod document;
pub mod payload;
pub mod reltime;
pub mod slugid;

pub use definition::{Defaults, Metadata, TaskDef};
pub use payload::Family;
