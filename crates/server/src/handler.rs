//! The request path: SigV4, Query decoding, dispatch, and AWS's error bodies.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use service::{
    Authenticated, AuthenticationError, RenderedPage, RequestInfo, Service, ServiceError,
};
use sigv4::{AuthError, Verifier};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use wire::{CommonError, INTERNAL_FAILURE_MESSAGE, Partition, QueryParams, Service as WireService};

use crate::audit::{self, AuditLog, Event};
use crate::config::{Cidr, ServerConfig};

/// What the handlers share.
#[derive(Debug)]
pub struct App {
    service: Service,
    verifier: Verifier,
    /// Whether `POST /_castellan/reset` is enabled (the test-suite mode), and what to
    /// recreate after a reset.
    reset: Option<ResetHook>,
    /// Whether `POST /_castellan/clock?advance=SECONDS` moves the clock (`--test-clock`).
    test_clock: bool,
    /// Where every authenticated request is recorded, when there is an audit log.
    audit: Option<Arc<AuditLog>>,
    /// The decision API's verifiers (its callers', and forwarded requests').
    decisions: crate::decision::Verifiers,
    /// What `/metrics` reports of the requests.
    metrics: crate::metrics::Metrics,
}

/// The future a reset hook returns.
pub type ResetFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ServiceError>> + Send>>;

/// What runs after the store is emptied by `POST /_castellan/reset`: it recreates what the
/// server started with (the first account with the same root credentials, or the fixtures).
pub struct ResetHook(pub Box<dyn Fn(Service) -> ResetFuture + Send + Sync>);

impl std::fmt::Debug for ResetHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetHook")
    }
}

impl App {
    /// An app over `service`. `reset`, when given, enables `POST /_castellan/reset`: the
    /// store is emptied and the hook recreates the first account.
    pub fn new(service: Service, reset: Option<ResetHook>) -> Arc<App> {
        App::configured(service, reset, false, None)
    }

    /// [`App::new`] whose clock a test suite moves with `POST
    /// /_castellan/clock?advance=SECONDS` (never for a server that strangers reach).
    pub fn with_test_clock(service: Service, reset: Option<ResetHook>) -> Arc<App> {
        App::configured(service, reset, true, None)
    }

    /// An app with every option: the reset hook, the test clock, and the audit log that
    /// records every authenticated request.
    pub fn configured(
        service: Service,
        reset: Option<ResetHook>,
        test_clock: bool,
        audit: Option<Arc<AuditLog>>,
    ) -> Arc<App> {
        Arc::new(App {
            service,
            verifier: verifier(),
            reset,
            test_clock,
            audit,
            decisions: crate::decision::Verifiers::new(),
            metrics: crate::metrics::Metrics::default(),
        })
    }

    pub(crate) fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    pub(crate) fn decisions(&self) -> &crate::decision::Verifiers {
        &self.decisions
    }

    pub(crate) fn audit(&self) -> Option<&AuditLog> {
        self.audit.as_deref()
    }

    pub(crate) fn service(&self) -> &Service {
        &self.service
    }
}

/// The APIs served on the endpoint, by the service their signatures are scoped to: IAM first
/// (the one AWS's message names when a scope has another), STS, and Organizations.
fn verifier() -> Verifier {
    Verifier::new().with_services(["iam", "sts", "organizations"])
}

/// The app with the request-level limits of the server's settings.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) app: Arc<App>,
    body_timeout: Duration,
    max_body: usize,
    /// One permit per body byte held for a request whose signature is not yet verified.
    budget: Arc<Semaphore>,
    trusted_proxies: Vec<Cidr>,
}

impl Shared {
    pub(crate) fn new(app: Arc<App>, config: &ServerConfig) -> Shared {
        Shared {
            app,
            body_timeout: config.body_timeout,
            max_body: config.max_body_bytes,
            budget: Arc::new(Semaphore::new(
                config
                    .unauthenticated_body_budget
                    .min(Semaphore::MAX_PERMITS),
            )),
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }
}

/// The connection a request arrived on: a request extension the accept loop sets, without
/// which the Query API answers `InternalFailure` (it cannot tell who the client is).
#[derive(Clone, Copy, Debug)]
pub struct Connection {
    pub(crate) peer: SocketAddr,
    pub(crate) tls: bool,
}

impl Connection {
    /// A connection from `peer`, over TLS or not.
    pub fn new(peer: SocketAddr, tls: bool) -> Connection {
        Connection { peer, tls }
    }
}

/// The routes over `app` with the request-level limits of `config`. Building it starts
/// nothing: background work (the cache refresher) is started by `serve`, so the router can
/// be driven directly (`tower::ServiceExt::oneshot`) with a `Connection` extension.
pub fn app_router(app: Arc<App>, config: &ServerConfig) -> Router {
    router(Arc::new(Shared::new(app, config)))
}

/// The header AWS names its request ids with.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// The routes: the Query API on `/` (GET and POST), a health check, the reset hook, and the
/// public discovery documents of outbound federation issuers (`/oidc/<id>/.well-known/...`,
/// no authentication); anything else is answered with AWS's error shape.
///
/// Every routed request gets its id from one place, tower-http's request-id layers: a
/// client's own `x-amzn-requestid` is dropped first (AWS always assigns its own, and a
/// client-chosen id must not reach the logs as ours), then a UUID v4 is set on the request,
/// where handlers read it for the XML body and the log, and copied to the response. Refusals
/// made before routing (over capacity, a panic) make their own. The other tower-http
/// layers do not fit: limits and timeouts here are per phase of a connection (head, body,
/// idle) and live in the accept loop (`listener.rs`), and the body limit is applied while the
/// body is read so that the refusal is AWS's `RequestEntityTooLarge` XML, not tower-http's
/// plain 413 or 408.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(query).post(query))
        .route("/_castellan/health", get(|| async { "ok\n" }))
        .route("/_castellan/reset", post(reset))
        .route("/_castellan/clock", post(move_clock))
        .route(
            "/oidc/{issuer}/.well-known/{document}",
            get(issuer_document),
        )
        .merge(crate::console::routes())
        .merge(crate::decision::routes())
        .merge(crate::metrics::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, AwsRequestIds))
        .layer(axum::middleware::map_request(drop_client_request_id))
}

/// Makes AWS-style request ids (UUID v4).
#[derive(Clone, Copy, Debug)]
struct AwsRequestIds;

impl MakeRequestId for AwsRequestIds {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&new_request_id())
            .ok()
            .map(RequestId::new)
    }
}

async fn drop_client_request_id(mut request: Request) -> Request {
    request.headers_mut().remove(REQUEST_ID);
    request
}

/// The id the request-id layer gave this request (a fresh one if it ran without the layer).
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .map_or_else(new_request_id, str::to_owned)
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn not_found(headers: HeaderMap, uri: Uri) -> Response {
    Failure::common(
        WireService::Iam,
        CommonError::NotFound,
        format!("nothing is served at `{}`", uri.path()),
    )
    .into_response(&request_id(&headers))
}

async fn method_not_allowed(headers: HeaderMap, method: Method, uri: Uri) -> Response {
    Failure::common(
        WireService::Iam,
        CommonError::MethodNotAllowed,
        format!("the method `{method}` is not allowed on `{}`", uri.path()),
    )
    .into_response(&request_id(&headers))
}

/// A request that failed in a way nobody foresaw (a panicking task): AWS's generic 500.
pub(crate) fn internal_failure() -> Response {
    Failure::common(
        WireService::Iam,
        CommonError::InternalFailure,
        INTERNAL_FAILURE_MESSAGE.to_owned(),
    )
    .into_response(&new_request_id())
}

/// AWS's message for `ServiceUnavailable`.
pub(crate) const UNAVAILABLE: &str =
    "The request has failed due to a temporary failure of the server.";

/// AWS's `ServiceUnavailable`, for requests refused while the server is saturated.
fn unavailable(service: WireService) -> Failure {
    Failure::common(
        service,
        CommonError::ServiceUnavailable,
        UNAVAILABLE.to_owned(),
    )
}

async fn reset(State(shared): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let request_id = request_id(&headers);
    let app = &shared.app;
    let Some(hook) = &app.reset else {
        return Failure::common(
            WireService::Iam,
            CommonError::NotFound,
            format!(
                "nothing is served at `{}` (reset is enabled only with --ephemeral)",
                uri.path()
            ),
        )
        .into_response(&request_id);
    };
    // The reset and the re-creation of the first account hold one lock: parallel resets
    // each complete whole, one after the other.
    let result = app.service.reset_then(|service| (hook.0)(service)).await;
    match result {
        Ok(()) => (StatusCode::OK, "reset\n").into_response(),
        Err(error) => {
            Failure::from_service(WireService::Iam, error, &request_id).into_response(&request_id)
        }
    }
}

/// Moves the server's clock forward by `advance` seconds (`--test-clock` only): test suites
/// reach expiries, throttle windows and TOTP steps without waiting. A reset takes it back.
async fn move_clock(State(shared): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let request_id = request_id(&headers);
    if !shared.app.test_clock {
        return Failure::common(
            WireService::Iam,
            CommonError::NotFound,
            format!(
                "nothing is served at `{}` (the clock moves only with --test-clock)",
                uri.path()
            ),
        )
        .into_response(&request_id);
    }
    let advance = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "advance")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    match advance {
        Some(seconds) => {
            let clock = shared.app.service.clock();
            clock.advance(seconds);
            (StatusCode::OK, format!("{}\n", clock.seconds())).into_response()
        }
        None => Failure::common(
            WireService::Iam,
            CommonError::InvalidParameterValue,
            "advance must be a number of seconds".to_owned(),
        )
        .into_response(&request_id),
    }
}

/// A public document of an outbound federation issuer: its OpenID discovery document or its
/// public keys (JWKS). Public, like AWS's issuer: external services fetch them with no AWS
/// credentials.
async fn issuer_document(
    State(shared): State<Arc<Shared>>,
    Path((issuer, document)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let service = &shared.app.service;
    let found = match document.as_str() {
        "openid-configuration" => service.openid_configuration(&issuer).await,
        "jwks.json" => service.jwks(&issuer).await,
        _ => Ok(None),
    };
    public_json(found, &headers, &uri)
}

/// A public JSON document, or `NotFound` for an issuer no account has.
fn public_json(
    found: Result<Option<String>, ServiceError>,
    headers: &HeaderMap,
    uri: &Uri,
) -> Response {
    let request_id = request_id(headers);
    match found {
        Ok(Some(json)) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Ok(None) => Failure::common(
            WireService::Sts,
            CommonError::NotFound,
            format!("nothing is served at `{}`", uri.path()),
        )
        .into_response(&request_id),
        Err(error) => {
            Failure::from_service(WireService::Sts, error, &request_id).into_response(&request_id)
        }
    }
}

/// A failure on the wire, with the service it is reported for. Built only from typed errors
/// (the service's, the verifier's, or the protocol's own `CommonError`): nothing in the
/// server chooses a code or a status.
pub(crate) struct Failure {
    service: WireService,
    pub(crate) code: &'static str,
    pub(crate) status: u16,
    pub(crate) message: String,
    /// The `Reason` member of an Organizations error that has one.
    reason: Option<&'static str>,
}

impl Failure {
    /// An error the HTTP layer answers itself.
    fn common(service: WireService, error: CommonError, message: String) -> Failure {
        Failure {
            service,
            code: error.code(),
            status: error.status(service),
            message,
            reason: None,
        }
    }

    /// The one conversion of a service error to the wire. An internal failure's detail is
    /// logged here, with the request id the client receives, and never sent.
    fn from_service(service: WireService, error: ServiceError, request_id: &str) -> Failure {
        Failure::from_service_in(service, Partition::Aws, error, request_id)
    }

    /// A service error answering a request that lives in `partition`.
    fn from_service_in(
        service: WireService,
        partition: Partition,
        error: ServiceError,
        request_id: &str,
    ) -> Failure {
        if let ServiceError::Internal { detail } = &error {
            tracing::error!(request_id, %detail, "internal failure");
        }
        Failure {
            service,
            code: error.code(),
            status: error.status(service),
            message: error.message_in(partition),
            reason: error.reason(),
        }
    }

    fn from_auth(service: WireService, error: &AuthError) -> Failure {
        Failure {
            service,
            code: error.code(),
            status: error.status(),
            message: error.message(),
            reason: None,
        }
    }

    fn into_response(self, request_id: &str) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if self.service == WireService::Organizations {
            let body = wire::encode_json_error(self.code, &self.message, self.reason);
            return json_response(status, body, request_id);
        }
        let body = wire::encode_error(
            self.service,
            self.code,
            self.status,
            &self.message,
            request_id,
        );
        xml_response(status, body, request_id)
    }
}

/// A JSON 1.1 protocol body (Organizations).
fn json_response(status: StatusCode, body: impl Into<Body>, request_id: &str) -> Response {
    let mut response = xml_response(status, body, request_id);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    response
}

fn xml_response(status: StatusCode, body: impl Into<Body>, request_id: &str) -> Response {
    let mut response = (status, body.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// A request body read whole, holding its share of the unauthenticated-body budget until
/// the signature over it is verified.
pub(crate) struct Received {
    pub(crate) bytes: Bytes,
    pub(crate) reservation: Option<OwnedSemaphorePermit>,
}

/// Reads the body within the body timeout, refusing one over the size limit before reading
/// it when its declared length says so, and one that the budget cannot hold.
pub(crate) async fn read_body(
    shared: &Shared,
    headers: &HeaderMap,
    body: &mut Body,
    service: WireService,
) -> Result<Received, Failure> {
    let too_large = || {
        Failure::common(
            service,
            CommonError::RequestEntityTooLarge,
            format!("the request body is larger than {} bytes", shared.max_body),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(shared.max_body).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    let deadline = tokio::time::Instant::now() + shared.body_timeout;
    // Chunks are kept as received and joined once, exactly sized: no growing buffer copied
    // and left behind for every request.
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total: usize = 0;
    let mut reservation: Option<OwnedSemaphorePermit> = None;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(Failure::common(
                    service,
                    CommonError::RequestTimeout,
                    "the request body did not arrive in time".to_owned(),
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(_))) => {
                return Err(Failure::common(
                    service,
                    CommonError::MalformedHttpRequest,
                    "the request body could not be read".to_owned(),
                ));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if total.saturating_add(data.len()) > shared.max_body {
            return Err(too_large());
        }
        let count = u32::try_from(data.len()).map_err(|_| too_large())?;
        if count == 0 {
            continue;
        }
        let more = Arc::clone(&shared.budget)
            .try_acquire_many_owned(count)
            .map_err(|_| unavailable(service))?;
        match &mut reservation {
            Some(held) => held.merge(more),
            None => reservation = Some(more),
        }
        total += data.len();
        chunks.push(data);
    }
    let bytes = match chunks.as_slice() {
        [one] => one.clone(),
        _ => {
            let mut bytes = Vec::with_capacity(total);
            for chunk in &chunks {
                bytes.extend_from_slice(chunk);
            }
            Bytes::from(bytes)
        }
    };
    Ok(Received { bytes, reservation })
}

/// How much of a refused request's unread body is read and thrown away before its connection
/// closes, and for how long at most: a socket closed with unread data is reset by the kernel,
/// and the client may then lose the error response it was sent.
const DRAIN_BYTES: usize = 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// Reads and discards what is left of a refused request's body, within the bounds above.
pub(crate) async fn drain(body: &mut Body) {
    let mut left = DRAIN_BYTES;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(frame)) = body.frame().await {
            let read = frame.data_ref().map_or(0, Bytes::len);
            if read >= left {
                break;
            }
            left -= read;
        }
    })
    .await;
}

async fn query(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let request_id = request_id(request.headers());
    let (parts, mut body) = request.into_parts();
    let Some(connection) = parts.extensions.get::<Connection>().copied() else {
        return internal_failure();
    };
    let claimed = {
        let header_pairs = header_pairs(&parts.headers);
        service::claimed_service(&sigv4::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or_default(),
            headers: &header_pairs,
            body: &[],
        })
    };
    let received = match read_body(&shared, &parts.headers, &mut body, claimed).await {
        Ok(received) => received,
        Err(failure) => {
            // The rest of the body is not kept: the connection cannot carry another request.
            drain(&mut body).await;
            let mut response = failure.into_response(&request_id);
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let client = client_info(&shared, &connection, &parts.headers);
    let mut facts = Facts {
        action: "unknown",
        principal: None,
    };
    let result = handle(
        &shared.app,
        client,
        &parts.method,
        &parts.uri,
        &parts.headers,
        received,
        &request_id,
        &mut facts,
    )
    .await;
    let (api, outcome, status) = match &result {
        Ok((service, _)) => (*service, "success", 200),
        Err(failure) => (failure.service, failure.code, failure.status),
    };
    let elapsed = started.elapsed();
    shared.app.metrics().request(
        crate::metrics::api_name(api),
        facts.action,
        outcome,
        elapsed,
    );
    tracing::info!(
        target: "castellan::request",
        request_id = %request_id,
        service = crate::metrics::api_name(api),
        action = facts.action,
        principal = facts.principal.as_deref().unwrap_or("-"),
        outcome,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
    );
    match result {
        Ok((WireService::Organizations, answer)) => {
            json_response(StatusCode::OK, answer.into_body(&request_id), &request_id)
        }
        Ok((_, answer)) => xml_response(StatusCode::OK, answer.into_body(&request_id), &request_id),
        Err(failure) => failure.into_response(&request_id),
    }
}

/// What the request path learns of a request for its metrics and log line: the operation
/// (from the model's closed list) and, when the log records it, the caller.
struct Facts {
    action: &'static str,
    principal: Option<String>,
}

/// Where the request comes from and whether it came over TLS, as far as the server can tell.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Client {
    pub(crate) ip: IpAddr,
    pub(crate) secure: bool,
}

impl Client {
    /// The request facts conditions test, before a signature adds its region and service.
    pub(crate) fn request_info(&self, headers: &HeaderMap) -> RequestInfo {
        RequestInfo {
            source_ip: Some(self.ip),
            secure_transport: self.secure,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            region: String::new(),
            service: String::new(),
        }
    }
}

/// The client as the connection shows it, or as a trusted proxy reports it: forwarded
/// headers from any other peer are ignored, so nobody can claim TLS or an address.
pub(crate) fn client_info(shared: &Shared, connection: &Connection, headers: &HeaderMap) -> Client {
    let peer = connection.peer.ip();
    let trusted = |ip: IpAddr| shared.trusted_proxies.iter().any(|c| c.contains(ip));
    if !trusted(peer) {
        return Client {
            ip: peer,
            secure: connection.tls,
        };
    }
    // The last value is the one the nearest (trusted) proxy wrote.
    let forwarded_https = headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    Client {
        ip: forwarded_for(headers, trusted).unwrap_or(peer),
        secure: connection.tls || forwarded_https,
    }
}

/// The client address in `X-Forwarded-For`: walking from the nearest hop, the first address
/// that is not a trusted proxy (the leftmost when all are). `None` when the header is absent
/// or a hop that would be reached is not an address.
fn forwarded_for(headers: &HeaderMap, trusted: impl Fn(IpAddr) -> bool) -> Option<IpAddr> {
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut last = None;
    for hop in hops.iter().rev() {
        let ip: IpAddr = hop.parse().ok()?;
        if !trusted(ip) {
            return Some(ip);
        }
        last = Some(ip);
    }
    last
}

/// The request's headers as the verifier reads them.
pub(crate) fn header_pairs(headers: &HeaderMap) -> Vec<(&str, &[u8])> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect()
}

/// Whether the body is a form (`application/x-www-form-urlencoded`, any case, any parameters).
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The STS operations AWS serves without a signature: the identity provider's token or
/// assertion is the credential. A signature on them, if any, is not checked.
const UNSIGNED_STS_ACTIONS: [&str; 2] = ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"];

/// The region an unsigned request is answered in: STS's global endpoint's.
const UNSIGNED_REGION: &str = "us-east-1";

/// The Query parameters of a request: the query string's (but the presigning ones) and, for
/// a form POST, the body's.
fn query_pairs(
    method: &Method,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| !k.starts_with("X-Amz-"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if *method == Method::POST && is_form(headers) {
        pairs.extend(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())));
    }
    pairs
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    app: &App,
    client: Client,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    received: Received,
    request_id: &str,
    facts: &mut Facts,
) -> Result<(WireService, Answer), Failure> {
    let Received { bytes, reservation } = received;
    let body: &[u8] = &bytes;
    let query = uri.query().unwrap_or_default();
    let pairs = query_pairs(method, query, headers, body);
    let action = pairs
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone());
    if let Some(action) = action.filter(|a| UNSIGNED_STS_ACTIONS.contains(&a.as_str())) {
        if let Some(operation) = wire::sts::Operation::from_action(&action) {
            facts.action = operation.name();
        }
        let info = RequestInfo {
            region: UNSIGNED_REGION.to_owned(),
            service: "sts".to_owned(),
            ..client.request_info(headers)
        };
        let event = app.audit().map(|_| Event {
            source: event_source(WireService::Sts),
            name: action.clone(),
            read_only: false,
            request_id,
            region: UNSIGNED_REGION,
            source_ip: info.source_ip,
            user_agent: info.user_agent.as_deref(),
            // Who the token or assertion names is the service's to establish; the record
            // says by which kind of identity provider.
            identity: audit::Who::Described(serde_json::json!({
                "type": if action == "AssumeRoleWithSAML" { "SAMLUser" } else { "WebIdentityUser" }
            })),
            recipient_account: None,
            parameters: audit::query_parameters(&pairs),
        });
        let result = handle_unsigned(app, info.clone(), &action, pairs, request_id)
            .await
            .map(|body| (WireService::Sts, body.into()));
        if let (Some(log), Some(event)) = (app.audit(), event) {
            let outcome = result
                .as_ref()
                .err()
                .map(|f| (Some(f.code), f.message.as_str()));
            log.write(
                &event.record(
                    std::time::SystemTime::now(),
                    outcome,
                    serde_json::Value::Null,
                ),
                true,
            );
        }
        return result;
    }

    let header_pairs = header_pairs(headers);
    let signed = sigv4::Request {
        method: method.as_str(),
        path: uri.path(),
        query,
        headers: &header_pairs,
        body,
    };
    let client = client.request_info(headers);
    let Authenticated { caller, service } = app
        .service
        .authenticate(&app.verifier, &signed, client)
        .await
        .map_err(|refused| match refused.error {
            AuthenticationError::Signature(e) => {
                app.metrics.signature_failure(e.code());
                Failure::from_auth(refused.service, &e)
            }
            AuthenticationError::Service(e) => {
                Failure::from_service(refused.service, e, request_id)
            }
        })?;
    // The body now belongs to a verified caller: it no longer counts against the budget
    // for unauthenticated bytes.
    drop(reservation);
    facts.action = action_name(service, &pairs, headers);
    if tracing::enabled!(target: "castellan::request", tracing::Level::INFO) {
        facts.principal = Some(caller.arn());
    }
    let Some(log) = app.audit() else {
        return dispatch(
            app, &caller, service, method, headers, body, pairs, request_id, None,
        )
        .await;
    };
    let mut event = Event {
        source: event_source(service),
        name: String::new(),
        read_only: true,
        request_id,
        region: &caller.request.region,
        source_ip: caller.request.source_ip,
        user_agent: caller.request.user_agent.as_deref(),
        identity: audit::Who::Caller(&caller),
        recipient_account: Some(&caller.account_id),
        parameters: if service == WireService::Organizations {
            audit::json_parameters(body)
        } else {
            audit::query_parameters(&pairs)
        },
    };
    let result = dispatch(
        app,
        &caller,
        service,
        method,
        headers,
        body,
        pairs,
        request_id,
        Some(&mut event),
    )
    .await;
    let outcome = result
        .as_ref()
        .err()
        .map(|f| (Some(f.code), f.message.as_str()));
    let record = event.record(
        std::time::SystemTime::now(),
        outcome,
        serde_json::Value::Null,
    );
    log.write(&record, !event.read_only);
    result
}

/// The operation a request names, from the model's closed list (`unknown` for a name that
/// is not an operation of its API).
fn action_name(
    service: WireService,
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> &'static str {
    let named = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let found = match service {
        WireService::Iam => named("Action")
            .and_then(wire::iam::Operation::from_action)
            .map(wire::iam::Operation::name),
        WireService::Sts => named("Action")
            .and_then(wire::sts::Operation::from_action)
            .map(wire::sts::Operation::name),
        WireService::Organizations => headers
            .get(AMZ_TARGET)
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.rsplit_once('.'))
            .and_then(|(_, name)| wire::organizations::Operation::from_action(name))
            .map(wire::organizations::Operation::name),
    };
    found.unwrap_or("unknown")
}

/// CloudTrail's `eventSource` of an API.
fn event_source(service: WireService) -> &'static str {
    match service {
        WireService::Iam => "iam.amazonaws.com",
        WireService::Sts => "sts.amazonaws.com",
        WireService::Organizations => "organizations.amazonaws.com",
    }
}

/// Names the operation in its audit event and, for one that changes state, makes sure its
/// record can be written first (fail closed: the request is refused, nothing applied).
fn audit_operation(
    app: &App,
    service: WireService,
    event: Option<&mut Event<'_>>,
    name: &str,
    reads_only: bool,
) -> Result<(), Failure> {
    let Some(event) = event else {
        return Ok(());
    };
    name.clone_into(&mut event.name);
    event.read_only = reads_only;
    if !reads_only
        && let Some(log) = app.audit()
        && log.ready_for_mutation().is_err()
    {
        return Err(Failure::common(
            service,
            CommonError::ServiceUnavailable,
            "The audit log cannot be written: the request was not applied.".to_owned(),
        ));
    }
    Ok(())
}

/// A signed request of an authenticated caller: decoded, authorized and answered by the
/// service.
#[allow(clippy::too_many_arguments)]
async fn dispatch(
    app: &App,
    caller: &service::Caller,
    service: WireService,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
    pairs: Vec<(String, String)>,
    request_id: &str,
    mut event: Option<&mut Event<'_>>,
) -> Result<(WireService, Answer), Failure> {
    let fail = |error: CommonError, message: String| Failure::common(service, error, message);
    // The partition follows the signing region: the service works in `aws`, the wire moves
    // ARNs in and out of the caller's partition.
    let partition = Partition::of_region(&caller.request.region);
    if service == WireService::Organizations {
        return handle_json(app, caller, method, headers, body, request_id, event)
            .await
            .map(|body| (service, body.into()));
    }
    let params = QueryParams::from_pairs(pairs).in_partition(partition);
    let Some(action) = params.get("Action").map(str::to_owned) else {
        return Err(fail(
            CommonError::MissingAction,
            "Missing Action".to_owned(),
        ));
    };
    if let Some(event) = event.as_deref_mut() {
        event.name.clone_from(&action);
    }
    let invalid_action = || {
        fail(
            CommonError::InvalidAction,
            format!(
                "Could not find operation {action} for version {}",
                service.version()
            ),
        )
    };
    let validation = |e: wire::ValidationErrors| fail(CommonError::ValidationError, e.to_string());
    match service {
        WireService::Iam => {
            let operation =
                wire::iam::Operation::from_action(&action).ok_or_else(invalid_action)?;
            audit_operation(
                app,
                service,
                event,
                operation.name(),
                operation.reads_only(),
            )?;
            app.service
                .note_service_access(caller, "iam", operation.name())
                .await;
            let request = operation.decode(&params).map_err(validation)?;
            let failure = |e| Failure::from_service_in(service, partition, e, request_id);
            // Listings and entity reads: decided now, answered from a page rendered earlier
            // from the same state when there is one (service `pages.rs`).
            let page_key = app
                .service
                .page_key(caller, &request)
                .await
                .map_err(failure)?;
            if let Some(page) = page_key.as_ref().and_then(|k| app.service.cached_page(k)) {
                return Ok((service, Answer::Page(page)));
            }
            let response = app.service.iam(caller, request).await.map_err(failure)?;
            match page_key {
                Some(key) => {
                    let page = Arc::new(render_page(&response, partition));
                    app.service.keep_page(&key, Arc::clone(&page));
                    Ok((service, Answer::Page(page)))
                }
                None => Ok((service, response.to_xml(partition, request_id).into())),
            }
        }
        WireService::Sts => {
            let operation =
                wire::sts::Operation::from_action(&action).ok_or_else(invalid_action)?;
            audit_operation(
                app,
                service,
                event,
                operation.name(),
                operation.reads_only(),
            )?;
            app.service
                .note_service_access(caller, "sts", operation.name())
                .await;
            let request = operation.decode(&params).map_err(validation)?;
            let response = app
                .service
                .sts(caller, request)
                .await
                .map_err(|e| Failure::from_service_in(service, partition, e, request_id))?;
            Ok((service, response.to_xml(partition, request_id).into()))
        }
        // Answered by `handle_json` before the Query parameters are read.
        WireService::Organizations => Err(Failure::common(
            service,
            CommonError::InternalFailure,
            INTERNAL_FAILURE_MESSAGE.to_owned(),
        )),
    }
}

/// An answer rendered once for many requests: split where the request id goes. The id is
/// rendered as a marker no id can equal (request ids are UUIDs) and the answer split there.
fn render_page(response: &wire::iam::Response, partition: Partition) -> RenderedPage {
    const MARK: &str = "castellan-request-id-goes-here";
    let whole = Bytes::from(response.to_xml(partition, MARK));
    match last_position(&whole, MARK.as_bytes()) {
        Some(at) => RenderedPage {
            head: whole.slice(..at),
            tail: whole.slice(at + MARK.len()..),
        },
        // Every Query answer carries its request id; were one not to, it has no id to set.
        None => RenderedPage {
            head: whole,
            tail: Bytes::new(),
        },
    }
}

/// Where `needle` last occurs in `haystack` (the request id comes last in an answer, after
/// anything a client named).
fn last_position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|window| window == needle)
}

/// What a request is answered with: text rendered for it, or a page rendered before.
pub(crate) enum Answer {
    Text(String),
    Page(Arc<RenderedPage>),
}

impl From<String> for Answer {
    fn from(text: String) -> Answer {
        Answer::Text(text)
    }
}

impl Answer {
    fn into_body(self, request_id: &str) -> Body {
        match self {
            Answer::Text(text) => Body::from(text),
            Answer::Page(page) => Body::new(PageBody {
                chunks: [
                    page.head.clone(),
                    Bytes::copy_from_slice(request_id.as_bytes()),
                    page.tail.clone(),
                ],
                next: 0,
            }),
        }
    }
}

/// A page's answer as a body of three chunks (head, request id, tail): the page's bytes are
/// written to the socket from the cache's buffers, with the exact length announced.
struct PageBody {
    chunks: [Bytes; 3],
    next: usize,
}

impl http_body::Body for PageBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let at = self.next;
        self.next = at.saturating_add(1);
        let chunk = self.chunks.get_mut(at).map(std::mem::take);
        std::task::Poll::Ready(chunk.map(|chunk| Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.next >= self.chunks.len()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let left = self
            .chunks
            .iter()
            .skip(self.next)
            .map(Bytes::len)
            .sum::<usize>();
        http_body::SizeHint::with_exact(u64::try_from(left).unwrap_or(u64::MAX))
    }
}

/// The header naming a JSON-protocol request's operation.
const AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");

/// An Organizations request (JSON 1.1): a POST whose `X-Amz-Target` is
/// `AWSOrganizationsV20161128.<Operation>` and whose body is the input as JSON.
async fn handle_json(
    app: &App,
    caller: &service::Caller,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
    event: Option<&mut Event<'_>>,
) -> Result<String, Failure> {
    use wire::organizations::Operation;
    let service = WireService::Organizations;
    let fail = |error: CommonError, message: String| Failure::common(service, error, message);
    if *method != Method::POST {
        return Err(fail(
            CommonError::MethodNotAllowed,
            "Organizations requests are POSTed".to_owned(),
        ));
    }
    let target = headers
        .get(AMZ_TARGET)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let operation = target
        .strip_prefix(Operation::TARGET_PREFIX)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(Operation::from_action)
        .ok_or_else(|| {
            fail(
                CommonError::InvalidAction,
                format!("Could not find operation {target}"),
            )
        })?;
    audit_operation(
        app,
        service,
        event,
        operation.name(),
        operation.reads_only(),
    )?;
    app.service
        .note_service_access(caller, "organizations", operation.name())
        .await;
    let params = QueryParams::from_json(body)
        .map_err(|e| fail(CommonError::InvalidParameterValue, e.to_string()))?;
    let request = operation.decode(&params).map_err(|e| {
        let mut failure = fail(CommonError::ValidationError, e.to_string());
        failure.reason = Some(wire::invalid_input_reason(&e));
        failure
    })?;
    let response = app
        .service
        .organizations(caller, request)
        .await
        .map_err(|e| Failure::from_service(service, e, request_id))?;
    Ok(response.to_json())
}

/// AssumeRoleWithWebIdentity and AssumeRoleWithSAML: decoded and run with no caller, in the
/// `aws` partition of STS's global endpoint.
async fn handle_unsigned(
    app: &App,
    info: RequestInfo,
    action: &str,
    pairs: Vec<(String, String)>,
    request_id: &str,
) -> Result<String, Failure> {
    let service = WireService::Sts;
    let partition = Partition::of_region(&info.region);
    let params = QueryParams::from_pairs(pairs).in_partition(partition);
    let operation = wire::sts::Operation::from_action(action).ok_or_else(|| {
        Failure::common(
            service,
            CommonError::InvalidAction,
            format!(
                "Could not find operation {action} for version {}",
                service.version()
            ),
        )
    })?;
    let request = operation
        .decode(&params)
        .map_err(|e| Failure::common(service, CommonError::ValidationError, e.to_string()))?;
    let response = app
        .service
        .sts_unsigned(info, request)
        .await
        .map_err(|e| Failure::from_service_in(service, partition, e, request_id))?;
    Ok(response.to_xml(partition, request_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_of(failure: &Failure) -> (&'static str, u16, &str) {
        (failure.code, failure.status, failure.message.as_str())
    }

    /// The one conversion keeps every error's code, status and message, takes statuses per
    /// API for the common errors, and never sends an internal failure's detail.
    #[test]
    fn issue_10_service_errors_reach_the_wire_through_one_conversion() {
        let cases = [
            (
                ServiceError::no_such_entity("The user with name bob cannot be found."),
                WireService::Iam,
                (
                    "NoSuchEntity",
                    404,
                    "The user with name bob cannot be found.",
                ),
            ),
            (
                ServiceError::sts(wire::sts::Error::PackedPolicyTooLarge, "too large"),
                WireService::Sts,
                ("PackedPolicyTooLarge", 400, "too large"),
            ),
            (
                ServiceError::invalid_token(),
                WireService::Sts,
                (
                    "InvalidClientTokenId",
                    403,
                    "The security token included in the request is invalid",
                ),
            ),
            (
                ServiceError::Denied(service::Denial {
                    explicit: true,
                    message: "User: x is not authorized".to_owned(),
                    encoded: Some("abc".to_owned()),
                }),
                WireService::Iam,
                (
                    "AccessDenied",
                    403,
                    "User: x is not authorized Encoded authorization failure message: abc",
                ),
            ),
            (
                ServiceError::internal(&"the database is unreachable"),
                WireService::Iam,
                ("ServiceFailure", 500, INTERNAL_FAILURE_MESSAGE),
            ),
        ];
        for (error, service, expected) in cases {
            let failure = Failure::from_service(service, error.clone(), "request-1");
            assert_eq!(wire_of(&failure), expected, "{error:?}");
        }
    }
}
