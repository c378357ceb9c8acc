//! What tc's TaskCluster server, client and worker share: scope expressions (the rules both
//! sides apply), the states and reasons of tasks and runs, and the helpers that build request
//! paths. The typed request and response bodies of the services belong here too, as they move
//! out of hand-built JSON.

mod new_task;
pub mod scopes;
pub mod states;

pub use new_task::NewTask;

/// Percent-encodes a path parameter, keeping only RFC 3986 unreserved characters.
pub fn encode(param: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(param.len());
    for b in param.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_only_unreserved_characters_as_is() {
        assert_eq!(encode("proj-tc/ci"), "proj-tc%2Fci");
        assert_eq!(encode("public/logs/live.log"), "public%2Flogs%2Flive.log");
        assert_eq!(encode("a b+c"), "a%20b%2Bc");
    }
}
