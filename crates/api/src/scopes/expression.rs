//! Scope expressions: a scope string, `{"AllOf": [...]}` or `{"AnyOf": [...]}`.

use std::fmt;
use std::fmt::Write as _;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{any_satisfies, valid};

/// What a request needs: a scope, all of a list, or one of a list (queue-api.md §6).
///
/// `AllOf([])` holds for anyone; `AnyOf([])` for no one, not even `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expression {
    /// One scope, satisfied by any granted scope that satisfies it.
    Scope(String),
    /// Every member must hold.
    AllOf(Vec<Expression>),
    /// At least one member must hold.
    AnyOf(Vec<Expression>),
}

/// Why a JSON value is not a scope expression, and where in it (a JSON pointer, `""` = the root).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}{reason}", at(pointer))]
#[diagnostic(
    code(tc::api::scope_expression),
    help(r#"a scope expression is a scope string, {{"AllOf": [...]}} or {{"AnyOf": [...]}}"#)
)]
pub struct ExpressionError {
    pub pointer: String,
    pub reason: String,
}

fn at(pointer: &str) -> String {
    if pointer.is_empty() {
        "invalid scope expression: ".to_owned()
    } else {
        format!("invalid scope expression at {pointer}: ")
    }
}

const SHAPES: &str = r#"expected a scope string, {"AllOf": [...]} or {"AnyOf": [...]}"#;

impl Expression {
    /// Reads an expression from JSON, checking every scope (§6 validity) and that each object
    /// has exactly one key, `AllOf` or `AnyOf`, holding a list.
    pub fn from_json(value: &Value) -> Result<Self, ExpressionError> {
        from_json_at(value, &mut String::new())
    }

    /// Whether `scopes` satisfy this expression. No `assume:` expansion happens.
    pub fn satisfied_by<S: AsRef<str>>(&self, scopes: &[S]) -> bool {
        match self {
            Expression::Scope(required) => any_satisfies(scopes, required),
            Expression::AllOf(members) => members.iter().all(|e| e.satisfied_by(scopes)),
            Expression::AnyOf(members) => members.iter().any(|e| e.satisfied_by(scopes)),
        }
    }

    /// The part of this expression that `scopes` leave unsatisfied, as taskcluster-lib-scopes'
    /// `removeGivenScopes` gives it (queue-api.md §1.3); `None` exactly when satisfied.
    ///
    /// Satisfied scopes go. An `AllOf` keeps its unsatisfied members (none left: satisfied;
    /// one left: that member). An `AnyOf` with a satisfied member is satisfied; otherwise it
    /// keeps all its simplified members (one: that member; none: it stays `AnyOf([])`).
    pub fn unsatisfied<S: AsRef<str>>(&self, scopes: &[S]) -> Option<Expression> {
        match self {
            Expression::Scope(required) => (!any_satisfies(scopes, required)).then(|| self.clone()),
            Expression::AllOf(members) => {
                let mut left: Vec<_> = members
                    .iter()
                    .filter_map(|e| e.unsatisfied(scopes))
                    .collect();
                match left.len() {
                    0 => None,
                    1 => left.pop(),
                    _ => Some(Expression::AllOf(left)),
                }
            }
            Expression::AnyOf(members) => {
                let mut left = Vec::with_capacity(members.len());
                for member in members {
                    left.push(member.unsatisfied(scopes)?);
                }
                if left.len() == 1 {
                    left.pop()
                } else {
                    Some(Expression::AnyOf(left))
                }
            }
        }
    }

    /// The expression as JSON, the form the queue's errors and `tc scopes` print.
    pub fn to_json(&self) -> Value {
        match self {
            Expression::Scope(s) => Value::String(s.clone()),
            Expression::AllOf(m) => {
                serde_json::json!({ "AllOf": m.iter().map(Self::to_json).collect::<Vec<_>>() })
            }
            Expression::AnyOf(m) => {
                serde_json::json!({ "AnyOf": m.iter().map(Self::to_json).collect::<Vec<_>>() })
            }
        }
    }
}

fn from_json_at(value: &Value, pointer: &mut String) -> Result<Expression, ExpressionError> {
    let fail = |pointer: &str, reason: String| ExpressionError {
        pointer: pointer.to_owned(),
        reason,
    };
    let object = match value {
        Value::String(s) if valid(s) => return Ok(Expression::Scope(s.clone())),
        Value::String(s) => {
            return Err(fail(
                pointer,
                format!("{s:?} is not a valid scope (only characters 0x20-0x7e are allowed)"),
            ));
        }
        Value::Object(object) => object,
        other => return Err(fail(pointer, format!("{SHAPES}, found {}", kind(other)))),
    };
    let mut keys = object.keys();
    let (Some(key), None) = (keys.next(), keys.next()) else {
        let found: Vec<_> = object.keys().map(|k| format!("{k:?}")).collect();
        return Err(fail(
            pointer,
            format!(
                "an object needs exactly one key, AllOf or AnyOf; found {{{}}}",
                found.join(", ")
            ),
        ));
    };
    let all = match key.as_str() {
        "AllOf" => true,
        "AnyOf" => false,
        other => return Err(fail(pointer, format!("unknown key {other:?}: {SHAPES}"))),
    };
    let Value::Array(items) = &object[key] else {
        return Err(fail(
            pointer,
            format!("{key} needs a list, found {}", kind(&object[key])),
        ));
    };
    let base = pointer.len();
    let mut members = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        pointer.truncate(base);
        // Writing to a String cannot fail.
        let _ = write!(pointer, "/{key}/{i}");
        members.push(from_json_at(item, pointer)?);
    }
    pointer.truncate(base);
    Ok(if all {
        Expression::AllOf(members)
    } else {
        Expression::AnyOf(members)
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl From<&str> for Expression {
    fn from(scope: &str) -> Self {
        Expression::Scope(scope.to_owned())
    }
}

impl From<String> for Expression {
    fn from(scope: String) -> Self {
        Expression::Scope(scope)
    }
}

/// Compact JSON, as in the queue's 403 messages.
impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

impl Serialize for Expression {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Expression {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Expression::from_json(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn expr(value: &Value) -> Expression {
        Expression::from_json(value).unwrap()
    }

    fn error(value: &Value) -> ExpressionError {
        Expression::from_json(value).unwrap_err()
    }

    #[test]
    fn reads_the_three_shapes_and_writes_them_back() {
        for doc in [
            json!("queue:ping"),
            json!({"AllOf": []}),
            json!({"AnyOf": ["a", {"AllOf": ["b", "c"]}]}),
        ] {
            let e = expr(&doc.clone());
            assert_eq!(e.to_json(), doc);
            assert_eq!(serde_json::to_value(&e).unwrap(), doc);
            assert_eq!(serde_json::from_value::<Expression>(doc).unwrap(), e);
        }
    }

    #[test]
    fn an_object_needs_exactly_one_known_key() {
        let two = error(&json!({"AllOf": [], "AnyOf": []}));
        assert!(two.reason.contains("exactly one key"), "{two}");
        let none = error(&json!({}));
        assert!(none.reason.contains("exactly one key"), "{none}");
        let unknown = error(&json!({"OneOf": []}));
        assert!(unknown.reason.contains("\"OneOf\""), "{unknown}");
        let not_list = error(&json!({"AnyOf": "a"}));
        assert_eq!(not_list.reason, "AnyOf needs a list, found a string");
    }

    #[test]
    fn errors_point_at_the_bad_member() {
        let e = error(&json!({"AllOf": ["a", {"AnyOf": ["b", 3]}]}));
        assert_eq!(e.pointer, "/AllOf/1/AnyOf/1");
        assert!(
            e.to_string()
                .starts_with("invalid scope expression at /AllOf/1/AnyOf/1: ")
        );
        assert!(e.reason.ends_with("found a number"), "{e}");
    }

    #[test]
    fn invalid_scopes_are_refused_anywhere() {
        assert_eq!(error(&json!("tab\there")).pointer, "");
        let e = error(&json!({"AnyOf": ["ok", "caf\u{e9}"]}));
        assert_eq!(e.pointer, "/AnyOf/1");
        assert!(e.reason.contains("not a valid scope"), "{e}");
    }

    #[test]
    fn empty_allof_holds_and_empty_anyof_does_not() {
        assert!(expr(&json!({"AllOf": []})).satisfied_by::<&str>(&[]));
        assert!(!expr(&json!({"AnyOf": []})).satisfied_by(&["*"]));
    }

    #[test]
    fn unsatisfied_drops_satisfied_scopes_and_collapses_singletons() {
        let e = expr(&json!({"AllOf": ["a", "b", "c"]}));
        assert_eq!(
            e.unsatisfied(&["a"]),
            Some(expr(&json!({"AllOf": ["b", "c"]})))
        );
        assert_eq!(e.unsatisfied(&["a", "b"]), Some("c".into()));
        assert_eq!(e.unsatisfied(&["*"]), None);
    }

    #[test]
    fn unsatisfied_anyof_goes_when_one_branch_holds_else_keeps_all() {
        let e = expr(&json!({"AnyOf": [{"AllOf": ["a", "b"]}, "c"]}));
        assert_eq!(e.unsatisfied(&["c"]), None);
        assert_eq!(
            e.unsatisfied(&["a"]),
            Some(expr(&json!({"AnyOf": ["b", "c"]})))
        );
        let one = expr(&json!({"AnyOf": [{"AllOf": ["a", "b"]}]}));
        assert_eq!(one.unsatisfied(&["a"]), Some("b".into()));
    }

    #[test]
    fn unsatisfied_keeps_empty_anyof_and_drops_empty_allof() {
        let e = expr(&json!({"AllOf": ["x", {"AnyOf": []}, {"AllOf": []}]}));
        assert_eq!(e.unsatisfied(&["x"]), Some(expr(&json!({"AnyOf": []}))));
        assert_eq!(expr(&json!({"AllOf": []})).unsatisfied::<&str>(&[]), None);
    }

    #[test]
    fn unsatisfied_is_none_exactly_when_satisfied() {
        let e = expr(&json!({"AnyOf": [{"AllOf": []}, "z"]}));
        assert!(e.satisfied_by::<&str>(&[]));
        assert_eq!(e.unsatisfied::<&str>(&[]), None);
    }

    #[test]
    fn display_is_compact_json() {
        let e = expr(&json!({"AnyOf": ["a b", "c"]}));
        assert_eq!(e.to_string(), r#"{"AnyOf":["a b","c"]}"#);
        assert_eq!(Expression::from("x").to_string(), r#""x""#);
    }
}
