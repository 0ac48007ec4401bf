//! The decision API: `POST /v1/authorize` answers "may this principal do this?" for other
//! software, one check or a batch, about a principal named by ARN or access key id, or about
//! the signer of a request the asker received and forwards (method, path, query, headers and
//! the body's SHA-256). The asker signs with SigV4 (scope service `castellan`) and needs
//! `castellan:Authorize` on the principal's ARN. `GET /v1/openapi.json` describes it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use service::{Answer, AuthenticationError, Caller, ContextValue, Decision, Question, RequestInfo};
use sigv4::Verifier;
use wire::{CommonError, Service as WireService};

use crate::audit::{self, Event};
use crate::handler::{Connection, Shared, client_info, drain, header_pairs, read_body, request_id};

/// The most checks one call may carry.
pub(crate) const MAX_CHECKS: usize = 100;
/// The credential scope service askers sign for.
const SIGNING_SERVICE: &str = "castellan";

/// What the API's verifiers accept: its own callers, and forwarded requests of any service
/// (S3's paths are not normalised, as S3 signs them).
#[derive(Debug)]
pub(crate) struct Verifiers {
    asker: Verifier,
    forwarded: Verifier,
    forwarded_s3: Verifier,
}

impl Verifiers {
    pub(crate) fn new() -> Verifiers {
        Verifiers {
            asker: Verifier::new().with_services([SIGNING_SERVICE]),
            forwarded: Verifier::new().with_any_service(),
            forwarded_s3: Verifier::new()
                .with_any_service()
                .with_path_normalization(false),
        }
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/authorize", post(authorize))
        .route("/v1/openapi.json", get(openapi))
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("decision_openapi.json"),
    )
        .into_response()
}

/// An error of the API: `{"error": {"code", "message"}}` with its HTTP status.
#[derive(Debug)]
struct Problem {
    status: u16,
    code: String,
    message: String,
}

impl Problem {
    fn invalid(message: impl Into<String>) -> Problem {
        Problem::common(CommonError::ValidationError, message.into())
    }

    fn common(error: CommonError, message: String) -> Problem {
        Problem {
            status: error.status(WireService::Iam),
            code: error.code().to_owned(),
            message,
        }
    }

    fn of_service(error: &service::ServiceError) -> Problem {
        Problem {
            status: error.status(WireService::Iam),
            code: error.code().to_owned(),
            message: error.message(),
        }
    }

    fn of_signature(error: &sigv4::AuthError) -> Problem {
        Problem {
            status: error.status(),
            code: error.code().to_owned(),
            message: error.message(),
        }
    }

    fn of_refusal(error: &AuthenticationError) -> Problem {
        match error {
            AuthenticationError::Signature(e) => Problem::of_signature(e),
            AuthenticationError::Service(e) => Problem::of_service(e),
        }
    }

    fn body(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message}})
    }
}

fn json_answer(status: u16, body: &Value, request_id: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}

async fn authorize(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let request_id = request_id(request.headers());
    let (parts, mut body) = request.into_parts();
    let Some(connection) = parts.extensions.get::<Connection>().copied() else {
        let problem = Problem::common(
            CommonError::InternalFailure,
            wire::INTERNAL_FAILURE_MESSAGE.to_owned(),
        );
        return json_answer(problem.status, &problem.body(), &request_id);
    };
    let received = match read_body(&shared, &parts.headers, &mut body, WireService::Iam).await {
        Ok(received) => received,
        Err(failure) => {
            drain(&mut body).await;
            let problem = Problem {
                status: failure.status,
                code: failure.code.to_owned(),
                message: failure.message,
            };
            return json_answer(problem.status, &problem.body(), &request_id);
        }
    };
    let app = &shared.app;
    let service = app.service();
    let client = client_info(&shared, &connection, &parts.headers).request_info(&parts.headers);
    let pairs = header_pairs(&parts.headers);
    let signed = sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &pairs,
        body: &received.bytes,
    };
    let asker = match service
        .authenticate(&app.decisions().asker, &signed, client)
        .await
    {
        Ok(authenticated) => authenticated.caller,
        Err(refused) => {
            let problem = Problem::of_refusal(&refused.error);
            return json_answer(problem.status, &problem.body(), &request_id);
        }
    };
    drop(received.reservation);
    let (status, answer) = answer(&shared, &asker, &received.bytes).await;
    if let Some(log) = app.audit() {
        let event = Event {
            source: "castellan",
            name: "Authorize".to_owned(),
            read_only: true,
            request_id: &request_id,
            region: &asker.request.region,
            source_ip: asker.request.source_ip,
            user_agent: asker.request.user_agent.as_deref(),
            identity: audit::Who::Caller(&asker),
            recipient_account: Some(&asker.account_id),
            // What was asked is not recorded: a forwarded request's headers hold another
            // caller's signature.
            parameters: Value::Null,
        };
        let outcome = answer
            .pointer("/error/code")
            .and_then(Value::as_str)
            .map(|code| {
                (
                    Some(code),
                    answer
                        .pointer("/error/message")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
            });
        log.write(
            &event.record(std::time::SystemTime::now(), outcome, Value::Null),
            false,
        );
    }
    json_answer(status, &answer, &request_id)
}

/// The answer to a call: one check, or `{"checks": [...]}` answered `{"results": [...]}`
/// (each result a decision or its own error; the call itself succeeds).
async fn answer(shared: &Shared, asker: &Caller, body: &[u8]) -> (u16, Value) {
    let document: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(document)) => Value::Object(document),
        _ => {
            let problem = Problem::invalid("The body must be a JSON object.");
            return (problem.status, problem.body());
        }
    };
    match document.get("checks") {
        None => match check(shared, asker, &document).await {
            Ok(answer) => (200, answer),
            Err(problem) => (problem.status, problem.body()),
        },
        Some(Value::Array(checks)) if !checks.is_empty() && checks.len() <= MAX_CHECKS => {
            let mut results = Vec::with_capacity(checks.len());
            for one in checks {
                results.push(match check(shared, asker, one).await {
                    Ok(answer) => answer,
                    Err(problem) => problem.body(),
                });
            }
            (200, json!({"results": results}))
        }
        Some(_) => {
            let problem = Problem::invalid(format!(
                "checks must be a list of 1 to {MAX_CHECKS} checks."
            ));
            (problem.status, problem.body())
        }
    }
}

/// Who a check is about, as the check says.
#[derive(Debug)]
enum Who {
    /// An ARN or access key id.
    Named(String),
    Forwarded(Forwarded),
}

/// A forwarded request's parts.
#[derive(Debug)]
struct Forwarded {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body_sha256: String,
}

/// One check: the principal (named or forwarded), the asker's permission, the decision.
async fn check(shared: &Shared, asker: &Caller, check: &Value) -> Result<Value, Problem> {
    let (who, question) = parse_check(check)?;
    let service = shared.app.service();
    let principal = match who {
        Who::Named(reference) => service
            .principal_named(&reference, RequestInfo::default())
            .await
            .map_err(|e| Problem::of_service(&e))?,
        Who::Forwarded(forwarded) => {
            let signer = forwarded_caller(shared, &forwarded).await?;
            // The forwarded request is the signer's own use of the service it asks for.
            if let Some((namespace, action)) = question.action.split_once(':') {
                service
                    .note_service_access(&signer, namespace, action)
                    .await;
            }
            signer
        }
    };
    service
        .allow_question(asker, &principal)
        .await
        .map_err(|e| Problem::of_service(&e))?;
    let answer = service
        .decide(&principal, &question)
        .await
        .map_err(|e| Problem::of_service(&e))?;
    Ok(answer_json(&answer))
}

/// A check's JSON, read whole before anything is looked up (and fuzzed alone).
fn parse_check(check: &Value) -> Result<(Who, Question), Problem> {
    let Value::Object(fields) = check else {
        return Err(Problem::invalid("A check must be a JSON object."));
    };
    let text = |name: &str| -> Result<Option<String>, Problem> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(Problem::invalid(format!("{name} must be a string."))),
        }
    };
    let required = |name: &str| -> Result<String, Problem> {
        text(name)?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Problem::invalid(format!("{name} is required.")))
    };
    let action = required("action")?;
    if !action.contains(':') {
        return Err(Problem::invalid("action must be service:Action."));
    }
    let question = Question {
        action,
        resource: text("resource")?.unwrap_or_else(|| "*".to_owned()),
        context: context(fields.get("context"))?,
        resource_policy: match fields.get("resourcePolicy") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(document @ Value::Object(_)) => Some(document.to_string()),
            Some(_) => {
                return Err(Problem::invalid(
                    "resourcePolicy must be a policy document.",
                ));
            }
        },
        resource_account: text("resourceAccount")?,
    };
    let who = match (fields.get("principal"), fields.get("forwarded")) {
        (Some(Value::String(reference)), None) => Who::Named(reference.clone()),
        (None, Some(Value::Object(forwarded))) => Who::Forwarded(parse_forwarded(forwarded)?),
        _ => {
            return Err(Problem::invalid(
                "A check names its principal (an ARN or access key id) or forwards a signed request, not both.",
            ));
        }
    };
    Ok((who, question))
}

fn parse_forwarded(forwarded: &Map<String, Value>) -> Result<Forwarded, Problem> {
    let text = |name: &str| forwarded.get(name).and_then(Value::as_str);
    let required = |name: &str| {
        text(name)
            .map(str::to_owned)
            .ok_or_else(|| Problem::invalid(format!("forwarded.{name} is required.")))
    };
    let headers: Vec<(String, String)> = match forwarded.get("headers") {
        Some(Value::Object(headers)) => headers
            .iter()
            .map(|(name, value)| Ok((name.clone(), value.as_str().ok_or(())?.to_owned())))
            .collect::<Result<_, ()>>(),
        Some(Value::Array(headers)) => headers
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(name), Value::String(value)]) => {
                    Ok((name.clone(), value.clone()))
                }
                _ => Err(()),
            })
            .collect(),
        _ => Err(()),
    }
    .map_err(|()| {
        Problem::invalid(
            "forwarded.headers must be an object or a list of [name, value] pairs of strings.",
        )
    })?;
    Ok(Forwarded {
        method: required("method")?,
        path: required("path")?,
        query: text("query").unwrap_or_default().to_owned(),
        headers,
        body_sha256: required("bodySha256")?,
    })
}

/// The signer of a forwarded request, verified.
async fn forwarded_caller(shared: &Shared, forwarded: &Forwarded) -> Result<Caller, Problem> {
    let pairs: Vec<(&str, &[u8])> = forwarded
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    let request = sigv4::Request {
        method: &forwarded.method,
        path: &forwarded.path,
        query: &forwarded.query,
        headers: &pairs,
        body: &[],
    };
    let verifiers = shared.app.decisions();
    let verifier = match sigv4::claim(&request) {
        Some(claim) if claim.service == "s3" => &verifiers.forwarded_s3,
        _ => &verifiers.forwarded,
    };
    // The end client's facts are the forwarding server's to give (as context keys): this
    // connection is that server's.
    let user_agent = forwarded
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
        .map(|(_, value)| value.clone());
    let info = RequestInfo {
        user_agent,
        ..RequestInfo::default()
    };
    shared
        .app
        .service()
        .authenticate_forwarded(verifier, &request, &forwarded.body_sha256, info)
        .await
        .map_err(|refused| Problem::of_refusal(&refused.error))
}

/// The question's context: each key to a string, or a list of strings (numbers and booleans
/// are taken as their text).
fn context(value: Option<&Value>) -> Result<Vec<(String, ContextValue)>, Problem> {
    let scalar = |value: &Value| match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(keys)) => keys
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::Array(items) => items
                        .iter()
                        .map(scalar)
                        .collect::<Option<Vec<_>>>()
                        .map(ContextValue::Multi),
                    other => scalar(other).map(ContextValue::Single),
                };
                value.map(|value| (key.clone(), value)).ok_or_else(|| {
                    Problem::invalid(format!(
                        "context {key} must be a string or a list of strings."
                    ))
                })
            })
            .collect(),
        Some(_) => Err(Problem::invalid(
            "context must be an object of condition keys.",
        )),
    }
}

fn answer_json(answer: &Answer) -> Value {
    let decision = match answer.decision {
        Decision::Allow => "Allow",
        Decision::ExplicitDeny => "ExplicitDeny",
        Decision::ImplicitDeny => "ImplicitDeny",
    };
    let matched: Vec<Value> = answer
        .matched
        .iter()
        .map(|m| {
            json!({
                "policyType": m.policy_type,
                "policy": m.policy,
                "statement": m.statement,
                "sid": m.sid,
                "effect": m.effect,
            })
        })
        .collect();
    let mut body = json!({
        "decision": decision,
        "allowed": answer.decision.is_allowed(),
        "principal": answer.principal_arn,
        "account": answer.account_id,
        "matchedStatements": matched,
    });
    if let (Some(message), Some(fields)) = (&answer.message, body.as_object_mut()) {
        fields.insert("message".to_owned(), Value::from(message.as_str()));
    }
    body
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// JSON values of any shape, with the field names a check uses.
    fn json_value() -> impl Strategy<Value = Value> {
        let name = prop::sample::select(vec![
            "principal",
            "forwarded",
            "action",
            "resource",
            "context",
            "resourcePolicy",
            "resourceAccount",
            "method",
            "path",
            "query",
            "headers",
            "bodySha256",
            "x",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            Just(Value::from("s3:GetObject")),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((name.clone(), inner), 0..6).prop_map(|fields| {
                    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }

    proptest! {
        /// Whatever a caller sends, a check is read or refused with ValidationError, never a
        /// panic.
        #[test]
        fn any_check_is_read_or_refused(value in json_value()) {
            if let Err(problem) = parse_check(&value) {
                prop_assert_eq!(problem.status, 400);
                prop_assert_eq!(problem.code, "ValidationError");
            }
        }
    }

    #[test]
    fn checks_name_one_principal() {
        let named = json!({"principal": "AKIAEXAMPLE", "action": "s3:GetObject"});
        let (who, question) = parse_check(&named).unwrap();
        assert!(matches!(who, Who::Named(ref k) if k == "AKIAEXAMPLE"));
        assert_eq!(question.resource, "*");
        let both = json!({"principal": "a", "forwarded": {}, "action": "s3:GetObject"});
        assert!(parse_check(&both).is_err());
        let forwarded = json!({"action": "s3:GetObject", "context": {"aws:SourceIp": "10.0.0.1", "n": 3, "l": ["a", true]},
            "forwarded": {"method": "GET", "path": "/b/k", "headers": {"host": "h"}, "bodySha256": "00"}});
        let (who, question) = parse_check(&forwarded).unwrap();
        assert!(
            matches!(who, Who::Forwarded(ref f) if f.query.is_empty() && f.headers == [("host".to_owned(), "h".to_owned())])
        );
        assert_eq!(question.context.len(), 3);
        let bad_headers = json!({"action": "s3:GetObject",
            "forwarded": {"method": "GET", "path": "/", "headers": [["host"]], "bodySha256": "00"}});
        assert!(parse_check(&bad_headers).is_err());
    }
}
