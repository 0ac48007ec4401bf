//! Helpers shared by the server's tests: a real server over an in-memory service on a
//! loopback port, requests signed with AWS's own signer, and a raw HTTP/1.1 client.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use server::{App, ServeError, ServerConfig};
use service::{Clock, MasterKey, NewAccount, Sealer, Secret, Service};
use store::Store;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ACCOUNT: &str = "123456789012";

/// A key pair that signs requests.
#[derive(Clone, Debug)]
pub struct Creds {
    pub key_id: String,
    pub secret: String,
}

pub fn root() -> Creds {
    Creds {
        key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
    }
}

/// A service over a fresh in-memory database, with the root account of `root()`.
pub async fn service() -> Service {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let service = Service::new(
        store,
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::system(),
    );
    let root = root();
    service
        .create_account(NewAccount {
            account_id: Some(ACCOUNT.to_owned()),
            email: "root@example.com".to_owned(),
            alias: None,
            root_key: Some((root.key_id, Secret::new(root.secret))),
            root_password: None,
        })
        .await
        .unwrap();
    service
}

/// A running server and the means to stop it.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServeError>>>,
}

impl Server {
    /// Starts a server over a new service.
    pub async fn start(config: ServerConfig) -> Server {
        Server::start_on(service().await, config).await
    }

    /// Starts a server over `service` on a free loopback port.
    pub async fn start_on(service: Service, config: ServerConfig) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let app = App::new(service, None);
        let task = tokio::spawn(server::serve(listener, app, config, async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server gracefully and waits for `serve` to return.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("serve returns after shutdown")
                .unwrap()
                .unwrap();
        }
    }
}

/// An HTTP request as bytes go on the wire.
#[derive(Clone, Debug)]
pub struct Raw {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(mut self, name: &str, value: &str) -> Raw {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// `application/x-www-form-urlencoded` of `params`.
pub fn form(params: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A form POST of `params` to `service` (`iam` or `sts`), signed now with `creds`, with the
/// given `Content-Type`.
pub fn signed_with_type(
    creds: &Creds,
    service: &str,
    params: &[(&str, &str)],
    content_type: &str,
) -> Raw {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let body = form(params).into_bytes();
    let uri = "http://castellan.test/";
    let mut request = http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("host", "castellan.test")
        .header("content-type", content_type)
        .body(body.clone())
        .unwrap();
    let identity = Credentials::new(&creds.key_id, &creds.secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let pairs: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect();
    let signable =
        SignableRequest::new("POST", uri, pairs.into_iter(), SignableBody::Bytes(&body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    let mut headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.push(("content-length".to_owned(), body.len().to_string()));
    Raw {
        method: "POST".to_owned(),
        target: "/".to_owned(),
        headers,
        body,
    }
}

/// A signed form POST with the usual `Content-Type`.
pub fn signed(creds: &Creds, service: &str, params: &[(&str, &str)]) -> Raw {
    signed_with_type(
        creds,
        service,
        params,
        "application/x-www-form-urlencoded; charset=utf-8",
    )
}

/// A response as read off the wire.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The text of the first `<name>` element of the body.
    pub fn tag(&self, name: &str) -> Option<&str> {
        tag(&self.body, name)
    }
}

pub fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(&xml[start..end])
}

/// Reads one response (head and a `Content-Length` body). `None` when the connection ends
/// first or fails.
pub async fn read_response<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Response> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Sends `request` on `stream` and reads the response.
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &Raw,
) -> Option<Response> {
    stream.write_all(&request.bytes()).await.ok()?;
    read_response(stream).await
}

/// Sends `request` on a new connection and reads the response.
pub async fn send(addr: SocketAddr, request: &Raw) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    exchange(&mut stream, request)
        .await
        .expect("a response before the connection closes")
}

/// Calls an IAM action as `creds` and expects it to succeed.
pub async fn iam_ok(addr: SocketAddr, creds: &Creds, params: &[(&str, &str)]) -> Response {
    let response = send(addr, &signed(creds, "iam", params)).await;
    assert_eq!(response.status, 200, "{params:?}: {}", response.body);
    response
}

/// Creates a user with `policy` as its inline policy and an access key.
pub async fn user_with_policy(addr: SocketAddr, name: &str, policy: &str) -> Creds {
    let root = root();
    iam_ok(
        addr,
        &root,
        &[
            ("Action", "CreateUser"),
            ("Version", "2010-05-08"),
            ("UserName", name),
        ],
    )
    .await;
    iam_ok(
        addr,
        &root,
        &[
            ("Action", "PutUserPolicy"),
            ("Version", "2010-05-08"),
            ("UserName", name),
            ("PolicyName", "p"),
            ("PolicyDocument", policy),
        ],
    )
    .await;
    let key = iam_ok(
        addr,
        &root,
        &[
            ("Action", "CreateAccessKey"),
            ("Version", "2010-05-08"),
            ("UserName", name),
        ],
    )
    .await;
    Creds {
        key_id: key.tag("AccessKeyId").unwrap().to_owned(),
        secret: key.tag("SecretAccessKey").unwrap().to_owned(),
    }
}

/// Waits (bounded) until the connection is closed by the server: `true` when it was, `false`
/// when it was still open after `bound`. Anything the server sends is read and dropped.
pub async fn closed_within<S: AsyncRead + Unpin>(stream: &mut S, bound: Duration) -> bool {
    let mut chunk = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(bound, read_all).await.is_ok()
}

/// This process's resident set size in KiB, from `/proc/self/status`.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Whether `xml` is AWS's `<ErrorResponse>` with `code` and a request id.
pub fn assert_aws_error(response: &Response, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert!(
        response.body.contains("<ErrorResponse"),
        "{}",
        response.body
    );
    assert_eq!(response.tag("Code"), Some(code), "{}", response.body);
    let id = response.tag("RequestId").expect("a request id");
    assert!(!id.is_empty());
    assert_eq!(response.header("x-amzn-requestid"), Some(id));
    assert_eq!(response.header("content-type"), Some("text/xml"));
}

/// What the router answers `raw` with, driven directly (no socket), as from 127.0.0.1:
/// status, body and request id.
pub async fn route(router: &axum::Router, raw: &Raw) -> (u16, String, Option<String>) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let mut builder = http::Request::builder()
        .method(raw.method.as_str())
        .uri(raw.target.as_str());
    for (name, value) in &raw.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let request = builder
        .extension(server::Connection::new(peer, false))
        .body(axum::body::Body::from(raw.body.clone()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-amzn-requestid")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8(bytes.to_vec()).unwrap(),
        request_id,
    )
}
