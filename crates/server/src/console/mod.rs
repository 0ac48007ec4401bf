//! The web console at `/console`: server-rendered pages over the same service layer as the
//! API. A page reads with IAM operations and a form writes with one, decoded from the
//! form's fields exactly as a Query request (`Action=CreateUser&UserName=...`) and
//! authorized by the same engine for the signed-in person; a denial shows AWS's message.
//!
//! Sessions are the service's console sessions: an opaque cookie (HttpOnly, SameSite=Strict,
//! Secure over TLS) naming a session in the store. Every form carries a CSRF token derived
//! from the session cookie (or, before sign-in, a double-submit cookie) and checked in
//! constant time; no page needs JavaScript.

mod pages;
mod templates;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use service::{ConsoleCaller, RequestInfo, ServiceError};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use wire::{CommonError, QueryParams};

use crate::handler::{Connection, Shared, client_info};

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "castellan-console";
/// The double-submit cookie of the sign-in form (no session exists yet).
pub(crate) const SIGN_IN_COOKIE: &str = "castellan-sign-in";
/// Forms are small: a policy document is at most 6,144 characters, percent-encoded.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// A SAML response is at most 100,000 base64 characters, each at most three when
/// percent-encoded, with the relay state and role beside it.
pub(crate) const MAX_SAML_FORM_BYTES: usize = 320 * 1024;

/// The console's routes (merged into the server's router).
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/console", get(pages::dashboard))
        .route("/console/", get(pages::dashboard))
        .route("/console/style.css", get(style))
        .route("/console/editor.js", get(editor_script))
        .route("/console/validate", post(pages::validate))
        .route(
            "/console/signin",
            get(pages::sign_in_page).post(pages::sign_in),
        )
        .route("/console/signout", post(pages::sign_out))
        .route(
            "/console/password",
            get(pages::password_page).post(pages::change_password),
        )
        .route("/console/users", get(pages::users))
        .route("/console/users/{name}", get(pages::user))
        .route("/console/groups", get(pages::groups))
        .route("/console/groups/{name}", get(pages::group))
        .route("/console/roles", get(pages::roles))
        .route("/console/roles/{name}", get(pages::role))
        .route("/console/policies", get(pages::policies))
        .route("/console/policy", get(pages::policy))
        .route("/console/account", get(pages::account))
        .route("/console/credentials", get(pages::credentials))
        .route("/console/do", post(pages::act))
        // Where an identity provider posts a SAML response, as to AWS's sign-in endpoint.
        .route("/saml", post(pages::saml_sign_in))
        // One provider's own endpoint, as AWS's `/saml/acs/<IdP id>` (encrypted assertions).
        .route(
            "/saml/acs/{provider_id}",
            post(pages::saml_provider_sign_in),
        )
}

async fn style() -> Response {
    let mut response = include_str!("style.css").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}

async fn editor_script() -> Response {
    let mut response = include_str!("editor.js").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    response
}

/// A signed-in request: the person, the cookie, and the CSRF token its forms carry.
pub(crate) struct Visit {
    pub(crate) shared: Arc<Shared>,
    pub(crate) console: ConsoleCaller,
    pub(crate) cookie: String,
    pub(crate) csrf: String,
    pub(crate) secure: bool,
}

/// An IAM error as a page shows it.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn from_service(error: &ServiceError) -> Problem {
        Problem {
            code: error.code(),
            message: error.message(),
        }
    }

    pub(crate) fn text(&self) -> String {
        format!("{}: {}", self.code, self.message)
    }
}

impl Visit {
    /// Runs one IAM operation for the signed-in person, from Query-style pairs.
    pub(crate) async fn iam(
        &self,
        pairs: Vec<(String, String)>,
    ) -> Result<wire::iam::Response, Problem> {
        let params = QueryParams::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let Some(operation) = params
            .get("Action")
            .and_then(wire::iam::Operation::from_action)
        else {
            return Err(Problem {
                code: CommonError::InvalidAction.code(),
                message: "The form names no IAM operation.".to_owned(),
            });
        };
        let Some(log) = self.shared.app.audit() else {
            return self.run_iam(operation, &params).await;
        };
        let caller = &self.console.caller;
        let request_id = uuid::Uuid::new_v4().to_string();
        let event = crate::audit::Event {
            source: "iam.amazonaws.com",
            name: operation.name().to_owned(),
            read_only: operation.reads_only(),
            request_id: &request_id,
            region: &caller.request.region,
            source_ip: caller.request.source_ip,
            user_agent: caller.request.user_agent.as_deref(),
            identity: crate::audit::Who::Caller(caller),
            recipient_account: Some(&caller.account_id),
            parameters: crate::audit::query_parameters(&pairs),
        };
        let result = if !event.read_only && log.ready_for_mutation().is_err() {
            Err(Problem {
                code: CommonError::ServiceUnavailable.code(),
                message: "The audit log cannot be written: nothing was changed.".to_owned(),
            })
        } else {
            self.run_iam(operation, &params).await
        };
        let outcome = result
            .as_ref()
            .err()
            .map(|p| (Some(p.code), p.message.as_str()));
        log.write(
            &event.record(
                std::time::SystemTime::now(),
                outcome,
                serde_json::Value::Null,
            ),
            !event.read_only,
        );
        result
    }

    async fn run_iam(
        &self,
        operation: wire::iam::Operation,
        params: &QueryParams,
    ) -> Result<wire::iam::Response, Problem> {
        let request = operation.decode(params).map_err(|e| Problem {
            code: CommonError::ValidationError.code(),
            message: e.to_string(),
        })?;
        self.shared
            .app
            .service()
            .iam(&self.console.caller, request)
            .await
            .map_err(|e| Problem::from_service(&e))
    }

    /// The signed-in person as the header shows it.
    pub(crate) fn who(&self) -> String {
        let account = self
            .console
            .account_alias
            .clone()
            .unwrap_or_else(|| self.console.caller.account_id.clone());
        match (&self.console.user_name, &self.console.role_session) {
            (Some(name), _) | (None, Some(name)) => format!("{name} @ {account}"),
            (None, None) => format!("root @ {account}"),
        }
    }
}

/// Pairs from `[("Action", "ListUsers"), ...]`.
pub(crate) fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A cookie's value from the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: scoped to the console, never readable by scripts, never sent with
/// another site's requests, and over TLS only when the console is served over TLS.
pub(crate) fn set_cookie(
    name: &str,
    value: &str,
    secure: bool,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if secure {
        text.push_str("; Secure");
    }
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("x=; Path=/console"))
}

/// The CSRF token of a session: derived from its cookie, so it needs no storage and dies
/// with the session.
pub(crate) fn csrf_of(cookie: &str) -> String {
    let digest = Sha256::digest(format!("castellan-console-csrf:{cookie}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The request facts of a console request (no signature: no region; service `iam`).
pub(crate) fn request_info(
    shared: &Shared,
    connection: &Connection,
    headers: &HeaderMap,
) -> RequestInfo {
    RequestInfo {
        service: "iam".to_owned(),
        ..client_info(shared, connection, headers).request_info(headers)
    }
}

/// A redirect (303: the browser follows with GET).
pub(crate) fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A rendered page, never cached, never framed.
pub(crate) fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, html).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
            headers.insert(
                "content-security-policy",
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
                ),
            );
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The signed-in person behind a request, or the response to send instead: the sign-in page
/// when there is no live session, the password page for a session that may only change it
/// (unless `password_change_ok`: the password page itself, sign-out).
pub(crate) async fn visit(
    shared: Arc<Shared>,
    headers: &HeaderMap,
    connection: Option<&Connection>,
    password_change_ok: bool,
) -> Result<Visit, Response> {
    let Some(connection) = connection else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let info = request_info(&shared, connection, headers);
    let secure = info.secure_transport;
    let Some(cookie) = cookie(headers, SESSION_COOKIE) else {
        return Err(see_other("/console/signin"));
    };
    let console = match shared.app.service().console_caller(&cookie, info).await {
        Ok(Some(console)) => console,
        Ok(None) => return Err(see_other("/console/signin")),
        Err(_) => return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    };
    if console.password_change && !password_change_ok {
        return Err(see_other("/console/password"));
    }
    let csrf = csrf_of(&cookie);
    Ok(Visit {
        shared,
        console,
        cookie,
        csrf,
        secure,
    })
}

/// A signed-in visit as a handler argument: the sign-in page (or the password page) is
/// answered instead when the request has no (full) session.
impl axum::extract::FromRequestParts<Arc<Shared>> for Visit {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        shared: &Arc<Shared>,
    ) -> Result<Visit, Response> {
        let connection = parts.extensions.get::<Connection>().copied();
        visit(
            Arc::clone(shared),
            &parts.headers,
            connection.as_ref(),
            false,
        )
        .await
    }
}

/// A visit that may be one that can only change its password (the password page).
pub(crate) struct AnyVisit(pub(crate) Visit);

impl axum::extract::FromRequestParts<Arc<Shared>> for AnyVisit {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        shared: &Arc<Shared>,
    ) -> Result<AnyVisit, Response> {
        let connection = parts.extensions.get::<Connection>().copied();
        visit(
            Arc::clone(shared),
            &parts.headers,
            connection.as_ref(),
            true,
        )
        .await
        .map(AnyVisit)
    }
}

/// A form's fields, read whole (within [`MAX_FORM_BYTES`]).
pub(crate) async fn form(
    request: Request,
) -> Option<(axum::http::request::Parts, Vec<(String, String)>)> {
    form_within(request, MAX_FORM_BYTES).await
}

/// A form's fields, read whole within `limit` bytes.
pub(crate) async fn form_within(
    request: Request,
    limit: usize,
) -> Option<(axum::http::request::Parts, Vec<(String, String)>)> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(Body::new(body), limit).await.ok()?;
    let fields = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Some((parts, fields))
}

/// A field's value.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Whether a form's `csrf` field is the visit's token.
pub(crate) fn csrf_ok(visit: &Visit, fields: &[(String, String)]) -> bool {
    field(fields, "csrf").is_some_and(|token| same(token, &visit.csrf))
}

/// A place inside the console to go back to: anything else becomes the dashboard, so a
/// form cannot be made to send a person elsewhere.
pub(crate) fn back_to(fields: &[(String, String)]) -> String {
    match field(fields, "back") {
        Some(path)
            if path.starts_with("/console")
                && !path.contains("//")
                && !path.contains('\\')
                && path.chars().all(|c| c.is_ascii_graphic()) =>
        {
            path.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(back: &str) -> Vec<(String, String)> {
        vec![("back".to_owned(), back.to_owned())]
    }

    #[test]
    fn forms_go_back_only_inside_the_console() {
        assert_eq!(
            back_to(&fields("/console/users/alice")),
            "/console/users/alice"
        );
        assert_eq!(
            back_to(&fields("/console/policy?arn=x")),
            "/console/policy?arn=x"
        );
        for elsewhere in [
            "https://example.com/",
            "//example.com/console",
            "/console//example.com",
            "/console\\@example.com",
            "/consolé",
            "/console/\r\nSet-Cookie: x=y",
            "",
        ] {
            assert_eq!(back_to(&fields(elsewhere)), "/console", "{elsewhere:?}");
        }
        assert_eq!(back_to(&[]), "/console");
    }

    #[test]
    fn cookies_are_read_by_exact_name_and_set_safely() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("castellan-console-x=no; castellan-console=yes"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("yes"));
        assert_eq!(cookie(&headers, SIGN_IN_COOKIE), None);
        let set = set_cookie(SESSION_COOKIE, "v", true, None);
        assert_eq!(
            set.to_str().ok(),
            Some("castellan-console=v; Path=/console; HttpOnly; SameSite=Strict; Secure")
        );
        assert!(same(&csrf_of("a"), &csrf_of("a")));
        assert!(!same(&csrf_of("a"), &csrf_of("b")));
    }
}
