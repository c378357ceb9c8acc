//! Hawk on the server side (queue-api.md §5.1): the `Authorization` header parsed strictly and
//! its MAC checked over the raw request target. Written by hand because the check must use the
//! target exactly as received and reject what upstream rejects (unknown attributes, `app`/`dlg`).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The attributes of a Hawk header.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Header {
    pub id: String,
    pub ts: i64,
    pub nonce: String,
    pub mac: String,
    pub hash: Option<String>,
    pub ext: Option<String>,
}

/// Why an `Authorization` header is not a Hawk header tc accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the Authorization header is not a Hawk header")]
    NotHawk,
    #[error("a Hawk attribute has no value")]
    NoValue,
    #[error("a Hawk attribute value is not quoted")]
    NotQuoted,
    #[error("a Hawk attribute value is not closed")]
    NotClosed,
    #[error("the Hawk ts is not a number")]
    BadTs,
    #[error("unknown Hawk attribute `{0}`")]
    Unknown(String),
    #[error("the Hawk header has no ts")]
    NoTs,
    #[error("the Hawk header needs id, ts, nonce and mac")]
    Incomplete,
}

/// Parses `Hawk id="…", ts="…", nonce="…", mac="…"[, hash="…"][, ext="…"]`.
pub fn parse(value: &str) -> Result<Header, HeaderError> {
    let rest = value.strip_prefix("Hawk ").ok_or(HeaderError::NotHawk)?;
    let mut h = Header::default();
    let (mut id, mut ts, mut nonce, mut mac) = (false, None, false, false);
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or(HeaderError::NoValue)?;
        let key = rest[..eq].trim();
        let after = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or(HeaderError::NotQuoted)?;
        let end = after.find('"').ok_or(HeaderError::NotClosed)?;
        let val = after[..end].to_owned();
        rest = after[end + 1..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        match key {
            "id" => (h.id, id) = (val, true),
            "ts" => {
                ts = Some(val.parse::<i64>().map_err(|_| HeaderError::BadTs)?);
            }
            "nonce" => (h.nonce, nonce) = (val, true),
            "mac" => (h.mac, mac) = (val, true),
            "hash" => h.hash = Some(val),
            "ext" => h.ext = Some(val),
            other => return Err(HeaderError::Unknown(other.to_owned())),
        }
    }
    h.ts = ts.ok_or(HeaderError::NoTs)?;
    if !(id && nonce && mac) {
        return Err(HeaderError::Incomplete);
    }
    Ok(h)
}

/// What the MAC covers besides the header's own attributes.
pub struct Target<'a> {
    pub kind: &'a str,
    pub method: &'a str,
    /// Path and query exactly as received.
    pub resource: &'a str,
    pub host: &'a str,
    pub port: u16,
}

/// `base64(HMAC-SHA256(key, normalized string))`.
pub fn mac(
    key: &[u8],
    t: &Target,
    ts: i64,
    nonce: &str,
    hash: Option<&str>,
    ext: Option<&str>,
) -> String {
    let ext = ext.unwrap_or("").replace('\\', "\\\\").replace('\n', "\\n");
    let normalized = format!(
        "hawk.1.{}\n{ts}\n{nonce}\n{}\n{}\n{}\n{}\n{}\n{ext}\n",
        t.kind,
        t.method.to_uppercase(),
        t.resource,
        t.host.to_lowercase(),
        t.port,
        hash.unwrap_or("")
    );
    STANDARD.encode(hmac_sha256(key, normalized.as_bytes()))
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The payload hash of a body sent with `content_type`.
pub fn payload_hash(content_type: Option<&str>, body: &[u8]) -> String {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .unwrap_or("")
        .trim()
        .to_lowercase();
    let mut h = Sha256::new();
    h.update(b"hawk.1.payload\n");
    h.update(media.as_bytes());
    h.update(b"\n");
    h.update(body);
    h.update(b"\n");
    STANDARD.encode(h.finalize())
}

/// Constant-time equality of two strings.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// base64 in either alphabet, padded or not.
pub fn decode_any_base64(s: &str) -> Option<Vec<u8>> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(s.trim()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_strictly() {
        let h =
            parse(r#"Hawk id="c", ts="1353832234", nonce="j4h3g2", ext="e30=", mac="m=""#).unwrap();
        assert_eq!(
            (h.id.as_str(), h.ts, h.ext.as_deref()),
            ("c", 1_353_832_234, Some("e30="))
        );
        assert!(parse(r#"Hawk id="c", ts="1", nonce="n", mac="m", dlg="x""#).is_err());
        assert!(parse(r#"Hawk id="c", nonce="n", mac="m""#).is_err());
        assert!(parse("Basic abc").is_err());
    }

    #[test]
    fn the_mac_is_hawks() {
        // The example of the Hawk specification (its key, with SHA-256).
        let t = Target {
            kind: "header",
            method: "GET",
            resource: "/resource/1?b=1&a=2",
            host: "example.com",
            port: 8000,
        };
        let m = mac(
            b"werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn",
            &t,
            1_353_832_234,
            "j4h3g2",
            None,
            Some("some-app-ext-data"),
        );
        assert_eq!(m, "6R4rV5iE+NPoym+WwjeHzjAGXUtLNIxmo1vpMofpLAE=");
    }
}
