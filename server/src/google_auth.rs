//! Google OAuth access tokens for Vertex AI deployments, minted and refreshed on one side
//! thread and never on the cores: each core reads the current token from a
//! [`RefreshedToken`] (a lock-free load), as LiteLLM's `VertexBase.get_access_token` hands out
//! google-auth's cached token.
//!
//! Credentials are found as LiteLLM and google-auth find them:
//! - `vertex_credentials` (or `VERTEXAI_CREDENTIALS`): the JSON text of a credentials file, or
//!   the path of one;
//! - else Application Default Credentials: the file `GOOGLE_APPLICATION_CREDENTIALS` names,
//!   then gcloud's `application_default_credentials.json`, then the metadata server
//!   (`GCE_METADATA_HOST`, default `metadata.google.internal`).
//!
//! Kinds served: `service_account` (a JWT signed RS256 with its key, exchanged at its
//! `token_uri`: RFC 7523), `authorized_user` (its refresh token exchanged at its `token_uri`)
//! and the metadata server's token. Workload identity federation (`external_account`) and
//! impersonation are refused with a clear message.
//!
//! The HTTP calls use `ureq` (blocking, rustls): they happen a few times an hour, off the
//! request path, where a small blocking client is the simplest correct tool.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use corelane_config::Env;
use corelane_transforms::provider::{RefreshedToken, TokenState};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivatePkcs8KeyDer;
use serde::Deserialize;

/// The scope LiteLLM asks for.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// google-auth's default token endpoint.
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
const DEFAULT_METADATA_HOST: &str = "metadata.google.internal";
/// Largest credentials file read (LiteLLM reads at most 1 MiB too).
const MAX_FILE_BYTES: u64 = 1 << 20;
/// A self-signed assertion's lifetime (Google accepts at most an hour).
const ASSERTION_SECONDS: u64 = 3600;
/// A token is replaced this long before it expires (google-auth refreshes 3 min 45 s early).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Each HTTP exchange with a token endpoint.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The soonest a token is refreshed after it was minted, whatever lifetime it was given.
const MIN_REFRESH: Duration = Duration::from_secs(2);
/// Tokens shorter-lived than this are warned about (Google's live an hour).
const SHORT_LIFETIME: Duration = Duration::from_secs(60);

/// Where tokens come from (one per distinct credentials, for the process's life: the key's
/// size beside the other variants does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Source {
    ServiceAccount {
        client_email: String,
        key: RsaKeyPair,
        key_id: Option<String>,
        token_uri: String,
    },
    AuthorizedUser {
        client_id: String,
        client_secret: String,
        refresh_token: String,
        token_uri: String,
    },
    /// The GCE/GKE metadata server at this host.
    Metadata { host: String },
}

impl std::fmt::Debug for Source {
    // The key and secrets stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::ServiceAccount { client_email, .. } => {
                write!(f, "service account {client_email}")
            }
            Source::AuthorizedUser { client_id, .. } => write!(f, "authorized user {client_id}"),
            Source::Metadata { host } => write!(f, "metadata server {host}"),
        }
    }
}

/// Credentials as loaded, with the project they name (if any).
#[derive(Debug)]
pub struct Loaded {
    pub source: Source,
    pub project_id: Option<String>,
}

/// The fields of a Google credentials file that are read.
#[derive(Deserialize)]
struct CredentialsFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    project_id: Option<String>,
    quota_project_id: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
}

/// Loads the credentials `configured` names (JSON text or a file path), else Application
/// Default Credentials found through `env`.
pub fn load(configured: Option<&str>, env: &Env) -> Result<Loaded, String> {
    if let Some(text) = configured {
        let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}']);
        if trimmed.starts_with('{') {
            return from_json(trimmed, "vertex_credentials");
        }
        return from_file(text.trim());
    }
    if let Some(path) = env.var("GOOGLE_APPLICATION_CREDENTIALS") {
        return from_file(path);
    }
    let gcloud_dir = env
        .var("CLOUDSDK_CONFIG")
        .map(str::to_owned)
        .or_else(|| env.var("HOME").map(|home| format!("{home}/.config/gcloud")));
    if let Some(dir) = gcloud_dir {
        let path = format!("{dir}/application_default_credentials.json");
        if std::path::Path::new(&path).is_file() {
            return from_file(&path);
        }
    }
    Ok(Loaded {
        source: Source::Metadata {
            host: env
                .var("GCE_METADATA_HOST")
                .unwrap_or(DEFAULT_METADATA_HOST)
                .to_owned(),
        },
        project_id: env
            .var("GOOGLE_CLOUD_PROJECT")
            .or_else(|| env.var("GCLOUD_PROJECT"))
            .map(str::to_owned),
    })
}

fn from_file(path: &str) -> Result<Loaded, String> {
    use std::io::Read as _;
    let unreadable = |e: std::io::Error| format!("Unable to read the credentials file {path}: {e}");
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(unreadable)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("The credentials file {path} is larger than 1 MiB"));
    }
    from_json(&text, path)
}

/// Reads a credentials file's JSON text; `origin` names it in errors (never its content).
pub fn from_json(text: &str, origin: &str) -> Result<Loaded, String> {
    let file: CredentialsFile = serde_json::from_str(text)
        .map_err(|e| format!("{origin} is not a JSON credentials object: {e}"))?;
    let missing = |field: &str| format!("{origin}: the credentials have no {field}");
    match file.kind.as_deref() {
        Some("service_account") | None => {
            let pem = file.private_key.ok_or_else(|| missing("private_key"))?;
            let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
                .map_err(|e| format!("{origin}: private_key is not a PKCS#8 PEM key ({e})"))?;
            let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
                .map_err(|e| format!("{origin}: private_key is not a usable RSA key ({e})"))?;
            Ok(Loaded {
                source: Source::ServiceAccount {
                    client_email: file.client_email.ok_or_else(|| missing("client_email"))?,
                    key,
                    key_id: file.private_key_id,
                    token_uri: file.token_uri.unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned()),
                },
                project_id: file.project_id,
            })
        }
        Some("authorized_user") => Ok(Loaded {
            source: Source::AuthorizedUser {
                client_id: file.client_id.ok_or_else(|| missing("client_id"))?,
                client_secret: file.client_secret.ok_or_else(|| missing("client_secret"))?,
                refresh_token: file.refresh_token.ok_or_else(|| missing("refresh_token"))?,
                token_uri: file.token_uri.unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned()),
            },
            // Authorized-user credentials name only the project their quota is billed to.
            project_id: file.quota_project_id,
        }),
        Some(other) => Err(format!(
            "{origin}: credentials of type {other:?} are not supported by corelane yet (service_account, authorized_user and the metadata server are)"
        )),
    }
}

/// The RS256-signed JWT a service account exchanges for a token (RFC 7523 §2.1), issued at
/// `iat` (seconds since the epoch). Its audience is Google's token endpoint whatever the
/// `token_uri` it is posted to, as google-auth writes it.
pub fn assertion(
    client_email: &str,
    key: &RsaKeyPair,
    key_id: Option<&str>,
    iat: u64,
) -> Result<String, String> {
    let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = key_id {
        header["kid"] = kid.into();
    }
    let claims = serde_json::json!({
        "iss": client_email,
        "scope": SCOPE,
        "aud": DEFAULT_TOKEN_URI,
        "iat": iat,
        "exp": iat + ASSERTION_SECONDS,
    });
    let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        jwt.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "signing the token request failed".to_owned())?;
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(jwt)
}

/// A token and how long it is valid.
#[derive(Debug)]
pub struct Minted {
    pub token: String,
    pub lifetime: Duration,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<f64>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Source {
    /// Asks the token endpoint for a new token.
    pub fn mint(&self, agent: &ureq::Agent, now: SystemTime) -> Result<Minted, String> {
        let answer = match self {
            Source::ServiceAccount {
                client_email,
                key,
                key_id,
                token_uri,
            } => {
                let iat = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let jwt = assertion(client_email, key, key_id.as_deref(), iat)?;
                let form = [
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", jwt.as_str()),
                ];
                agent.post(token_uri).send_form(form)
            }
            Source::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
                token_uri,
            } => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.as_str()),
                    ("refresh_token", refresh_token.as_str()),
                ];
                agent.post(token_uri).send_form(form)
            }
            Source::Metadata { host } => agent
                .get(format!(
                    "http://{host}/computeMetadata/v1/instance/service-accounts/default/token"
                ))
                .query("scopes", SCOPE)
                .header("Metadata-Flavor", "Google")
                .call(),
        };
        let mut response =
            answer.map_err(|e| format!("{self:?}: the token request failed: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_FILE_BYTES)
            .read_to_string()
            .map_err(|e| format!("{self:?}: reading the token answer failed: {e}"))?;
        let parsed: Option<TokenAnswer> = serde_json::from_str(&body).ok();
        match parsed {
            Some(TokenAnswer {
                access_token: Some(token),
                expires_in,
                ..
            }) if status == 200 && !token.is_empty() => Ok(Minted {
                token,
                lifetime: Duration::from_secs_f64(
                    expires_in.unwrap_or(3600.0).clamp(0.0, 86_400.0),
                ),
            }),
            Some(TokenAnswer {
                error: Some(error),
                error_description,
                ..
            }) => Err(format!(
                "{self:?}: the token endpoint refused: {error}: {}",
                error_description.unwrap_or_default()
            )),
            _ => Err(format!(
                "{self:?}: the token endpoint answered {status} without a token"
            )),
        }
    }
}

/// The agent every token call goes through: a bounded time per call, answers of any status
/// read (an OAuth error is a 400 with a JSON body).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(CALL_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// One token kept fresh: its source and the cell requests read.
#[derive(Debug, Clone)]
pub struct Entry {
    pub label: String,
    pub source: Arc<Source>,
    pub cell: Arc<RefreshedToken>,
}

struct Schedule {
    due: Instant,
    expires: Option<Instant>,
    backoff: Duration,
}

/// Starts the refresher thread for `entries` and waits up to `first_round` for their first
/// tokens, so a gateway that can reach its token endpoints serves from its first request.
pub fn start(entries: Vec<Entry>, first_round: Duration) -> std::io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let (done, first) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("google-auth".to_owned())
        .spawn(move || refresh_forever(&entries, done))?;
    let _ = first.recv_timeout(first_round);
    Ok(())
}

fn refresh_forever(entries: &[Entry], first_round_done: std::sync::mpsc::Sender<()>) {
    let agent = agent();
    let now = Instant::now();
    let mut schedule: Vec<Schedule> = entries
        .iter()
        .map(|_| Schedule {
            due: now,
            expires: None,
            backoff: Duration::from_secs(1),
        })
        .collect();
    let mut first = Some(first_round_done);
    loop {
        for (entry, plan) in entries.iter().zip(schedule.iter_mut()) {
            if plan.due <= Instant::now() {
                refresh(&agent, entry, plan);
            }
        }
        if let Some(done) = first.take() {
            let _ = done.send(());
        }
        let next = schedule.iter().map(|p| p.due).min();
        let wait = next.map_or(MAX_BACKOFF, |due| {
            due.saturating_duration_since(Instant::now())
        });
        std::thread::sleep(wait.clamp(Duration::from_millis(50), MAX_BACKOFF));
    }
}

fn refresh(agent: &ureq::Agent, entry: &Entry, plan: &mut Schedule) {
    let now = Instant::now();
    match entry.source.mint(agent, SystemTime::now()) {
        Ok(minted) => {
            let expires = now + minted.lifetime;
            entry.cell.store(TokenState::Ready {
                token: minted.token,
                expires,
            });
            // Refreshed ahead of its expiry (by half its life when that is short), never
            // sooner than MIN_REFRESH: a token endpoint answering tiny lifetimes is not
            // asked again and again.
            let margin = REFRESH_MARGIN.min(minted.lifetime / 2);
            if minted.lifetime < SHORT_LIFETIME {
                tracing::warn!(credentials = %entry.label, lifetime = ?minted.lifetime,
                    "the token endpoint gave a short-lived token; the next is asked for in {MIN_REFRESH:?}");
            }
            plan.expires = Some(expires);
            plan.due = now + (minted.lifetime - margin).max(MIN_REFRESH);
            plan.backoff = Duration::from_secs(1);
            tracing::debug!(credentials = %entry.label, "minted a Google access token");
        }
        Err(error) => {
            tracing::warn!(credentials = %entry.label, "{error}");
            // A token that is still valid keeps serving while the refresh is retried.
            if plan.expires.is_none_or(|at| at <= now) {
                entry.cell.store(TokenState::Failed(error));
            }
            plan.due = now + plan.backoff;
            plan.backoff = (plan.backoff * 2).min(MAX_BACKOFF);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A throwaway RSA key generated for these tests only (it signs nothing real).
    const TEST_KEY: &str = include_str!("../tests/data/test-rsa-key.pem");

    fn service_account(token_uri: &str) -> String {
        serde_json::json!({
            "type": "service_account", "project_id": "proj-1", "private_key_id": "kid-1",
            "private_key": TEST_KEY, "client_email": "sa@proj-1.iam.gserviceaccount.com",
            "token_uri": token_uri,
        })
        .to_string()
    }

    #[test]
    fn a_service_account_signs_a_verifiable_assertion() {
        let loaded = from_json(&service_account("https://t.example/token"), "test").unwrap();
        assert_eq!(loaded.project_id.as_deref(), Some("proj-1"));
        let Source::ServiceAccount { key, .. } = &loaded.source else {
            panic!("not a service account")
        };
        let jwt = assertion("sa@x", key, Some("kid-1"), 1000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "kid-1"})
        );
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({"iss": "sa@x", "scope": SCOPE, "aud": DEFAULT_TOKEN_URI,
                               "iat": 1000, "exp": 4600})
        );
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            key.public().as_ref(),
        );
        let signed = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .expect("the signature verifies with the key's public half");
    }

    #[test]
    fn credentials_problems_are_named_without_their_content() {
        let env = Env::default();
        let err = load(Some("/nonexistent/sa.json"), &env).unwrap_err();
        assert!(err.contains("/nonexistent/sa.json"), "{err}");
        let err = from_json("{\"type\":\"external_account\"}", "x").unwrap_err();
        assert!(err.contains("not supported"), "{err}");
        let err = from_json(
            "{\"type\":\"service_account\",\"client_email\":\"a\",\"private_key\":\"secret-not-pem\"}",
            "cfg",
        )
        .unwrap_err();
        assert!(!err.contains("secret-not-pem"), "{err}");
        let err = from_json("not json secret", "cfg").unwrap_err();
        assert!(!err.contains("secret"), "{err}");
        let user = from_json(
            "{\"type\":\"authorized_user\",\"client_id\":\"c\",\"client_secret\":\"s\",\"refresh_token\":\"r\",\"quota_project_id\":\"q\"}",
            "cfg",
        )
        .unwrap();
        assert_eq!(user.project_id.as_deref(), Some("q"));
        assert!(matches!(user.source, Source::AuthorizedUser { .. }));
    }

    #[test]
    fn without_configuration_adc_falls_back_to_the_metadata_server() {
        let mut env = Env::default();
        env.set("GCE_METADATA_HOST", "127.0.0.1:1");
        env.set("GOOGLE_CLOUD_PROJECT", "p9");
        env.set("HOME", "/nonexistent-home");
        let loaded = load(None, &env).unwrap();
        assert!(matches!(&loaded.source, Source::Metadata { host } if host == "127.0.0.1:1"));
        assert_eq!(loaded.project_id.as_deref(), Some("p9"));
    }
}
