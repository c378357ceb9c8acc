//! The TaskCluster queue: for now, the client calls `tc run-local --task-id` needs
//! (queue-api.md §8.1). The embedded server and the full client come later.

pub mod client;
pub mod server;
