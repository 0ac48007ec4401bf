//! The accept loop: a cap on connections, a deadline for each phase of a connection, TLS,
//! requests that run to completion once read, and graceful shutdown.
//!
//! Each connection is in one phase at a time: reading a request head (header timeout,
//! counted from the first byte, or from the accept for a new connection, so a TLS handshake
//! counts too), running a request (the handler bounds the body read; the work itself has no
//! deadline), sending a response, or idle between requests (idle timeout for both). A
//! watchdog closes the connection when its phase's deadline passes.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tower_service::Service as _;

use crate::config::ServerConfig;
use crate::handler::{self, App, Connection};
use crate::tls::{TlsError, TlsSource};

/// hyper's read buffer per connection, which also bounds a request head.
const READ_BUFFER: usize = 64 * 1024;

/// The queue of connections the kernel completes before they are accepted. Rust's and
/// tokio's 128 overflows under a burst of new connections, and an overflowed queue delays a
/// connection by SYN retransmits of seconds; the kernel caps it at `net.core.somaxconn`.
const BACKLOG: i32 = 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("the connection limit must be between 1 and {max}")]
    ConnectionLimit { max: u32 },
}

impl ServerConfig {
    /// Checks the settings and reads the TLS files, as `serve` does first: lets a caller
    /// refuse to start before it does anything else.
    pub fn check(&self) -> Result<(), ServeError> {
        connection_slots(self)?;
        if let Some(files) = &self.tls {
            TlsSource::new(files.clone())?;
        }
        Ok(())
    }
}

fn connection_slots(config: &ServerConfig) -> Result<u32, ServeError> {
    u32::try_from(config.max_connections)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(ServeError::ConnectionLimit { max: u32::MAX })
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets the
/// requests in progress finish (up to the configured grace period) and returns.
pub async fn serve<F>(
    listener: TcpListener,
    app: Arc<App>,
    config: ServerConfig,
    shutdown: F,
) -> Result<(), ServeError>
where
    F: Future<Output = ()>,
{
    let slots = connection_slots(&config)?;
    let mut tls = config.tls.clone().map(TlsSource::new).transpose()?;
    warn_on_descriptor_limit(config.max_connections);
    // Listening again on a listening socket only changes its backlog.
    if let Err(error) = socket2::SockRef::from(&listener).listen(BACKLOG) {
        tracing::warn!(%error, "cannot raise the listen backlog");
    }
    let refresher = tokio::spawn(app.service().clone().follow_changes());
    let router = handler::app_router(app, &config);
    let config = Arc::new(config);
    let connections = Arc::new(Semaphore::new(config.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                if !matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                ) {
                    // Out of descriptors, most likely: accepting again at once would spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            // A TLS client could not read a plain answer: it is only closed.
            if tls.is_none() {
                refuse(&stream);
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let acceptor = tls.as_mut().map(TlsSource::acceptor);
        tokio::spawn(connection(
            stream,
            peer,
            acceptor,
            router.clone(),
            Arc::clone(&config),
            permit,
            stopping.clone(),
        ));
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, finishing requests in progress");
    let _ = stop.send(true);
    // Every connection, and every request still running, holds a permit.
    if tokio::time::timeout(config.shutdown_grace, connections.acquire_many(slots))
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress at the end of the shutdown grace period");
    }
    refresher.abort();
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM, the signal service managers stop services with.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    () = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only SIGINT stops the server");
                interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}

/// Warns when the process may run out of file descriptors before reaching the connection cap.
fn warn_on_descriptor_limit(max_connections: usize) {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return;
    };
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|n| n.parse::<usize>().ok());
    if let Some(soft) = soft
        && soft < max_connections.saturating_add(64)
    {
        tracing::warn!(
            soft,
            max_connections,
            "the open-file limit is below the connection limit plus 64; raise it (ulimit -n, LimitNOFILE) or lower --max-connections"
        );
    }
}

/// Answers a connection over the cap with `ServiceUnavailable` and closes it, without
/// waiting for anything: the response fits in the empty send buffer of a new socket.
fn refuse(stream: &TcpStream) {
    let request_id = uuid::Uuid::new_v4().to_string();
    let error = wire::CommonError::ServiceUnavailable;
    let status = error.status(wire::Service::Iam);
    let body = wire::encode_error(
        wire::Service::Iam,
        error.code(),
        status,
        handler::UNAVAILABLE,
        &request_id,
    );
    let reason = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default();
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/xml\r\nx-amzn-requestid: {request_id}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(response.as_bytes());
    // Whatever the client already sent is read so that closing sends a FIN, not a reset
    // that could overtake the response.
    let mut scratch = [0u8; 4096];
    for _ in 0..16 {
        match stream.try_read(&mut scratch) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
    tracing::debug!("connection refused: at the connection limit");
}

/// Where a connection is, and since when.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Reading a request head (or a TLS handshake).
    Head(Instant),
    /// A request is running; its handler bounds the body read.
    Busy,
    /// The response is being sent.
    Respond(Instant),
    /// Between requests.
    Idle(Instant),
}

/// A connection's phase, shared by its IO, its requests and its watchdog.
#[derive(Debug)]
struct Watch {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Watch {
    fn new() -> Watch {
        Watch {
            phase: Mutex::new(Phase::Head(Instant::now())),
            changed: Notify::new(),
        }
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
        self.changed.notify_one();
    }

    /// Bytes arrived: an idle connection starts reading a request head.
    fn on_read(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// Whether no request is running or being answered.
    fn between_requests(&self) -> bool {
        matches!(
            *self.phase.lock().unwrap_or_else(PoisonError::into_inner),
            Phase::Head(_) | Phase::Idle(_)
        )
    }

    fn deadline(&self, config: &ServerConfig) -> Option<Instant> {
        match *self.phase.lock().unwrap_or_else(PoisonError::into_inner) {
            Phase::Head(since) => Some(since + config.header_timeout),
            Phase::Busy => None,
            Phase::Respond(since) | Phase::Idle(since) => Some(since + config.idle_timeout),
        }
    }
}

/// A connection's byte stream, reporting reads to its watch.
struct Tracked<S> {
    inner: S,
    watch: Arc<Watch>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.watch.on_read();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A response body that marks the connection idle once hyper is done with it.
struct IdleOnDrop {
    body: Body,
    watch: Arc<Watch>,
}

impl http_body::Body for IdleOnDrop {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

impl Drop for IdleOnDrop {
    fn drop(&mut self) {
        self.watch.set(Phase::Idle(Instant::now()));
    }
}

/// One connection: the TLS handshake if any, then HTTP/1.1 under the watchdog.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    router: Router,
    config: Arc<ServerConfig>,
    permit: OwnedSemaphorePermit,
    stopping: watch::Receiver<bool>,
) {
    let slot = Arc::new(permit);
    let watch = Arc::new(Watch::new());
    let stream = Tracked {
        inner: stream,
        watch: Arc::clone(&watch),
    };
    let Some(acceptor) = acceptor else {
        let info = Connection { peer, tls: false };
        return drive(stream, info, watch, router, config, slot, stopping).await;
    };
    match tokio::time::timeout(config.header_timeout, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => {
            let info = Connection { peer, tls: true };
            drive(stream, info, watch, router, config, slot, stopping).await;
        }
        Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

/// Serves HTTP/1.1 on `io` until the client leaves, a deadline passes or the server stops.
async fn drive<S>(
    io: S,
    info: Connection,
    watch: Arc<Watch>,
    router: Router,
    config: Arc<ServerConfig>,
    slot: Arc<OwnedSemaphorePermit>,
    mut stopping: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = {
        let watch = Arc::clone(&watch);
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            watch.set(Phase::Busy);
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(info);
            let mut router = router.clone();
            let slot = Arc::clone(&slot);
            // Once hyper has read a request, it runs to its end in its own task: a client
            // that leaves (and hyper dropping this future) cancels nothing half-way. The
            // task holds the connection's slot, so work left behind still counts.
            let task = tokio::spawn(async move {
                let _slot = slot;
                router.call(request).await
            });
            let watch = Arc::clone(&watch);
            async move {
                let response = match task.await {
                    Ok(Ok(response)) => response,
                    Ok(Err(never)) => match never {},
                    Err(error) => {
                        tracing::error!(%error, "a request task failed");
                        handler::internal_failure()
                    }
                };
                watch.set(Phase::Respond(Instant::now()));
                let watch = Arc::clone(&watch);
                Ok::<_, Infallible>(response.map(|body| IdleOnDrop { body, watch }))
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .header_read_timeout(None)
        .max_buf_size(READ_BUFFER);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    let mut connection = std::pin::pin!(connection);
    let mut shutting_down = false;
    loop {
        let changed = watch.changed.notified();
        let deadline = watch.deadline(&config);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, peer = %info.peer, "connection ended with an error");
                }
                return;
            }
            () = sleep_until(deadline) => {
                if watch.deadline(&config).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!(peer = %info.peer, "connection closed: timed out");
                    return;
                }
            }
            () = changed => {}
            _ = stopping.changed(), if !shutting_down => {
                // A connection between requests is closed now (hyper would wait for a
                // first request on a new one); one with a request finishes it first.
                if watch.between_requests() {
                    return;
                }
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
