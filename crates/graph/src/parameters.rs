//! Graph parameters (taskgraph.md §2): local defaults read from git, overridden key by key by a
//! `-p` file, known keys type-checked with taskgraph's messages.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Local};
use serde_json::{Map, Value, json};

/// The parameters of one graph generation, in taskgraph's names.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters(pub Map<String, Value>);

/// A known parameter's type.
#[derive(Debug, Clone, Copy)]
enum Type {
    Str,
    OptStr,
    Int,
    Bool,
    ListStr,
    BoolOrListStr,
    MapStrStr,
    CodeReview,
}

/// taskgraph 24.5.1's base schema; unknown keys are kept unchecked.
const SCHEMA: &[(&str, Type)] = &[
    ("base_repository", Type::Str),
    ("base_ref", Type::OptStr),
    ("base_rev", Type::Str),
    ("build_date", Type::Int),
    ("build_number", Type::Int),
    ("do_not_optimize", Type::ListStr),
    ("enable_always_target", Type::BoolOrListStr),
    ("existing_tasks", Type::MapStrStr),
    ("files_changed", Type::ListStr),
    ("filters", Type::ListStr),
    ("head_ref", Type::Str),
    ("head_repository", Type::Str),
    ("head_rev", Type::Str),
    ("head_tag", Type::Str),
    ("level", Type::Str),
    ("moz_build_date", Type::Str),
    ("next_version", Type::OptStr),
    ("optimize_strategies", Type::OptStr),
    ("optimize_target_tasks", Type::Bool),
    ("owner", Type::Str),
    ("project", Type::Str),
    ("pushdate", Type::Int),
    ("pushlog_id", Type::Str),
    ("repository_type", Type::Str),
    ("target_tasks_method", Type::Str),
    ("tasks_for", Type::Str),
    ("version", Type::OptStr),
    ("code-review", Type::CodeReview),
];

/// msgspec's name for a JSON value's type, as taskgraph's messages show it.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A parameter of the wrong type (taskgraph's words): what it should be, what it is, and
/// where (`$.name`, `$.name[0]`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("invalid parameters: Expected `{expected}`, got `{got}` - at `{at}`")]
#[diagnostic(code(tc::graph::parameters))]
pub struct ParameterError {
    pub expected: &'static str,
    pub got: &'static str,
    pub at: String,
}

fn mismatch(expected: &'static str, got: &Value, at: &str) -> ParameterError {
    ParameterError {
        expected,
        got: type_name(got),
        at: at.to_owned(),
    }
}

fn check_strs(items: &[Value], at: &str) -> Result<(), ParameterError> {
    for (i, item) in items.iter().enumerate() {
        if !item.is_string() {
            return Err(mismatch("str", item, &format!("{at}[{i}]")));
        }
    }
    Ok(())
}

fn check(name: &str, ty: Type, v: &Value) -> Result<(), ParameterError> {
    let at = format!("$.{name}");
    match (ty, v) {
        (Type::Str, Value::String(_))
        | (Type::OptStr, Value::String(_) | Value::Null)
        | (Type::Bool | Type::BoolOrListStr, Value::Bool(_)) => Ok(()),
        (Type::Int, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
        (Type::ListStr | Type::BoolOrListStr, Value::Array(items)) => check_strs(items, &at),
        (Type::MapStrStr, Value::Object(m)) => match m.values().find(|v| !v.is_string()) {
            Some(bad) => Err(mismatch("str", bad, &format!("{at}[...]"))),
            None => Ok(()),
        },
        (Type::CodeReview, Value::Object(m)) => match m.get("phabricator-build-target") {
            Some(t) if !t.is_string() => Err(mismatch(
                "str",
                t,
                &format!("{at}.phabricator-build-target"),
            )),
            _ => Ok(()),
        },
        (ty, v) => {
            let expected = match ty {
                Type::Str => "str",
                Type::OptStr => "str | null",
                Type::Int => "int",
                Type::Bool => "bool",
                Type::ListStr => "array",
                Type::BoolOrListStr => "bool | array",
                Type::MapStrStr | Type::CodeReview => "object",
            };
            Err(mismatch(expected, v, &at))
        }
    }
}

/// The project's name from the origin URL: `r` for GitHub's `o/r`, `name` for
/// `hg.mozilla.org/[releases/]name`, else empty.
pub fn project_from_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let github = [
        "https://github.com/",
        "git@github.com:",
        "ssh://git@github.com/",
    ];
    for prefix in github {
        if let Some(rest) = url.strip_prefix(prefix) {
            let mut parts = rest.split('/');
            if let (Some(_owner), Some(repo), None) = (parts.next(), parts.next(), parts.next()) {
                return repo.trim_end_matches(".git").to_owned();
            }
            return String::new();
        }
    }
    if let Some(rest) = url.strip_prefix("https://hg.mozilla.org/") {
        let rest = rest.strip_prefix("releases/").unwrap_or(rest);
        if !rest.is_empty() && !rest.contains('/') {
            return rest.to_owned();
        }
    }
    String::new()
}

/// One line of a git command's output in `dir`, or `None` when git fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// Whether a variable changes where git finds the repository or its configuration.
fn git_configured_by_env() -> bool {
    std::env::vars_os().any(|(k, _)| {
        let k = k.to_string_lossy();
        k.starts_with("GIT_CONFIG") || ["GIT_DIR", "GIT_COMMON_DIR", "GIT_WORK_TREE"].contains(&&*k)
    })
}

/// What `git remote get-url origin` prints, read from `.git/config` (a git process costs
/// milliseconds); `None` when anything could make git answer otherwise (includes, URL rewrites,
/// the variables that change git's configuration, an unusual layout or line): git is asked then.
fn origin_url(vcs_root: &Path) -> Option<String> {
    if git_configured_by_env() {
        return None;
    }
    let git_dir = vcs_root.join(".git");
    if !git_dir.is_dir() || git_dir.join("config.worktree").exists() {
        return None;
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let elsewhere = [
        home.map(|h| h.join(".gitconfig")),
        xdg.map(|x| x.join("git/config")),
        Some("/etc/gitconfig".into()),
        Some("/usr/local/etc/gitconfig".into()),
    ];
    let plain = |text: &str| {
        let text = text.to_ascii_lowercase();
        !text.contains("include") && !text.contains("insteadof")
    };
    for file in elsewhere.into_iter().flatten() {
        if std::fs::read_to_string(file).is_ok_and(|text| !plain(&text)) {
            return None;
        }
    }
    let text = std::fs::read_to_string(git_dir.join("config")).ok()?;
    if !plain(&text) {
        return None;
    }
    let mut in_origin = false;
    let mut url = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with('[') {
            // Only the usual header; `[remote.origin]` and the like are git's to read.
            in_origin = line == "[remote \"origin\"]";
            if !in_origin && !line.ends_with(']')
                || line.to_ascii_lowercase().starts_with("[remote.")
            {
                return None;
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if in_origin && key.trim().eq_ignore_ascii_case("url") {
            let value = value.trim();
            // Quotes, escapes, comments or a second URL: git knows.
            if value.is_empty() || value.contains(['"', '\\', '#', ';']) || url.is_some() {
                return None;
            }
            url = Some(value.to_owned());
        }
    }
    url
}

/// What `git branch --show-current` prints, read from `HEAD` (`""` when detached); `None`
/// when the repository is laid out in a way only git should interpret.
fn head_branch(vcs_root: &Path) -> Option<String> {
    let dot_git = vcs_root.join(".git");
    let git_dir = if dot_git.is_dir() {
        dot_git
    } else {
        // A worktree or submodule: `.git` is a file naming the real directory.
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let dir = Path::new(text.strip_prefix("gitdir:")?.trim());
        vcs_root.join(dir)
    };
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim_end();
    if let Some(name) = head.strip_prefix("ref: refs/heads/") {
        // The reftable backend keeps a placeholder here.
        return (name != ".invalid" && !name.is_empty()).then(|| name.to_owned());
    }
    let detached = matches!(head.len(), 40 | 64) && head.bytes().all(|b| b.is_ascii_hexdigit());
    detached.then(String::new)
}

impl Parameters {
    /// The local defaults for the repository at `vcs_root` (§2), at time `now`.
    pub fn defaults(vcs_root: &Path, now: DateTime<Local>) -> Parameters {
        Self::defaults_except(vcs_root, now, &|_| false)
    }

    /// The local defaults, without asking git what `given` keys (those of a `-p` file, which
    /// override them) would only hide: each git process costs milliseconds.
    pub fn defaults_except(
        vcs_root: &Path,
        now: DateTime<Local>,
        given: &dyn Fn(&str) -> bool,
    ) -> Parameters {
        let all = |keys: &[&str]| keys.iter().all(|k| given(k));
        let need_url = !all(&["base_repository", "head_repository", "project"]);
        let need_branch = !given("head_ref");
        let need_changed = !given("files_changed");
        // The branch is in HEAD; git is asked only when the file says something unusual.
        let branch_file = if need_branch {
            head_branch(vcs_root)
        } else {
            Some(String::new())
        };
        // A detached HEAD's head_ref is the revision.
        let need_rev = !given("head_rev")
            || (need_branch && branch_file.as_ref().is_none_or(String::is_empty));
        // The git questions are independent: asked at once.
        let (url, head_rev, branch, changed) = std::thread::scope(|s| {
            // Only the questions asked get a thread.
            let ask = |need: bool, args: &'static [&'static str]| {
                need.then(|| s.spawn(move || git(vcs_root, args)))
            };
            let url_file = need_url.then(|| origin_url(vcs_root)).flatten();
            let url = ask(
                need_url && url_file.is_none(),
                &["remote", "get-url", "origin"],
            );
            let rev = ask(need_rev, &["rev-parse", "--verify", "HEAD"]);
            let branch = ask(
                need_branch && branch_file.is_none(),
                &["branch", "--show-current"],
            );
            let changed = ask(
                need_changed,
                &["diff", "--name-only", "--no-renames", "--diff-filter=AM"],
            );
            let join = |h: Option<std::thread::ScopedJoinHandle<'_, Option<String>>>| {
                h.and_then(|h| h.join().ok().flatten())
            };
            (
                join(url).or(url_file),
                join(rev),
                join(branch),
                join(changed),
            )
        });
        let branch = branch.or(branch_file);
        let url = url.unwrap_or_default();
        let head_rev = head_rev.unwrap_or_default();
        // Detached: the head_ref is the revision.
        let head_ref = branch
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| head_rev.clone());
        let files_changed: Vec<String> = changed
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let version = std::fs::read_to_string(vcs_root.join("version.txt"))
            .ok()
            .and_then(|t| t.lines().next().map(str::to_owned));
        let seconds = now.timestamp();
        let value = json!({
            "base_repository": url,
            "base_ref": "",
            "base_rev": "",
            "build_date": seconds,
            "build_number": 1,
            "do_not_optimize": [],
            "enable_always_target": true,
            "existing_tasks": {},
            "files_changed": files_changed,
            "filters": ["target_tasks_method"],
            "head_ref": head_ref,
            "head_repository": url,
            "head_rev": head_rev,
            "head_tag": "",
            "level": "3",
            "moz_build_date": now.format("%Y%m%d%H%M%S").to_string(),
            "next_version": null,
            "optimize_strategies": null,
            "optimize_target_tasks": true,
            "owner": "nobody@mozilla.com",
            "project": project_from_url(&url),
            "pushdate": seconds,
            "pushlog_id": "0",
            "repository_type": "git",
            "target_tasks_method": "default",
            "tasks_for": "",
            "version": version,
        });
        let Value::Object(map) = value else {
            unreachable!("a JSON object literal")
        };
        Parameters(map)
    }

    /// Overrides the defaults with a `-p` file's values, key by key, then checks every known
    /// key's type (the first mismatch is reported, as taskgraph does).
    pub fn overlay(&mut self, values: Map<String, Value>) -> Result<(), ParameterError> {
        for (k, v) in values {
            self.0.insert(k, v);
        }
        self.check()
    }

    pub fn check(&self) -> Result<(), ParameterError> {
        for (name, ty) in SCHEMA {
            if let Some(v) = self.0.get(*name) {
                check(name, *ty, v)?;
            }
        }
        Ok(())
    }

    /// Whether parameter `name` may be an int, with taskgraph's message when it may not (for
    /// integers too big to carry as values, whose type alone decides).
    pub fn check_int(name: &str) -> Result<(), ParameterError> {
        match SCHEMA.iter().find(|(n, _)| *n == name) {
            Some((_, ty)) => check(name, *ty, &Value::from(0)),
            None => Ok(()),
        }
    }

    pub fn get_str(&self, name: &str) -> &str {
        self.0.get(name).and_then(Value::as_str).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(key: &str, v: Value) -> Result<(), ParameterError> {
        let mut p = Parameters(Map::new());
        let mut m = Map::new();
        m.insert(key.to_owned(), v);
        p.overlay(m)
    }

    #[test]
    fn types_are_checked_with_taskgraphs_messages() {
        // Each message is the one taskgraph 24.5.1 gives for the same value.
        let cases = [
            (
                "base_rev",
                json!(123),
                "Expected `str`, got `int` - at `$.base_rev`",
            ),
            (
                "files_changed",
                json!([1]),
                "Expected `str`, got `int` - at `$.files_changed[0]`",
            ),
            (
                "existing_tasks",
                json!({"a": 1}),
                "Expected `str`, got `int` - at `$.existing_tasks[...]`",
            ),
            (
                "existing_tasks",
                json!([1]),
                "Expected `object`, got `array` - at `$.existing_tasks`",
            ),
            (
                "enable_always_target",
                json!("x"),
                "Expected `bool | array`, got `str` - at `$.enable_always_target`",
            ),
            (
                "next_version",
                json!(3),
                "Expected `str | null`, got `int` - at `$.next_version`",
            ),
            (
                "build_date",
                json!("x"),
                "Expected `int`, got `str` - at `$.build_date`",
            ),
            (
                "do_not_optimize",
                json!("x"),
                "Expected `array`, got `str` - at `$.do_not_optimize`",
            ),
        ];
        for (key, value, message) in cases {
            let err = checked(key, value).unwrap_err();
            assert_eq!(err.to_string(), format!("invalid parameters: {message}"));
        }
        assert!(checked("enable_always_target", json!(["build"])).is_ok());
        assert!(checked("next_version", Value::Null).is_ok());
        assert!(
            checked("anything_else", json!(3)).is_ok(),
            "unknown keys are not checked"
        );
    }

    #[test]
    fn projects_come_from_the_origin() {
        for (url, project) in [
            ("https://github.com/o/r", "r"),
            ("https://github.com/o/r.git", "r"),
            ("https://github.com/o/r/", "r"),
            ("git@github.com:o/r.git", "r"),
            ("ssh://git@github.com/o/r", "r"),
            ("https://hg.mozilla.org/mozilla-central", "mozilla-central"),
            (
                "https://hg.mozilla.org/releases/mozilla-beta",
                "mozilla-beta",
            ),
            ("https://gitlab.com/o/r", ""),
            ("", ""),
        ] {
            assert_eq!(project_from_url(url), project, "{url}");
        }
    }

    #[test]
    fn defaults_outside_a_repository_are_empty_but_valid() {
        let dir = tempfile::tempdir().unwrap();
        let p = Parameters::defaults(dir.path(), Local::now());
        p.check().unwrap();
        assert_eq!(p.get_str("head_rev"), "");
        assert_eq!(p.get_str("level"), "3");
        assert_eq!(p.0["files_changed"], json!([]));
        assert_eq!(p.0["filters"], json!(["target_tasks_method"]));
    }

    /// `origin_url` reads what git would print, or leaves the question to git.
    #[test]
    fn the_origin_url_is_read_as_git_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let ok = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "git {args:?}");
        };
        run(&["init", "-q"]);
        // No origin: nothing to read, and git has nothing either.
        assert_eq!(origin_url(dir.path()), None);
        run(&["remote", "add", "origin", "https://example.com/a/b.git"]);
        run(&["remote", "add", "other", "https://example.com/c"]);
        let config_env = git_configured_by_env();
        let by_git = git(dir.path(), &["remote", "get-url", "origin"]);
        assert_eq!(by_git.as_deref(), Some("https://example.com/a/b.git"));
        if config_env {
            assert_eq!(origin_url(dir.path()), None);
        } else {
            assert_eq!(origin_url(dir.path()), by_git);
        }
        // A rewrite only git applies: git is asked.
        run(&[
            "config",
            "url.https://mirror.example/.insteadOf",
            "https://example.com/",
        ]);
        assert_eq!(
            git(dir.path(), &["remote", "get-url", "origin"]).as_deref(),
            Some("https://mirror.example/a/b.git")
        );
        assert_eq!(origin_url(dir.path()), None);
    }
}
