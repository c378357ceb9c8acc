/// A task to create: its taskId, the label it has in its graph (if any), and its definition as
/// `createTask` takes it. `tc submit` and `tc run-local --graph` create these in order.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub task_id: String,
    pub label: Option<String>,
    pub definition: serde_json::Value,
}

impl NewTask {
    /// The task queue the definition names (`taskQueueId`, or the older
    /// `provisionerId/workerType`).
    pub fn queue(&self) -> String {
        match self.definition["taskQueueId"].as_str() {
            Some(q) => q.to_owned(),
            None => format!(
                "{}/{}",
                self.definition["provisionerId"]
                    .as_str()
                    .unwrap_or_default(),
                self.definition["workerType"].as_str().unwrap_or_default()
            ),
        }
    }

    /// The taskIds this task depends on, without itself.
    pub fn dependencies(&self) -> impl Iterator<Item = &str> {
        self.definition["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .filter(|d| *d != self.task_id)
    }
}
