//! Relative times (worker.md §2.4): `2 days`, `-1h 30min`, `3 months`. Used by
//! `tc from-now`, `{"$fromNow": ...}` and `{"relative-datestamp": ...}`.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use nom::branch::alt;
use nom::bytes::complete::take_while;
use nom::character::complete::{alpha1, char, digit1, space0};
use nom::combinator::{all_consuming, opt};
use nom::multi::many1;
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser};

/// Seconds per unit; months are 30 days and years 365, as TaskCluster's `fromNow` has them.
fn unit_seconds(unit: &str) -> Option<i64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "wk" | "wks" | "week" | "weeks" => 7 * 86_400,
        "mo" | "mon" | "month" | "months" => 30 * 86_400,
        "y" | "yr" | "yrs" | "year" | "years" => 365 * 86_400,
        _ => return None,
    })
}

fn group(input: &str) -> IResult<&str, (&str, &str)> {
    (terminated(digit1, space0), terminated(alpha1, space0)).parse(input)
}

/// A duration as written: its sign and its `(number, unit)` groups.
type Groups<'a> = (Option<char>, Vec<(&'a str, &'a str)>);

fn duration(input: &str) -> IResult<&str, Groups<'_>> {
    let ws = take_while(char::is_whitespace);
    all_consuming(preceded(
        ws,
        (
            opt(terminated(alt((char('-'), char('+'))), space0)),
            many1(group),
        ),
    ))
    .parse(input.trim_end())
}

/// How to write a duration, for the messages that refuse one.
const DURATION_HELP: &str = "write groups of <number><unit>, like `2 days`, `-1h 30min` or `3 months` \
                             (units: s, m/min, h/hr, d, w/wk, mo/mon, y/yr and their plurals)";

/// Why a duration, a timestamp or a relative time cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum TimeError {
    #[error("`{text}` is not a duration: {DURATION_HELP}")]
    #[diagnostic(code(tc::time::duration))]
    NotADuration { text: String },
    #[error("`{unit}` in `{text}` is not a time unit: {DURATION_HELP}")]
    #[diagnostic(code(tc::time::unit))]
    UnknownUnit { unit: String, text: String },
    #[error("`{number}` in `{text}` is too large")]
    #[diagnostic(code(tc::time::too_long))]
    NumberTooLarge { number: String, text: String },
    #[error("`{text}` is too long a duration")]
    #[diagnostic(code(tc::time::too_long))]
    TooLong { text: String },
    /// `why` is chrono's reason, which the message includes.
    #[error("`{text}` is not an RFC 3339 timestamp ({why}): write it like 2026-01-31T12:00:00Z")]
    #[diagnostic(code(tc::time::timestamp))]
    NotATimestamp {
        text: String,
        why: chrono::ParseError,
    },
    #[error("the resulting time is out of range")]
    #[diagnostic(code(tc::time::out_of_range))]
    OutOfRange,
    #[error("a relative time must be a string such as \"1 day\"")]
    #[diagnostic(code(tc::time::relative))]
    NotAString,
    #[error("`from` must be an RFC 3339 string")]
    #[diagnostic(code(tc::time::relative))]
    FromNotAString,
}

/// A relative-time object of a document that cannot be resolved, at its JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{pointer}: {error}")]
#[diagnostic(code(tc::time::relative))]
pub struct RelativeTimeError {
    /// The object's JSON pointer (`/` for the whole document).
    pub pointer: String,
    /// What is wrong with it (part of the message).
    pub error: TimeError,
}

/// Parses a duration such as `1 day`, `-2h 30m`, `3 months`.
pub fn parse_duration(text: &str) -> Result<TimeDelta, TimeError> {
    let too_long = || TimeError::TooLong {
        text: text.to_owned(),
    };
    let (_, (sign, groups)) = duration(text).map_err(|_| TimeError::NotADuration {
        text: text.to_owned(),
    })?;
    let mut seconds: i64 = 0;
    for (number, unit) in groups {
        let per = unit_seconds(unit).ok_or_else(|| TimeError::UnknownUnit {
            unit: unit.to_owned(),
            text: text.to_owned(),
        })?;
        let n: i64 = number.parse().map_err(|_| TimeError::NumberTooLarge {
            number: number.to_owned(),
            text: text.to_owned(),
        })?;
        seconds = n
            .checked_mul(per)
            .and_then(|s| seconds.checked_add(s))
            .ok_or_else(too_long)?;
    }
    if sign == Some('-') {
        seconds = -seconds;
    }
    TimeDelta::try_seconds(seconds).ok_or_else(too_long)
}

/// Parses an RFC 3339 timestamp into UTC.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, TimeError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|why| TimeError::NotATimestamp {
            text: text.to_owned(),
            why,
        })
}

/// `base + duration`, or an error when that leaves the representable range.
pub fn add(base: DateTime<Utc>, delta: TimeDelta) -> Result<DateTime<Utc>, TimeError> {
    base.checked_add_signed(delta).ok_or(TimeError::OutOfRange)
}

/// The queue's timestamp form: `YYYY-MM-DDTHH:MM:SS.mmmZ`, sub-millisecond digits truncated.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> i64 {
        parse_duration(text).unwrap().num_seconds()
    }

    #[test]
    fn parses_groups_units_and_signs() {
        assert_eq!(secs("1 day"), 86_400);
        assert_eq!(secs("2d4h"), 2 * 86_400 + 4 * 3600);
        assert_eq!(secs("-1h 30min"), -5400);
        assert_eq!(secs("+ 3 months"), 90 * 86_400);
        assert_eq!(secs("1 Year"), 365 * 86_400);
        assert_eq!(secs(" 5 s "), 5);
        assert_eq!(secs("1mo 1m"), 30 * 86_400 + 60);
    }

    #[test]
    fn rejects_bad_durations() {
        for bad in [
            "",
            "1",
            "day",
            "1 fortnight",
            "1.5h",
            "--1h",
            "1h-2m",
            "99999999999999999999s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_with_milliseconds_truncated() {
        let t = parse_timestamp("2026-01-31T12:00:00.123999+01:00").unwrap();
        assert_eq!(format_timestamp(t), "2026-01-31T11:00:00.123Z");
        let t = parse_timestamp("2026-01-31T12:00:00Z").unwrap();
        assert_eq!(format_timestamp(t), "2026-01-31T12:00:00.000Z");
    }
}

/// Replaces, everywhere in `doc`, every object that is exactly `{"relative-datestamp": D}` by
/// `now + D`, and every `{"$fromNow": D}` or `{"$fromNow": D, "from": T}` by `T + D`
/// (worker.md §2.4). Errors name the JSON pointer of the bad object.
pub fn resolve_relative(
    doc: &mut serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), RelativeTimeError> {
    resolve_at(doc, now, &mut String::new())
}

fn resolve_at(
    value: &mut serde_json::Value,
    now: DateTime<Utc>,
    pointer: &mut String,
) -> Result<(), RelativeTimeError> {
    use serde_json::Value;
    use std::fmt::Write as _;
    if let Some(resolved) = relative_time(value, now).map_err(|error| RelativeTimeError {
        pointer: display_pointer(pointer).to_owned(),
        error,
    })? {
        *value = Value::String(resolved);
        return Ok(());
    }
    let len = pointer.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                resolve_at(child, now, pointer)?;
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                let _ = write!(pointer, "/{i}");
                resolve_at(child, now, pointer)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// The timestamp a relative-time object stands for, or `None` when `value` is not one.
fn relative_time(
    value: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Option<String>, TimeError> {
    let Some(map) = value.as_object() else {
        return Ok(None);
    };
    let (duration, from) = match (
        map.len(),
        map.get("relative-datestamp"),
        map.get("$fromNow"),
        map.get("from"),
    ) {
        (1, Some(d), None, None) | (1, None, Some(d), None) => (d, None),
        (2, None, Some(d), Some(from)) => (d, Some(from)),
        _ => return Ok(None),
    };
    let duration = duration.as_str().ok_or(TimeError::NotAString)?;
    let base = match from {
        None => now,
        Some(from) => parse_timestamp(from.as_str().ok_or(TimeError::FromNotAString)?)?,
    };
    Ok(Some(format_timestamp(add(
        base,
        parse_duration(duration)?,
    )?)))
}

#[cfg(test)]
mod walk_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_exact_relative_objects_only() {
        let now = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
        let mut doc = json!({
            "deadline": {"relative-datestamp": "1 day"},
            "payload": {"a": [{"$fromNow": "2 hours"}], "b": {"$fromNow": "1h", "from": "2026-02-01T00:00:00Z"},
                        "c": {"relative-datestamp": "1 day", "other": 1}, "d": "${HOME}"}
        });
        resolve_relative(&mut doc, now).unwrap();
        assert_eq!(doc["deadline"], "2026-01-02T00:00:00.000Z");
        assert_eq!(doc["payload"]["a"][0], "2026-01-01T02:00:00.000Z");
        assert_eq!(doc["payload"]["b"], "2026-02-01T01:00:00.000Z");
        assert_eq!(doc["payload"]["c"]["other"], 1);
        assert_eq!(doc["payload"]["d"], "${HOME}");
    }

    #[test]
    fn errors_name_the_pointer() {
        let now = Utc::now();
        let mut doc =
            json!({"payload": {"artifacts": [{"expires": {"relative-datestamp": "soon"}}]}});
        let e = resolve_relative(&mut doc, now).unwrap_err();
        assert_eq!(e.pointer, "/payload/artifacts/0/expires");
        assert!(
            e.to_string()
                .starts_with("/payload/artifacts/0/expires: `soon` is not a duration"),
            "{e}"
        );
    }
}
