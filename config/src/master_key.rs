//! The start-up rule for the master key: LiteLLM 1.106 refuses to start on an unset, empty or
//! publicly known master key unless the operator opts in to running open or weak.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::{Config, MASTER_KEY_ENV};

/// The `general_settings` key that lets the gateway start with a weak or unset master key.
pub const PERMIT_WEAK_KEY_SETTING: &str = "dangerously_permit_weak_or_unset_master_key";
/// The environment variable that does the same (read as LiteLLM's `get_secret_bool`).
pub const PERMIT_WEAK_KEY_ENV: &str = "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY";

/// SHA-256 of the publicly known default master keys: LiteLLM's `PUBLICLY_KNOWN_MASTER_KEYS`
/// (`litellm/proxy/auth/master_key_boot_check.py`), which holds the example key of its docs and
/// quick start. Kept as digests so this file is not a list of keys worth trying.
const KNOWN_DEFAULT_SHA256: [[u8; 32]; 1] = [[
    0x88, 0xdc, 0x28, 0xd0, 0xf0, 0x30, 0xc5, 0x5e, 0xd4, 0xab, 0x77, 0xed, 0x8f, 0xaf, 0x09, 0x81,
    0x96, 0xcb, 0x1c, 0x05, 0xdf, 0x77, 0x85, 0x39, 0x80, 0x0c, 0x9f, 0x12, 0x43, 0xfe, 0x6b, 0x4b,
]];

/// The command the refusal suggests for a fresh key (32 random bytes, hex, after LiteLLM's `sk-`).
const GENERATE_KEY: &str = "export LITELLM_MASTER_KEY=\"sk-$(openssl rand -hex 32)\"";

/// Why a master key cannot guard the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// No key anywhere: every request would be served without authentication.
    Unset,
    /// A key that is empty or only whitespace.
    Empty,
    /// A key everyone knows (the docs' example key).
    KnownDefault,
}

/// Where the effective master key came from, for the refusal to point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `general_settings.master_key` holds the value itself.
    ConfigFile,
    /// `LITELLM_MASTER_KEY`, directly or through `master_key: os.environ/LITELLM_MASTER_KEY`.
    Environment,
    /// Neither is set.
    Nowhere,
}

/// Which opt-in let a weak key through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// `general_settings.dangerously_permit_weak_or_unset_master_key: true`.
    Setting,
    /// `LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true`.
    Environment,
}

/// A master key the gateway must not start with; `Display` is the refusal, naming the cause and
/// the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeakMasterKey {
    pub weakness: Weakness,
    pub source: KeySource,
}

/// A weak master key the operator chose to run with; `Display` is the warning to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermittedWeakKey {
    pub weakness: Weakness,
    pub permit: Permit,
}

/// The start-up verdict on a master key that does not stop the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterKeyVerdict {
    /// Set, not blank, not a known default.
    Strong,
    /// Weak, but permitted: start and warn.
    Permitted(PermittedWeakKey),
}

impl Config {
    /// LiteLLM's start-up rule (`master_key_boot_verdict`) on the key this gateway authenticates
    /// with: `Err` when it is unset, empty or a known default and neither
    /// `general_settings.dangerously_permit_weak_or_unset_master_key` nor
    /// `LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY` permits that.
    pub fn master_key_check(&self) -> Result<MasterKeyVerdict, WeakMasterKey> {
        let Some(weakness) = weakness(self.master_key()) else {
            return Ok(MasterKeyVerdict::Strong);
        };
        // LiteLLM checks the variable first: `override_env_is_on or general_settings.get(...)`.
        let permit = if self
            .env
            .var(PERMIT_WEAK_KEY_ENV)
            .is_some_and(is_litellm_true)
        {
            Some(Permit::Environment)
        } else if self
            .general_settings
            .dangerously_permit_weak_or_unset_master_key
        {
            Some(Permit::Setting)
        } else {
            None
        };
        match permit {
            Some(permit) => Ok(MasterKeyVerdict::Permitted(PermittedWeakKey {
                weakness,
                permit,
            })),
            None => Err(WeakMasterKey {
                weakness,
                source: self.master_key_source(),
            }),
        }
    }

    /// A config that only relays the variable (`master_key: os.environ/LITELLM_MASTER_KEY`)
    /// counts as the environment, as LiteLLM's refusal says (the fix is where the value is set).
    fn master_key_source(&self) -> KeySource {
        let from_env = self.env.var(MASTER_KEY_ENV);
        match self.general_settings.master_key.as_deref() {
            Some(key) if Some(key) != from_env => KeySource::ConfigFile,
            _ if from_env.is_some() => KeySource::Environment,
            _ => KeySource::Nowhere,
        }
    }
}

/// LiteLLM's `_unsafe_reason`: compared after stripping surrounding whitespace, as Python's
/// `str.strip()` does (which also strips the ASCII separators U+001C..U+001F).
fn weakness(key: Option<&str>) -> Option<Weakness> {
    let Some(key) = key else {
        return Some(Weakness::Unset);
    };
    let key = key.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
    if key.is_empty() {
        return Some(Weakness::Empty);
    }
    let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
    KNOWN_DEFAULT_SHA256
        .contains(&digest)
        .then_some(Weakness::KnownDefault)
}

/// Whether a variable's value is true for LiteLLM's `str_to_bool`: "true" in any case, with
/// surrounding whitespace; "1", "yes" and "on" are not.
pub(crate) fn is_litellm_true(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

impl Weakness {
    /// What the gateway would be running with, for the warning.
    fn state(self) -> &'static str {
        match self {
            Weakness::Unset => "no master key: it accepts every request without authentication",
            Weakness::Empty => "an empty master key",
            Weakness::KnownDefault => "a publicly known master key that anyone can use",
        }
    }
}

impl fmt::Display for WeakMasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headline = match self.weakness {
            Weakness::Unset => {
                "no master key is set, so every request would be served without authentication."
            }
            Weakness::Empty => "the master key is empty.",
            Weakness::KnownDefault => {
                "the master key is a publicly known default (the example key of LiteLLM's docs)."
            }
        };
        writeln!(f, "refusing to start: {headline}")?;
        match self.source {
            KeySource::ConfigFile => {
                writeln!(
                    f,
                    "It comes from general_settings.master_key in the config file."
                )?;
                writeln!(f)?;
                writeln!(
                    f,
                    "To fix it, read the key from the environment in the config:"
                )?;
                writeln!(f, "    general_settings:")?;
                writeln!(f, "      master_key: os.environ/{MASTER_KEY_ENV}")?;
                writeln!(f, "and set {MASTER_KEY_ENV} to a generated key:")?;
            }
            KeySource::Environment => {
                writeln!(
                    f,
                    "It comes from the {MASTER_KEY_ENV} environment variable."
                )?;
                writeln!(f)?;
                writeln!(
                    f,
                    "To fix it, replace {MASTER_KEY_ENV} where it is set (shell, container or \
                     service environment) with a generated key:"
                )?;
            }
            KeySource::Nowhere => {
                writeln!(
                    f,
                    "Neither general_settings.master_key nor the {MASTER_KEY_ENV} environment \
                     variable is set."
                )?;
                writeln!(f)?;
                writeln!(f, "To fix it, set {MASTER_KEY_ENV} to a generated key:")?;
            }
        }
        writeln!(f, "    {GENERATE_KEY}")?;
        writeln!(f)?;
        write!(
            f,
            "Local development only: set {PERMIT_WEAK_KEY_ENV}=true, or \
             general_settings.{PERMIT_WEAK_KEY_SETTING}: true, to start anyway."
        )
    }
}

impl std::error::Error for WeakMasterKey {}

impl fmt::Display for PermittedWeakKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by = match self.permit {
            Permit::Setting => format!("general_settings.{PERMIT_WEAK_KEY_SETTING}"),
            Permit::Environment => PERMIT_WEAK_KEY_ENV.to_owned(),
        };
        write!(
            f,
            "{by} is on, so corelane is starting with {}. Never run this outside local development.",
            self.weakness.state()
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{parse, Env};

    fn config(yaml: &str, env: &[(&str, &str)]) -> Config {
        let env = Env::from_pairs(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        parse(yaml, "test.yaml", env).unwrap()
    }

    fn keyed(key: &str) -> String {
        format!("general_settings:\n  master_key: {key}\n")
    }

    #[test]
    fn known_default_digest_is_the_docs_example_key() {
        let digest: [u8; 32] = Sha256::digest(b"sk-1234").into();
        assert_eq!(KNOWN_DEFAULT_SHA256, [digest]);
    }

    #[test]
    fn weak_keys_and_their_reason() {
        assert_eq!(weakness(None), Some(Weakness::Unset));
        for empty in ["", " ", " \t\n", "\x1f"] {
            assert_eq!(weakness(Some(empty)), Some(Weakness::Empty), "{empty:?}");
        }
        for known in ["sk-1234", "  sk-1234\n", "\tsk-1234"] {
            assert_eq!(
                weakness(Some(known)),
                Some(Weakness::KnownDefault),
                "{known:?}"
            );
        }
    }

    #[test]
    fn keys_that_only_resemble_the_default_are_strong() {
        // LiteLLM's own test list, and no "sk-" prefix rule at start-up.
        for key in [
            "sk-12345",
            "sk-1234567890",
            "1234",
            "SK-1234",
            "sk-qa-9f2c1e7a44b0d3",
        ] {
            assert_eq!(weakness(Some(key)), None, "{key:?}");
        }
    }

    #[test]
    fn strong_key_from_config_or_environment_starts() {
        let strong = "sk-corelane-test-5d1f";
        assert_eq!(
            config(&keyed(strong), &[]).master_key_check(),
            Ok(MasterKeyVerdict::Strong)
        );
        assert_eq!(
            config("", &[(MASTER_KEY_ENV, strong)]).master_key_check(),
            Ok(MasterKeyVerdict::Strong)
        );
    }

    #[test]
    fn weak_keys_are_refused_naming_where_they_come_from() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Weakness, KeySource);
        let cases: [Case<'_>; 6] = [
            ("", &[], Weakness::Unset, KeySource::Nowhere),
            (
                "general_settings:\n  master_key:\n",
                &[],
                Weakness::Unset,
                KeySource::Nowhere,
            ),
            (
                &keyed("sk-1234"),
                &[],
                Weakness::KnownDefault,
                KeySource::ConfigFile,
            ),
            (&keyed("\"\""), &[], Weakness::Empty, KeySource::ConfigFile),
            (
                "",
                &[(MASTER_KEY_ENV, "sk-1234")],
                Weakness::KnownDefault,
                KeySource::Environment,
            ),
            (
                &keyed("os.environ/LITELLM_MASTER_KEY"),
                &[(MASTER_KEY_ENV, " ")],
                Weakness::Empty,
                KeySource::Environment,
            ),
        ];
        for (yaml, env, weakness, source) in cases {
            assert_eq!(
                config(yaml, env).master_key_check(),
                Err(WeakMasterKey { weakness, source }),
                "{yaml:?} {env:?}"
            );
        }
    }

    #[test]
    fn config_literal_that_differs_from_the_environment_is_the_source() {
        let c = config(
            &keyed("sk-1234"),
            &[(MASTER_KEY_ENV, "sk-other-strong-key")],
        );
        assert_eq!(
            c.master_key_check().unwrap_err().source,
            KeySource::ConfigFile
        );
    }

    #[test]
    fn env_permit_reads_true_as_litellm_str_to_bool() {
        for on in ["true", "True", "TRUE", " true\n"] {
            assert_eq!(
                config("", &[(PERMIT_WEAK_KEY_ENV, on)]).master_key_check(),
                Ok(MasterKeyVerdict::Permitted(PermittedWeakKey {
                    weakness: Weakness::Unset,
                    permit: Permit::Environment,
                })),
                "{on:?}"
            );
        }
        for off in ["", "false", "1", "yes", "on", "y", "t", "truee"] {
            assert!(
                config("", &[(PERMIT_WEAK_KEY_ENV, off)])
                    .master_key_check()
                    .is_err(),
                "{off:?} must not permit"
            );
        }
    }

    #[test]
    fn setting_permits_only_a_yaml_true() {
        let setting =
            |value: &str| format!("general_settings:\n  {PERMIT_WEAK_KEY_SETTING}: {value}\n");
        for on in ["true", "True", "yes", "on"] {
            let c = config(&setting(on), &[]);
            assert_eq!(
                c.master_key_check(),
                Ok(MasterKeyVerdict::Permitted(PermittedWeakKey {
                    weakness: Weakness::Unset,
                    permit: Permit::Setting,
                })),
                "{on:?}"
            );
            assert!(c.ignored.is_empty(), "{:?}", c.ignored);
            assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        }
        for off in ["false", "no", "~"] {
            let c = config(&setting(off), &[]);
            assert!(c.master_key_check().is_err(), "{off:?}");
            assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        }
        // LiteLLM tests `is True`: a quoted string or a number is not, so the rule stays on
        // (with a warning here, so the mistake is visible).
        for odd in ["\"true\"", "1", "[true]"] {
            let c = config(&setting(odd), &[]);
            assert!(c.master_key_check().is_err(), "{odd:?}");
            assert_eq!(c.warnings.len(), 1, "{odd:?}: {:?}", c.warnings);
            assert!(c.warnings[0].contains(PERMIT_WEAK_KEY_SETTING));
        }
    }

    #[test]
    fn setting_from_an_environment_reference_reads_it_as_get_secret() {
        let yaml = format!("general_settings:\n  {PERMIT_WEAK_KEY_SETTING}: os.environ/DEV_OPEN\n");
        assert!(config(&yaml, &[("DEV_OPEN", "True")])
            .master_key_check()
            .is_ok());
        assert!(config(&yaml, &[("DEV_OPEN", "false")])
            .master_key_check()
            .is_err());
        let unset = config(&yaml, &[]);
        assert!(unset.master_key_check().is_err());
        assert_eq!(unset.warnings.len(), 1, "{:?}", unset.warnings);
    }

    #[test]
    fn environment_variables_section_can_permit() {
        let yaml = format!("environment_variables:\n  {PERMIT_WEAK_KEY_ENV}: \"true\"\n");
        assert!(matches!(
            config(&yaml, &[]).master_key_check(),
            Ok(MasterKeyVerdict::Permitted(_))
        ));
    }

    #[test]
    fn env_permit_is_named_first_when_both_are_on() {
        let yaml = format!("general_settings:\n  {PERMIT_WEAK_KEY_SETTING}: true\n");
        let verdict = config(&yaml, &[(PERMIT_WEAK_KEY_ENV, "true")]).master_key_check();
        assert!(matches!(
            verdict,
            Ok(MasterKeyVerdict::Permitted(PermittedWeakKey {
                permit: Permit::Environment,
                ..
            }))
        ));
    }

    #[test]
    fn refusal_names_cause_source_fix_and_opt_in() {
        let text = config("", &[]).master_key_check().unwrap_err().to_string();
        assert!(
            text.starts_with("refusing to start: no master key is set"),
            "{text}"
        );
        assert!(
            text.contains("Neither general_settings.master_key nor"),
            "{text}"
        );
        assert!(text.contains(GENERATE_KEY), "{text}");
        let last = text.split("\n\n").last().unwrap();
        assert!(
            last.contains(&format!("{PERMIT_WEAK_KEY_ENV}=true")),
            "{text}"
        );
        assert!(last.contains(&format!("general_settings.{PERMIT_WEAK_KEY_SETTING}: true")));

        let text = config(&keyed("sk-1234"), &[])
            .master_key_check()
            .unwrap_err()
            .to_string();
        assert!(text.contains("publicly known default"), "{text}");
        assert!(
            text.contains("master_key: os.environ/LITELLM_MASTER_KEY"),
            "{text}"
        );
        assert!(
            !text.contains("sk-1234"),
            "the refusal need not repeat the key: {text}"
        );

        let text = config("", &[(MASTER_KEY_ENV, "")])
            .master_key_check()
            .unwrap_err()
            .to_string();
        assert!(text.contains("the master key is empty"), "{text}");
        assert!(text.contains("environment variable."), "{text}");
    }

    #[test]
    fn warning_names_the_permit_and_the_risk() {
        let warning = PermittedWeakKey {
            weakness: Weakness::Unset,
            permit: Permit::Setting,
        }
        .to_string();
        assert!(warning.starts_with(&format!("general_settings.{PERMIT_WEAK_KEY_SETTING} is on")));
        assert!(warning.contains("without authentication"), "{warning}");
        assert!(warning.contains("Never run this outside local development"));
    }
}
