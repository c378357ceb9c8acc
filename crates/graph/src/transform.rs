//! The stock task transform, `taskgraph.transforms.task` (taskgraph.md §3.1–§3.5), for kinds of
//! the transform loader without `run`. The steps follow taskgraph's transform sequence in order:
//! implementation, defaults, label, validation, treeherder, index, the task definition (payload
//! included), the `checks` route and chain of trust. Values are taskgraph's byte for byte.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::jv::{Jv as J, Obj as Map};

use super::config::{self, Config};
use super::def::{Def, Parts};
use super::keyed;
use super::kinds::{Kind, Loader, RawTask};
use super::parameters::Parameters;
use super::yaml::{Node, Span, Value, same_text};
use tc_taskdef::definition::PRIORITIES;

/// What a transform needs besides the task.
pub struct Context<'a> {
    pub config: &'a Config,
    pub params: &'a Parameters,
    /// `R`, e.g. `<repo>/taskcluster`.
    pub graph_root: &'a Path,
    pub vcs_root: &'a Path,
    /// `$TASK_ID`, which becomes `extra.parent`.
    pub task_id_env: Option<&'a str>,
    /// The deployment's root URL when the caller knows it (else `$TASKCLUSTER_ROOT_URL`).
    pub root_url: Option<&'a str>,
}

/// One task after the transform.
#[derive(Debug, Clone)]
pub struct Task {
    pub label: String,
    pub kind: String,
    pub description: String,
    pub attributes: Map,
    pub dependencies: super::deps::Dependencies,
    pub soft_dependencies: Vec<String>,
    pub if_dependencies: Vec<String>,
    /// null or an object.
    pub optimization: serde_json::Value,
    pub task: Def,
    pub span: Span,
}

impl Task {
    /// The task as taskgraph's JSON output writes it (§4.7).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "attributes": self.attributes.to_serde(),
            "dependencies": self.dependencies,
            "description": self.description,
            "if_dependencies": self.if_dependencies,
            "kind": self.kind,
            "label": self.label,
            "optimization": self.optimization,
            "soft_dependencies": self.soft_dependencies,
            "task": self.task.value(),
        })
    }
}

/// Why a task does not make it through the transforms: taskgraph's message, at the offending
/// node.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(tc::graph::task))]
pub struct TransformError {
    pub message: String,
    /// The offending node's position.
    pub at: Option<Span>,
    /// Input tc refuses rather than approximates (taskgraph.md §5, exit 3), not bad input.
    pub unsupported: bool,
}

impl From<config::ConfigError> for TransformError {
    fn from(e: config::ConfigError) -> TransformError {
        let at = e.at().cloned();
        TransformError {
            message: e.to_string(),
            at,
            unsupported: false,
        }
    }
}

/// Input tc does not run (§5).
pub(super) fn refuse(message: impl Into<String>, at: Option<&Span>) -> TransformError {
    TransformError {
        unsupported: true,
        ..fail(message, at)
    }
}

pub(super) fn fail(message: impl Into<String>, at: Option<&Span>) -> TransformError {
    TransformError {
        message: message.into(),
        at: at.cloned(),
        unsupported: false,
    }
}

/// 24.5.1's `run_task_suffix()`: the first 20 hex digits of the hash of its run-task script.
const RUN_TASK_HASH: &str = "b501540836ece0d08200";
pub(super) const BUILTIN: [(&str, &str); 2] =
    [("always-optimized", "invalid"), ("succeed", "built-in")];

// ---------------------------------------------------------------------------------------------
// The input schema, as msgspec checks it: keys in input order, then required fields.

#[derive(Clone, Copy)]
pub(super) enum T {
    Any,
    Str,
    Int,
    Bool,
    Lit(&'static [&'static str]),
    List(&'static T),
    /// `dict[str, T]`.
    Dict(&'static T),
    Struct(&'static S),
    Opt(&'static T),
    /// `Union[A, B]`: the side whose shape the value has.
    Either(&'static T, &'static T),
    /// `Union[str, dict[str, str]]` (docker-image).
    StrOrDict,
    /// `Union[bool, TreeherderConfig]`.
    BoolOrStruct(&'static S),
    /// `Union[str, {task-reference | artifact-reference}]`.
    TaskRef,
    /// `Union[Literal["by-tier", "build_date"], int]`.
    Rank,
}

pub(super) struct S {
    pub(super) fields: &'static [(&'static str, T, bool)],
    pub(super) forbid_unknown: bool,
}

pub(super) const OPT_STRS: T = T::Opt(&T::List(&T::Str));
const OPT_INTS: T = T::Opt(&T::List(&T::Int));

pub(super) static OPTIMIZATION: S = S {
    fields: &[
        ("index-search", OPT_STRS, false),
        ("skip-unless-changed", OPT_STRS, false),
    ],
    forbid_unknown: false,
};
static TREEHERDER: S = S {
    fields: &[
        ("symbol", T::Opt(&T::Str), false),
        ("kind", T::Opt(&T::Lit(&["build", "test", "other"])), false),
        ("tier", T::Opt(&T::Int), false),
        ("platform", T::Opt(&T::Str), false),
    ],
    forbid_unknown: true,
};
static INDEX: S = S {
    fields: &[
        ("product", T::Opt(&T::Str), false),
        ("job-name", T::Opt(&T::Str), false),
        ("type", T::Str, false),
        ("rank", T::Rank, false),
    ],
    forbid_unknown: true,
};
static WORKER: S = S {
    fields: &[("implementation", T::Str, true)],
    forbid_unknown: false,
};
pub(super) static TASK: S = S {
    fields: &[
        ("label", T::Str, true),
        ("description", T::Str, true),
        ("always-target", T::Bool, true),
        ("optimization", T::Opt(&T::Struct(&OPTIMIZATION)), true),
        ("worker-type", T::Str, true),
        ("needs-sccache", T::Bool, true),
        ("attributes", T::Opt(&T::Dict(&T::Any)), false),
        ("task-from", T::Opt(&T::Str), false),
        ("dependencies", T::Opt(&T::Dict(&T::Any)), false),
        ("priority", T::Opt(&T::Lit(PRIORITIES)), false),
        ("soft-dependencies", OPT_STRS, false),
        ("if-dependencies", OPT_STRS, false),
        (
            "requires",
            T::Opt(&T::Lit(&["all-completed", "all-resolved"])),
            false,
        ),
        ("expires-after", T::Opt(&T::Str), false),
        ("deadline-after", T::Opt(&T::Str), false),
        ("routes", OPT_STRS, false),
        ("scopes", OPT_STRS, false),
        ("tags", T::Opt(&T::Dict(&T::Str)), false),
        ("extra", T::Opt(&T::Dict(&T::Any)), false),
        ("treeherder", T::Opt(&T::BoolOrStruct(&TREEHERDER)), false),
        ("index", T::Opt(&T::Struct(&INDEX)), false),
        // optionally_keyed_by inside Optional is plain Any for msgspec: not checked.
        ("run-on-projects", T::Any, false),
        ("run-on-tasks-for", OPT_STRS, false),
        ("run-on-git-branches", OPT_STRS, false),
        (
            "shipping-phase",
            T::Opt(&T::Lit(&["build", "promote", "push", "ship"])),
            false,
        ),
        ("worker", T::Opt(&T::Struct(&WORKER)), false),
    ],
    forbid_unknown: true,
};
static TASK_REF: S = S {
    fields: &[
        ("task-reference", T::Opt(&T::Str), false),
        ("artifact-reference", T::Opt(&T::Str), false),
    ],
    forbid_unknown: false,
};
static DOCKER_CACHE: S = S {
    fields: &[
        ("type", T::Lit(&["persistent"]), false),
        ("name", T::Opt(&T::Str), false),
        ("mount-point", T::Opt(&T::Str), false),
        ("skip-untrusted", T::Opt(&T::Bool), false),
    ],
    forbid_unknown: true,
};
static DOCKER_ARTIFACT: S = S {
    fields: &[
        (
            "type",
            T::Opt(&T::Lit(&["file", "directory", "volume"])),
            false,
        ),
        ("path", T::Opt(&T::Str), false),
        ("name", T::Opt(&T::Str), false),
    ],
    forbid_unknown: true,
};
static DOCKER: S = S {
    fields: &[
        ("implementation", T::Lit(&["docker-worker"]), true),
        ("os", T::Lit(&["linux"]), true),
        ("docker-image", T::StrOrDict, true),
        // Defaulted by taskgraph, so never missing there (see `transform_node`).
        ("chain-of-trust", T::Bool, false),
        ("taskcluster-proxy", T::Bool, false),
        ("allow-ptrace", T::Bool, false),
        ("loopback-video", T::Bool, false),
        ("env", T::Dict(&T::TaskRef), false),
        ("max-run-time", T::Int, true),
        ("volumes", OPT_STRS, false),
        ("caches", T::Opt(&T::List(&T::Struct(&DOCKER_CACHE))), false),
        (
            "artifacts",
            T::Opt(&T::List(&T::Struct(&DOCKER_ARTIFACT))),
            false,
        ),
        ("command", T::Opt(&T::List(&T::TaskRef)), false),
        ("retry-exit-status", OPT_INTS, false),
        ("purge-caches-exit-status", OPT_INTS, false),
        ("skip-artifacts", T::Opt(&T::Bool), false),
    ],
    forbid_unknown: false,
};
static GENERIC_ARTIFACT: S = S {
    fields: &[
        ("type", T::Lit(&["file", "directory"]), true),
        ("path", T::Str, true),
        ("name", T::Opt(&T::Str), false),
    ],
    forbid_unknown: true,
};
static MOUNT_CONTENT: S = S {
    fields: &[
        ("artifact", T::Opt(&T::Str), false),
        ("task-id", T::Opt(&T::TaskRef), false),
        ("url", T::Opt(&T::Str), false),
    ],
    forbid_unknown: true,
};
static MOUNT: S = S {
    fields: &[
        ("cache-name", T::Opt(&T::Str), false),
        ("content", T::Opt(&T::Struct(&MOUNT_CONTENT)), false),
        ("directory", T::Opt(&T::Str), false),
        ("file", T::Opt(&T::Str), false),
        (
            "format",
            T::Opt(&T::Lit(&["rar", "tar.bz2", "tar.gz", "zip"])),
            false,
        ),
    ],
    forbid_unknown: true,
};
static GENERIC: S = S {
    fields: &[
        ("implementation", T::Lit(&["generic-worker"]), true),
        (
            "os",
            T::Lit(&["windows", "macosx", "linux", "linux-bitbar"]),
            true,
        ),
        ("command", T::List(&T::Any), true),
        ("env", T::Dict(&T::TaskRef), true),
        ("max-run-time", T::Int, true),
        ("chain-of-trust", T::Bool, true),
        (
            "artifacts",
            T::Opt(&T::List(&T::Struct(&GENERIC_ARTIFACT))),
            false,
        ),
        ("mounts", T::Opt(&T::List(&T::Struct(&MOUNT))), false),
        ("retry-exit-status", OPT_INTS, false),
        ("purge-caches-exit-status", OPT_INTS, false),
        ("os-groups", OPT_STRS, false),
        ("run-as-administrator", T::Opt(&T::Bool), false),
        ("run-task-as-current-user", T::Opt(&T::Bool), false),
        ("taskcluster-proxy", T::Opt(&T::Bool), false),
        ("hide-cmd-window", T::Opt(&T::Bool), false),
        ("skip-artifacts", T::Opt(&T::Bool), false),
    ],
    forbid_unknown: false,
};
static SUCCEED: S = S {
    fields: &[("implementation", T::Lit(&["succeed"]), true)],
    forbid_unknown: true,
};
static ALWAYS_OPTIMIZED: S = S {
    fields: &[("implementation", T::Lit(&["always-optimized"]), true)],
    forbid_unknown: false,
};

/// msgspec's name for a value's type.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::BigInt(_) => "int",
        Value::Float(_) => "float",
        Value::Str(_) => "str",
        Value::Date(_) => "date",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

fn expected(t: T) -> String {
    match t {
        T::Any => "any",
        T::Str | T::Lit(_) => "str",
        T::Int => "int",
        T::Bool => "bool",
        T::List(_) => "array",
        T::Dict(_) | T::Struct(_) => "object",
        T::StrOrDict | T::TaskRef => "str | object",
        T::BoolOrStruct(_) => "bool | object",
        T::Rank => "int | str",
        T::Opt(_) => "null",
        T::Either(a, b) => return format!("{} | {}", expected(*a), expected(*b)),
    }
    .to_owned()
}

/// Whether `v` has the outer shape `t` takes (which side of a union applies).
fn shape_fits(t: T, v: &Value) -> bool {
    match (t, v) {
        (T::Any, _)
        | (T::Opt(_), Value::Null)
        | (T::Str | T::Lit(_) | T::StrOrDict | T::TaskRef | T::Rank, Value::Str(_))
        | (T::Int | T::Rank, Value::Int(_))
        | (T::Bool | T::BoolOrStruct(_), Value::Bool(_))
        | (T::List(_), Value::Seq(_))
        | (
            T::Dict(_) | T::Struct(_) | T::StrOrDict | T::TaskRef | T::BoolOrStruct(_),
            Value::Map(_),
        ) => true,
        (T::Opt(inner), _) => shape_fits(*inner, v),
        (T::Either(a, b), _) => shape_fits(*a, v) || shape_fits(*b, v),
        _ => false,
    }
}

/// A schema failure: msgspec's message and the node it is about.
pub(super) struct Bad(pub(super) String, pub(super) Span);

/// Where a schema check is (`$.worker.env[...]`), written out only for a message: valid tasks,
/// nearly all of them, never pay for the text.
#[derive(Clone, Copy)]
pub(super) enum P<'a> {
    Root,
    Field(&'a P<'a>, &'a str),
    Index(&'a P<'a>, usize),
    AnyKey(&'a P<'a>),
}

impl std::fmt::Display for P<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            P::Root => f.write_str("$"),
            P::Field(p, name) => write!(f, "{p}.{name}"),
            P::Index(p, i) => write!(f, "{p}[{i}]"),
            P::AnyKey(p) => write!(f, "{p}[...]"),
        }
    }
}

fn at(msg: String, path: &P) -> String {
    match path {
        P::Root => msg,
        _ => format!("{msg} - at `{path}`"),
    }
}

fn mismatch(t: T, nullable: bool, n: &Node, path: &P) -> Bad {
    let want = if nullable {
        format!("{} | null", expected(t))
    } else {
        expected(t)
    };
    Bad(
        at(
            format!("Expected `{want}`, got `{}`", type_name(&n.value)),
            path,
        ),
        n.span.clone(),
    )
}

pub(super) fn check(n: &Node, t: T, path: &P, nullable: bool) -> Result<(), Bad> {
    match (t, &n.value) {
        (T::Any, _)
        | (T::Opt(_), Value::Null)
        | (T::Str | T::StrOrDict | T::TaskRef, Value::Str(_))
        | (T::Int | T::Rank, Value::Int(_))
        | (T::Bool | T::BoolOrStruct(_), Value::Bool(_)) => Ok(()),
        (T::Opt(inner), _) => check(n, *inner, path, true),
        (T::Lit(_) | T::Rank, Value::Str(s)) => {
            let values: &[&str] = match t {
                T::Lit(v) => v,
                _ => &["by-tier", "build_date"],
            };
            if values.contains(&s.as_str()) {
                Ok(())
            } else {
                Err(Bad(
                    at(format!("Invalid enum value '{s}'"), path),
                    n.span.clone(),
                ))
            }
        }
        (T::StrOrDict, Value::Map(_)) => check(n, T::Dict(&T::Str), path, false),
        (T::BoolOrStruct(s) | T::Struct(s), Value::Map(_)) => check_struct(n, s, path),
        (T::TaskRef, Value::Map(_)) => {
            check_struct(n, &TASK_REF, path)?;
            if n.get("task-reference").is_some_and(truthy_node)
                && n.get("artifact-reference").is_some_and(truthy_node)
            {
                return Err(Bad(
                    at(
                        "Cannot have both task-reference and artifact-reference".into(),
                        path,
                    ),
                    n.span.clone(),
                ));
            }
            Ok(())
        }
        (T::List(inner), Value::Seq(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(item, *inner, &P::Index(path, i), false)?;
            }
            Ok(())
        }
        (T::Dict(inner), Value::Map(entries)) => {
            for (k, v) in entries {
                if !matches!(k.value, Value::Str(_)) {
                    return Err(Bad(
                        format!(
                            "Expected `str`, got `{}` - at `key` in `{path}`",
                            type_name(&k.value)
                        ),
                        k.span.clone(),
                    ));
                }
                check(v, *inner, &P::AnyKey(path), false)?;
            }
            Ok(())
        }
        (T::Either(a, b), v) if shape_fits(*a, v) || shape_fits(*b, v) => {
            check(n, if shape_fits(*a, v) { *a } else { *b }, path, nullable)
        }
        _ => Err(mismatch(t, nullable, n, path)),
    }
}

pub(super) fn truthy_node(n: &Node) -> bool {
    match &n.value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::BigInt(_) | Value::Date(_) => true,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Seq(v) => !v.is_empty(),
        Value::Map(v) => !v.is_empty(),
    }
}

pub(super) fn check_struct(n: &Node, s: &'static S, path: &P) -> Result<(), Bad> {
    let Value::Map(entries) = &n.value else {
        return Err(mismatch(T::Struct(s), false, n, path));
    };
    // The fields met, by place in `s.fields`.
    debug_assert!(s.fields.len() <= 128, "a schema of over 128 fields");
    let mut met: u128 = 0;
    for (k, v) in entries {
        let name = match &k.value {
            Value::Str(name) => name.as_str(),
            other => {
                return Err(Bad(
                    format!(
                        "Expected `str`, got `{}` - at `key in {path}`",
                        type_name(other)
                    ),
                    k.span.clone(),
                ));
            }
        };
        match s.fields.iter().position(|(f, _, _)| same_text(f, name)) {
            Some(i) => {
                let (f, t, _) = &s.fields[i];
                met |= 1 << i;
                check(v, *t, &P::Field(path, f), false)?;
            }
            None if s.forbid_unknown => {
                return Err(Bad(
                    at(format!("Object contains unknown field `{name}`"), path),
                    k.span.clone(),
                ));
            }
            None => {}
        }
    }
    for (i, (f, _, required)) in s.fields.iter().enumerate() {
        if *required && met & (1 << i) == 0 {
            return Err(Bad(
                at(format!("Object missing required field `{f}`"), path),
                n.span.clone(),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Small helpers on YAML nodes (before validation) and JSON values (after).

fn entries_mut(n: &mut Node) -> Option<&mut Vec<(Node, Node)>> {
    match &mut n.value {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

/// Sets `key` (in place if present, else at the end, as a Python dict does).
pub(super) fn set(n: &mut Node, key: &str, value: Value) {
    let span = n.span.clone();
    if let Some(m) = entries_mut(n) {
        match m.iter_mut().find(|(k, _)| k.is_key(key)) {
            Some((_, v)) => *v = Node { value, span },
            None => push_new(m, key, value, span),
        }
    }
}

/// Appends `key`, which the mapping does not have.
fn push_new(m: &mut Vec<(Node, Node)>, key: &str, value: Value, span: Span) {
    super::jv::room_for_keys(m);
    m.push((
        Node {
            value: Value::Str(key.to_owned()),
            span: span.clone(),
        },
        Node { value, span },
    ));
}

pub(super) fn set_default(n: &mut Node, key: &str, value: Value) {
    let span = n.span.clone();
    if let Some(m) = entries_mut(n)
        && !m.iter().any(|(k, _)| k.is_key(key))
    {
        push_new(m, key, value, span);
    }
}

pub(super) fn get_mut<'a>(n: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    let Value::Map(m) = &mut n.value else {
        return None;
    };
    m.iter_mut().find(|(k, _)| k.is_key(key)).map(|(_, v)| v)
}

pub(super) fn remove(n: &mut Node, key: &str) {
    if let Some(m) = entries_mut(n) {
        m.retain(|(k, _)| !k.is_key(key));
    }
}

fn truthy_jv(v: &J) -> bool {
    v.truthy()
}

/// Python's `str()` of a scalar, as `str.format` would insert it.
fn py_str(v: &J) -> String {
    v.py_str()
}

/// The JSON object at `key`, created when missing; an error names `what` if it is not one.
fn obj_at<'a>(
    m: &'a mut Map,
    key: &str,
    what: &str,
    span: &Span,
) -> Result<&'a mut Map, TransformError> {
    match m.get_or_insert_with(key, || J::Object(Map::new())) {
        J::Object(o) => Ok(o),
        _ => Err(fail(format!("{what} must be a mapping"), Some(span))),
    }
}

/// A node as JSON, once the whole task passed `check_json` (so this cannot fail).
fn jv_of(n: &Node) -> J {
    n.to_jv().unwrap_or(J::Null)
}

/// A JSON scalar as a keyed-by context value.
fn yaml_scalar(v: &J) -> Value {
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Int(i) => Value::Int(*i),
        J::Float(f) => Value::Float(*f),
        J::String(s) => Value::Str(s.clone()),
        J::Array(_) | J::Object(_) => Value::Seq(Vec::new()),
    }
}

// ---------------------------------------------------------------------------------------------
// The transform.

/// What every task of a kind shares, worked out once per kind.
pub struct PerKind {
    /// The kind's directory as taskgraph names it.
    path: String,
    /// `metadata.source`, or why there is none.
    source: Result<String, FileUrlError>,
    /// The parameters every task reads, looked up once (each lookup hashes the name).
    level: String,
    project: String,
    head_rev: String,
    pushlog_id: String,
    owner: String,
    /// A pull request's tasks name the base repository's project in treeherder.
    tasks_for_pr: bool,
    treeherder_project: String,
    /// The `checks` route is added for git repositories.
    git: bool,
    build_date: i64,
}

impl PerKind {
    pub fn of(kind: &Kind, ctx: &Context) -> PerKind {
        let path = kind_path(kind, ctx);
        let params = ctx.params;
        let project = params.get_str("project").to_owned();
        let tasks_for_pr = params
            .get_str("tasks_for")
            .starts_with("github-pull-request");
        let treeherder_project = if tasks_for_pr {
            let base = params.get_str("base_repository");
            let last = base.rsplit('/').next().unwrap_or("");
            format!("{}-pr", last.strip_suffix(".git").unwrap_or(last))
        } else {
            project.clone()
        };
        PerKind {
            source: file_url(params, &path),
            path,
            level: params.get_str("level").to_owned(),
            project,
            head_rev: params.get_str("head_rev").to_owned(),
            pushlog_id: params.get_str("pushlog_id").to_owned(),
            owner: params.get_str("owner").to_owned(),
            tasks_for_pr,
            treeherder_project,
            git: params.get_str("repository_type") == "git",
            build_date: params
                .0
                .get("build_date")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0),
        }
    }
}

/// One task of a kind through `taskgraph.transforms.task`.
pub fn transform(kind: &Kind, raw: &RawTask, ctx: &Context) -> Result<Task, TransformError> {
    transform_node(kind, &PerKind::of(kind, ctx), raw, None, ctx)
}

/// [`transform`], on `node` (the raw task's, taken out of it) when given.
// taskgraph's stock transform in its order, steps 1 to 7, which share the task's fields as it
// is filled in; cutting it into one function per step is its own change (the graph's hot path,
// held to taskgraph's output by the compat corpora), not part of a lint pass.
#[allow(clippy::too_many_lines)]
fn transform_node(
    kind: &Kind,
    per_kind: &PerKind,
    raw: &RawTask,
    node: Option<Node>,
    ctx: &Context,
) -> Result<Task, TransformError> {
    let level = &per_kind.level;
    let project = &per_kind.project;
    let td = &ctx.config.trust_domain;
    // The default loader and `run` kinds describe a run first; the run transform makes the
    // task description (label, implementation and tags set) that this transform finishes.
    let mut node = match kind.loader {
        Loader::Transform { run: false } => node.unwrap_or_else(|| raw.node.clone()),
        Loader::Transform { run: true } | Loader::Default => super::run::describe(kind, raw, ctx)?,
    };
    let span = node.span.clone();
    let label_for_messages = match node.get("label").map(|l| &l.value) {
        Some(Value::Str(l)) => l.clone(),
        Some(_) => "?no-label?".to_owned(),
        None => format!("{}-{}", kind.name, raw.key),
    };
    let schema_error = |prefix: &str, bad: Bad| {
        fail(
            format!("{prefix} '{label_for_messages}': {}", bad.0),
            Some(&bad.1),
        )
    };
    if !matches!(node.value, Value::Map(_)) {
        return Err(schema_error(
            "In task",
            Bad(
                format!("Expected `object`, got `{}`", type_name(&node.value)),
                span.clone(),
            ),
        ));
    }
    // The loader's keys: `task-from` is set, the key was `name`, which the label consumes.
    set(&mut node, "task-from", Value::Str(raw.task_from.clone()));
    remove(&mut node, "name");

    // 1. Implementation, from the alias unless the worker names one.
    set_default(&mut node, "worker", Value::Map(Vec::new()));
    let null = Node {
        value: Value::Null,
        span: span.clone(),
    };
    let worker_node = node.get("worker").unwrap_or(&null);
    if !matches!(worker_node.value, Value::Map(_)) {
        return Err(schema_error(
            "In task",
            mismatch(
                T::Struct(&WORKER),
                true,
                worker_node,
                &P::Field(&P::Root, "worker"),
            ),
        ));
    }
    let worker_has_implementation = worker_node.get("implementation").is_some();
    // The alias is resolved once: it gives the implementation here and the worker type later.
    let worker_type_node = node.get("worker-type").cloned();
    let requested = match worker_type_node.as_ref().map(|n| &n.value) {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let alias_of =
        |name: &str| resolve_alias(ctx, name, worker_type_node.as_ref().map(|n| &n.span));
    let mut alias: Option<config::Worker> = None;
    if !worker_has_implementation {
        let Some(name) = requested.as_deref() else {
            return Err(schema_error(
                "In task",
                match &worker_type_node {
                    Some(n) => mismatch(T::Str, false, n, &P::Field(&P::Root, "worker-type")),
                    None => Bad(
                        "Object missing required field `worker-type`".into(),
                        span.clone(),
                    ),
                },
            ));
        };
        let w = alias_of(name)?;
        set_default(&mut node, "tags", Value::Map(Vec::new()));
        let Some(tags) = get_mut(&mut node, "tags").filter(|t| matches!(t.value, Value::Map(_)))
        else {
            let tags = node.get("tags").unwrap_or(&null);
            return Err(schema_error(
                "In task",
                mismatch(T::Dict(&T::Str), true, tags, &P::Field(&P::Root, "tags")),
            ));
        };
        set(
            tags,
            "worker-implementation",
            Value::Str(w.implementation.clone()),
        );
        if !w.os.is_empty() {
            set(tags, "os", Value::Str(w.os.clone()));
        }
        if let Some(worker) = get_mut(&mut node, "worker") {
            set(
                worker,
                "implementation",
                Value::Str(w.implementation.clone()),
            );
            if !w.os.is_empty() {
                set(worker, "os", Value::Str(w.os.clone()));
            }
        }
        alias = Some(w);
    }

    // 2. Defaults.
    set_default(&mut node, "always-target", Value::Bool(false));
    set_default(&mut node, "optimization", Value::Null);
    set_default(&mut node, "needs-sccache", Value::Bool(false));
    let implementation = match node
        .get("worker")
        .and_then(|w| w.get("implementation"))
        .map(|i| &i.value)
    {
        Some(Value::Str(s)) => s.clone(),
        _ => String::new(),
    };
    if let Some(worker) = get_mut(&mut node, "worker") {
        match implementation.as_str() {
            // taskgraph's defaults for `chain-of-trust`, `taskcluster-proxy`, `allow-ptrace`,
            // `loopback-video` (false), `volumes` ([]) and `env` ({}) are not added: the payload
            // reads a missing one as that default; elsewhere the worker is read only whole (a
            // keyed-by on `worker` matches a mapping as '', with or without them).
            "docker-worker" => {
                if let Some(Value::Seq(caches)) = get_mut(worker, "caches").map(|c| &mut c.value) {
                    for c in caches {
                        set_default(c, "skip-untrusted", Value::Bool(false));
                    }
                }
            }
            "generic-worker" => {
                set_default(worker, "env", Value::Map(Vec::new()));
                set_default(worker, "os-groups", Value::Seq(Vec::new()));
                set_default(worker, "chain-of-trust", Value::Bool(false));
            }
            _ => {}
        }
    }

    // 3. Label, then validation: the task, then its worker for the implementation.
    set_default(&mut node, "label", Value::Str(label_for_messages.clone()));
    check_struct(&node, &TASK, &P::Root).map_err(|b| schema_error("In task", b))?;
    if let Some(Value::Map(deps)) = node.get("dependencies").map(|d| &d.value)
        && deps
            .iter()
            .any(|(k, _)| matches!(&k.value, Value::Str(s) if s == "self" || s == "decision"))
    {
        return Err(schema_error(
            "In task",
            Bad(
                "Can't use 'self' or 'decision' as dependency names.".into(),
                node.get("dependencies")
                    .map_or(span.clone(), |d| d.span.clone()),
            ),
        ));
    }
    let worker_node = node.get("worker").unwrap_or(&null);
    let payload_schema = match implementation.as_str() {
        "docker-worker" => &DOCKER,
        "generic-worker" => &GENERIC,
        "succeed" => &SUCCEED,
        "always-optimized" => &ALWAYS_OPTIMIZED,
        other => {
            return Err(refuse(
                format!(
                    "task '{label_for_messages}' uses worker implementation '{other}', which tc cannot run; use taskgraph"
                ),
                worker_node.get("implementation").map(|n| &n.span),
            ));
        }
    };
    check_struct(worker_node, payload_schema, &P::Root)
        .map_err(|b| schema_error("In task.run", b))?;
    if let Some(Value::Map(image)) = worker_node.get("docker-image").map(|i| &i.value)
        && image
            .iter()
            .any(|(k, _)| matches!(&k.value, Value::Str(s) if s == "in-tree"))
    {
        return Err(refuse(
            format!(
                "task '{label_for_messages}' uses `docker-image: {{in-tree: …}}`, which tc cannot build; use taskgraph"
            ),
            worker_node.get("docker-image").map(|n| &n.span),
        ));
    }
    let label = label_for_messages.clone();
    // Fields are converted to JSON one by one below, as they are needed; a value JSON cannot
    // hold fails here first, as a whole-task conversion would.
    node.check_json()
        .map_err(|e| fail(e.message, Some(&e.span)))?;
    let field = |key: &str| node.get(key).map(jv_of);
    let null_at = |key: &str| -> Span { node.get(key).map_or(span.clone(), |n| n.span.clone()) };

    // 4. Treeherder.
    let mut routes: Vec<J> = match field("routes") {
        None => Vec::new(),
        Some(J::Array(a)) => a,
        Some(_) => return Err(fail("`routes` must be a list", Some(&null_at("routes")))),
    };
    let mut extra: Map = match field("extra") {
        None => Map::new(),
        Some(J::Object(o)) => o,
        Some(_) => return Err(fail("`extra` must be a mapping", Some(&null_at("extra")))),
    };
    // Pull requests name the base repository in routes, `<project>-pr` in the description.
    let tasks_for_pr = per_kind.tasks_for_pr;
    let th_project = &per_kind.treeherder_project;
    let head_rev = &per_kind.head_rev;
    let kind_path = &per_kind.path;
    let treeherder = field("treeherder");
    if let Some(th) = treeherder.as_ref().filter(|v| truthy_jv(v)) {
        let th_span = null_at("treeherder");
        let initials: Option<String> = kind
            .name
            .split('-')
            .map(|part| part.chars().next())
            .collect();
        let Some(initials) = initials else {
            return Err(fail(
                format!(
                    "the kind name '{}' has an empty '-'-separated part (taskgraph fails on its treeherder symbol)",
                    kind.name
                ),
                Some(&th_span),
            ));
        };
        let job_kind = if kind.name.contains("build") {
            "build"
        } else if kind.name.contains("test") {
            "test"
        } else {
            "other"
        };
        let mut merged = J::Object(Map::of([
            ("platform", J::from("default/opt")),
            ("tier", J::Int(1)),
            ("kind", J::from(job_kind)),
            ("symbol", J::String(initials.to_uppercase())),
        ]));
        if let (J::Object(m), J::Object(given)) = (&mut merged, th) {
            for (k, v) in given {
                if v.is_null() {
                    return Err(fail(
                        format!("In task '{label}': treeherder.{k} must not be null"),
                        Some(&th_span),
                    ));
                }
                m.insert(k.clone(), v.clone());
            }
        }
        let merged_at = |k: &str| merged.get(k).cloned().unwrap_or(J::Null);
        let platform = py_str(&merged_at("platform"));
        let symbol_full = py_str(&merged_at("symbol"));
        if !extra.contains_key("treeherder-platform") {
            extra.insert("treeherder-platform".into(), J::String(platform.clone()));
        }
        let treeherder = obj_at(&mut extra, "treeherder", "extra.treeherder", &th_span)?;
        let Some((machine, collection)) = platform.split_once('/') else {
            return Err(fail(
                format!(
                    "In task '{label}': treeherder platform '{platform}' needs the form <platform>/<collection>"
                ),
                Some(&th_span),
            ));
        };
        treeherder.insert("machine".into(), J::obj1("platform", machine));
        treeherder.insert("collection".into(), J::obj1(collection, J::Bool(true)));
        let (group, symbol) = split_symbol(&symbol_full).ok_or_else(|| {
            fail(
                format!("`{symbol_full}` is not a valid treeherder symbol."),
                Some(&th_span),
            )
        })?;
        if group != "?" {
            treeherder.insert("groupSymbol".into(), J::String(group.clone()));
            let Some(name) = ctx.config.group_names.get(&group) else {
                return Err(fail(
                    format!(
                        "Treeherder group {group} (from {kind_path}/{}) has no name; add it to taskcluster/config.yml",
                        raw.task_from
                    ),
                    Some(&th_span),
                ));
            };
            treeherder.insert("groupName".into(), J::String(name.clone()));
        }
        treeherder.insert("symbol".into(), J::String(symbol.clone()));
        if symbol.chars().count() > 25 || group.chars().count() > 25 {
            return Err(fail(
                format!(
                    "Treeherder group and symbol names must not be longer than 25 characters: {symbol} (see https://github.com/taskcluster/taskcluster-treeherder/blob/master/schemas/task-treeherder-config.yml)"
                ),
                Some(&th_span),
            ));
        }
        treeherder.insert("jobKind".into(), merged_at("kind"));
        treeherder.insert("tier".into(), merged_at("tier"));
        routes.push(J::String(format!(
            "tc-treeherder.v2.{th_project}.{head_rev}.{}",
            per_kind.pushlog_id
        )));
    }

    // 5. Index: the rank always, routes with `index`.
    let build_date = per_kind.build_date;
    let index = match field("index") {
        None => Map::new(),
        Some(J::Object(o)) => o,
        Some(_) => return Err(fail("`index` must not be null", Some(&null_at("index")))),
    };
    let rank = match index.get("rank").unwrap_or(&J::String("by-tier".into())) {
        J::String(s) if s == "by-tier" => {
            let tier = match extra.get("treeherder") {
                None => J::Int(3),
                Some(J::Object(th)) => th.get("tier").cloned().unwrap_or(J::Int(3)),
                Some(_) => {
                    return Err(fail(
                        "`extra.treeherder` must be a mapping",
                        Some(&null_at("extra")),
                    ));
                }
            };
            let tier = match tier {
                J::Bool(b) => i64::from(b),
                J::Int(i) => i,
                other => {
                    return Err(fail(
                        format!("In task '{label}': the treeherder tier {other} is not an int"),
                        Some(&null_at("extra")),
                    ));
                }
            };
            if tier > 1 {
                J::Int(0)
            } else {
                J::Int(build_date)
            }
        }
        J::String(_) => J::Int(build_date),
        other => other.clone(),
    };
    obj_at(&mut extra, "index", "extra.index", &null_at("extra"))?.insert("rank".into(), rank);
    if !index.is_empty() {
        let index_span = null_at("index");
        let index_type = index.get("type").map_or_else(|| "generic".into(), py_str);
        if index_type != "generic" {
            return Err(fail(
                format!("Unknown index-type {index_type}"),
                Some(&index_span),
            ));
        }
        let product = index.get("product").ok_or_else(|| {
            fail(
                format!(
                    "In task '{label}': index needs `product` (taskgraph: KeyError: 'product')"
                ),
                Some(&index_span),
            )
        })?;
        let Some(products) = &ctx.config.index_products else {
            return Err(fail(
                "config.yml has no `index.products` (taskgraph: KeyError: 'index')",
                Some(&index_span),
            ));
        };
        if !product
            .as_str()
            .is_some_and(|p| products.iter().any(|q| q == p))
        {
            return Err(fail(
                format!(
                    "The index product {} is not in the list of configured products in\n`taskcluster/config.yml'.",
                    py_str(product)
                ),
                Some(&index_span),
            ));
        }
        let job_name = index.get("job-name").ok_or_else(|| {
            fail(
                format!(
                    "In task '{label}': index needs `job-name` (taskgraph: KeyError: 'job-name')"
                ),
                Some(&index_span),
            )
        })?;
        let (product, job_name) = (py_str(product), py_str(job_name));
        let date = chrono::DateTime::from_timestamp(build_date, 0)
            .map(|d| d.format("%Y.%m.%d.%Y%m%d%H%M%S").to_string())
            .unwrap_or_default();
        let pushlog = &per_kind.pushlog_id;
        for middle in [
            "latest".to_owned(),
            format!("pushdate.{date}"),
            format!("pushlog-id.{pushlog}"),
            format!("revision.{head_rev}"),
        ] {
            routes.push(J::String(format!(
                "index.{td}.v2.{project}.{middle}.{product}.{job_name}"
            )));
        }
    }

    // 6. The task definition.
    let requested = requested.unwrap_or_default();
    let w = match alias {
        Some(w) => w,
        None => alias_of(&requested)?,
    };
    let (provisioner, worker_type) = (w.provisioner, w.worker_type);
    let worker_path = format!("{provisioner}/{worker_type}");
    let mut scopes: Vec<J> = Vec::new();
    if let Some(J::Array(given)) = field("scopes") {
        let scope_nodes = match node.get("scopes").map(|s| &s.value) {
            Some(Value::Seq(items)) => items.clone(),
            _ => Vec::new(),
        };
        for (i, s) in given.iter().enumerate() {
            let text = py_str(s);
            let formatted = config::format(&text, &[("level", level), ("project", project)])
                .map_err(|why| {
                    fail(
                        format!("In task '{label}': scope {why}"),
                        Some(scope_nodes.get(i).map_or(&span, |n| &n.span)),
                    )
                })?;
            scopes.push(J::String(formatted));
        }
    }
    extra.insert(
        "parent".into(),
        J::String(ctx.task_id_env.unwrap_or("").to_owned()),
    );
    let expires = match field("expires-after") {
        Some(v) => v,
        None => J::String(ctx.config.expires_after(level)),
    };
    let deadline = match field("deadline-after") {
        Some(v) => v,
        None => J::String(ctx.config.deadline_after(project)?),
    };
    let priority = match field("priority") {
        Some(v) => v,
        None => J::String(ctx.config.priority(project)?),
    };
    let mut tags: Map = match field("tags") {
        None => Map::new(),
        Some(J::Object(o)) => o,
        Some(_) => return Err(fail("`tags` must not be null", Some(&null_at("tags")))),
    };
    for (k, v) in [
        ("createdForUser", per_kind.owner.as_str()),
        ("kind", kind.name.as_str()),
        ("label", label.as_str()),
        ("project", project.as_str()),
        ("trust-domain", td.as_str()),
    ] {
        tags.insert(k.into(), J::String(v.to_owned()));
    }
    let description = match node.get("description").map(|d| &d.value) {
        Some(Value::Str(d)) => d.clone(),
        _ => String::new(),
    };
    let source = per_kind
        .source
        .clone()
        .map_err(|e| fail(e.to_string(), Some(&span)))?;
    let mut meta_description = description.clone();
    if extra.get("treeherder").is_some_and(truthy_jv) {
        let repo = if tasks_for_pr {
            format!("{project}-pr")
        } else {
            project.clone()
        };
        let _ = write!(
            meta_description,
            " ([Treeherder push](https://treeherder.mozilla.org/#/jobs?repo={repo}&revision={head_rev}))"
        );
    }
    let expires_ds = J::obj1("relative-datestamp", expires.clone());
    let requires = field("requires").filter(truthy_jv);

    // The payload; its scopes follow the input's.
    let mut worker = match jv_of(worker_node) {
        J::Object(o) => o,
        _ => Map::new(),
    };
    let needs_sccache = node.get("needs-sccache").is_some_and(truthy_node);
    let payload = match implementation.as_str() {
        "docker-worker" => {
            let docker = Docker {
                worker_node,
                label: &label,
                td,
                level: level_number(level)?,
                level_str: level,
                expires: &expires_ds,
            };
            docker_payload(&mut worker, &docker, needs_sccache, &mut scopes)?
        }
        "generic-worker" => generic_payload(
            &mut worker,
            needs_sccache,
            &worker_path,
            &mut scopes,
            ctx,
            level,
        )?,
        _ => Map::new(),
    };

    // Attributes, with run-on-projects keyed by the task's own fields and build-platform.
    let mut attributes: Map = match field("attributes") {
        None => Map::new(),
        Some(J::Object(o)) => o,
        Some(_) => {
            return Err(fail(
                "`attributes` must not be null",
                Some(&null_at("attributes")),
            ));
        }
    };
    let run_on_projects = match node.get("run-on-projects") {
        None => J::Array(vec![J::from("all")]),
        Some(n) => {
            let build_platform = attributes.get("build_platform").cloned();
            let lookup = |k: &str| -> Option<Value> {
                match k {
                    "build-platform" => build_platform.as_ref().map(yaml_scalar),
                    // By now taskgraph's task holds the resolved worker type here.
                    "worker-type" => Some(Value::Str(worker_path.clone())),
                    _ => node.get(k).map(|n| yaml_scalar(&jv_of(n))),
                }
            };
            let resolved =
                keyed::resolve(n, &format!("item `run-on-projects` in `{label}`"), &lookup)
                    .map_err(|e| fail(e.message, Some(&e.span)))?;
            resolved
                .to_jv()
                .map_err(|e| fail(e.message, Some(&e.span)))?
        }
    };
    attributes.insert("run_on_projects".into(), run_on_projects);
    attributes.insert(
        "run_on_tasks_for".into(),
        field("run-on-tasks-for").unwrap_or_else(|| J::Array(vec![J::from("all")])),
    );
    if let Some(b) = field("run-on-git-branches").filter(truthy_jv) {
        attributes.insert("run_on_git_branches".into(), b);
    }
    attributes.insert(
        "always_target".into(),
        field("always-target").unwrap_or(J::Bool(false)),
    );
    match field("shipping-phase").filter(|p| !p.is_null()) {
        Some(p) => {
            attributes.insert("shipping_phase".into(), p);
        }
        None => {
            attributes.get_or_insert_with("shipping_phase", || J::Null);
        }
    }
    let mut payload = payload;
    if matches!(implementation.as_str(), "docker-worker" | "generic-worker") && !payload.is_empty()
    {
        obj_at(&mut payload, "env", "worker.env", &worker_node.span)?
            .insert("MOZ_AUTOMATION".into(), J::String("1".into()));
    }

    let mut dependencies = super::deps::Dependencies::default();
    if let Some(J::Object(deps)) = field("dependencies") {
        for (name, dep) in deps {
            let Some(dep) = dep.as_str() else {
                return Err(fail(
                    format!("In task '{label}': dependency '{name}' must be a label (a string)"),
                    Some(&null_at("dependencies")),
                ));
            };
            dependencies.insert(name, dep.to_owned());
        }
        dependencies.shrink_to_fit();
    }
    let strings = |key: &str| -> Vec<String> {
        match field(key) {
            Some(J::Array(a)) => a.iter().map(py_str).collect(),
            _ => Vec::new(),
        }
    };
    let mut if_dependencies = Vec::new();
    for dep in strings("if-dependencies") {
        match dependencies.get(&dep) {
            Some(l) => if_dependencies.push(l.clone()),
            None => {
                return Err(fail(
                    format!(
                        "{label} specifies '{dep}' in if-dependencies, but {dep} is not a dependency!"
                    ),
                    Some(&null_at("if-dependencies")),
                ));
            }
        }
    }
    let soft_dependencies = strings("soft-dependencies");

    // 7. The checks route (git only), then chain of trust for docker-image dependencies.
    if per_kind.git {
        routes.push(J::String("checks".into()));
    }
    let cot = payload
        .get("features")
        .and_then(|f| f.get("chainOfTrust"))
        .is_some_and(truthy_jv);
    if cot && dependencies.contains_key("docker-image") {
        obj_at(&mut extra, "chainOfTrust", "extra.chainOfTrust", &span)?.insert(
            "inputs".into(),
            J::obj1("docker-image", J::obj1("task-reference", "<docker-image>")),
        );
    }
    let task = Def::from_parts(&Parts {
        deadline,
        expires,
        extra: J::Object(extra),
        metadata: [
            meta_description,
            label.clone(),
            per_kind.owner.clone(),
            source,
        ],
        payload: J::Object(payload),
        priority,
        provisioner_id: J::String(provisioner),
        requires,
        routes: J::Array(routes),
        scopes: J::Array(scopes),
        tags: J::Object(tags),
        worker_type: J::String(worker_type),
    });
    attributes.insert("kind".into(), J::String(kind.name.clone()));
    attributes.shrink_to_fit();

    Ok(Task {
        label,
        kind: kind.name.clone(),
        description,
        attributes,
        dependencies,
        soft_dependencies,
        if_dependencies,
        optimization: node
            .get("optimization")
            .and_then(|n| n.to_json().ok())
            .unwrap_or(serde_json::Value::Null),
        task,
        span,
    })
}

/// [`transform`], on the raw task's node, which it uses up (errors after it need only the rest
/// of the raw task).
pub fn transform_raw(
    kind: &Kind,
    per_kind: &PerKind,
    raw: &mut RawTask,
    ctx: &Context,
) -> Result<Task, TransformError> {
    if kind.loader == (Loader::Transform { run: false }) {
        let node = raw.take_node();
        transform_node(kind, per_kind, raw, Some(node), ctx)
    } else {
        let task = transform_node(kind, per_kind, raw, None, ctx);
        raw.take_node();
        task
    }
}

/// `grp(sym)` into its parts; `?` is the group when there is none.
/// A worker alias (or a built-in worker type) at the parameters' level; errors point at `at`.
pub(super) fn resolve_alias(
    ctx: &Context,
    name: &str,
    at: Option<&Span>,
) -> Result<config::Worker, TransformError> {
    if let Some((_, prov)) = BUILTIN.iter().find(|(b, _)| *b == name) {
        return Ok(config::Worker {
            provisioner: (*prov).to_owned(),
            implementation: name.to_owned(),
            os: String::new(),
            worker_type: name.to_owned(),
        });
    }
    ctx.config
        .worker(name, ctx.params.get_str("level"))
        .map_err(|e| {
            let mut e = TransformError::from(e);
            e.at = at.cloned().or(e.at);
            e
        })
}

/// The kind's directory relative to the VCS root, as taskgraph run at the root names it.
pub(super) fn kind_path(kind: &Kind, ctx: &Context) -> String {
    let rel_root = match ctx.graph_root.strip_prefix(ctx.vcs_root) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => ctx.graph_root.display().to_string(),
    };
    if rel_root.is_empty() {
        format!("kinds/{}", kind.name)
    } else {
        format!("{rel_root}/kinds/{}", kind.name)
    }
}

fn split_symbol(symbol: &str) -> Option<(String, String)> {
    if !symbol.contains('(') {
        return Some(("?".into(), symbol.to_owned()));
    }
    // Python: re.match(r"([^(]*)\(([^)]*)\)$").
    let open = symbol.find('(')?;
    let rest = symbol[open + 1..].strip_suffix(')')?;
    if rest.contains(')') {
        return None;
    }
    Some((symbol[..open].to_owned(), rest.to_owned()))
}

/// Why a file has no URL (taskgraph's words, and what to do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code(tc::graph::file_url))]
pub enum FileUrlError {
    #[error(
        "Don't know how to determine file URL for non-githubrepo: {repo}; give the repository a GitHub `origin`, or set head_repository to an https://github.com/… URL in a -p file"
    )]
    NotGithub { repo: String },
    #[error("Only the \"git\" and \"hg\" repository types are supported for using file_url()")]
    RepositoryType,
}

/// taskgraph's `Parameters.file_url(path, pretty=True)`.
fn file_url(params: &Parameters, path: &str) -> Result<String, FileUrlError> {
    let repo = params.get_str("head_repository");
    let rev = params.get_str("head_rev");
    match params.get_str("repository_type") {
        "hg" => Ok(format!("{repo}/file/{rev}/{path}")),
        "git" => {
            if repo.starts_with("https://github.com/") {
                let repo = repo.strip_suffix('/').unwrap_or(repo);
                Ok(format!("{repo}/blob/{rev}/{path}"))
            } else if repo.starts_with("git@github.com:") {
                let repo = repo.strip_suffix(".git").unwrap_or(repo);
                let repo = repo.replace("git@github.com:", "https://github.com/");
                Ok(format!("{repo}/blob/{rev}/{path}"))
            } else {
                Err(FileUrlError::NotGithub {
                    repo: repo.to_owned(),
                })
            }
        }
        _ => Err(FileUrlError::RepositoryType),
    }
}

fn level_number(level: &str) -> Result<i64, TransformError> {
    level.trim().parse().map_err(|_| {
        fail(
            format!("the level parameter '{level}' is not an integer; set `level` to \"1\", \"2\" or \"3\" in a -p file"),
            None,
        )
    })
}

/// What docker-worker's payload (§3.3) is made from besides the worker: the task's worker
/// node (for positions), its label (for messages), the trust domain and level, the artifacts'
/// expiry.
struct Docker<'a> {
    worker_node: &'a Node,
    label: &'a str,
    td: &'a str,
    level: i64,
    level_str: &'a str,
    expires: &'a J,
}

/// §3.3.
fn docker_payload(
    worker: &mut Map,
    docker: &Docker,
    needs_sccache: bool,
    scopes: &mut Vec<J>,
) -> Result<Map, TransformError> {
    let (td, level_str) = (docker.td, docker.level_str);
    let flag = |w: &Map, k: &str| w.get(k).is_some_and(truthy_jv);
    // The worker is the payload's to take apart: its values are moved, not copied.
    let image = docker.image(worker)?;
    let mut features = Map::new();
    if flag(worker, "taskcluster-proxy") {
        features.insert("taskclusterProxy".into(), J::Bool(true));
    }
    if flag(worker, "allow-ptrace") {
        features.insert("allowPtrace".into(), J::Bool(true));
        scopes.push(J::String("docker-worker:feature:allowPtrace".into()));
    }
    if flag(worker, "chain-of-trust") {
        features.insert("chainOfTrust".into(), J::Bool(true));
    }
    let mut env = match worker.remove("env") {
        Some(J::Object(o)) => o,
        _ => Map::new(),
    };
    if needs_sccache {
        features.insert("taskclusterProxy".into(), J::Bool(true));
        scopes.push(J::String(format!(
            "assume:project:taskcluster:{td}:level-{level_str}-sccache-buckets"
        )));
        env.insert("USE_SCCACHE".into(), J::String("1".into()));
        env.insert("SCCACHE_IDLE_TIMEOUT".into(), J::String("0".into()));
    } else {
        env.insert("SCCACHE_DISABLE".into(), J::String("1".into()));
    }
    let mut capabilities = Map::new();
    if flag(worker, "loopback-video") {
        capabilities.insert("devices".into(), J::obj1("loopbackVideo", J::Bool(true)));
        scopes.push(J::String(
            "docker-worker:capability:device:loopbackVideo".into(),
        ));
    }
    let out_of_tree = match &image {
        J::String(s) => Some(s.clone()),
        _ => None,
    };
    let mut payload = Map::new();
    payload.insert("image".into(), image);
    let (command, run_task) = docker.command(worker)?;
    if let Some(m) = worker.remove("max-run-time") {
        payload.insert("maxRunTime".into(), m);
    }
    if let Some(c) = command {
        payload.insert("command".into(), J::Array(c));
    }
    payload.insert(
        "onExitStatus".into(),
        J::Object(docker.on_exit(worker, run_task)?),
    );
    if let Some(artifacts) = worker.get("artifacts") {
        payload.insert("artifacts".into(), J::Object(docker.artifacts(artifacts)?));
    }
    if let Some(caches) = worker.get("caches") {
        let caches = docker.caches(caches, run_task, out_of_tree.as_deref(), scopes)?;
        if run_task {
            let mut points: Vec<String> = caches.values().map(py_str).collect();
            points.sort();
            env.insert("TASKCLUSTER_CACHES".into(), J::String(points.join(";")));
        }
        payload.insert("cache".into(), J::obj1("task-reference", caches));
    }
    if run_task && let Some(J::Array(volumes)) = worker.get("volumes").filter(|v| truthy_jv(v)) {
        let mut v: Vec<String> = volumes.iter().map(py_str).collect();
        v.sort();
        env.insert("TASKCLUSTER_VOLUMES".into(), J::String(v.join(";")));
    }
    // The cache entry is a non-empty mapping even with no caches: any `caches` key counts.
    if payload.contains_key("cache") && docker.level == 1 {
        env.insert("TASKCLUSTER_UNTRUSTED_CACHES".into(), J::String("1".into()));
    }
    payload.insert("env".into(), J::Object(env));
    if !features.is_empty() {
        payload.insert("features".into(), J::Object(features));
    }
    if !capabilities.is_empty() {
        payload.insert("capabilities".into(), J::Object(capabilities));
    }
    Ok(payload)
}

impl Docker<'_> {
    /// Where the worker's `key` is written (the worker's own place when it has none).
    fn at_key(&self, key: &str) -> Span {
        self.worker_node
            .get(key)
            .map_or_else(|| self.worker_node.span.clone(), |n| n.span.clone())
    }

    /// The `In task '<label>': …` error at the worker's `key`.
    fn fail_at(&self, key: &str, why: impl std::fmt::Display) -> TransformError {
        fail(
            format!("In task '{}': {why}", self.label),
            Some(&self.at_key(key)),
        )
    }

    /// `docker-image`: a name, or an indexed image.
    fn image(&self, worker: &mut Map) -> Result<J, TransformError> {
        match worker.remove("docker-image") {
            Some(J::String(s)) => Ok(J::String(s)),
            Some(J::Object(o)) if o.contains_key("indexed") => Ok(J::Object(Map::of([
                ("path", J::from("public/image.tar.zst")),
                ("namespace", o.get("indexed").cloned().unwrap_or(J::Null)),
                ("type", J::from("indexed-image")),
            ]))),
            _ => Err(fail(
                "unknown docker image type",
                Some(&self.at_key("docker-image")),
            )),
        }
    }

    /// `command`, and whether it runs run-task.
    fn command(&self, worker: &mut Map) -> Result<(Option<Vec<J>>, bool), TransformError> {
        let command = match worker.remove("command") {
            None => None,
            Some(J::Array(c)) => Some(c),
            Some(_) => return Err(self.fail_at("command", "worker.command must not be null")),
        };
        let run_task = match command.as_deref() {
            None => false,
            Some([]) => {
                return Err(
                    self.fail_at("command", "worker.command is empty (taskgraph: IndexError)")
                );
            }
            Some([J::String(first), ..]) => first
                .rsplit('/')
                .next()
                .unwrap_or("")
                .starts_with("run-task"),
            Some(_) => {
                return Err(self.fail_at(
                    "command",
                    "the first word of worker.command must be a string (taskgraph: TypeError)",
                ));
            }
        };
        Ok((command, run_task))
    }

    /// `onExitStatus`: the retry and purge-caches codes, run-task's 72 a retry.
    fn on_exit(&self, worker: &mut Map, run_task: bool) -> Result<Map, TransformError> {
        let mut on_exit = Map::new();
        for (key, out) in [
            ("retry-exit-status", "retry"),
            ("purge-caches-exit-status", "purgeCaches"),
        ] {
            let mut codes = match worker.remove(key) {
                None => None,
                Some(J::Array(a)) => Some(a),
                Some(_) => {
                    return Err(self.fail_at(key, format_args!("worker.{key} must not be null")));
                }
            };
            if run_task {
                codes.get_or_insert_with(Vec::new).push(J::Int(72));
            }
            if let Some(codes) = codes {
                on_exit.insert(out.into(), J::Array(codes));
            }
        }
        Ok(on_exit)
    }

    /// The worker's list under `key` and each item's node, for positions.
    fn items<'j>(&self, key: &str, value: &'j J) -> Result<(&'j [J], &[Node]), TransformError> {
        let J::Array(list) = value else {
            return Err(self.fail_at(key, format_args!("worker.{key} must not be null")));
        };
        let nodes: &[Node] = match self.worker_node.get(key).map(|a| &a.value) {
            Some(Value::Seq(items)) => items,
            _ => &[],
        };
        Ok((list, nodes))
    }

    /// Field `k` of item `i` of the worker's `key` list (`what` in the message).
    fn item_field(
        &self,
        (key, what, i): (&str, &str, usize),
        item: &J,
        nodes: &[Node],
        k: &str,
    ) -> Result<J, TransformError> {
        item.get(k).cloned().ok_or_else(|| {
            let here = nodes
                .get(i)
                .map_or_else(|| self.at_key(key), |n| n.span.clone());
            fail(
                format!(
                    "In task '{}': a docker-worker {what} needs `{k}` (taskgraph: KeyError: '{k}')",
                    self.label
                ),
                Some(&here),
            )
        })
    }

    /// `artifacts`, by name, each expiring with the task's artifacts.
    fn artifacts(&self, artifacts: &J) -> Result<Map, TransformError> {
        let (list, nodes) = self.items("artifacts", artifacts)?;
        let mut out = Map::new();
        for (i, a) in list.iter().enumerate() {
            let field = |k: &str| self.item_field(("artifacts", "artifact", i), a, nodes, k);
            let name = field("name")?;
            let path = field("path")?;
            let ty = field("type")?;
            out.insert(
                py_str(&name),
                J::Object(Map::of([
                    ("path", path),
                    ("type", ty),
                    ("expires", self.expires.clone()),
                ])),
            );
        }
        Ok(out)
    }

    /// `caches`: mount points by cache name, each cache's scope added to `scopes`.
    fn caches(
        &self,
        caches: &J,
        run_task: bool,
        out_of_tree: Option<&str>,
        scopes: &mut Vec<J>,
    ) -> Result<Map, TransformError> {
        let (list, nodes) = self.items("caches", caches)?;
        // Cache names change with run-task and the image, so caches are never shared across them.
        let suffix = if run_task {
            let mut s = format!("v3-{RUN_TASK_HASH}");
            match out_of_tree {
                Some(image) => {
                    use sha2::{Digest, Sha256};
                    let hash = hex::encode(Sha256::digest(image.as_bytes()));
                    s.push_str(&hash[..12]);
                }
                None => s.push_str("-<docker-image>"),
            }
            s
        } else {
            "v3".to_owned()
        };
        let mut out = Map::new();
        for (i, c) in list.iter().enumerate() {
            if c.get("skip-untrusted").is_some_and(truthy_jv) && self.level == 1 {
                continue;
            }
            let field = |k: &str| self.item_field(("caches", "cache", i), c, nodes, k);
            let name = format!(
                "{}-level-{}-{}-{suffix}",
                self.td,
                self.level_str,
                py_str(&field("name")?)
            );
            let mount = field("mount-point")?;
            out.insert(name.clone(), mount);
            scopes.push(J::obj1(
                "task-reference",
                format!("docker-worker:cache:{name}"),
            ));
        }
        Ok(out)
    }
}

/// generic-worker's `mounts` as the payload has them, with the scopes their caches and
/// private artifacts need.
fn generic_mounts(worker: &Map, td: &str, level: &str, scopes: &mut Vec<J>) -> Vec<J> {
    let mut mounts = match worker.get("mounts") {
        Some(J::Array(m)) => m.clone(),
        _ => Vec::new(),
    };
    for mount in &mut mounts {
        let J::Object(m) = mount else { continue };
        if let Some(name) = m.remove("cache-name") {
            let cache = format!("{td}-level-{level}-{}", py_str(&name));
            scopes.push(J::String(format!("generic-worker:cache:{cache}")));
            m.insert("cacheName".into(), J::String(cache));
        }
        if let Some(J::Object(content)) = m.get_mut("content") {
            if let Some(id) = content.remove("task-id") {
                content.insert("taskId".into(), id);
            }
            if let Some(J::String(artifact)) = content.get("artifact")
                && !artifact.starts_with("public/")
            {
                scopes.push(J::String(format!("queue:get-artifact:{artifact}")));
            }
        }
    }
    mounts
}

/// §3.4.
fn generic_payload(
    worker: &mut Map,
    needs_sccache: bool,
    worker_path: &str,
    scopes: &mut Vec<J>,
    ctx: &Context,
    level: &str,
) -> Result<Map, TransformError> {
    let td = &ctx.config.trust_domain;
    let flag = |k: &str| worker.get(k).is_some_and(truthy_jv);
    let mut payload = Map::new();
    payload.insert(
        "command".into(),
        worker.get("command").cloned().unwrap_or(J::Null),
    );
    payload.insert(
        "maxRunTime".into(),
        worker.get("max-run-time").cloned().unwrap_or(J::Null),
    );
    let mut on_exit = Map::new();
    for (key, out) in [
        ("retry-exit-status", "retry"),
        ("purge-caches-exit-status", "purgeCaches"),
    ] {
        if let Some(v) = worker.get(key) {
            on_exit.insert(out.into(), v.clone());
        }
    }
    if worker.get("os").and_then(J::as_str) == Some("windows") {
        // Process interruptions on Windows (shutdown, Ctrl-C) are retried, not failures.
        match on_exit.get_or_insert_with("retry", || J::Array(Vec::new())) {
            J::Array(a) => a.extend([J::Int(1_073_807_364_i64), J::Int(3_221_225_786_i64)]),
            _ => {
                return Err(fail("worker.retry-exit-status must not be null", None));
            }
        }
    }
    if !on_exit.is_empty() {
        payload.insert("onExitStatus".into(), J::Object(on_exit));
    }
    let mut env = match worker.get("env") {
        Some(J::Object(o)) => o.clone(),
        _ => Map::new(),
    };
    if needs_sccache {
        env.insert("USE_SCCACHE".into(), J::String("1".into()));
        env.insert("SCCACHE_IDLE_TIMEOUT".into(), J::String("0".into()));
    } else {
        env.insert("SCCACHE_DISABLE".into(), J::String("1".into()));
    }
    payload.insert("env".into(), J::Object(env));
    let mut artifacts = Vec::new();
    if let Some(J::Array(list)) = worker.get("artifacts") {
        for a in list {
            let mut out = Map::new();
            out.insert("path".into(), a.get("path").cloned().unwrap_or(J::Null));
            out.insert("type".into(), a.get("type").cloned().unwrap_or(J::Null));
            if let Some(name) = a.get("name") {
                out.insert("name".into(), name.clone());
            }
            artifacts.push(J::Object(out));
        }
    }
    if !artifacts.is_empty() {
        payload.insert("artifacts".into(), J::Array(artifacts));
    }
    let mounts = generic_mounts(worker, td, level, scopes);
    if !mounts.is_empty() {
        payload.insert("mounts".into(), J::Array(mounts));
    }
    if let Some(J::Array(groups)) = worker.get("os-groups").filter(|g| truthy_jv(g)) {
        payload.insert("osGroups".into(), J::Array(groups.clone()));
        for g in groups {
            scopes.push(J::String(format!(
                "generic-worker:os-group:{worker_path}/{}",
                py_str(g)
            )));
        }
    }
    let mut features = Map::new();
    if flag("chain-of-trust") {
        features.insert("chainOfTrust".into(), J::Bool(true));
    }
    if flag("taskcluster-proxy") {
        features.insert("taskclusterProxy".into(), J::Bool(true));
    }
    if flag("run-as-administrator") {
        features.insert("runAsAdministrator".into(), J::Bool(true));
        scopes.push(J::String(format!(
            "generic-worker:run-as-administrator:{worker_path}"
        )));
    }
    if flag("run-task-as-current-user") {
        features.insert("runTaskAsCurrentUser".into(), J::Bool(true));
        scopes.push(J::String(format!(
            "generic-worker:run-task-as-current-user:{worker_path}"
        )));
    }
    if flag("hide-cmd-window") {
        features.insert("hideCmdWindow".into(), J::Bool(true));
    }
    if !features.is_empty() {
        payload.insert("features".into(), J::Object(features));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;
    use serde_json::Value as J;
    use std::path::PathBuf;

    fn corpus(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join("tests/taskgraph-compat/corpora")
            .join(name)
    }

    fn params(extra: J) -> Parameters {
        let mut p = json!({
            "base_repository": "https://github.com/example/demo",
            "head_repository": "https://github.com/example/demo",
            "head_rev": "0123456789abcdef0123456789abcdef01234567",
            "head_ref": "main",
            "build_date": 1_700_000_000,
            "pushdate": 1_700_000_000,
            "moz_build_date": "20231114221320",
            "level": "3",
            "owner": "nobody@mozilla.com",
            "project": "demo",
            "pushlog_id": "0",
            "repository_type": "git",
            "tasks_for": "",
        });
        if let (J::Object(p), J::Object(e)) = (&mut p, extra) {
            p.extend(e);
        }
        let J::Object(map) = p else { unreachable!() };
        Parameters(map)
    }

    fn run(name: &str, params: &Parameters) -> Vec<Result<Task, TransformError>> {
        let root = corpus(name);
        let graph_root = root.join("taskcluster");
        let config = Config::load(&graph_root).unwrap();
        let kinds = kinds::load(&graph_root, &[], &mut Vec::new()).unwrap();
        let ctx = Context {
            config: &config,
            params,
            graph_root: &graph_root,
            vcs_root: &root,
            task_id_env: None,
            root_url: None,
        };
        kinds
            .iter()
            .flat_map(|k| k.tasks.iter().map(move |t| (k, t)))
            .map(|(k, t)| transform(k, t, &ctx))
            .collect()
    }

    #[test]
    fn the_worked_example_of_section_3_7() {
        let expected: J = serde_json::from_str(
            &std::fs::read_to_string(corpus("example37").join("expected-full.json")).unwrap(),
        )
        .unwrap();
        let tasks = run("example37", &params(json!({})));
        assert_eq!(tasks.len(), 2);
        for task in tasks {
            let task = task.unwrap();
            assert_eq!(task.to_json(), expected[&task.label], "{}", task.label);
        }
    }

    #[test]
    fn pull_requests_name_the_base_repository_in_routes_and_the_project_in_links() {
        let p = params(json!({
            "tasks_for": "github-pull-request",
            "base_repository": "https://github.com/up/base.git",
            "project": "fork",
        }));
        let linux = run("example37", &p)
            .into_iter()
            .map(Result::unwrap)
            .find(|t| t.label == "build-linux64")
            .unwrap();
        assert_eq!(
            linux.task.value()["routes"][1],
            "tc-treeherder.v2.base-pr.0123456789abcdef0123456789abcdef01234567.0"
        );
        let def = linux.task.value();
        let description = def["metadata"]["description"].as_str().unwrap();
        assert!(description.contains("repo=fork-pr&"), "{description}");
    }

    #[test]
    fn ssh_hg_and_other_sources() {
        let ssh = params(json!({"head_repository": "git@github.com:example/demo.git"}));
        let t = run("example37", &ssh).remove(0).unwrap();
        assert_eq!(
            t.task.value()["metadata"]["source"],
            "https://github.com/example/demo/blob/0123456789abcdef0123456789abcdef01234567/taskcluster/kinds/build"
        );
        let hg = params(
            json!({"head_repository": "https://hg.mozilla.org/mc", "repository_type": "hg"}),
        );
        let t = run("example37", &hg).remove(0).unwrap();
        assert_eq!(
            t.task.value()["metadata"]["source"],
            "https://hg.mozilla.org/mc/file/0123456789abcdef0123456789abcdef01234567/taskcluster/kinds/build"
        );
        // hg has no checks route.
        assert_eq!(
            t.task.value()["routes"].as_array().unwrap().last().unwrap(),
            "tc-treeherder.v2.demo.0123456789abcdef0123456789abcdef01234567.0"
        );
        let other = params(json!({"head_repository": "https://gitlab.com/x/y"}));
        let err = run("example37", &other).remove(0).unwrap_err();
        assert_eq!(
            err.message,
            "Don't know how to determine file URL for non-githubrepo: https://gitlab.com/x/y; give the repository a GitHub `origin`, or set head_repository to an https://github.com/… URL in a -p file"
        );
    }

    #[test]
    fn schema_errors_read_as_taskgraphs() {
        let p = params(json!({}));
        let err = run("err-unknown-field", &p)
            .into_iter()
            .find_map(Result::err)
            .unwrap();
        assert_eq!(
            err.message,
            "In task 'build-extra-field': Object contains unknown field `retries`"
        );
        assert!(
            err.at
                .unwrap()
                .to_string()
                .contains("kinds/build/kind.yml:10")
        );
        let err = run("err-keyed-typed-field", &p)
            .into_iter()
            .find_map(Result::err)
            .unwrap();
        assert!(
            err.message
                .ends_with("Expected `int`, got `object` - at `$.max-run-time`"),
            "{}",
            err.message
        );
        let err = run("err-missing-required", &p)
            .into_iter()
            .find_map(Result::err)
            .unwrap();
        assert!(
            err.message
                .contains("Object missing required field `description`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn split_symbols() {
        assert_eq!(split_symbol("B"), Some(("?".into(), "B".into())));
        assert_eq!(split_symbol("I(B)"), Some(("I".into(), "B".into())));
        assert_eq!(split_symbol("I(B"), None);
        assert_eq!(split_symbol("I(B)x"), None);
    }
}
