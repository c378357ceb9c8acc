//! Sets of scopes: the sort order, normalised sets and merging (queue-api.md §6).

use std::cmp::Ordering;

use super::satisfies;

/// taskcluster-lib-scopes' `scopeCompare`: compare the scopes without one trailing `*` each,
/// bytewise; when those are equal, the one with the star comes first. So a star scope sorts
/// right before every scope it satisfies.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a_stem, a_star) = split_star(a);
    let (b_stem, b_star) = split_star(b);
    a_stem
        .as_bytes()
        .cmp(b_stem.as_bytes())
        .then(b_star.cmp(&a_star))
}

fn split_star(scope: &str) -> (&str, bool) {
    match scope.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (scope, false),
    }
}

/// The normalised form of a set of scopes: sorted by [`compare`], without duplicates, and
/// without any scope that another member satisfies. Of `x*` and `x**`, which satisfy each
/// other, `x*` stays: it grants everything `x**` does.
pub fn normalize<S: AsRef<str>>(scopes: &[S]) -> Vec<String> {
    let mut sorted: Vec<&str> = scopes.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable_by(|a, b| compare(a, b));
    sorted.dedup();
    // Everything a star scope satisfies sorts right after it, in one run, and any star scope
    // inside that run is dropped; so only the last star scope kept can cover the next scope.
    let mut kept: Vec<String> = Vec::with_capacity(sorted.len());
    let mut last_star: Option<&str> = None;
    for scope in sorted {
        if last_star.is_some_and(|star| satisfies(star, scope)) {
            continue;
        }
        if scope.ends_with('*') {
            last_star = Some(scope);
        }
        kept.push(scope.to_owned());
    }
    kept
}

/// The normalised union of two sets of scopes.
pub fn merge<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> Vec<String> {
    let union: Vec<&str> = a
        .iter()
        .map(AsRef::as_ref)
        .chain(b.iter().map(AsRef::as_ref))
        .collect();
    normalize(&union)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(scopes: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = scopes
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        v.sort_by(|a, b| compare(a, b));
        v
    }

    #[test]
    fn a_star_sorts_before_its_stem_and_what_it_covers() {
        assert_eq!(sorted(&["a", "ab", "a*"]), ["a*", "a", "ab"]);
        assert_eq!(sorted(&["", "*"]), ["*", ""]);
        assert_eq!(compare("a*", "a*"), Ordering::Equal);
    }

    #[test]
    fn stems_compare_bytewise() {
        assert_eq!(
            sorted(&["b", "ab*", "a", "ac", "B"]),
            ["B", "a", "ab*", "ac", "b"]
        );
        // `a:*` strips to `a:`, which sorts after `a`.
        assert_eq!(sorted(&["a:*", "a", "a*"]), ["a*", "a", "a:*"]);
    }

    #[test]
    fn only_one_trailing_star_is_stripped() {
        // `a**` strips to `a*`: after `a*` (stem `a`) and its run.
        assert_eq!(sorted(&["a**", "a*", "a"]), ["a*", "a", "a**"]);
    }

    #[test]
    fn normalize_sorts_dedupes_and_drops_covered_scopes() {
        assert_eq!(normalize(&["b", "a", "b", "a*", "ab"]), ["a*", "b"]);
        assert_eq!(normalize(&["ab*", "ac", "a"]), ["a", "ab*", "ac"]);
        assert_eq!(normalize(&["x", "*"]), ["*"]);
        assert!(normalize::<&str>(&[]).is_empty());
    }

    #[test]
    fn normalize_keeps_the_wider_of_mutually_satisfying_stars() {
        assert_eq!(normalize(&["a**", "a*"]), ["a*"]);
        assert_eq!(normalize(&["a***", "a**"]), ["a**"]);
    }

    #[test]
    fn normalize_drops_scopes_under_an_earlier_star_past_other_stars() {
        assert_eq!(
            normalize(&["q:*", "q:a*", "q:ab", "q:b", "r"]),
            ["q:*", "r"]
        );
    }

    #[test]
    fn merge_is_the_normalised_union() {
        assert_eq!(merge(&["a*", "b"], &["ab", "c"]), ["a*", "b", "c"]);
        assert_eq!(merge::<&str, &str>(&[], &[]), Vec::<String>::new());
    }
}
