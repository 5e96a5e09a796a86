//! The rustls client configuration shared by every core: webpki roots plus the system's roots.

use std::sync::Arc;

use rustls::ClientConfig;

/// Builds the client config once at start; returns how many system roots were added.
pub fn client_config() -> (Arc<ClientConfig>, usize) {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map(|b| {
                b.with_root_certificates(roots.clone())
                    .with_no_client_auth()
            })
            .unwrap_or_else(|_| {
                // The ring provider always supports the default versions; keep a safe fallback anyway.
                ClientConfig::builder()
                    .with_root_certificates(roots)
                    .with_no_client_auth()
            });
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (Arc::new(config), added)
}
