//! Fixed parser knowledge: the unittest alias table (try-syntax.md §5.4) and the platform
//! pretty names (§5.5), both from gecko's `try_option_syntax.py`.

/// How an alias selects graph test names.
#[derive(Debug, Clone, Copy)]
enum Rule {
    Prefix(&'static str),
    Contains(&'static str),
    /// `^(plain-)?<prefix>.*$` with Python's `re.match`: `.` stops at a newline and `$` also
    /// matches before a final newline.
    PlainPrefix(&'static str),
}

const ALIASES: [(&str, Rule); 47] = [
    ("cppunit", Rule::Prefix("cppunit")),
    ("crashtest", Rule::Prefix("crashtest")),
    ("crashtest-e10s", Rule::Prefix("crashtest-e10s")),
    ("e10s", Rule::Contains("e10s")),
    (
        "firefox-ui-functional",
        Rule::Prefix("firefox-ui-functional"),
    ),
    ("gaia-js-integration", Rule::Contains("gaia-js-integration")),
    ("gtest", Rule::Prefix("gtest")),
    ("jittest", Rule::Prefix("jittest")),
    ("jittests", Rule::Prefix("jittest")),
    ("jsreftest", Rule::Prefix("jsreftest")),
    ("jsreftest-e10s", Rule::Prefix("jsreftest-e10s")),
    ("marionette", Rule::Prefix("marionette")),
    ("mochitest", Rule::Prefix("mochitest")),
    ("mochitests", Rule::Prefix("mochitest")),
    ("mochitest-e10s", Rule::Prefix("mochitest-e10s")),
    ("mochitests-e10s", Rule::Prefix("mochitest-e10s")),
    ("mochitest-debug", Rule::Prefix("mochitest-debug-")),
    ("mochitest-a11y", Rule::Contains("mochitest-a11y")),
    ("mochitest-bc", Rule::Prefix("mochitest-browser-chrome")),
    (
        "mochitest-e10s-bc",
        Rule::Prefix("mochitest-browser-chrome-e10s"),
    ),
    (
        "mochitest-browser-chrome",
        Rule::Prefix("mochitest-browser-chrome"),
    ),
    (
        "mochitest-e10s-browser-chrome",
        Rule::Prefix("mochitest-browser-chrome-e10s"),
    ),
    ("mochitest-chrome", Rule::Contains("mochitest-chrome")),
    ("mochitest-dt", Rule::Prefix("mochitest-devtools-chrome")),
    (
        "mochitest-e10s-dt",
        Rule::Prefix("mochitest-devtools-chrome-e10s"),
    ),
    ("mochitest-gl", Rule::Prefix("mochitest-webgl")),
    ("mochitest-gl-e10s", Rule::Prefix("mochitest-webgl-e10s")),
    ("mochitest-gpu", Rule::Prefix("mochitest-gpu")),
    ("mochitest-gpu-e10s", Rule::Prefix("mochitest-gpu-e10s")),
    ("mochitest-media", Rule::Prefix("mochitest-media")),
    ("mochitest-media-e10s", Rule::Prefix("mochitest-media-e10s")),
    ("mochitest-vg", Rule::Prefix("mochitest-valgrind")),
    ("reftest", Rule::PlainPrefix("reftest")),
    ("reftest-no-accel", Rule::PlainPrefix("reftest-no-accel")),
    ("reftests", Rule::PlainPrefix("reftest")),
    ("reftests-e10s", Rule::PlainPrefix("reftest-e10s")),
    ("robocop", Rule::Prefix("robocop")),
    ("web-platform-test", Rule::Prefix("web-platform-tests")),
    ("web-platform-tests", Rule::Prefix("web-platform-tests")),
    (
        "web-platform-tests-e10s",
        Rule::Prefix("web-platform-tests-e10s"),
    ),
    (
        "web-platform-tests-crashtests",
        Rule::Prefix("web-platform-tests-crashtest"),
    ),
    (
        "web-platform-tests-print-reftest",
        Rule::Prefix("web-platform-tests-print-reftest"),
    ),
    (
        "web-platform-tests-reftests",
        Rule::Prefix("web-platform-tests-reftest"),
    ),
    (
        "web-platform-tests-reftests-e10s",
        Rule::Prefix("web-platform-tests-reftest-e10s"),
    ),
    (
        "web-platform-tests-wdspec",
        Rule::Prefix("web-platform-tests-wdspec"),
    ),
    (
        "web-platform-tests-wdspec-e10s",
        Rule::Prefix("web-platform-tests-wdspec-e10s"),
    ),
    ("xpcshell", Rule::Prefix("xpcshell")),
];

impl Rule {
    fn matches(self, name: &str) -> bool {
        match self {
            Rule::Prefix(p) => name.starts_with(p),
            Rule::Contains(p) => name.contains(p),
            Rule::PlainPrefix(p) => {
                let after_plain = name.strip_prefix("plain-").and_then(|r| r.strip_prefix(p));
                let Some(tail) = after_plain.or_else(|| name.strip_prefix(p)) else {
                    return false;
                };
                let tail = tail.strip_suffix('\n').unwrap_or(tail);
                !tail.contains('\n')
            }
        }
    }
}

/// The alias rule for `name`, if it is an alias key: a predicate over graph test names.
pub fn alias(name: &str) -> Option<impl Fn(&str) -> bool> {
    ALIASES
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, rule)| move |n: &str| rule.matches(n))
}

/// Every alias key, for documentation and tests.
pub fn alias_keys() -> impl Iterator<Item = &'static str> {
    ALIASES.iter().map(|(k, _)| *k)
}

const PRETTY_NAMES: [(&str, &[&str]); 10] = [
    (
        "Ubuntu",
        &[
            "linux32",
            "linux64",
            "linux64-asan",
            "linux1804-64",
            "linux1804-64-asan",
        ],
    ),
    (
        "x64",
        &[
            "linux64",
            "linux64-asan",
            "linux1804-64",
            "linux1804-64-asan",
        ],
    ),
    (
        "Android 7.0 Samsung A51 32bit",
        &["android-hw-a51-11.0-arm7"],
    ),
    (
        "Android 7.0 Samsung A51 64bit",
        &["android-hw-a51-11.0-aarch64"],
    ),
    (
        "Android 13.0 Google Pixel 5 32bit",
        &["android-hw-p5-13.0-arm7"],
    ),
    (
        "Android 13.0 Google Pixel 5 64bit",
        &["android-hw-p5-13.0-android-aarch64"],
    ),
    (
        "Android 13.0 Google Pixel 6 64bit",
        &["android-hw-p6-13.0-android-aarch64"],
    ),
    (
        "Android 13.0 Samsung S21 64bit",
        &["android-hw-s21-13.0-android-aarch64"],
    ),
    (
        "Android 14.0 Samsung A55 64bit",
        &["android-hw-a55-14.0-android-aarch64"],
    ),
    ("Windows 10", &["windows10-64"]),
];

/// The platforms a bracket item names: its pretty-name expansion, or itself.
pub fn pretty_name(item: &str) -> Option<&'static [&'static str]> {
    PRETTY_NAMES
        .iter()
        .find(|(k, _)| *k == item)
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(alias_key: &str, name: &str) -> bool {
        alias(alias_key).unwrap()(name)
    }

    #[test]
    fn the_table_has_47_aliases() {
        assert_eq!(alias_keys().count(), 47);
    }

    #[test]
    fn reftest_rule_is_anchored() {
        assert!(matches("reftest", "reftest"));
        assert!(matches("reftest", "plain-reftest-1"));
        assert!(!matches("reftest", "web-platform-tests-reftest"));
        assert!(!matches("reftest", "plain-"));
        assert!(!matches("reftest", "reftest\nx"));
        assert!(matches("reftest", "reftest-x\n"));
        assert!(matches("reftest-no-accel", "plain-reftest-no-accel"));
    }

    #[test]
    fn own_key_may_not_match_itself() {
        assert!(!matches("mochitest-bc", "mochitest-bc"));
        assert!(matches("mochitest-chrome", "mochitest-chrome"));
        assert!(!matches("mochitest-chrome", "mochitest-browser-chrome"));
    }
}
