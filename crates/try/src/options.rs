//! Reading the tokens as gecko's argparse parser does (try-syntax.md §4): every token is
//! classified first (§4.1), then options take their values left to right (§4.2).

use std::ops::Range;

use serde_json::Value;

use super::error::{ErrorKind, TryError};
use super::lexer::Token;
use super::raw::Raw;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Build,
    Platform,
    Unittests,
    Talos,
    Raptor,
    Interactive,
    AllEmails,
    FailureEmails,
    Job,
    Rebuild,
    RebuildTalos,
    RebuildRaptor,
    Setenv,
    Tag,
    GeckoProfile,
    NoRetry,
    IncludeNightly,
    Artifact,
    TaskclusterWorker,
}

/// What an option does with values.
enum Arity {
    /// Needs a value: attached, or the next word.
    Value,
    /// Takes the next word if there is one, else this bare value.
    Optional(&'static str),
    Flag,
}

/// Every option: its short form, its long form.
const OPTIONS: [(Opt, Option<char>, &str); 19] = [
    (Opt::Build, Some('b'), "--build"),
    (Opt::Platform, Some('p'), "--platform"),
    (Opt::Unittests, Some('u'), "--unittests"),
    (Opt::Talos, Some('t'), "--talos"),
    (Opt::Raptor, Some('r'), "--raptor"),
    (Opt::Interactive, Some('i'), "--interactive"),
    (Opt::AllEmails, Some('e'), "--all-emails"),
    (Opt::FailureEmails, Some('f'), "--failure-emails"),
    (Opt::Job, Some('j'), "--job"),
    (Opt::Rebuild, None, "--rebuild"),
    (Opt::RebuildTalos, None, "--rebuild-talos"),
    (Opt::RebuildRaptor, None, "--rebuild-raptor"),
    (Opt::Setenv, None, "--setenv"),
    (Opt::Tag, None, "--tag"),
    (Opt::GeckoProfile, None, "--gecko-profile"),
    (Opt::NoRetry, None, "--no-retry"),
    (Opt::IncludeNightly, None, "--include-nightly"),
    (Opt::Artifact, None, "--artifact"),
    (Opt::TaskclusterWorker, Some('w'), "--taskcluster-worker"),
];

impl Opt {
    fn arity(self) -> Arity {
        match self {
            Opt::Build
            | Opt::Job
            | Opt::Setenv
            | Opt::Tag
            | Opt::Rebuild
            | Opt::RebuildTalos
            | Opt::RebuildRaptor => Arity::Value,
            Opt::Platform | Opt::Unittests | Opt::Talos | Opt::Raptor => Arity::Optional("all"),
            _ => Arity::Flag,
        }
    }

    fn entry(self) -> &'static (Opt, Option<char>, &'static str) {
        OPTIONS
            .iter()
            .find(|(o, _, _)| *o == self)
            .expect("every option is listed")
    }

    /// `-b/--build`, or `--rebuild` for long-only options.
    fn display(self) -> String {
        match self.entry() {
            (_, Some(s), long) => format!("-{s}/{long}"),
            (_, None, long) => (*long).to_owned(),
        }
    }

    /// The raw key this option writes, as an index into `RAW_KEYS`.
    fn key_index(self) -> usize {
        match self {
            Opt::Build => 0,
            Opt::Platform => 1,
            Opt::Unittests => 2,
            Opt::Talos => 3,
            Opt::Raptor => 4,
            Opt::Job => 5,
            Opt::Interactive => 6,
            Opt::AllEmails | Opt::FailureEmails => 7,
            Opt::Rebuild => 8,
            Opt::RebuildTalos => 9,
            Opt::RebuildRaptor => 10,
            Opt::Tag => 11,
            Opt::NoRetry => 12,
            Opt::IncludeNightly => 13,
            Opt::TaskclusterWorker => 14,
            Opt::Artifact => 15,
            Opt::GeckoProfile => 16,
            Opt::Setenv => 17,
        }
    }

    fn example(self) -> &'static str {
        match self {
            Opt::Build => "`-b do`",
            Opt::Job => "`-j eslint`",
            Opt::Setenv => "`--setenv MOZ_LOG=sync:5`",
            Opt::Tag => "`--tag my-tag`",
            Opt::Rebuild => "`--rebuild 3`",
            Opt::RebuildTalos => "`--rebuild-talos 3`",
            Opt::RebuildRaptor => "`--rebuild-raptor 3`",
            _ => "",
        }
    }
}

fn short_option(c: char) -> Option<Opt> {
    OPTIONS
        .iter()
        .find(|(_, s, _)| *s == Some(c))
        .map(|(o, _, _)| *o)
}

fn exact_option(s: &str) -> Option<(Opt, bool)> {
    let mut chars = s.chars();
    if let (Some('-'), Some(c), None) = (chars.next(), chars.next(), chars.next()) {
        return short_option(c).map(|o| (o, true));
    }
    OPTIONS
        .iter()
        .find(|(_, _, l)| *l == s)
        .map(|(o, _, _)| (*o, false))
}

/// How one token reads before any value is taken (§4.1).
#[derive(Debug, Clone, PartialEq)]
enum Class<'t> {
    /// `--`: ends option processing.
    End,
    /// Can be a value; otherwise ignored.
    Word,
    /// Looks like an option we do not know: ignored, never a value.
    Unknown,
    Option {
        opt: Opt,
        /// Matched through its short form (`-i`), which allows bundling.
        short: bool,
        attached: Option<&'t str>,
    },
}

/// A `-` followed by digits, or by optional digits, `.` and digits.
fn is_negative_number(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('-') else {
        return false;
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    match rest.split_once('.') {
        None => digits(rest),
        Some((int, frac)) => int.bytes().all(|b| b.is_ascii_digit()) && digits(frac),
    }
}

fn classify(token: &Token) -> Result<Class<'_>, TryError> {
    let t = token.text.as_str();
    if t == "--" {
        return Ok(Class::End);
    }
    if t.is_empty() || !t.starts_with('-') || t == "-" {
        return Ok(Class::Word);
    }
    if let Some((opt, short)) = exact_option(t) {
        return Ok(Class::Option {
            opt,
            short,
            attached: None,
        });
    }
    if let Some((before, after)) = t.split_once('=')
        && let Some((opt, short)) = exact_option(before)
    {
        return Ok(Class::Option {
            opt,
            short,
            attached: Some(after),
        });
    }
    if t.starts_with("--") {
        let (prefix, attached) = match t.split_once('=') {
            Some((p, a)) => (p, Some(a)),
            None => (t, None),
        };
        let matches: Vec<&(Opt, Option<char>, &str)> = OPTIONS
            .iter()
            .filter(|(_, _, l)| l.starts_with(prefix))
            .collect();
        match matches.as_slice() {
            [(opt, _, _)] => {
                return Ok(Class::Option {
                    opt: *opt,
                    short: false,
                    attached,
                });
            }
            [] => {}
            several => {
                let names: Vec<&str> = several.iter().map(|(_, _, l)| *l).collect();
                return Err(TryError::new(
                    ErrorKind::AmbiguousPrefix,
                    format!(
                        "`{prefix}` could be any of {}: write the option out in full",
                        names.join(", ")
                    ),
                    Some(token.span.clone()),
                ));
            }
        }
    } else {
        let mut chars = t.chars();
        chars.next();
        if let Some(opt) = chars.next().and_then(short_option) {
            return Ok(Class::Option {
                opt,
                short: true,
                attached: Some(chars.as_str()),
            });
        }
    }
    if is_negative_number(t) || t.contains(' ') {
        return Ok(Class::Word);
    }
    Ok(Class::Unknown)
}

/// The byte spans of the tokens that gave the values resolution checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueSpans {
    pub build: Option<Range<usize>>,
    pub platform: Option<Range<usize>>,
    pub unittests: Option<Range<usize>>,
    pub talos: Option<Range<usize>>,
    pub raptor: Option<Range<usize>>,
}

/// The options stage's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub raw: Raw,
    /// Which of the 18 raw keys (in `RAW_KEYS` order) the try text set.
    pub set: [bool; 18],
    pub spans: ValueSpans,
}

/// Reads the tokens that count (the leading `try:` token already dropped).
pub fn parse(tokens: &[Token]) -> Result<Options, TryError> {
    let mut classes = Vec::with_capacity(tokens.len());
    for token in tokens {
        let class = classify(token)?;
        if class == Class::End {
            break;
        }
        classes.push(class);
    }
    let mut state = State {
        out: Options {
            raw: Raw::default(),
            set: [false; 18],
            spans: ValueSpans::default(),
        },
        setenv: Vec::new(),
    };
    let mut i = 0;
    while i < classes.len() {
        if let Class::Option {
            opt,
            short,
            attached,
        } = classes[i]
        {
            i = state.consume(tokens, &classes, i, opt, short, attached)?;
        }
        i += 1;
    }
    state.finish_setenv()?;
    Ok(state.out)
}

struct State {
    out: Options,
    /// `--setenv` values with the span of the token that held each.
    setenv: Vec<(String, Range<usize>)>,
}

impl State {
    /// Applies the option at `classes[i]` (and any bundled short options after it); returns
    /// the index of the last token used.
    fn consume(
        &mut self,
        tokens: &[Token],
        classes: &[Class],
        mut i: usize,
        mut opt: Opt,
        short: bool,
        mut attached: Option<&str>,
    ) -> Result<usize, TryError> {
        let own = tokens[i].span.clone();
        loop {
            match opt.arity() {
                Arity::Flag => {
                    self.flag(opt);
                    let Some(text) = attached else {
                        return Ok(i);
                    };
                    let next = text.chars().next().filter(|_| short).and_then(short_option);
                    let Some(next_opt) = next else {
                        let why = if short && !text.is_empty() {
                            format!(
                                "-{} is a flag and `-{}` is not a short option: put spaces between options",
                                opt.entry().1.unwrap_or('?'),
                                text.chars().next().unwrap_or('?')
                            )
                        } else {
                            format!(
                                "{} is a flag and takes no value: remove `={text}`",
                                opt.display()
                            )
                        };
                        return Err(TryError::new(ErrorKind::UnexpectedValue, why, Some(own)));
                    };
                    let rest = &text[text.chars().next().map_or(0, char::len_utf8)..];
                    opt = next_opt;
                    attached = (!rest.is_empty()).then_some(rest);
                }
                Arity::Value | Arity::Optional(_) => {
                    let (value, span) = match attached {
                        Some(text) => (text.to_owned(), own.clone()),
                        None if classes.get(i + 1) == Some(&Class::Word) => {
                            i += 1;
                            (tokens[i].text.clone(), tokens[i].span.clone())
                        }
                        None => match opt.arity() {
                            Arity::Optional(bare) => (bare.to_owned(), own.clone()),
                            _ => {
                                return Err(TryError::new(
                                    ErrorKind::MissingValue,
                                    format!(
                                        "{} needs a value, for example {}",
                                        opt.display(),
                                        opt.example()
                                    ),
                                    Some(own),
                                ));
                            }
                        },
                    };
                    self.value(opt, value, span)?;
                    return Ok(i);
                }
            }
        }
    }

    fn flag(&mut self, opt: Opt) {
        let raw = &mut self.out.raw;
        match opt {
            Opt::Interactive => raw.interactive = true,
            Opt::AllEmails => raw.notify = Some("all".into()),
            Opt::FailureEmails => raw.notify = Some("failure".into()),
            Opt::GeckoProfile => raw.gecko_profile = true,
            Opt::NoRetry => raw.no_retry = true,
            Opt::IncludeNightly => raw.include_nightly = true,
            Opt::Artifact => raw.artifact = true,
            Opt::TaskclusterWorker => raw.taskcluster_worker = true,
            _ => unreachable!("not a flag"),
        }
        self.out.set[opt.key_index()] = true;
    }

    fn value(&mut self, opt: Opt, value: String, span: Range<usize>) -> Result<(), TryError> {
        let raw = &mut self.out.raw;
        let spans = &mut self.out.spans;
        match opt {
            Opt::Build => (raw.build, spans.build) = (Some(value), Some(span)),
            Opt::Platform => (raw.platform, spans.platform) = (value, Some(span)),
            Opt::Unittests => (raw.unittests, spans.unittests) = (value, Some(span)),
            Opt::Talos => (raw.talos, spans.talos) = (value, Some(span)),
            Opt::Raptor => (raw.raptor, spans.raptor) = (value, Some(span)),
            Opt::Job => raw.job.get_or_insert_with(Vec::new).push(value),
            Opt::Tag => raw.tag = Some(value),
            Opt::Setenv => self.setenv.push((value, span)),
            Opt::Rebuild | Opt::RebuildTalos | Opt::RebuildRaptor => {
                let n = parse_int(&value).ok_or_else(|| {
                    TryError::new(
                        ErrorKind::InvalidInt,
                        format!(
                            "{} takes a whole number, not `{value}`: for example {}",
                            opt.display(),
                            opt.example()
                        ),
                        Some(span),
                    )
                })?;
                match opt {
                    Opt::Rebuild => raw.rebuild = n,
                    Opt::RebuildTalos => raw.rebuild_talos = n,
                    _ => raw.rebuild_raptor = n,
                }
            }
            _ => unreachable!("not a value option"),
        }
        self.out.set[opt.key_index()] = true;
        Ok(())
    }

    /// `--setenv` values are checked after the last token (§4.2).
    fn finish_setenv(&mut self) -> Result<(), TryError> {
        for (value, span) in self.setenv.drain(..) {
            let Some((key, val)) = value.split_once('=').filter(|(_, v)| !v.contains('=')) else {
                return Err(TryError::new(
                    ErrorKind::BadSetenv,
                    format!(
                        "--setenv takes NAME=VALUE with exactly one `=`, not `{value}`: for example `--setenv MOZ_LOG=sync:5`"
                    ),
                    Some(span),
                ));
            };
            self.out
                .raw
                .setenv
                .insert(key.to_owned(), Value::String(val.to_owned()));
        }
        Ok(())
    }
}

/// `[+-]?[0-9]+` fitting an i64 (D2: nothing else).
fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    fn opts(text: &str) -> Result<Options, TryError> {
        parse(&tokenize(text, 0).unwrap())
    }

    fn kind(text: &str) -> ErrorKind {
        opts(text).unwrap_err().kind
    }

    #[test]
    fn negative_numbers_are_words() {
        for s in ["-1", "-2.5", "-.5", "-10"] {
            assert!(is_negative_number(s), "{s}");
        }
        for s in ["-", "-1.", "-a", "--1", "-1e5", "-."] {
            assert!(!is_negative_number(s), "{s}");
        }
        assert_eq!(opts("-b -1").unwrap().raw.build.as_deref(), Some("-1"));
        assert_eq!(opts("--rebuild -1").unwrap().raw.rebuild, -1);
    }

    #[test]
    fn prefixes_and_ambiguity() {
        assert_eq!(opts("--plat win64").unwrap().raw.platform, "win64");
        assert!(opts("--inter").unwrap().raw.interactive);
        for t in [
            "--reb 3",
            "--rebuild- 3",
            "--ta x",
            "--in",
            "--a",
            "-b --ta",
            "--=x",
        ] {
            assert_eq!(kind(t), ErrorKind::AmbiguousPrefix, "{t}");
        }
        assert_eq!(opts("'--plat=a b'").unwrap().raw.platform, "a b");
    }

    #[test]
    fn attached_values_and_bundles() {
        let o = opts("-bdo -pwin64 -p=").unwrap();
        assert_eq!(o.raw.build.as_deref(), Some("do"));
        assert_eq!(o.raw.platform, "");
        let o = opts("-ibo").unwrap();
        assert!(o.raw.interactive);
        assert_eq!(o.raw.build.as_deref(), Some("o"));
        let o = opts("-ib o").unwrap();
        assert_eq!(o.raw.build.as_deref(), Some("o"));
        let o = opts("-ie").unwrap();
        assert_eq!(o.raw.notify.as_deref(), Some("all"));
        for t in ["-iz", "-i=", "--artifact=1", "--artifact=", "-ie="] {
            assert_eq!(kind(t), ErrorKind::UnexpectedValue, "{t}");
        }
        assert_eq!(kind("-ib"), ErrorKind::MissingValue);
        let o = opts("-i=b x").unwrap();
        assert_eq!(o.raw.build.as_deref(), Some("x"));
    }

    #[test]
    fn missing_values_and_defaults() {
        assert_eq!(kind("-b -p x"), ErrorKind::MissingValue);
        assert_eq!(kind("-b"), ErrorKind::MissingValue);
        assert_eq!(kind("-b --"), ErrorKind::MissingValue);
        assert_eq!(kind("-b --foo"), ErrorKind::MissingValue);
        let o = opts("-p -u none -t").unwrap();
        assert_eq!(
            (o.raw.platform.as_str(), o.raw.talos.as_str()),
            ("all", "all")
        );
        assert_eq!(opts("-b o -- -p win64").unwrap().raw.platform, "all");
        assert_eq!(
            opts("--foo bar -b o").unwrap().raw.build.as_deref(),
            Some("o")
        );
        assert_eq!(opts("-b 'x y'").unwrap().raw.build.as_deref(), Some("x y"));
        assert_eq!(opts("'-b x'").unwrap().raw.build.as_deref(), Some(" x"));
    }

    #[test]
    fn integers_and_setenv() {
        assert_eq!(kind("--rebuild x"), ErrorKind::InvalidInt);
        assert_eq!(kind("--rebuild ' 3'"), ErrorKind::InvalidInt);
        assert_eq!(
            kind("--rebuild 99999999999999999999"),
            ErrorKind::InvalidInt
        );
        assert_eq!(opts("--rebuild +7").unwrap().raw.rebuild, 7);
        assert_eq!(kind("--setenv FOO"), ErrorKind::BadSetenv);
        assert_eq!(kind("--setenv A=B=C"), ErrorKind::BadSetenv);
        let e = opts("--setenv FOO --rebuild x").unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::InvalidInt,
            "consumption errors come first"
        );
        let o = opts("--setenv A=1 --setenv =x --setenv A=2").unwrap();
        assert_eq!(
            serde_json::to_string(&o.raw.setenv).unwrap(),
            r#"{"A":"2","":"x"}"#
        );
    }

    #[test]
    fn ambiguity_wins_over_earlier_errors() {
        assert_eq!(kind("-b -p --reb"), ErrorKind::AmbiguousPrefix);
    }
}
