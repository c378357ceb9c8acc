//! Slugids: v4 UUIDs as 22 URL-safe base64 characters. Generation comes from the `slugid`
//! crate; it has no decoder, so encoding and decoding are here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// A new slugid whose first character is `[A-Za-f]`, safe as a command-line argument.
pub fn nice() -> String {
    slugid::nice()
}

/// A new slugid drawn from all v4 UUIDs (it may start with `-`).
pub fn v4() -> String {
    slugid::v4()
}

fn is_v4(uuid: &Uuid) -> bool {
    uuid.get_version_num() == 4 && uuid.get_variant() == uuid::Variant::RFC4122
}

/// Why a slugid or UUID is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SlugidError {
    #[error("`{slug}` is not a slugid: a slugid is 22 characters of A-Z a-z 0-9 - _")]
    #[diagnostic(code(tc::slugid::malformed))]
    NotASlugid { slug: String },
    #[error(
        "`{slug}` does not encode a v4 UUID: taskIds are v4 slugids (make one with `tc slugid`)"
    )]
    #[diagnostic(code(tc::slugid::not_v4))]
    NotV4Slugid { slug: String },
    #[error("`{uuid}` is not a UUID ({source}): write it as xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx")]
    #[diagnostic(code(tc::uuid::malformed))]
    NotAUuid {
        uuid: String,
        #[source]
        source: uuid::Error,
    },
    #[error(
        "`{uuid}` is not a v4 UUID: its version digit must be 4 and its variant digit 8, 9, a or b"
    )]
    #[diagnostic(code(tc::uuid::not_v4))]
    NotV4Uuid { uuid: String },
}

/// The UUID a slugid stands for; only v4 slugids are accepted.
pub fn decode(slug: &str) -> Result<Uuid, SlugidError> {
    let bytes: [u8; 16] = URL_SAFE_NO_PAD
        .decode(slug)
        .ok()
        .filter(|_| slug.len() == 22)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SlugidError::NotASlugid {
            slug: slug.to_owned(),
        })?;
    let uuid = Uuid::from_bytes(bytes);
    if !is_v4(&uuid) {
        return Err(SlugidError::NotV4Slugid {
            slug: slug.to_owned(),
        });
    }
    Ok(uuid)
}

/// The slugid of a v4 UUID (any of the usual UUID spellings).
pub fn encode(uuid: &str) -> Result<String, SlugidError> {
    let parsed = Uuid::parse_str(uuid).map_err(|source| SlugidError::NotAUuid {
        uuid: uuid.to_owned(),
        source,
    })?;
    if !is_v4(&parsed) {
        return Err(SlugidError::NotV4Uuid {
            uuid: uuid.to_owned(),
        });
    }
    Ok(URL_SAFE_NO_PAD.encode(parsed.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for _ in 0..200 {
            let s = nice();
            let first = s.chars().next().unwrap();
            assert!(first.is_ascii_alphabetic() && (first.is_ascii_uppercase() || first <= 'f'));
            let uuid = decode(&s).unwrap();
            assert_eq!(encode(&uuid.to_string()).unwrap(), s);
            assert!(decode(&v4()).is_ok());
        }
    }

    #[test]
    fn known_value() {
        assert_eq!(
            encode("804f3fc8-dfcb-4ecd-a6be-e6ac6aaf4d6f").unwrap(),
            "gE8_yN_LTs2mvuasaq9Nbw"
        );
        assert_eq!(
            decode("gE8_yN_LTs2mvuasaq9Nbw").unwrap().to_string(),
            "804f3fc8-dfcb-4ecd-a6be-e6ac6aaf4d6f"
        );
    }

    #[test]
    fn rejects_non_v4() {
        assert!(encode("804f3fc8-dfcb-1ecd-a6be-e6ac6aaf4d6f").is_err());
        assert!(encode("804f3fc8-dfcb-4ecd-c6be-e6ac6aaf4d6f").is_err());
        assert!(encode("nope").is_err());
        assert!(decode("AAAAAAAAAAAAAAAAAAAAAA").is_err());
        assert!(decode("short").is_err());
        assert!(decode("gE8_yN_LTs2mvuasaq9Nbw=").is_err());
    }
}
