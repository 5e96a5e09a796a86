//! A virtual key as LiteLLM makes and stores it: `sk-` and 16 random bytes in base64url (25
//! characters); stored only as the sha256 hex of the whole key (`token`), shown as `sk-...`
//! and its last four characters (`key_name`). The plaintext is returned once, at generation,
//! and never stored or logged.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// LiteLLM's `LENGTH_OF_LITELLM_GENERATED_KEY`: random bytes in a generated key.
const RANDOM_BYTES: usize = 16;
/// LiteLLM's `MINIMUM_CUSTOM_KEY_LENGTH`: the shortest key a caller may choose.
pub const MIN_CUSTOM_LEN: usize = 16;

/// Why a key a caller chose is refused (LiteLLM's 400 `{"detail": {"error": ...}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// It does not start with `sk-`: the key as LiteLLM masks it in the message.
    Prefix { masked: String },
    /// It is shorter than [`MIN_CUSTOM_LEN`].
    TooShort,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::Prefix { masked } => write!(
                f,
                "Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: {masked}"
            ),
            KeyError::TooShort => write!(
                f,
                "Invalid key format. LiteLLM Virtual Key must be at least {MIN_CUSTOM_LEN} characters long."
            ),
        }
    }
}

impl std::error::Error for KeyError {}

/// A new key: `sk-` and 16 random bytes from the operating system, base64url unpadded.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes)?;
    let mut key = String::with_capacity(3 + 22);
    key.push_str("sk-");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(bytes, &mut key);
    Ok(key)
}

/// A random (version 4) UUID in its hyphenated text form, as Python's `str(uuid.uuid4())`:
/// the ids LiteLLM gives users, teams and daily-spend rows.
pub fn uuid4() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    Ok(s)
}

/// Checks a key a caller chose (`/key/generate`'s `key`).
pub fn check_custom(key: &str) -> Result<(), KeyError> {
    if !key.starts_with("sk-") {
        return Err(KeyError::Prefix { masked: mask(key) });
    }
    if key.chars().count() < MIN_CUSTOM_LEN {
        return Err(KeyError::TooShort);
    }
    Ok(())
}

/// A key that is not a virtual key, as LiteLLM shows it in errors: its first and last four
/// characters around `****` when it is longer than 8, else `****`.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "****".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// The key as stored (`LiteLLM_VerificationToken.token`): the sha256 hex of the whole key.
pub fn hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// The key as shown (`key_name`): `sk-...` and its last four characters; `sk-...` alone for a
/// key shorter than [`MIN_CUSTOM_LEN`].
pub fn display_name(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < MIN_CUSTOM_LEN {
        return "sk-...".to_owned();
    }
    let mut name = String::from("sk-...");
    name.extend(&chars[chars.len() - 4..]);
    name
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4() {
        let u = uuid4().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert!(matches!(u.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(u, uuid4().unwrap());
    }

    #[test]
    fn generated_keys_have_litellms_shape() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 25);
        assert!(a.starts_with("sk-"));
        assert!(a[3..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert!(check_custom(&a).is_ok());
    }

    #[test]
    fn hashes_and_names_as_litellm_stores_them() {
        // hashlib.sha256(b"sk-1234").hexdigest(), as LiteLLM hashes it.
        assert_eq!(
            hash("sk-1234"),
            "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"
        );
        assert_eq!(hash("sk-1234").len(), 64);
        assert_eq!(display_name("sk-abcdefghijklmnop"), "sk-...mnop");
        assert_eq!(display_name("sk-short"), "sk-...");
        let e = check_custom("pk-abcdefghijklmnop").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: pk-a****mnop"
        );
        assert_eq!(
            check_custom("pk-1").unwrap_err(),
            KeyError::Prefix {
                masked: "****".into()
            }
        );
        assert_eq!(check_custom("sk-abc"), Err(KeyError::TooShort));
    }
}
