//! The graph context resolution checks against (try-syntax.md §5.1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Why a context document cannot be read: its parser's message, which names the line.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ContextError {
    #[error(transparent)]
    #[diagnostic(code("tc::try::context"))]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    #[diagnostic(code("tc::try::context"))]
    Yaml(#[from] serde_saphyr::Error),
}

/// What the graph offers. A missing field is empty; lists are used as sets (ride-along lists
/// keep their order).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Context {
    pub build_types: Vec<String>,
    pub build_platforms: Vec<String>,
    pub test_platforms: Vec<String>,
    pub ridealong_builds: BTreeMap<String, Vec<String>>,
    pub unittest_try_names: Vec<String>,
    pub talos_try_names: Vec<String>,
    pub raptor_try_names: Vec<String>,
}

impl Context {
    /// Reads a context document: JSON when `name` ends in `.json`, else YAML.
    pub fn from_text(name: &str, text: &str) -> Result<Context, ContextError> {
        let json = std::path::Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if json {
            Ok(serde_json::from_str(text)?)
        } else {
            Ok(serde_saphyr::from_str(text)?)
        }
    }

    /// The test platform set: each `test_platform` up to its first `/`, ascending.
    pub fn test_platform_set(&self) -> Vec<String> {
        let mut set: Vec<String> = self
            .test_platforms
            .iter()
            .map(|p| p.split('/').next().unwrap_or_default().to_owned())
            .collect();
        set.sort();
        set.dedup();
        set
    }
}

/// `names` without repeats, first occurrence kept.
pub(crate) fn distinct(names: &[String]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .map(String::as_str)
        .filter(|n| seen.insert(*n))
        .collect()
}
