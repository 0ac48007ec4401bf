//! The borrowed view of an HTTP request that the verifier reads: no HTTP library types, so any
//! server (or a test reading a text fixture) can build one without copying.

use std::fmt;

/// An HTTP request as received, borrowed from the caller.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path exactly as received on the request line (still percent-encoded), without the
    /// query string.
    pub path: &'a str,
    /// The raw query string without the leading `?` (empty when there is none).
    pub query: &'a str,
    /// Header names and values in the order received; names in any case, values as bytes
    /// (HTTP allows non-UTF-8 values). A repeated header appears once per occurrence.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The complete body.
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// The values of every header called `name` (ASCII case-insensitive), in order.
    pub(crate) fn header_values(&self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
    }

    /// The first value of header `name`, if any.
    pub(crate) fn header(&self, name: &'a str) -> Option<&'a [u8]> {
        self.header_values(name).next()
    }
}

/// Shows the request's shape but no header values or body, which can hold credentials.
impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_len", &self.query.len())
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}
