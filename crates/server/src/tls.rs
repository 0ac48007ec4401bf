//! TLS: the certificate and key read from PEM files (ring provider), reloaded when they change.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

use crate::config::TlsFiles;

/// The files are looked at no more than once in this time.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// A TLS file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate chain `{path}`: {reason}")]
    Cert { path: String, reason: String },
    #[error("cannot read the TLS private key `{path}`: {reason}")]
    Key { path: String, reason: String },
    #[error("the TLS certificate and key do not form a usable configuration: {0}")]
    Config(String),
}

/// The acceptor in use and what its files looked like when they were read.
pub(crate) struct TlsSource {
    files: TlsFiles,
    acceptor: TlsAcceptor,
    stamp: Stamp,
    checked: Instant,
}

/// The modification times (and sizes) of the two files.
type Stamp = Option<(SystemTime, u64, SystemTime, u64)>;

fn stamp(files: &TlsFiles) -> Stamp {
    let one = |path: &Path| {
        std::fs::metadata(path)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    };
    let (cert_time, cert_len) = one(&files.cert)?;
    let (key_time, key_len) = one(&files.key)?;
    Some((cert_time, cert_len, key_time, key_len))
}

fn load(files: &TlsFiles) -> Result<TlsAcceptor, TlsError> {
    let cert_error = |reason: String| TlsError::Cert {
        path: files.cert.display().to_string(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(cert_error("no certificate in the file".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: files.key.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

impl TlsSource {
    /// Reads the files; an error here stops the server from starting.
    pub(crate) fn new(files: TlsFiles) -> Result<TlsSource, TlsError> {
        let stamp = stamp(&files);
        let acceptor = load(&files)?;
        Ok(TlsSource {
            files,
            acceptor,
            stamp,
            checked: Instant::now(),
        })
    }

    /// The acceptor for a new connection; the files are read again when they changed. A
    /// change that does not load (say, a key written before its certificate) keeps the
    /// previous pair until the files are whole.
    pub(crate) fn acceptor(&mut self) -> TlsAcceptor {
        let now = Instant::now();
        if now.duration_since(self.checked) >= CHECK_EVERY {
            self.checked = now;
            let current = stamp(&self.files);
            if current != self.stamp {
                match load(&self.files) {
                    Ok(acceptor) => {
                        self.acceptor = acceptor;
                        self.stamp = current;
                        tracing::info!("TLS certificate reloaded");
                    }
                    Err(error) => {
                        tracing::warn!(%error, "TLS files changed but do not load; keeping the previous certificate");
                    }
                }
            }
        }
        self.acceptor.clone()
    }
}
