//! `taskcluster/config.yml` (taskgraph.md §1.3): the few keys graph generation reads, checked
//! with errors that name the key and its place; the worker aliases resolved per task.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::keyed;
use super::yaml::{self, Node, Span, Value};

/// A problem with the configuration, where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code(tc::graph::config))]
pub enum ConfigError {
    #[error("couldn't find taskgraph configuration: {}", file.display())]
    NotFound { file: PathBuf },
    #[error(
        "couldn't find taskgraph configuration: {} (this is the layout before taskgraph 7: move ci/config.yml to config.yml and rename ci to kinds)",
        file.display()
    )]
    OldLayout { file: PathBuf },
    #[error("{}", .0.message)]
    Yaml(yaml::YamlError),
    #[error("invalid graph configuration: missing required key `{key}` ({})", file.display())]
    MissingKey {
        key: String,
        file: PathBuf,
        at: Span,
    },
    /// `what` is wrong with the value at the JSON path `path`.
    #[error("invalid graph configuration: {what} at {path} ({}:{})", at.file, at.line)]
    Invalid {
        what: String,
        path: String,
        at: Span,
    },
    /// A keyed-by value that does not resolve.
    #[error(transparent)]
    Keyed(#[from] keyed::KeyedError),
}

impl ConfigError {
    /// Where the offending node is, when there is one.
    pub fn at(&self) -> Option<&Span> {
        match self {
            ConfigError::NotFound { .. } | ConfigError::OldLayout { .. } => None,
            ConfigError::Yaml(e) => Some(&e.span),
            ConfigError::MissingKey { at, .. } | ConfigError::Invalid { at, .. } => Some(at),
            ConfigError::Keyed(e) => Some(&e.span),
        }
    }
}

fn invalid(what: impl Into<String>, path: &str, node: &Node) -> ConfigError {
    ConfigError::Invalid {
        what: what.into(),
        path: path.to_owned(),
        at: node.span.clone(),
    }
}

/// A worker alias, resolved for one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub provisioner: String,
    pub implementation: String,
    pub os: String,
    pub worker_type: String,
}

/// One entry of `taskgraph.repositories`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub key: String,
    pub name: String,
    pub project_regex: Option<String>,
    pub ssh_secret_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub file: PathBuf,
    pub trust_domain: String,
    task_priority: Node,
    task_deadline_after: Option<Node>,
    task_expires_after: Option<String>,
    aliases: Node,
    pub repositories: Vec<Repository>,
    /// `taskgraph.run.use-caches`, as written.
    pub use_caches: Option<Node>,
    pub group_names: BTreeMap<String, String>,
    pub index_products: Option<Vec<String>>,
    /// `try.ridealong-builds`, as written.
    pub ridealong_builds: Option<Node>,
    /// `taskgraph.register` is project code: unsupported (§5).
    pub registers_code: bool,
    pub warnings: Vec<String>,
    memo: Memo,
}

/// Answers already given: every task asks the same few questions (its alias, the default
/// priority and deadline), and resolving them from the YAML each time dominated small tasks.
#[derive(Default)]
struct Memo {
    /// By requested worker type and level.
    workers: Answers<(String, String), Worker>,
    /// By project.
    priority: Answers<String, String>,
    deadline: Answers<String, String>,
}

/// Answers by question, in the order they were first asked.
type Answers<K, V> = Mutex<Vec<(K, Result<V, ConfigError>)>>;

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

/// The value for the key `is_key` finds, made and kept the first time. A graph has a handful
/// of keys and every task asks, so they are kept in a list that is searched without
/// hashing or copying the key.
fn memoized<K, V: Clone>(
    memo: &Mutex<Vec<(K, V)>>,
    is_key: impl Fn(&K) -> bool,
    key: impl FnOnce() -> K,
    make: impl FnOnce() -> V,
) -> V {
    let known = memo
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, v)) = known.iter().find(|(k, _)| is_key(k)) {
        return v.clone();
    }
    drop(known);
    let v = make();
    memo.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((key(), v.clone()));
    v
}

const ALIAS_KEYS: [&str; 4] = ["provisioner", "implementation", "os", "worker-type"];

fn as_str<'a>(node: &'a Node, path: &str) -> Result<&'a str, ConfigError> {
    match &node.value {
        Value::Str(s) => Ok(s),
        _ => Err(invalid("expected a string", path, node)),
    }
}

fn entries<'a>(node: &'a Node, path: &str) -> Result<&'a [(Node, Node)], ConfigError> {
    match &node.value {
        Value::Map(m) => Ok(m),
        _ => Err(invalid("expected a mapping", path, node)),
    }
}

fn key_text(k: &Node) -> String {
    match &k.value {
        Value::Str(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// Why a `str.format` template does not format (Python's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code(tc::graph::format))]
pub enum FormatError {
    #[error("single '}}' encountered in format string '{text}'")]
    SingleBrace { text: String },
    #[error("expected '}}' before end of string in '{text}'")]
    Unclosed { text: String },
    #[error("unknown placeholder {{{name}}} in '{text}'")]
    UnknownPlaceholder { name: String, text: String },
}

/// Each worker alias has exactly the keys of [`ALIAS_KEYS`].
fn check_aliases(aliases: &Node) -> Result<(), ConfigError> {
    for (name, alias) in entries(aliases, "$.workers.aliases")? {
        let path = format!("$.workers.aliases.{}", key_text(name));
        for (k, _) in entries(alias, &path)? {
            let k = key_text(k);
            if !ALIAS_KEYS.contains(&k.as_str()) {
                return Err(invalid(format!("unknown field `{k}`"), &path, alias));
            }
        }
        for k in ALIAS_KEYS {
            if alias.get(k).is_none() {
                return Err(invalid(
                    format!("missing required field `{k}`"),
                    &path,
                    alias,
                ));
            }
        }
    }
    Ok(())
}

/// `taskgraph.repositories`: at least one, each with a `project-regex` when there are several.
fn repositories(taskgraph: &Node) -> Result<Vec<Repository>, ConfigError> {
    let repos = taskgraph.get("repositories").ok_or_else(|| {
        invalid(
            "missing required key `repositories`",
            "$.taskgraph",
            taskgraph,
        )
    })?;
    let mut repositories = Vec::new();
    for (key, repo) in entries(repos, "$.taskgraph.repositories")? {
        let path = format!("$.taskgraph.repositories.{}", key_text(key));
        let text = |field: &str| match repo.get(field) {
            Some(n) => as_str(n, &format!("{path}.{field}")).map(|s| Some(s.to_owned())),
            None => Ok(None),
        };
        repositories.push(Repository {
            key: key_text(key),
            name: text("name")?
                .ok_or_else(|| invalid("missing required field `name`", &path, repo))?,
            project_regex: text("project-regex")?,
            ssh_secret_name: text("ssh-secret-name")?,
        });
    }
    if repositories.is_empty() {
        return Err(invalid(
            "at least one repository is required",
            "$.taskgraph.repositories",
            repos,
        ));
    }
    if repositories.len() > 1 && repositories.iter().any(|r| r.project_regex.is_none()) {
        return Err(invalid(
            "each repository needs `project-regex` when there are several",
            "$.taskgraph.repositories",
            repos,
        ));
    }
    Ok(repositories)
}

/// `treeherder.group-names`: group symbols to their names.
fn group_names(doc: &Node) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut group_names = BTreeMap::new();
    if let Some(groups) = doc.get("treeherder").and_then(|t| t.get("group-names")) {
        for (k, v) in entries(groups, "$.treeherder.group-names")? {
            let path = format!("$.treeherder.group-names.{}", key_text(k));
            group_names.insert(key_text(k), as_str(v, &path)?.to_owned());
        }
    }
    Ok(group_names)
}

/// `index.products`, a list of strings.
fn index_products(doc: &Node) -> Result<Option<Vec<String>>, ConfigError> {
    match doc.get("index").and_then(|i| i.get("products")) {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items
            .iter()
            .map(|i| as_str(i, "$.index.products").map(str::to_owned))
            .collect::<Result<_, _>>()
            .map(Some),
        Some(other) => Err(invalid("expected a list", "$.index.products", other)),
        None => Ok(None),
    }
}

/// Keyed-by with only `project` in the context, as taskgraph resolves these (§1.6).
fn by_project(node: &Node, item: &str, project: &str) -> Result<String, ConfigError> {
    let ctx = |k: &str| (k == "project").then(|| Value::Str(project.to_owned()));
    let resolved = keyed::resolve(node, item, &ctx)?;
    as_str(&resolved, &format!("$.{item}")).map(str::to_owned)
}

/// Python's `str.format` with only these names: `{{`/`}}` are braces, any other placeholder is
/// an error naming it.
pub fn format(text: &str, names: &[(&str, &str)]) -> Result<String, FormatError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if tail.starts_with('}') {
            return Err(FormatError::SingleBrace {
                text: text.to_owned(),
            });
        } else {
            let Some(end) = tail.find('}') else {
                return Err(FormatError::Unclosed {
                    text: text.to_owned(),
                });
            };
            let name = &tail[1..end];
            match names.iter().find(|(n, _)| *n == name) {
                Some((_, v)) => out.push_str(v),
                None => {
                    return Err(FormatError::UnknownPlaceholder {
                        name: name.to_owned(),
                        text: text.to_owned(),
                    });
                }
            }
            rest = &tail[end + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

impl Config {
    /// Reads `R/config.yml`.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        let file = root.join("config.yml");
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(_) if root.join("ci/config.yml").is_file() => {
                return Err(ConfigError::OldLayout { file });
            }
            Err(_) => return Err(ConfigError::NotFound { file }),
        };
        let loaded = yaml::load(&file.display().to_string(), &text).map_err(ConfigError::Yaml)?;
        let doc = loaded.node;
        entries(&doc, "$")?;
        let need = |key: &str| {
            doc.get(key).ok_or_else(|| ConfigError::MissingKey {
                key: key.to_owned(),
                file: file.clone(),
                at: doc.span.clone(),
            })
        };
        let trust_domain = as_str(need("trust-domain")?, "$.trust-domain")?.to_owned();
        let task_priority = need("task-priority")?.clone();
        let task_deadline_after = doc.get("task-deadline-after").cloned();
        let task_expires_after = match doc.get("task-expires-after") {
            Some(n) => Some(as_str(n, "$.task-expires-after")?.to_owned()),
            None => None,
        };
        let workers = need("workers")?;
        let aliases = workers
            .get("aliases")
            .ok_or_else(|| invalid("missing required key `aliases`", "$.workers", workers))?
            .clone();
        check_aliases(&aliases)?;
        let taskgraph = need("taskgraph")?;
        let repositories = repositories(taskgraph)?;
        let group_names = group_names(&doc)?;
        let index_products = index_products(&doc)?;
        Ok(Config {
            file,
            trust_domain,
            task_priority,
            task_deadline_after,
            task_expires_after,
            aliases,
            repositories,
            use_caches: taskgraph
                .get("run")
                .and_then(|r| r.get("use-caches"))
                .cloned(),
            group_names,
            index_products,
            ridealong_builds: doc
                .get("try")
                .and_then(|t| t.get("ridealong-builds"))
                .cloned(),
            registers_code: taskgraph.get("register").is_some(),
            warnings: loaded.warnings,
            memo: Memo::default(),
        })
    }

    /// The default task priority.
    pub fn priority(&self, project: &str) -> Result<String, ConfigError> {
        memoized(
            &self.memo.priority,
            |p| p == project,
            || project.to_owned(),
            || by_project(&self.task_priority, "task-priority", project),
        )
    }

    /// The default `deadline-after`.
    pub fn deadline_after(&self, project: &str) -> Result<String, ConfigError> {
        match &self.task_deadline_after {
            Some(n) => memoized(
                &self.memo.deadline,
                |p| p == project,
                || project.to_owned(),
                || by_project(n, "task-deadline-after", project),
            ),
            None => Ok("1 day".into()),
        }
    }

    /// The default `expires-after`: the configured one only at level 1 (taskgraph's quirk).
    pub fn expires_after(&self, level: &str) -> String {
        if level == "1" {
            self.task_expires_after
                .clone()
                .unwrap_or_else(|| "28 days".into())
        } else {
            "1 year".into()
        }
    }

    /// The worker alias `requested` at `level`: the alias table is keyed by the requested name
    /// (exact, then regex, then `default`); `provisioner` and `worker-type` may be keyed by
    /// level; then `{level}`, `{alias}` and `{trust-domain}` are substituted.
    pub fn worker(&self, requested: &str, level: &str) -> Result<Worker, ConfigError> {
        memoized(
            &self.memo.workers,
            |(r, l)| r == requested && l == level,
            || (requested.to_owned(), level.to_owned()),
            || self.resolve_worker(requested, level),
        )
    }

    fn resolve_worker(&self, requested: &str, level: &str) -> Result<Worker, ConfigError> {
        let table = Node {
            value: Value::Map(vec![(
                Node {
                    // Named so the messages read as taskgraph's ("No worker-type matching …").
                    value: Value::Str("by-worker-type".into()),
                    span: self.aliases.span.clone(),
                },
                self.aliases.clone(),
            )]),
            span: self.aliases.span.clone(),
        };
        let ctx = |k: &str| (k == "worker-type").then(|| Value::Str(requested.to_owned()));
        let alias = keyed::resolve(
            &table,
            &format!("item `worker-type` in `{requested}`"),
            &ctx,
        )?;
        let names = [
            ("level", level),
            ("alias", requested),
            ("trust-domain", self.trust_domain.as_str()),
        ];
        let field = |key: &str, keyed_by_level: bool| -> Result<String, ConfigError> {
            let path = format!("$.workers.aliases.{requested}.{key}");
            let node = alias
                .get(key)
                .ok_or_else(|| invalid("missing field", &path, &alias))?;
            let node = if keyed_by_level {
                let ctx = |k: &str| (k == "level").then(|| Value::Str(level.to_owned()));
                keyed::resolve(node, &format!("item `{key}` in `{requested}`"), &ctx)?
            } else {
                node.clone()
            };
            let text = as_str(&node, &path)?;
            format(text, &names).map_err(|why| invalid(why.to_string(), &path, &node))
        };
        Ok(Worker {
            provisioner: field("provisioner", true)?,
            implementation: field("implementation", false)?,
            os: field("os", false)?,
            worker_type: field("worker-type", true)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.yml"), text).unwrap();
        Config::load(dir.path())
    }

    const BASE: &str = "trust-domain: demo\ntask-priority: {by-project: {'mozilla-(beta|release)': high, try: very-low, default: low}}\ntask-deadline-after: {by-level: {'3': 5 days, default: 2 days}}\ntask-expires-after: 2 weeks\nworkers:\n  aliases:\n    t-linux-exact: {provisioner: 'p-{level}', implementation: docker-worker, os: linux, worker-type: '{alias}-exact'}\n    t-linux.*: {provisioner: {by-level: {'3': '{trust-domain}-{level}', default: low}}, implementation: docker-worker, os: linux, worker-type: '{alias}-gcp'}\n    default: {provisioner: fallback, implementation: generic-worker, os: windows, worker-type: 'w{{x}}'}\ntaskgraph:\n  repositories:\n    demo: {name: Demo}\ntreeherder: {group-names: {I: Integration}}\n";

    #[test]
    fn priorities_and_deadlines_are_keyed_by_project_only() {
        let c = config(BASE).unwrap();
        assert_eq!(c.priority("mozilla-beta").unwrap(), "high");
        assert_eq!(c.priority("try").unwrap(), "very-low");
        assert_eq!(c.priority("demo").unwrap(), "low");
        // by-level sees no level: always the default (taskgraph's quirk).
        assert_eq!(c.deadline_after("demo").unwrap(), "2 days");
        assert_eq!(c.expires_after("1"), "2 weeks");
        assert_eq!(c.expires_after("3"), "1 year");
        assert_eq!(c.group_names["I"], "Integration");
    }

    #[test]
    fn aliases_match_exactly_then_by_regex_then_default() {
        let c = config(BASE).unwrap();
        let w = c.worker("t-linux-exact", "3").unwrap();
        assert_eq!(
            (w.provisioner.as_str(), w.worker_type.as_str()),
            ("p-3", "t-linux-exact-exact")
        );
        let w = c.worker("t-linux-large", "3").unwrap();
        assert_eq!(
            (w.provisioner.as_str(), w.worker_type.as_str()),
            ("demo-3", "t-linux-large-gcp")
        );
        assert_eq!(c.worker("t-linux-large", "1").unwrap().provisioner, "low");
        let w = c.worker("anything", "3").unwrap();
        let none = config(&BASE.replace("    default: {provisioner: fallback, implementation: generic-worker, os: windows, worker-type: 'w{{x}}'}\n", "")).unwrap();
        let err = none.worker("b-mac", "3").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("No worker-type matching 'b-mac' nor 'default' found"),
            "{err:?}"
        );
        assert_eq!(
            (w.implementation.as_str(), w.worker_type.as_str()),
            ("generic-worker", "w{x}")
        );
    }

    #[test]
    fn problems_name_the_key_and_the_place() {
        let missing = config("task-priority: low\n").unwrap_err();
        assert!(
            missing.to_string().contains("`trust-domain`"),
            "{missing:?}"
        );
        let extra = config(&BASE.replace("os: windows,", "os: windows, region: eu,")).unwrap_err();
        assert!(
            extra.to_string().contains("unknown field `region`")
                && extra.to_string().contains("$.workers.aliases.default"),
            "{extra:?}"
        );
        let placeholder = config(&BASE.replace("'{alias}-exact'", "'{nope}'")).unwrap();
        let err = placeholder.worker("t-linux-exact", "3").unwrap_err();
        assert!(err.to_string().contains("{nope}"), "{err:?}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ci")).unwrap();
        std::fs::write(dir.path().join("ci/config.yml"), BASE).unwrap();
        let old = Config::load(dir.path()).unwrap_err();
        assert!(old.to_string().contains("rename ci to kinds"), "{old:?}");
    }

    #[test]
    fn python_format_rules() {
        let names = [("level", "3")];
        assert_eq!(format("a-{level}-{{x}}", &names).unwrap(), "a-3-{x}");
        assert!(format("a-{other}", &names).is_err());
        assert!(format("a-}", &names).is_err());
        assert!(format("a-{level", &names).is_err());
    }
}
