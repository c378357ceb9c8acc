//! What every command that talks to a queue takes: where the queue is, and taskIds checked
//! before any request.

use tc_client::Client;

use crate::error::{Error, Result};

/// Where the queue is (`tc task`, `tc group`, `tc submit`, `tc worker`).
#[derive(Debug, Clone, clap::Args)]
pub struct QueueArgs {
    /// The queue's root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    pub root_url: Option<String>,
}

impl QueueArgs {
    pub fn client(&self) -> Result<Client> {
        Ok(Client::from_env(self.root_url.as_deref())?)
    }
}

/// A taskId or taskGroupId from the command line must be a slugid.
pub(super) fn check_id(id: &str) -> Result<()> {
    tc_taskdef::slugid::decode(id)
        .map(|_| ())
        .map_err(|e| Error::Usage(e.to_string()))
}
