//! The server's settings: connection limits, timeouts, TLS files, trusted proxies and the
//! public URL.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How the server guards its connections. Every limit has a default in line with common
/// servers; `ServerConfig::default()` is what `castellan serve` runs with unless told
/// otherwise.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// A request's head (and a TLS handshake) must arrive whole within this time, counted
    /// from the connection's first byte.
    pub header_timeout: Duration,
    /// A request's body must arrive whole within this time after its head; otherwise the
    /// request is answered `RequestTimeoutException` and the connection closed.
    pub body_timeout: Duration,
    /// A connection with no request in progress (or whose client stops taking a response)
    /// is closed after this time.
    pub idle_timeout: Duration,
    /// Connections served at once, counting requests still running for clients that left;
    /// further connections are answered `ServiceUnavailable` and closed.
    pub max_connections: usize,
    /// The largest request body accepted (`RequestEntityTooLargeException` above it).
    pub max_body_bytes: usize,
    /// Body bytes held, across all connections, for requests whose signature is not yet
    /// verified; a request that would go over is answered `ServiceUnavailable`.
    pub unauthenticated_body_budget: usize,
    /// How long a graceful shutdown waits for requests in progress.
    pub shutdown_grace: Duration,
    /// Serve HTTPS with this certificate chain and key (PEM files, reloaded when they change).
    pub tls: Option<TlsFiles>,
    /// Peers whose `X-Forwarded-Proto` and `X-Forwarded-For` are believed.
    pub trusted_proxies: Vec<Cidr>,
    /// The base URL clients reach the server at (behind a proxy or a name), under which the
    /// issuers of outbound web identity federation live; `None`: the listening address.
    pub public_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_body_bytes: 1024 * 1024,
            unauthenticated_body_budget: 32 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(20),
            tls: None,
            trusted_proxies: Vec::new(),
            public_url: None,
        }
    }
}

impl ServerConfig {
    /// The public base URL: the one set, or `http(s)://<address>` of the socket listening.
    #[must_use]
    pub fn public_url_for(&self, listening: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => {
                let scheme = if self.tls.is_some() { "https" } else { "http" };
                format!("{scheme}://{listening}")
            }
        }
    }
}

/// A public base URL (`--public-url`): absolute `http://` or `https://` with a host, no
/// query or fragment; a trailing slash is dropped.
pub fn parse_public_url(text: &str) -> Result<String, SettingError> {
    let invalid = || SettingError::PublicUrl(text.to_owned());
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(invalid)?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || text.contains(['?', '#', ' ']) {
        return Err(invalid());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// The PEM files of a TLS certificate chain and its private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// An address block (`10.0.0.0/8`, `::1/128`) or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A malformed setting value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingError {
    #[error("`{0}` is not an address or address block (like 10.0.0.0/8 or ::1)")]
    Cidr(String),
    #[error("`{0}` is not a duration (like 30, 30s, 200ms or 2m)")]
    Duration(String),
    #[error("`{0}` is not a size (like 1048576, 512KiB or 32MiB)")]
    Size(String),
    #[error("`{0}` is not a public URL (like https://iam.example.com or http://10.0.0.5:7070)")]
    PublicUrl(String),
}

impl Cidr {
    /// Whether `ip` is in the block (IPv4-mapped IPv6 addresses count as IPv4).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }

    /// A comma-separated list (the `--trusted-proxies` form); blanks are skipped.
    pub fn parse_list(text: &str) -> Result<Vec<Cidr>, SettingError> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(Cidr::from_str)
            .collect()
    }
}

/// Whether the first `prefix` bits of `a` and `b` agree.
fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let mut left = usize::from(prefix);
    for (x, y) in a.iter().zip(b) {
        if left == 0 {
            return true;
        }
        let bits = left.min(8);
        let mask = u8::MAX << (8 - bits);
        if x & mask != y & mask {
            return false;
        }
        left -= bits;
    }
    true
}

impl FromStr for Cidr {
    type Err = SettingError;

    fn from_str(text: &str) -> Result<Cidr, SettingError> {
        let bad = || SettingError::Cidr(text.to_owned());
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { network, prefix })
    }
}

/// Reads `30` (seconds), `30s`, `200ms` or `2m`.
pub fn parse_duration(text: &str) -> Result<Duration, SettingError> {
    let bad = || SettingError::Duration(text.to_owned());
    let text = text.trim();
    let (digits, millis_per_unit) = if let Some(d) = text.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = text.strip_suffix('m') {
        (d, 60_000)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1000)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(millis_per_unit))
        .map(Duration::from_millis)
        .ok_or_else(bad)
}

/// Reads a byte count: `1048576`, `512KiB` (or `K`), `32MiB` (or `M`).
pub fn parse_size(text: &str) -> Result<usize, SettingError> {
    let bad = || SettingError::Size(text.to_owned());
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let scale: usize = match unit {
        "" | "B" => 1,
        "K" | "KiB" => 1024,
        "M" | "MiB" => 1024 * 1024,
        _ => return Err(bad()),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code fails loudly")]

    use super::*;

    #[test]
    fn cidrs() {
        let check = |block: &str, ip: &str, expected: bool| {
            let cidr: Cidr = block.parse().unwrap();
            assert_eq!(cidr.contains(ip.parse().unwrap()), expected, "{block} {ip}");
        };
        check("10.0.0.0/8", "10.200.3.4", true);
        check("10.0.0.0/8", "11.0.0.1", false);
        check("192.168.1.7", "192.168.1.7", true);
        check("192.168.1.7", "192.168.1.8", false);
        check("172.16.0.0/12", "172.31.255.255", true);
        check("172.16.0.0/12", "172.32.0.0", false);
        check("0.0.0.0/0", "8.8.8.8", true);
        check("::1", "::1", true);
        check("fd00::/8", "fd12::1", true);
        check("fd00::/8", "fe80::1", false);
        check("127.0.0.1", "::ffff:127.0.0.1", true);
        check("::1", "127.0.0.1", false);
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0/8",
            "x",
            "1.2.3.4/+1",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert_eq!(
            Cidr::parse_list(" 10.0.0.0/8, ::1 ,").unwrap().len(),
            2,
            "blanks skipped"
        );
    }

    #[test]
    fn public_urls() {
        assert_eq!(
            parse_public_url("https://iam.example.com/").unwrap(),
            "https://iam.example.com"
        );
        assert_eq!(
            parse_public_url("http://10.0.0.5:7070/castellan").unwrap(),
            "http://10.0.0.5:7070/castellan"
        );
        for bad in [
            "",
            "iam.example.com",
            "ftp://x",
            "https://",
            "https:///x",
            "http://x/?a=1",
            "http://x#y",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
        let listening: SocketAddr = "127.0.0.1:7070".parse().unwrap();
        let mut config = ServerConfig::default();
        assert_eq!(config.public_url_for(listening), "http://127.0.0.1:7070");
        config.public_url = Some("https://id.example".to_owned());
        assert_eq!(config.public_url_for(listening), "https://id.example");
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        for bad in [
            "",
            "s",
            "ms",
            "m",
            "-1",
            "1.5s",
            "1h",
            "99999999999999999999m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_size("1048576").unwrap(), 1_048_576);
        assert_eq!(parse_size("512KiB").unwrap(), 512 * 1024);
        assert_eq!(parse_size("32M").unwrap(), 32 * 1024 * 1024);
        for bad in ["", "KiB", "1GiB", "-1", "99999999999999999999M"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
