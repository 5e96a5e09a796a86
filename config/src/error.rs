//! Errors from loading a config: I/O, YAML syntax, and wrong types or missing keys at a key path.

/// Why a config could not be loaded. Lines and columns are 1-based.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{origin}: {source}")]
    Io {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid YAML (or not a single document).
    #[error("{origin}:{line}:{col}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        col: usize,
        message: String,
    },
    /// Valid YAML, but a value has the wrong type or a required key is missing.
    #[error("{origin}:{line}:{col}: {path}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        col: usize,
        path: String,
        message: String,
    },
}
