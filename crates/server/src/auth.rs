//! Who is calling and with which scopes (queue-api.md §5): Hawk headers and bewits, temporary
//! credentials (certificates), `authorizedScopes`, and the anonymous scope set.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::error::ApiError;
use super::hawk::{self, Target};
use tc_api::scopes::Expression;

/// The queue's own client, which issues claim credentials.
pub const QUEUE_CLIENT_ID: &str = "static/taskcluster/queue";

pub const DEFAULT_ANONYMOUS: [&str; 7] = [
    "queue:get-artifact:public/*",
    "queue:get-task:*",
    "queue:status:*",
    "queue:list-task-group:*",
    "queue:list-artifacts:*",
    "queue:list-dependent-tasks:*",
    "queue:pending-count:*",
];

/// A permanent client.
#[derive(Clone)]
pub struct Client {
    pub id: String,
    pub access_token: String,
    pub scopes: Vec<String>,
    pub expires: Option<DateTime<Utc>>,
}

/// Every client the queue knows, and the anonymous scopes.
#[derive(Clone)]
pub struct Clients {
    pub clients: Vec<Client>,
    pub anonymous: Vec<String>,
}

impl Clients {
    fn get(&self, id: &str, now: DateTime<Utc>) -> Option<&Client> {
        self.clients
            .iter()
            .find(|c| c.id == id && c.expires.is_none_or(|e| e > now))
    }
}

/// The caller: its client id (none when anonymous) and its scopes, anonymous ones included.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
}

/// What authentication looks at in a request.
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query exactly as received.
    pub target: &'a str,
    pub host: &'a str,
    pub forwarded_port: Option<&'a str>,
    pub forwarded_proto: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    pub authorization: Option<&'a str>,
}

impl Request<'_> {
    fn host_and_port(&self) -> (String, u16) {
        let (host, port) = match self.host.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || self.host.starts_with('[') => {
                (h.to_owned(), p.parse().unwrap_or(80))
            }
            _ => (self.host.to_owned(), 80),
        };
        let port = match (self.forwarded_port, self.forwarded_proto) {
            (Some(p), _) => p.trim().parse().unwrap_or(port),
            (None, Some(proto)) if proto.trim().eq_ignore_ascii_case("https") => 443,
            _ => port,
        };
        (host, port)
    }
}

fn anonymous_caller(clients: &Clients) -> Caller {
    let mut scopes = vec!["assume:anonymous".to_owned()];
    scopes.extend(clients.anonymous.iter().cloned());
    Caller {
        client_id: None,
        scopes,
    }
}

/// Authenticates a request to an endpoint that declares scopes.
pub fn authenticate(
    clients: &Clients,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<Caller, ApiError> {
    let bewit = bewit_param(req.target);
    match (req.authorization, bewit) {
        (Some(_), Some(_)) => Err(ApiError::auth(
            "the request has both an Authorization header and a bewit; send only one of them",
        )),
        (None, None) => Ok(anonymous_caller(clients)),
        (Some(header), None) => header_auth(clients, req, header, now),
        (None, Some((value, stripped))) => bewit_auth(clients, req, &value, &stripped, now),
    }
}

fn header_auth(
    clients: &Clients,
    req: &Request,
    header: &str,
    now: DateTime<Utc>,
) -> Result<Caller, ApiError> {
    let h = hawk::parse(header).map_err(|e| ApiError::auth(e.to_string()))?;
    // abs_diff: a ts near i64::MIN must not overflow the subtraction.
    if now.timestamp().abs_diff(h.ts) > 900 {
        return Err(ApiError::auth(format!(
            "the Hawk timestamp {} is more than 15 minutes away from the server's clock {}; fix the clock",
            h.ts,
            now.timestamp()
        )));
    }
    let ext = decode_ext(h.ext.as_deref())?;
    let (key, scopes) = credentials(clients, &h.id, &ext, now)?;
    if let Some(hash) = &h.hash {
        let want = hawk::payload_hash(req.content_type, req.body);
        if !hawk::same(hash, &want) {
            return Err(ApiError::auth(
                "the Hawk payload hash does not match the body",
            ));
        }
    }
    let (host, port) = req.host_and_port();
    let target = Target {
        kind: "header",
        method: req.method,
        resource: req.target,
        host: &host,
        port,
    };
    let mac = hawk::mac(
        key.as_bytes(),
        &target,
        h.ts,
        &h.nonce,
        h.hash.as_deref(),
        h.ext.as_deref(),
    );
    if !hawk::same(&mac, &h.mac) {
        return Err(ApiError::auth(format!(
            "the Hawk signature of client `{}` does not match: check the access token and that the request is signed as sent",
            h.id
        )));
    }
    finish(clients, h.id, scopes, &ext)
}

/// The `bewit` query parameter and the target without it.
fn bewit_param(target: &str) -> Option<(String, String)> {
    let (path, query) = target.split_once('?')?;
    let mut kept = Vec::new();
    let mut found = None;
    for part in query.split('&') {
        match part.strip_prefix("bewit=") {
            Some(v) if found.is_none() => found = Some(v.to_owned()),
            _ => kept.push(part),
        }
    }
    let value = found?;
    let stripped = if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    Some((value, stripped))
}

fn bewit_auth(
    clients: &Clients,
    req: &Request,
    value: &str,
    stripped: &str,
    now: DateTime<Utc>,
) -> Result<Caller, ApiError> {
    if req.method != "GET" && req.method != "HEAD" {
        return Err(ApiError::auth("a bewit only signs GET and HEAD requests"));
    }
    let decoded = hawk::decode_any_base64(value)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::auth("the bewit is not base64"))?;
    let parts: Vec<&str> = decoded.splitn(4, '\\').collect();
    let [id, exp, mac, ext] = parts[..] else {
        return Err(ApiError::auth("the bewit needs id, expiry, mac and ext"));
    };
    let exp: i64 = exp
        .parse()
        .map_err(|_| ApiError::auth("the bewit expiry is not a number"))?;
    if exp <= now.timestamp() {
        return Err(ApiError::auth("the bewit has expired; sign a new URL"));
    }
    let ext_opt = (!ext.is_empty()).then_some(ext);
    let ext_json = decode_ext(ext_opt)?;
    let (key, scopes) = credentials(clients, id, &ext_json, now)?;
    let (host, port) = req.host_and_port();
    let target = Target {
        kind: "bewit",
        method: "GET",
        resource: stripped,
        host: &host,
        port,
    };
    let want = hawk::mac(key.as_bytes(), &target, exp, "", None, ext_opt);
    if !hawk::same(&want, mac) {
        return Err(ApiError::auth("the bewit signature does not match"));
    }
    finish(clients, id.to_owned(), scopes, &ext_json)
}

fn decode_ext(ext: Option<&str>) -> Result<serde_json::Map<String, Value>, ApiError> {
    let Some(ext) = ext.filter(|e| !e.is_empty()) else {
        return Ok(serde_json::Map::new());
    };
    let bytes =
        hawk::decode_any_base64(ext).ok_or_else(|| ApiError::auth("the Hawk ext is not base64"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::auth("the Hawk ext is not a JSON object")),
    }
}

/// The MAC key and the scopes of `id`, through its certificate when `ext` has one.
fn credentials(
    clients: &Clients,
    id: &str,
    ext: &serde_json::Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(String, Vec<String>), ApiError> {
    let Some(cert) = ext.get("certificate") else {
        let c = clients
            .get(id, now)
            .ok_or_else(|| ApiError::auth(format!("unknown or expired client `{id}`")))?;
        return Ok((c.access_token.clone(), c.scopes.clone()));
    };
    let cert = match cert {
        Value::String(s) => {
            serde_json::from_str(s).map_err(|_| ApiError::auth("the certificate is not JSON"))?
        }
        other => other.clone(),
    };
    certificate(clients, id, &cert, now)
}

fn certificate(
    clients: &Clients,
    id: &str,
    cert: &Value,
    now: DateTime<Utc>,
) -> Result<(String, Vec<String>), ApiError> {
    let bad = |why: &str| ApiError::auth(format!("invalid certificate: {why}"));
    let version = cert.get("version").and_then(Value::as_i64);
    let seed = cert
        .get("seed")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no seed"))?;
    let start = cert
        .get("start")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("start is not a number"))?;
    let expiry = cert
        .get("expiry")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("expiry is not a number"))?;
    let signature = cert
        .get("signature")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no signature"))?;
    let scopes: Vec<String> = cert
        .get("scopes")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect())
        .ok_or_else(|| bad("scopes is not a list of strings"))?;
    if version != Some(1) || seed.len() != 44 {
        return Err(bad("version must be 1 and the seed 44 characters"));
    }
    check_lifetime(start, expiry, now).map_err(bad)?;
    let issuer_field = cert.get("issuer").and_then(Value::as_str);
    let issuer_id = match issuer_field {
        Some(i) if i == id => return Err(bad("the issuer cannot be the client itself")),
        Some(i) => i,
        None => {
            if cert.get("clientId").is_some() {
                return Err(bad("clientId without issuer"));
            }
            id
        }
    };
    let issuer = clients
        .get(issuer_id, now)
        .ok_or_else(|| bad(&format!("unknown issuer `{issuer_id}`")))?;
    if issuer_field.is_some()
        && !Expression::Scope(format!("auth:create-client:{id}")).satisfied_by(&issuer.scopes)
    {
        return Err(bad(&format!("the issuer may not create client `{id}`")));
    }
    let needed = Expression::AllOf(scopes.iter().cloned().map(Expression::Scope).collect());
    if !needed.satisfied_by(&issuer.scopes) {
        return Err(bad("the issuer does not have the certificate's scopes"));
    }
    let mut lines = vec!["version:1".to_owned()];
    if let Some(i) = issuer_field {
        lines.push(format!("clientId:{id}"));
        lines.push(format!("issuer:{i}"));
    }
    lines.push(format!("seed:{seed}"));
    lines.push(format!("start:{start}"));
    lines.push(format!("expiry:{expiry}"));
    lines.push("scopes:".into());
    lines.extend(scopes.iter().cloned());
    let want = STANDARD.encode(hawk::hmac_sha256(
        issuer.access_token.as_bytes(),
        lines.join("\n").as_bytes(),
    ));
    if !hawk::same(&want, signature) {
        return Err(bad("the signature does not match"));
    }
    let token = URL_SAFE_NO_PAD.encode(hawk::hmac_sha256(
        issuer.access_token.as_bytes(),
        seed.as_bytes(),
    ));
    Ok((token, scopes))
}

/// The latest time a certificate may name: the end of year 9999, in ms since the epoch.
const LATEST_CERTIFICATE_MS: i64 = 253_402_300_799_999;
const MAX_CERTIFICATE_LIFETIME_MS: i64 = 31 * 24 * 3_600_000;
const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// A certificate's `start` and `expiry` (ms): dates between 1970 and 9999, `now` (give or take
/// the clock skew) inside, at most 31 days apart. Checked arithmetic: an `expiry - start` that
/// wraps must not pass for a short lifetime.
fn check_lifetime(start: i64, expiry: i64, now: DateTime<Utc>) -> Result<(), &'static str> {
    let sane = 0..=LATEST_CERTIFICATE_MS;
    if !sane.contains(&start) || !sane.contains(&expiry) {
        return Err("start and expiry must be dates between 1970 and 9999 (ms since the epoch)");
    }
    let now_ms = now.timestamp_millis();
    if start > now_ms + CLOCK_SKEW_MS {
        return Err("it starts in the future");
    }
    if expiry < now_ms - CLOCK_SKEW_MS {
        return Err("it has expired");
    }
    match expiry.checked_sub(start) {
        Some(lifetime) if lifetime < 0 => Err("it expires before it starts"),
        Some(lifetime) if lifetime <= MAX_CERTIFICATE_LIFETIME_MS => Ok(()),
        _ => Err("it is valid for more than 31 days"),
    }
}

/// Restricts by `authorizedScopes`, then adds the anonymous scopes.
fn finish(
    clients: &Clients,
    id: String,
    mut scopes: Vec<String>,
    ext: &serde_json::Map<String, Value>,
) -> Result<Caller, ApiError> {
    if let Some(authorized) = ext.get("authorizedScopes") {
        let authorized: Vec<String> = authorized
            .as_array()
            .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect())
            .ok_or_else(|| ApiError::auth("authorizedScopes is not a list of strings"))?;
        let mut have = scopes.clone();
        have.extend(clients.anonymous.iter().cloned());
        let needed = Expression::AllOf(authorized.iter().cloned().map(Expression::Scope).collect());
        if !needed.satisfied_by(&have) {
            return Err(ApiError::auth(
                "authorizedScopes asks for scopes the client does not have",
            ));
        }
        scopes = authorized;
    }
    scopes.push("assume:anonymous".into());
    scopes.extend(clients.anonymous.iter().cloned());
    Ok(Caller {
        client_id: Some(id),
        scopes,
    })
}

/// 403 unless the caller satisfies `required`.
pub fn authorize(caller: &Caller, required: &Expression) -> Result<(), ApiError> {
    if required.satisfied_by(&caller.scopes) {
        return Ok(());
    }
    let unsatisfied = required.unsatisfied(&caller.scopes).map(|e| e.to_json());
    Err(ApiError::insufficient(
        caller.client_id.as_deref(),
        &required.to_json(),
        unsatisfied.as_ref(),
    ))
}

/// Claim credentials (§5.4): named temporary credentials issued by the queue's client.
pub fn claim_credentials(
    queue_token: &str,
    task_id: &str,
    run_id: i64,
    worker: (&str, &str),
    started: DateTime<Utc>,
    taken_until: DateTime<Utc>,
    task_scopes: &[String],
) -> Value {
    let client_id = format!(
        "task-client/{task_id}/{run_id}/on/{}/{}/until/{}",
        worker.0,
        worker.1,
        taken_until.timestamp()
    );
    let mut scopes = vec![
        format!("queue:reclaim-task:{task_id}/{run_id}"),
        format!("queue:resolve-task:{task_id}/{run_id}"),
        format!("queue:create-artifact:{task_id}/{run_id}"),
    ];
    scopes.extend(task_scopes.iter().cloned());
    let seed = format!("{}{}", tc_taskdef::slugid::v4(), tc_taskdef::slugid::v4());
    let (start, expiry) = (started.timestamp_millis(), taken_until.timestamp_millis());
    let mut lines = vec![
        "version:1".to_owned(),
        format!("clientId:{client_id}"),
        format!("issuer:{QUEUE_CLIENT_ID}"),
        format!("seed:{seed}"),
        format!("start:{start}"),
        format!("expiry:{expiry}"),
        "scopes:".to_owned(),
    ];
    lines.extend(scopes.iter().cloned());
    let signature = STANDARD.encode(hawk::hmac_sha256(
        queue_token.as_bytes(),
        lines.join("\n").as_bytes(),
    ));
    let cert = serde_json::json!({
        "version": 1,
        "scopes": scopes,
        "start": start,
        "expiry": expiry,
        "seed": seed,
        "signature": signature,
        "issuer": QUEUE_CLIENT_ID,
    });
    let token = URL_SAFE_NO_PAD.encode(hawk::hmac_sha256(queue_token.as_bytes(), seed.as_bytes()));
    serde_json::json!({
        "clientId": client_id,
        "accessToken": token,
        "certificate": cert.to_string(),
    })
}
