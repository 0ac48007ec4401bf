//! The request path: SigV4, Query decoding, dispatch, and AWS's error bodies.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use service::{RequestInfo, Service, ServiceError, TokenProblem};
use sigv4::{AuthError, LookupError, Verifier};
use wire::{QueryParams, Service as WireService};

/// The largest request body accepted (IAM's largest documents are far smaller).
const MAX_BODY: usize = 1024 * 1024;

/// What the handlers share.
#[derive(Debug)]
pub struct App {
    service: Service,
    verifier: Verifier,
    /// Whether `POST /_castellan/reset` is enabled (the test-suite mode), and what to
    /// recreate after a reset.
    reset: Option<ResetHook>,
}

/// The future a reset hook returns.
pub type ResetFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ServiceError>> + Send>>;

/// What runs after the store is emptied by `POST /_castellan/reset`: it recreates the
/// first account with the same root credentials.
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
        Arc::new(App {
            service,
            verifier: Verifier::new(),
            reset,
        })
    }
}

/// The routes: the Query API on `/` (GET and POST), a health check, and the reset hook.
pub fn router(app: Arc<App>) -> Router {
    let refresher = Arc::clone(&app);
    tokio::spawn(async move {
        // Another node's writes reach this node's caches within a second.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(error) = refresher.service.refresh_caches().await {
                tracing::warn!(%error, "could not refresh caches");
            }
        }
    });
    Router::new()
        .route("/", get(query).post(query))
        .route("/_castellan/health", get(|| async { "ok\n" }))
        .route("/_castellan/reset", post(reset))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    let Some(hook) = &app.reset else {
        return (
            StatusCode::NOT_FOUND,
            "reset is enabled only with --ephemeral\n",
        )
            .into_response();
    };
    let result = async {
        app.service.reset().await?;
        (hook.0)(app.service.clone()).await
    }
    .await;
    match result {
        Ok(()) => (StatusCode::OK, "reset\n").into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{error}\n")).into_response(),
    }
}

/// A failure on the wire, with the service it is reported for.
struct Failure {
    service: WireService,
    code: &'static str,
    status: u16,
    message: String,
}

impl Failure {
    fn from_service(service: WireService, error: ServiceError) -> Failure {
        Failure {
            service,
            code: error.code,
            status: error.status,
            message: error.message,
        }
    }

    fn from_auth(service: WireService, error: &AuthError) -> Failure {
        Failure {
            service,
            code: error.code(),
            status: error.status(),
            message: error.message(),
        }
    }

    fn into_response(self, request_id: &str) -> Response {
        let body = wire::encode_error(
            self.service,
            self.code,
            self.status,
            &self.message,
            request_id,
        );
        xml_response(
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
            request_id,
        )
    }
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// The access key id a request claims, read cheaply so the key can be fetched (from cache
/// or store) before the synchronous verifier asks for it.
fn claimed_key_id(headers: &HeaderMap, query: &str) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|rest| rest.split('/').next())
        .map(str::to_owned);
    from_header.or_else(|| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")
            .and_then(|(_, v)| v.split('/').next().map(str::to_owned))
    })
}

/// The session token a request carries (header or presigned query).
fn session_token(headers: &HeaderMap, query: &str) -> Option<String> {
    headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "X-Amz-Security-Token")
                .map(|(_, v)| v.into_owned())
        })
}

/// The service named by the signature scope, for error namespaces before verification.
fn claimed_service(headers: &HeaderMap, query: &str) -> WireService {
    let scope_has = |text: &str| text.contains("/sts/aws4_request");
    let in_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(scope_has);
    let in_query = form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "X-Amz-Credential" && scope_has(&v));
    if in_header || in_query {
        WireService::Sts
    } else {
        WireService::Iam
    }
}

async fn query(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    match handle(&app, peer, &method, &uri, &headers, &body, &request_id).await {
        Ok(body) => xml_response(StatusCode::OK, body, &request_id),
        Err(failure) => failure.into_response(&request_id),
    }
}

async fn handle(
    app: &App,
    peer: SocketAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
) -> Result<String, Failure> {
    let query = uri.query().unwrap_or_default();
    let claimed = claimed_service(headers, query);
    let claimed_id = claimed_key_id(headers, query);
    // Temporary keys carry their session in the token: opened here, with no store access.
    let session = match (&claimed_id, session_token(headers, query)) {
        (Some(id), Some(token)) if id.starts_with("ASIA") => {
            Some(app.service.open_session(id, &token))
        }
        _ => None,
    };
    let key = match (&claimed_id, &session) {
        (Some(id), None) => app
            .service
            .signing_key(id)
            .await
            .map_err(|e| Failure::from_service(claimed, e))?,
        _ => None,
    };
    let header_pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    let signed = sigv4::Request {
        method: method.as_str(),
        path: uri.path(),
        query,
        headers: &header_pairs,
        body,
    };
    let verified = app
        .verifier
        .verify(&signed, app.service.clock().now(), |asked| {
            match (&session, &key) {
                (Some(Ok(session)), _) if session.access_key_id == asked.access_key_id => {
                    Ok(sigv4::SecretKey::new(session.secret.clone()))
                }
                (Some(Err(TokenProblem::Expired)), _) => Err(LookupError::ExpiredSessionToken),
                (Some(_), _) => Err(LookupError::InvalidSessionToken),
                (None, Some(entry)) if entry.access_key_id == asked.access_key_id => {
                    if !entry.active {
                        Err(LookupError::InactiveKey)
                    } else if asked.session_token.is_some() {
                        // Temporary credentials arrive with STS; until then no token is valid.
                        Err(LookupError::InvalidSessionToken)
                    } else {
                        Ok(entry.secret.clone())
                    }
                }
                _ => Err(LookupError::UnknownKey),
            }
        })
        .map_err(|e| Failure::from_auth(claimed, &e))?;
    let service = if verified.service == "sts" {
        WireService::Sts
    } else {
        WireService::Iam
    };
    let fail = |code: &'static str, status: u16, message: String| Failure {
        service,
        code,
        status,
        message,
    };
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| !k.starts_with("X-Amz-"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if *method == Method::POST && form {
        pairs.extend(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())));
    }
    let params = QueryParams::from_pairs(pairs);
    let Some(action) = params.get("Action").map(str::to_owned) else {
        return Err(fail("MissingAction", 400, "Missing Action".to_owned()));
    };
    let info = RequestInfo {
        source_ip: Some(peer.ip()),
        secure_transport: false,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        region: verified.region.clone(),
        service: verified.service.clone(),
    };
    let caller = match (session, key) {
        (Some(Ok(session)), _) => app.service.session_caller(session, info).await,
        (None, Some(entry)) => app.service.caller(&entry, info).await,
        _ => {
            return Err(fail(
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid".to_owned(),
            ));
        }
    }
    .map_err(|e| Failure::from_service(service, e))?;
    let invalid_action = || {
        fail(
            "InvalidAction",
            400,
            format!(
                "Could not find operation {action} for version {}",
                service.version()
            ),
        )
    };
    let validation = |e: wire::ValidationErrors| fail("ValidationError", 400, e.to_string());
    match service {
        WireService::Iam => {
            let operation =
                wire::iam::Operation::from_action(&action).ok_or_else(invalid_action)?;
            let request = operation.decode(&params).map_err(validation)?;
            let response = app
                .service
                .iam(&caller, request)
                .await
                .map_err(|e| Failure::from_service(service, e))?;
            Ok(response.to_xml(request_id))
        }
        WireService::Sts => {
            let operation =
                wire::sts::Operation::from_action(&action).ok_or_else(invalid_action)?;
            let request = operation.decode(&params).map_err(validation)?;
            let response = app
                .service
                .sts(&caller, request)
                .await
                .map_err(|e| Failure::from_service(service, e))?;
            Ok(response.to_xml(request_id))
        }
    }
}
