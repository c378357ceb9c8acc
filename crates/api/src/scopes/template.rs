//! Endpoint scope templates (queue-api.md §6): the scopes an API method requires, with
//! `<param>` holes filled from the request and for-each members spliced into their list.
//!
//! ```
//! use tc_api::scopes::{Member, Params, Template};
//!
//! // createTask's shape: one flat AllOf ending in the priority AnyOf.
//! let create_task = Template::all_of(vec![
//!     Member::for_each("scope", "scopes", "<scope>"),
//!     Member::for_each("route", "routes", "queue:route:<route>"),
//!     "queue:scheduler-id:<schedulerId>".into(),
//!     Template::any_of(vec![Member::for_each(
//!         "p",
//!         "priorities",
//!         "queue:create-task:<p>:<taskQueueId>",
//!     )])
//!     .into(),
//! ]);
//! let params = Params::new()
//!     .list("scopes", ["secrets:get:x"])
//!     .list("routes", Vec::<String>::new())
//!     .one("schedulerId", "-")
//!     .one("taskQueueId", "proj/ci")
//!     .list("priorities", ["highest", "very-high"]);
//! assert_eq!(
//!     create_task.render(&params).unwrap().to_string(),
//!     r#"{"AllOf":["secrets:get:x","queue:scheduler-id:-","#.to_owned()
//!         + r#"{"AnyOf":["queue:create-task:highest:proj/ci","queue:create-task:very-high:proj/ci"]}]}"#
//! );
//! ```

use std::collections::BTreeMap;

use super::{Expression, valid};

/// An expression with `<param>` holes and for-each members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// A scope; each `<name>` (ASCII letters, digits, `_`) is replaced by that parameter's text.
    /// A `<` that does not open such a name is kept as is.
    Scope(String),
    /// Renders to an `AllOf` of its members. An `AllOf` that renders empty holds for anyone.
    AllOf(Vec<Member>),
    /// Renders to an `AnyOf` of its members.
    AnyOf(Vec<Member>),
}

/// A member of an `AllOf`/`AnyOf` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// One member.
    One(Template),
    /// One member per element of the list parameter `list`, each rendered from `each` with
    /// `<var>` bound to the element; an empty list adds nothing.
    ForEach {
        var: String,
        list: String,
        each: Template,
    },
}

/// The values a template's holes are filled from: text, or lists for for-each members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    One(String),
    List(Vec<String>),
}

/// Why a template cannot be rendered with the given parameters: a bug in the caller, not in
/// the request, so the queue answers these with a 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code(tc::api::scope_template))]
pub enum TemplateError {
    #[error("scope template parameter <{0}> has no value")]
    Missing(String),
    #[error("scope template parameter <{0}> is a list; only text fills a <hole>")]
    NotText(String),
    #[error("scope template parameter {0:?} is text; a for-each needs a list")]
    NotAList(String),
    #[error("the scope template rendered {0:?}, which is not a valid scope")]
    InvalidScope(String),
}

impl Template {
    /// A scope template.
    pub fn scope(text: impl Into<String>) -> Self {
        Template::Scope(text.into())
    }

    /// An `AllOf` template.
    pub fn all_of(members: Vec<Member>) -> Self {
        Template::AllOf(members)
    }

    /// An `AnyOf` template.
    pub fn any_of(members: Vec<Member>) -> Self {
        Template::AnyOf(members)
    }

    /// The expression this template stands for with `params`.
    pub fn render(&self, params: &Params) -> Result<Expression, TemplateError> {
        render(self, &Bindings { params, loops: &[] })
    }
}

impl Member {
    /// A for-each member: `each` once per element of the list parameter `list`, as `<var>`.
    pub fn for_each(var: &str, list: &str, each: impl Into<Template>) -> Self {
        Member::ForEach {
            var: var.to_owned(),
            list: list.to_owned(),
            each: each.into(),
        }
    }
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the text parameter `name`.
    #[must_use]
    pub fn one(mut self, name: &str, value: impl Into<String>) -> Self {
        self.values
            .insert(name.to_owned(), Value::One(value.into()));
        self
    }

    /// Sets the list parameter `name`, for for-each members.
    #[must_use]
    pub fn list<S: Into<String>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        let list = values.into_iter().map(Into::into).collect();
        self.values.insert(name.to_owned(), Value::List(list));
        self
    }
}

impl From<&str> for Template {
    fn from(text: &str) -> Self {
        Template::scope(text)
    }
}

impl From<String> for Template {
    fn from(text: String) -> Self {
        Template::Scope(text)
    }
}

impl From<Template> for Member {
    fn from(template: Template) -> Self {
        Member::One(template)
    }
}

impl From<&str> for Member {
    fn from(text: &str) -> Self {
        Member::One(Template::scope(text))
    }
}

/// The parameters plus the for-each variables bound around the current member (innermost last).
struct Bindings<'a> {
    params: &'a Params,
    loops: &'a [(&'a str, &'a str)],
}

impl Bindings<'_> {
    fn text(&self, name: &str) -> Result<&str, TemplateError> {
        if let Some((_, value)) = self.loops.iter().rev().find(|(var, _)| *var == name) {
            return Ok(value);
        }
        match self.params.values.get(name) {
            Some(Value::One(text)) => Ok(text),
            Some(Value::List(_)) => Err(TemplateError::NotText(name.to_owned())),
            None => Err(TemplateError::Missing(name.to_owned())),
        }
    }

    fn list(&self, name: &str) -> Result<&[String], TemplateError> {
        if self.loops.iter().any(|(var, _)| *var == name) {
            return Err(TemplateError::NotAList(name.to_owned()));
        }
        match self.params.values.get(name) {
            Some(Value::List(list)) => Ok(list),
            Some(Value::One(_)) => Err(TemplateError::NotAList(name.to_owned())),
            None => Err(TemplateError::Missing(name.to_owned())),
        }
    }
}

fn render(template: &Template, bindings: &Bindings) -> Result<Expression, TemplateError> {
    Ok(match template {
        Template::Scope(text) => {
            let scope = substitute(text, bindings)?;
            if !valid(&scope) {
                return Err(TemplateError::InvalidScope(scope));
            }
            Expression::Scope(scope)
        }
        Template::AllOf(members) => Expression::AllOf(render_members(members, bindings)?),
        Template::AnyOf(members) => Expression::AnyOf(render_members(members, bindings)?),
    })
}

fn render_members(
    members: &[Member],
    bindings: &Bindings,
) -> Result<Vec<Expression>, TemplateError> {
    let mut out = Vec::with_capacity(members.len());
    for member in members {
        match member {
            Member::One(template) => out.push(render(template, bindings)?),
            Member::ForEach { var, list, each } => {
                for item in bindings.list(list)? {
                    let mut loops = bindings.loops.to_vec();
                    loops.push((var, item));
                    let inner = Bindings {
                        params: bindings.params,
                        loops: &loops,
                    };
                    out.push(render(each, &inner)?);
                }
            }
        }
    }
    Ok(out)
}

/// Fills each `<name>` hole in one pass: a value's own text is never read as a hole.
fn substitute(text: &str, bindings: &Bindings) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('>') {
            Some(close) if is_name(&after[..close]) => {
                out.push_str(bindings.text(&after[..close])?);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rendered(template: &Template, params: &Params) -> serde_json::Value {
        template.render(params).unwrap().to_json()
    }

    #[test]
    fn holes_are_filled_textually() {
        let t = Template::scope("queue:cancel-task:<schedulerId>/<taskGroupId>/<taskId>");
        let p = Params::new()
            .one("schedulerId", "-")
            .one("taskGroupId", "G1")
            .one("taskId", "T1");
        assert_eq!(rendered(&t, &p), json!("queue:cancel-task:-/G1/T1"));
    }

    #[test]
    fn a_value_is_not_searched_for_holes() {
        let t = Template::scope("<a>:<b>");
        let p = Params::new().one("a", "<b>").one("b", "x");
        assert_eq!(rendered(&t, &p), json!("<b>:x"));
    }

    #[test]
    fn a_lone_angle_bracket_is_literal() {
        let p = Params::new().one("b", "x");
        assert_eq!(rendered(&"a<b".into(), &p), json!("a<b"));
        assert_eq!(rendered(&"a<>b".into(), &p), json!("a<>b"));
        assert_eq!(rendered(&"a< b>".into(), &p), json!("a< b>"));
        assert_eq!(rendered(&"a<<b>".into(), &p), json!("a<x"));
    }

    #[test]
    fn for_each_splices_one_member_per_element() {
        let t = Template::all_of(vec![
            "first".into(),
            Member::for_each("r", "routes", "queue:route:<r>"),
            "last".into(),
        ]);
        let p = Params::new().list("routes", ["a", "b"]);
        assert_eq!(
            rendered(&t, &p),
            json!({"AllOf": ["first", "queue:route:a", "queue:route:b", "last"]})
        );
    }

    #[test]
    fn an_empty_list_adds_nothing_and_an_empty_allof_holds() {
        let t = Template::all_of(vec![Member::for_each("r", "routes", "queue:route:<r>")]);
        let e = t
            .render(&Params::new().list("routes", Vec::<String>::new()))
            .unwrap();
        assert_eq!(e, Expression::AllOf(vec![]));
        assert!(e.satisfied_by::<&str>(&[]));
    }

    #[test]
    fn for_each_can_render_nested_expressions_and_nest() {
        let t = Template::any_of(vec![Member::for_each(
            "n",
            "names",
            Template::all_of(vec![
                "get:<n>".into(),
                Member::for_each("m", "more", "<n>/<m>"),
            ]),
        )]);
        let p = Params::new().list("names", ["x", "y"]).list("more", ["1"]);
        assert_eq!(
            rendered(&t, &p),
            json!({"AnyOf": [{"AllOf": ["get:x", "x/1"]}, {"AllOf": ["get:y", "y/1"]}]})
        );
    }

    #[test]
    fn the_loop_variable_shadows_a_parameter_of_the_same_name() {
        let t = Template::all_of(vec![Member::for_each("x", "xs", "<x>"), "<x>".into()]);
        let p = Params::new().one("x", "outer").list("xs", ["inner"]);
        assert_eq!(rendered(&t, &p), json!({"AllOf": ["inner", "outer"]}));
    }

    #[test]
    fn missing_or_mistyped_parameters_are_errors() {
        let p = Params::new().one("one", "x").list("many", ["a"]);
        assert_eq!(
            Template::scope("<nope>").render(&p),
            Err(TemplateError::Missing("nope".into()))
        );
        assert_eq!(
            Template::scope("<many>").render(&p),
            Err(TemplateError::NotText("many".into()))
        );
        let each_over_text = Template::all_of(vec![Member::for_each("v", "one", "<v>")]);
        assert_eq!(
            each_over_text.render(&p),
            Err(TemplateError::NotAList("one".into()))
        );
        let each_over_loop_var = Template::all_of(vec![Member::for_each(
            "v",
            "many",
            Template::all_of(vec![Member::for_each("w", "v", "<w>")]),
        )]);
        assert_eq!(
            each_over_loop_var.render(&p),
            Err(TemplateError::NotAList("v".into()))
        );
    }

    #[test]
    fn a_rendered_scope_must_be_valid() {
        let p = Params::new().one("t", "a\tb");
        assert_eq!(
            Template::scope("x:<t>").render(&p),
            Err(TemplateError::InvalidScope("x:a\tb".into()))
        );
    }
}
