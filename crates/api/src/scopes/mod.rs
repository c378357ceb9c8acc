//! TaskCluster scopes (queue-api.md §6): validity, satisfaction, scope expressions, the sort
//! order, normalised sets and the endpoint templates the queue renders its required scopes from.
//!
//! The rules follow taskcluster-lib-scopes; the code is our own. Nothing here expands `assume:`
//! roles: a caller that has roles expands them before asking.
//!
//! ```
//! use tc_api::scopes::{self, Expression};
//!
//! assert!(scopes::satisfies("queue:create-task:*", "queue:create-task:lowest:proj/ci"));
//! let required: Expression = serde_json::from_str(r#"{"AllOf": ["a", {"AnyOf": ["b", "c"]}]}"#).unwrap();
//! assert!(required.satisfied_by(&["a", "c*"]));
//! assert_eq!(required.unsatisfied(&["a"]).unwrap().to_string(), r#"{"AnyOf":["b","c"]}"#);
//! assert_eq!(scopes::normalize(&["ab", "a*", "b", "a*"]), ["a*", "b"]);
//! ```

mod expression;
mod sets;
mod template;

pub use expression::{Expression, ExpressionError};
pub use sets::{compare, merge, normalize};
pub use template::{Member, Params, Template, TemplateError};

/// Whether `scope` is a valid scope: only the printable ASCII characters 0x20–0x7e (space
/// included; the empty string too).
pub fn valid(scope: &str) -> bool {
    scope.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Whether the granted scope `granted` satisfies the required scope `required`: they are equal,
/// or `granted` ends in `*` and `required` starts with what comes before that star.
///
/// The match is per character and case-sensitive; `*` is special only as the last character
/// of a granted scope, so a required scope ending in `*` is an ordinary string.
pub fn satisfies(granted: &str, required: &str) -> bool {
    match granted.strip_suffix('*') {
        Some(prefix) => required.starts_with(prefix),
        None => granted == required,
    }
}

/// Whether any scope of `scopes` satisfies the required scope `required`.
pub fn any_satisfies<S: AsRef<str>>(scopes: &[S], required: &str) -> bool {
    scopes.iter().any(|g| satisfies(g.as_ref(), required))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_allows_printable_ascii_and_space_only() {
        assert!(valid(""));
        assert!(valid(" has space inside ~"));
        assert!(!valid("tab\there"));
        assert!(!valid("new\nline"));
        assert!(!valid("caf\u{e9}"));
        assert!(!valid("\u{7f}"));
    }

    #[test]
    fn satisfies_is_exact_or_star_prefix() {
        assert!(satisfies("a:b", "a:b"));
        assert!(!satisfies("a:b", "a:B"), "case-sensitive");
        assert!(satisfies("a:*", "a:b:c"));
        assert!(satisfies("a:*", "a:"));
        assert!(!satisfies("a:*", "a"), "the prefix must be all there");
        assert!(satisfies("a*", "a"), "an empty remainder is fine");
        assert!(!satisfies("a", "a:b"), "no hierarchy");
        assert!(!satisfies("*:b", "a:b"), "star only at the end");
    }

    #[test]
    fn a_required_star_is_a_literal() {
        assert!(satisfies("a:*", "a:*"));
        assert!(satisfies("a*", "a:*"));
        assert!(!satisfies("a:b", "a:*"));
        assert!(satisfies("foo:**", "foo:*"));
        assert!(
            !satisfies("foo:**", "foo:x"),
            "`**` grants only the prefix `foo:*`"
        );
    }

    #[test]
    fn the_root_star_satisfies_everything_even_empty() {
        assert!(satisfies("*", ""));
        assert!(satisfies("*", "anything:at:all"));
        assert!(satisfies("", ""));
        assert!(!satisfies("", "a"));
    }

    #[test]
    fn any_satisfies_checks_every_member() {
        assert!(any_satisfies(&["x", "queue:*"], "queue:ping"));
        assert!(!any_satisfies(&["x", "y"], "queue:ping"));
        assert!(!any_satisfies::<&str>(&[], ""));
    }
}
