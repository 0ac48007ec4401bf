//! The console's handlers: sign-in and sign-out, the password change, the pages (each read
//! through IAM operations as the signed-in person), and `/console/do`, which runs the IAM
//! operation a form names.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use service::{DocumentKind, SamlSignIn, Secret, SignIn, SignInRequest, check_document};
use wire::iam::Response as Iam;

use super::templates::{
    AccountPage, Chrome, CredentialsPage, Dashboard, GroupPage, Input, KeyPage, ListPage, MfaPage,
    PasswordPage, PolicyPage, RolePage, Row, SamlRefusedPage, SamlRolesPage, SamlSignedInPage,
    SignInPage, UserPage,
};
use super::{
    AnyVisit, MAX_SAML_FORM_BYTES, Problem, SESSION_COOKIE, SIGN_IN_COOKIE, Visit, back_to, cookie,
    csrf_ok, field, form, form_within, page, pairs, request_info, same, see_other, set_cookie,
};
use crate::handler::{Connection, Shared};

/// AWS's words for every failed sign-in, whatever failed.
const REFUSED: &str = "Your authentication information is incorrect. Please try again.";

/// The query string's value for `name`.
fn query(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The frame of a signed-in page, with the notice a form left in the query string.
fn chrome(visit: &Visit, uri: &Uri) -> Chrome {
    Chrome {
        who: visit.who(),
        csrf: visit.csrf.clone(),
        done: query(uri, "done"),
        error: query(uri, "error"),
    }
}

/// The expected response of an IAM call, or its problem.
macro_rules! expect {
    ($result:expr, $variant:ident) => {
        match $result {
            Ok(Iam::$variant(response)) => Ok(response),
            Ok(_) => Err(Problem {
                code: wire::CommonError::InternalFailure.code(),
                message: "unexpected response".to_owned(),
            }),
            Err(problem) => Err(problem),
        }
    };
}

/// A policy document as the API returns it (percent-encoded), made readable.
fn decoded(document: &str) -> String {
    let bytes = document.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|b| char::from(*b).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (bytes.get(i), hex(i + 1), hex(i + 2)) {
            (Some(b'%'), Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (Some(byte), _, _) => {
                out.push(*byte);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    // Shown as written: the author's layout and member order are part of the document.
    String::from_utf8_lossy(&out).into_owned()
}

// Sign-in, sign-out, password.

pub(crate) async fn sign_in_page(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let secure = request_info(&shared, &connection, &headers).secure_transport;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut response = page(
        StatusCode::OK,
        &SignInPage {
            csrf: token.clone(),
            root: query(&uri, "root").is_some(),
            account: query(&uri, "account").unwrap_or_default(),
            user_name: String::new(),
            error: None,
            mfa_required: false,
        },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, &token, secure, Some(3600)),
    );
    response
}

pub(crate) async fn sign_in(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    request: Request,
) -> Response {
    let Some((parts, fields)) = form(request).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let info = request_info(&shared, &connection, &parts.headers);
    let secure = info.secure_transport;
    // Login CSRF: the form must carry the token its own page set as a cookie.
    let token = cookie(&parts.headers, SIGN_IN_COOKIE).unwrap_or_default();
    if token.is_empty() || !field(&fields, "csrf").is_some_and(|f| same(f, &token)) {
        return see_other("/console/signin");
    }
    let root = field(&fields, "root").is_some();
    let user_name = if root {
        field(&fields, "email")
    } else {
        field(&fields, "user")
    }
    .unwrap_or_default()
    .trim()
    .to_owned();
    let account = if root {
        String::new()
    } else {
        field(&fields, "account")
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let mfa_code = field(&fields, "mfa")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let mfa_used = mfa_code.is_some();
    let outcome = shared
        .app
        .service()
        .sign_in(&SignInRequest {
            account: account.clone(),
            user_name: user_name.clone(),
            password: Secret::new(field(&fields, "password").unwrap_or_default().to_owned()),
            mfa_code,
            source_ip: info.source_ip,
        })
        .await;
    if let Some(log) = shared.app.audit() {
        let signed_in = match &outcome {
            Ok(SignIn::SignedIn { .. }) => Some(true),
            Ok(SignIn::Refused) => Some(false),
            // The password was right; the sign-in ends (and is recorded) with the code.
            Ok(SignIn::MfaRequired) | Err(_) => None,
        };
        if let Some(signed_in) = signed_in {
            let request_id = crate::handler::request_id(&parts.headers);
            write_sign_in_event(
                log,
                &info,
                &request_id,
                root,
                &account,
                &user_name,
                signed_in,
                mfa_used,
            );
        }
    }
    let again = |error: Option<&str>, mfa_required: bool| {
        page(
            StatusCode::OK,
            &SignInPage {
                csrf: token.clone(),
                root,
                account: account.clone(),
                user_name: user_name.clone(),
                error: error.map(str::to_owned),
                mfa_required,
            },
        )
    };
    match outcome {
        Ok(SignIn::SignedIn {
            cookie,
            password_change,
        }) => {
            let mut response = see_other(if password_change {
                "/console/password"
            } else {
                "/console"
            });
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, cookie.expose(), secure, None),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(SIGN_IN_COOKIE, "", secure, Some(0)),
            );
            response
        }
        Ok(SignIn::MfaRequired) => again(
            Some("Enter the code your MFA device shows, with your password."),
            true,
        ),
        Ok(SignIn::Refused) => again(Some(REFUSED), false),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The audit record of a console sign-in (CloudTrail's `ConsoleLogin`). A refused sign-in
/// names no user: what was typed as the name may be anything, a password included.
#[allow(clippy::too_many_arguments)]
fn write_sign_in_event(
    log: &crate::audit::AuditLog,
    info: &service::RequestInfo,
    request_id: &str,
    root: bool,
    account: &str,
    user_name: &str,
    signed_in: bool,
    mfa_used: bool,
) {
    let account_id =
        (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account);
    let identity = match (signed_in, root) {
        (true, true) => serde_json::json!({"type": "Root"}),
        (true, false) => {
            serde_json::json!({"type": "IAMUser", "accountId": account_id, "userName": user_name})
        }
        (false, _) => serde_json::json!({
            "type": if root { "Root" } else { "IAMUser" },
            "accountId": account_id,
            "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
        }),
    };
    let event = crate::audit::Event {
        source: "signin.amazonaws.com",
        name: "ConsoleLogin".to_owned(),
        read_only: false,
        request_id,
        region: "us-east-1",
        source_ip: info.source_ip,
        user_agent: info.user_agent.as_deref(),
        identity: crate::audit::Who::Described(identity),
        recipient_account: account_id,
        parameters: serde_json::Value::Null,
    };
    let response = serde_json::json!({
        "ConsoleLogin": if signed_in { "Success" } else { "Failure" },
        "MFAUsed": if mfa_used { "Yes" } else { "No" },
    });
    // CloudTrail's failed ConsoleLogin has a message and no error code.
    let outcome = (!signed_in).then_some((None, "Failed authentication"));
    log.write(
        &event.record(std::time::SystemTime::now(), outcome, response),
        true,
    );
}

/// Where a SAML sign-in lands: the relay state when it is a console page, else the
/// dashboard (never another site: the relay state comes from the IdP's form).
fn saml_destination(relay_state: &str) -> String {
    let local = relay_state.starts_with("/console")
        && !relay_state.contains("//")
        && !relay_state.contains('\\')
        && relay_state.bytes().all(|b| b.is_ascii_graphic());
    if local {
        relay_state.to_owned()
    } else {
        "/console".to_owned()
    }
}

/// `POST /saml`: an identity provider's SAML response (HTTP-POST binding), as AWS's sign-in
/// endpoint takes it. No CSRF token can exist (the IdP's page posts it): the response's
/// signature is what is checked. Several roles offered: the role page posts the response
/// back with `roleIndex`, the chosen role's ARN.
pub(crate) async fn saml_sign_in(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    request: Request,
) -> Response {
    saml_sign_in_at(shared, connection, None, request).await
}

/// `POST /saml/acs/<provider id>`: the same, at one provider's own endpoint (AWS's
/// `/saml/acs/<IdP id>`), where an IdP that encrypts its assertions posts them (reading 75).
pub(crate) async fn saml_provider_sign_in(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    Path(provider_id): Path<String>,
    request: Request,
) -> Response {
    // A provider id is a UUID: anything else names no provider (and never reaches a page).
    if provider_id.is_empty()
        || provider_id.len() > 64
        || !provider_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return page(StatusCode::FORBIDDEN, &SamlRefusedPage);
    }
    saml_sign_in_at(shared, connection, Some(provider_id), request).await
}

async fn saml_sign_in_at(
    shared: Arc<Shared>,
    connection: Connection,
    provider_id: Option<String>,
    request: Request,
) -> Response {
    let Some((parts, fields)) = form_within(request, MAX_SAML_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let info = request_info(&shared, &connection, &parts.headers);
    let secure = info.secure_transport;
    let saml_response = field(&fields, "SAMLResponse")
        .unwrap_or_default()
        .to_owned();
    let relay_state = field(&fields, "RelayState").unwrap_or_default().to_owned();
    let outcome = shared
        .app
        .service()
        .saml_sign_in(
            info,
            provider_id.as_deref(),
            &saml_response,
            field(&fields, "roleIndex"),
        )
        .await;
    match outcome {
        Ok(SamlSignIn::SignedIn { cookie }) => {
            let mut response = page(
                StatusCode::OK,
                &SamlSignedInPage {
                    destination: saml_destination(&relay_state),
                },
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, cookie.expose(), secure, None),
            );
            response
        }
        Ok(SamlSignIn::ChooseRole { roles }) => page(
            StatusCode::OK,
            &SamlRolesPage {
                action: provider_id
                    .map_or_else(|| "/saml".to_owned(), |id| format!("/saml/acs/{id}")),
                saml_response,
                relay_state,
                roles,
            },
        ),
        Err(error) if error.is_internal() => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Err(_) => page(StatusCode::FORBIDDEN, &SamlRefusedPage),
    }
}

pub(crate) async fn sign_out(AnyVisit(visit): AnyVisit, request: Request) -> Response {
    let Some((_, fields)) = form(request).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if !csrf_ok(&visit, &fields) {
        return see_other("/console");
    }
    if visit
        .shared
        .app
        .service()
        .sign_out(&visit.cookie)
        .await
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = see_other("/console/signin");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", visit.secure, Some(0)),
    );
    response
}

pub(crate) async fn password_page(AnyVisit(visit): AnyVisit) -> Response {
    page(
        StatusCode::OK,
        &PasswordPage {
            csrf: visit.csrf.clone(),
            required: visit.console.password_change,
            error: None,
        },
    )
}

pub(crate) async fn change_password(AnyVisit(visit): AnyVisit, request: Request) -> Response {
    let Some((_, fields)) = form(request).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if !csrf_ok(&visit, &fields) {
        return see_other("/console/password");
    }
    let failed = |error: String| {
        page(
            StatusCode::OK,
            &PasswordPage {
                csrf: visit.csrf.clone(),
                required: visit.console.password_change,
                error: Some(error),
            },
        )
    };
    let new = field(&fields, "new").unwrap_or_default();
    if field(&fields, "confirm") != Some(new) {
        return failed("The new password and its confirmation differ.".to_owned());
    }
    let result = visit
        .iam(pairs(&[
            ("Action", "ChangePassword"),
            ("OldPassword", field(&fields, "old").unwrap_or_default()),
            ("NewPassword", new),
        ]))
        .await;
    if let Err(problem) = result {
        return failed(problem.text());
    }
    let service = visit.shared.app.service();
    match service
        .console_password_changed(&visit.cookie, &visit.console)
        .await
    {
        Ok(cookie) => {
            let mut response = see_other("/console?done=Your+password+was+changed.");
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, cookie.expose(), visit.secure, None),
            );
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

// Pages.

pub(crate) async fn dashboard(visit: Visit, headers: HeaderMap, uri: Uri) -> Response {
    let account_id = visit.console.caller.account_id.clone();
    let alias = visit.console.account_alias.clone();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if visit.secure { "https" } else { "http" };
    let sign_in_url = format!(
        "{scheme}://{host}/console/signin?account={}",
        alias.as_deref().unwrap_or(&account_id)
    );
    let summary = expect!(
        visit.iam(pairs(&[("Action", "GetAccountSummary")])).await,
        GetAccountSummary
    );
    let (recommendations, resources, summary_problem) = match summary {
        Ok(summary) => {
            let map = summary.summary_map.unwrap_or_default();
            let get = |key: &str| {
                map.iter()
                    .find(|(k, _)| k.as_str() == key)
                    .map_or(0, |(_, v)| *v)
            };
            let mut recommendations = Vec::new();
            if get("AccountAccessKeysPresent") > 0 {
                recommendations.push("The root user has access keys: delete them, and use IAM users or roles for everyday work.".to_owned());
            }
            if get("AccountMFAEnabled") == 0 {
                recommendations.push(
                    "The root user has no MFA device: assign one to protect the account."
                        .to_owned(),
                );
            }
            if get("Users") > 0 && get("MFADevicesInUse") < get("Users") {
                recommendations.push(format!(
                    "{} of {} users have no MFA device in use.",
                    get("Users") - get("MFADevicesInUse").min(get("Users")),
                    get("Users")
                ));
            }
            let resources = [
                ("Users", "UsersQuota"),
                ("Groups", "GroupsQuota"),
                ("Roles", "RolesQuota"),
                ("Policies", "PoliciesQuota"),
                ("InstanceProfiles", "InstanceProfilesQuota"),
                ("ServerCertificates", "ServerCertificatesQuota"),
                ("MFADevices", ""),
            ]
            .into_iter()
            .map(|(used, quota)| {
                let quota = if quota.is_empty() {
                    String::new()
                } else {
                    get(quota).to_string()
                };
                (used.to_owned(), get(used), quota)
            })
            .collect();
            (recommendations, resources, None)
        }
        Err(problem) => (Vec::new(), Vec::new(), Some(problem.text())),
    };
    page(
        StatusCode::OK,
        &Dashboard {
            chrome: chrome(&visit, &uri),
            account_id,
            alias,
            sign_in_url,
            recommendations,
            summary_problem,
            resources,
        },
    )
}

/// A list page without search, tabs or create form.
fn list_page(visit: &Visit, uri: &Uri, title: &'static str, here: &str) -> ListPage {
    ListPage {
        chrome: chrome(visit, uri),
        title,
        here: here.to_owned(),
        problem: None,
        filter_name: "",
        filter: String::new(),
        filter_hidden: Vec::new(),
        tabs: Vec::new(),
        columns: Vec::new(),
        rows: Vec::new(),
        note: None,
        create_action: "",
        create_title: "",
        create_fields: Vec::new(),
    }
}

fn input(name: &'static str, label: &'static str, required: bool) -> Input {
    Input {
        name,
        label,
        value: String::new(),
        required,
        multiline: false,
        policy: "",
    }
}

fn link(base: &str, name: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("{base}/{encoded}")
}

pub(crate) async fn users(visit: Visit, uri: Uri) -> Response {
    let mut list = list_page(&visit, &uri, "Users", "/console/users");
    list.columns = vec!["User name", "Path", "Created", "Console last sign-in"];
    match expect!(
        visit
            .iam(pairs(&[("Action", "ListUsers"), ("MaxItems", "1000")]))
            .await,
        ListUsers
    ) {
        Ok(users) => {
            list.rows = users
                .users
                .into_iter()
                .map(|u| Row {
                    link: link("/console/users", &u.user_name),
                    cells: vec![
                        u.path,
                        u.create_date.to_string(),
                        u.password_last_used
                            .map_or_else(|| "Never".to_owned(), |t| t.to_string()),
                    ],
                    name: u.user_name,
                })
                .collect();
        }
        Err(problem) => list.problem = Some(problem.text()),
    }
    list.create_action = "CreateUser";
    list.create_title = "Create user";
    list.create_fields = vec![
        input("UserName", "User name", true),
        input("Path", "Path (optional, such as /engineering/)", false),
    ];
    page(StatusCode::OK, &list)
}

/// The managed and inline policies of a user, group or role (`kind`), as
/// (attached, inline, problem).
async fn permissions(
    visit: &Visit,
    kind: &str,
    name: &str,
) -> (Vec<(String, String)>, Vec<(String, String)>, Option<String>) {
    let name_key = format!("{kind}Name");
    let attached = visit
        .iam(vec![
            ("Action".to_owned(), format!("ListAttached{kind}Policies")),
            (name_key.clone(), name.to_owned()),
            ("MaxItems".to_owned(), "1000".to_owned()),
        ])
        .await;
    let attached = match attached {
        Ok(
            Iam::ListAttachedUserPolicies(wire::iam::ListAttachedUserPoliciesResponse {
                attached_policies,
                ..
            })
            | Iam::ListAttachedGroupPolicies(wire::iam::ListAttachedGroupPoliciesResponse {
                attached_policies,
                ..
            })
            | Iam::ListAttachedRolePolicies(wire::iam::ListAttachedRolePoliciesResponse {
                attached_policies,
                ..
            }),
        ) => attached_policies
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                (
                    p.policy_name.unwrap_or_default(),
                    p.policy_arn.unwrap_or_default(),
                )
            })
            .collect(),
        Ok(_) => Vec::new(),
        Err(problem) => return (Vec::new(), Vec::new(), Some(problem.text())),
    };
    let names = visit
        .iam(vec![
            ("Action".to_owned(), format!("List{kind}Policies")),
            (name_key.clone(), name.to_owned()),
            ("MaxItems".to_owned(), "1000".to_owned()),
        ])
        .await;
    let names = match names {
        Ok(
            Iam::ListUserPolicies(wire::iam::ListUserPoliciesResponse { policy_names, .. })
            | Iam::ListGroupPolicies(wire::iam::ListGroupPoliciesResponse { policy_names, .. })
            | Iam::ListRolePolicies(wire::iam::ListRolePoliciesResponse { policy_names, .. }),
        ) => policy_names,
        Ok(_) => Vec::new(),
        Err(problem) => return (attached, Vec::new(), Some(problem.text())),
    };
    let mut inline = Vec::new();
    for policy in names {
        let document = visit
            .iam(vec![
                ("Action".to_owned(), format!("Get{kind}Policy")),
                (name_key.clone(), name.to_owned()),
                ("PolicyName".to_owned(), policy.clone()),
            ])
            .await;
        let text = match document {
            Ok(Iam::GetUserPolicy(r)) => decoded(&r.policy_document),
            Ok(Iam::GetGroupPolicy(r)) => decoded(&r.policy_document),
            Ok(Iam::GetRolePolicy(r)) => decoded(&r.policy_document),
            Ok(_) => String::new(),
            Err(problem) => problem.text(),
        };
        inline.push((policy, text));
    }
    (attached, inline, None)
}

pub(crate) async fn user(visit: Visit, uri: Uri, Path(name): Path<String>) -> Response {
    let back = link("/console/users", &name);
    let mut view = UserPage {
        chrome: chrome(&visit, &uri),
        back,
        name: name.clone(),
        problem: None,
        arn: String::new(),
        path: String::new(),
        created: String::new(),
        password_last_used: String::new(),
        groups: Vec::new(),
        all_groups: Vec::new(),
        kind: "User",
        attached: Vec::new(),
        inline: Vec::new(),
        permissions_problem: None,
        has_password: false,
        reset_required: false,
        keys: Vec::new(),
        devices: Vec::new(),
        device_user: Some(name.clone()),
    };
    let user = expect!(
        visit
            .iam(pairs(&[("Action", "GetUser"), ("UserName", &name)]))
            .await,
        GetUser
    );
    match user {
        Ok(found) => {
            let user = found.user;
            view.arn = user.arn;
            view.path = user.path;
            view.created = user.create_date.to_string();
            view.password_last_used = user
                .password_last_used
                .map_or_else(|| "Never".to_owned(), |t| t.to_string());
        }
        Err(problem) => {
            view.problem = Some(problem.text());
            return page(StatusCode::OK, &view);
        }
    }
    if let Ok(groups) = expect!(
        visit
            .iam(pairs(&[
                ("Action", "ListGroupsForUser"),
                ("UserName", &name)
            ]))
            .await,
        ListGroupsForUser
    ) {
        view.groups = groups.groups.into_iter().map(|g| g.group_name).collect();
    }
    if let Ok(groups) = expect!(
        visit
            .iam(pairs(&[("Action", "ListGroups"), ("MaxItems", "1000")]))
            .await,
        ListGroups
    ) {
        view.all_groups = groups.groups.into_iter().map(|g| g.group_name).collect();
    }
    (view.attached, view.inline, view.permissions_problem) =
        permissions(&visit, "User", &name).await;
    if let Ok(profile) = expect!(
        visit
            .iam(pairs(&[("Action", "GetLoginProfile"), ("UserName", &name)]))
            .await,
        GetLoginProfile
    ) {
        view.has_password = true;
        view.reset_required = profile.login_profile.password_reset_required == Some(true);
    }
    if let Ok(keys) = expect!(
        visit
            .iam(pairs(&[("Action", "ListAccessKeys"), ("UserName", &name)]))
            .await,
        ListAccessKeys
    ) {
        view.keys = keys
            .access_key_metadata
            .into_iter()
            .map(|k| {
                (
                    k.access_key_id.unwrap_or_default(),
                    k.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    k.create_date.map(|t| t.to_string()).unwrap_or_default(),
                )
            })
            .collect();
    }
    view.devices = mfa_devices(&visit, Some(&name)).await.unwrap_or_default();
    page(StatusCode::OK, &view)
}

/// The MFA devices of `user` (`None`: the caller's own) as (serial number, enabled).
async fn mfa_devices(visit: &Visit, user: Option<&str>) -> Result<Vec<(String, String)>, Problem> {
    let mut asked = pairs(&[("Action", "ListMFADevices")]);
    if let Some(user) = user {
        asked.push(("UserName".to_owned(), user.to_owned()));
    }
    let listed = expect!(visit.iam(asked).await, ListMFADevices)?;
    Ok(listed
        .mfa_devices
        .into_iter()
        .map(|d| (d.serial_number, d.enable_date.to_string()))
        .collect())
}

/// The signed-in person's own MFA devices (the root user's are set up only here).
pub(crate) async fn credentials(visit: Visit, uri: Uri) -> Response {
    let (devices, problem) = match mfa_devices(&visit, None).await {
        Ok(devices) => (devices, None),
        Err(problem) => (Vec::new(), Some(problem.text())),
    };
    page(
        StatusCode::OK,
        &CredentialsPage {
            chrome: chrome(&visit, &uri),
            back: "/console/credentials".to_owned(),
            problem,
            devices,
            device_user: visit.console.user_name.clone(),
        },
    )
}

pub(crate) async fn groups(visit: Visit, uri: Uri) -> Response {
    let mut list = list_page(&visit, &uri, "User groups", "/console/groups");
    list.columns = vec!["Group name", "Path", "Created"];
    match expect!(
        visit
            .iam(pairs(&[("Action", "ListGroups"), ("MaxItems", "1000")]))
            .await,
        ListGroups
    ) {
        Ok(groups) => {
            list.rows = groups
                .groups
                .into_iter()
                .map(|g| Row {
                    link: link("/console/groups", &g.group_name),
                    cells: vec![g.path, g.create_date.to_string()],
                    name: g.group_name,
                })
                .collect();
        }
        Err(problem) => list.problem = Some(problem.text()),
    }
    list.create_action = "CreateGroup";
    list.create_title = "Create group";
    list.create_fields = vec![
        input("GroupName", "Group name", true),
        input("Path", "Path (optional)", false),
    ];
    page(StatusCode::OK, &list)
}

pub(crate) async fn group(visit: Visit, uri: Uri, Path(name): Path<String>) -> Response {
    let mut view = GroupPage {
        chrome: chrome(&visit, &uri),
        back: link("/console/groups", &name),
        name: name.clone(),
        problem: None,
        arn: String::new(),
        created: String::new(),
        members: Vec::new(),
        kind: "Group",
        attached: Vec::new(),
        inline: Vec::new(),
        permissions_problem: None,
    };
    match expect!(
        visit
            .iam(pairs(&[("Action", "GetGroup"), ("GroupName", &name)]))
            .await,
        GetGroup
    ) {
        Ok(found) => {
            view.arn = found.group.arn;
            view.created = found.group.create_date.to_string();
            view.members = found.users.into_iter().map(|u| u.user_name).collect();
        }
        Err(problem) => {
            view.problem = Some(problem.text());
            return page(StatusCode::OK, &view);
        }
    }
    (view.attached, view.inline, view.permissions_problem) =
        permissions(&visit, "Group", &name).await;
    page(StatusCode::OK, &view)
}

/// The trust policy a new role starts from: assumable by the account's own principals.
fn starter_trust(account: &str) -> String {
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Principal\": {{\"AWS\": \"arn:aws:iam::{account}:root\"}},\n      \"Action\": \"sts:AssumeRole\"\n    }}\n  ]\n}}"
    )
}

pub(crate) async fn roles(visit: Visit, uri: Uri) -> Response {
    let mut list = list_page(&visit, &uri, "Roles", "/console/roles");
    list.columns = vec!["Role name", "Path", "Description", "Created"];
    match expect!(
        visit
            .iam(pairs(&[("Action", "ListRoles"), ("MaxItems", "1000")]))
            .await,
        ListRoles
    ) {
        Ok(roles) => {
            list.rows = roles
                .roles
                .into_iter()
                .map(|r| Row {
                    link: link("/console/roles", &r.role_name),
                    cells: vec![
                        r.path,
                        r.description.unwrap_or_default(),
                        r.create_date.to_string(),
                    ],
                    name: r.role_name,
                })
                .collect();
        }
        Err(problem) => list.problem = Some(problem.text()),
    }
    list.create_action = "CreateRole";
    list.create_title = "Create role";
    list.create_fields = vec![
        input("RoleName", "Role name", true),
        input("Description", "Description (optional)", false),
        Input {
            name: "AssumeRolePolicyDocument",
            label: "Trust policy: who may assume the role (JSON)",
            value: starter_trust(&visit.console.caller.account_id),
            required: true,
            multiline: true,
            policy: "trust",
        },
    ];
    page(StatusCode::OK, &list)
}

pub(crate) async fn role(visit: Visit, uri: Uri, Path(name): Path<String>) -> Response {
    let mut view = RolePage {
        chrome: chrome(&visit, &uri),
        back: link("/console/roles", &name),
        name: name.clone(),
        problem: None,
        arn: String::new(),
        description: String::new(),
        max_session: 3600,
        created: String::new(),
        trust: String::new(),
        kind: "Role",
        attached: Vec::new(),
        inline: Vec::new(),
        permissions_problem: None,
    };
    match expect!(
        visit
            .iam(pairs(&[("Action", "GetRole"), ("RoleName", &name)]))
            .await,
        GetRole
    ) {
        Ok(found) => {
            let role = found.role;
            view.arn = role.arn;
            view.description = role.description.unwrap_or_default();
            view.max_session = role.max_session_duration.unwrap_or(3600);
            view.created = role.create_date.to_string();
            view.trust = role
                .assume_role_policy_document
                .map(|d| decoded(&d))
                .unwrap_or_default();
        }
        Err(problem) => {
            view.problem = Some(problem.text());
            return page(StatusCode::OK, &view);
        }
    }
    (view.attached, view.inline, view.permissions_problem) =
        permissions(&visit, "Role", &name).await;
    page(StatusCode::OK, &view)
}

/// Rows shown at most on the policies page (AWS's catalogue has over 1,400).
const POLICY_ROWS: usize = 200;

pub(crate) async fn policies(visit: Visit, uri: Uri) -> Response {
    let aws = query(&uri, "scope").as_deref() == Some("AWS");
    let filter = query(&uri, "q").unwrap_or_default();
    let mut list = list_page(&visit, &uri, "Policies", "/console/policies");
    list.filter_name = "Search by name";
    list.filter.clone_from(&filter);
    list.filter_hidden = vec![(
        "scope".to_owned(),
        if aws { "AWS" } else { "Local" }.to_owned(),
    )];
    list.tabs = vec![
        (
            "Customer managed".to_owned(),
            "/console/policies".to_owned(),
            !aws,
        ),
        (
            "AWS managed".to_owned(),
            "/console/policies?scope=AWS".to_owned(),
            aws,
        ),
    ];
    list.columns = vec!["Policy name", "Attached to", "Description"];
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut asked = pairs(&[
            ("Action", "ListPolicies"),
            ("Scope", if aws { "AWS" } else { "Local" }),
            ("MaxItems", "1000"),
        ]);
        if let Some(marker) = &marker {
            asked.push(("Marker".to_owned(), marker.clone()));
        }
        match expect!(visit.iam(asked).await, ListPolicies) {
            Ok(page) => {
                found.extend(page.policies.unwrap_or_default());
                match page.marker {
                    Some(next)
                        if page.is_truncated == Some(true) && marker.as_ref() != Some(&next) =>
                    {
                        marker = Some(next);
                    }
                    _ => break,
                }
            }
            Err(problem) => {
                list.problem = Some(problem.text());
                break;
            }
        }
    }
    let needle = filter.to_lowercase();
    let matching: Vec<_> = found
        .into_iter()
        .filter(|p| {
            p.policy_name
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&needle))
        })
        .collect();
    if matching.len() > POLICY_ROWS {
        list.note = Some(format!(
            "Showing {POLICY_ROWS} of {} policies: search to narrow the list.",
            matching.len()
        ));
    }
    list.rows = matching
        .into_iter()
        .take(POLICY_ROWS)
        .map(|p| {
            let arn = p.arn.unwrap_or_default();
            let encoded: String = form_urlencoded::byte_serialize(arn.as_bytes()).collect();
            Row {
                name: p.policy_name.unwrap_or_default(),
                link: format!("/console/policy?arn={encoded}"),
                cells: vec![
                    p.attachment_count.unwrap_or_default().to_string(),
                    p.description.unwrap_or_default(),
                ],
            }
        })
        .collect();
    if !aws {
        list.create_action = "CreatePolicy";
        list.create_title = "Create policy";
        list.create_fields = vec![
            input("PolicyName", "Policy name", true),
            input("Description", "Description (optional)", false),
            Input {
                name: "PolicyDocument",
                label: "Policy document (JSON; checked by the policy engine when saved)",
                value: "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"\",\n      \"Resource\": \"*\"\n    }\n  ]\n}".to_owned(),
                required: true,
                multiline: true,
                policy: "managed",
            },
        ];
    }
    page(StatusCode::OK, &list)
}

pub(crate) async fn policy(visit: Visit, uri: Uri) -> Response {
    let arn = query(&uri, "arn").unwrap_or_default();
    let encoded: String = form_urlencoded::byte_serialize(arn.as_bytes()).collect();
    let mut view = PolicyPage {
        chrome: chrome(&visit, &uri),
        back: format!("/console/policy?arn={encoded}"),
        name: arn.rsplit('/').next().unwrap_or_default().to_owned(),
        problem: None,
        arn: arn.clone(),
        aws_managed: arn.starts_with("arn:aws:iam::aws:"),
        description: String::new(),
        attachments: 0,
        default_version: String::new(),
        document: String::new(),
        versions: Vec::new(),
    };
    match expect!(
        visit
            .iam(pairs(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]))
            .await,
        GetPolicy
    ) {
        Ok(found) => {
            if let Some(policy) = found.policy {
                view.description = policy.description.unwrap_or_default();
                view.attachments = policy.attachment_count.unwrap_or_default();
                view.default_version = policy.default_version_id.unwrap_or_default();
            }
        }
        Err(problem) => {
            view.problem = Some(problem.text());
            return page(StatusCode::OK, &view);
        }
    }
    if let Ok(version) = expect!(
        visit
            .iam(pairs(&[
                ("Action", "GetPolicyVersion"),
                ("PolicyArn", &arn),
                ("VersionId", &view.default_version),
            ]))
            .await,
        GetPolicyVersion
    ) {
        view.document = version
            .policy_version
            .and_then(|v| v.document)
            .map(|d| decoded(&d))
            .unwrap_or_default();
    }
    if let Ok(versions) = expect!(
        visit
            .iam(pairs(&[
                ("Action", "ListPolicyVersions"),
                ("PolicyArn", &arn)
            ]))
            .await,
        ListPolicyVersions
    ) {
        view.versions = versions
            .versions
            .unwrap_or_default()
            .into_iter()
            .map(|v| {
                (
                    v.version_id.unwrap_or_default(),
                    v.create_date.map(|t| t.to_string()).unwrap_or_default(),
                    v.is_default_version == Some(true),
                )
            })
            .collect();
    }
    page(StatusCode::OK, &view)
}

pub(crate) async fn account(visit: Visit, uri: Uri) -> Response {
    let mut view = AccountPage {
        chrome: chrome(&visit, &uri),
        alias: None,
        alias_problem: None,
        policy_problem: None,
        has_policy: false,
        min_length: "8".to_owned(),
        rules: Vec::new(),
        max_age: String::new(),
        reuse: String::new(),
    };
    match expect!(
        visit.iam(pairs(&[("Action", "ListAccountAliases")])).await,
        ListAccountAliases
    ) {
        Ok(aliases) => view.alias = aliases.account_aliases.into_iter().next(),
        Err(problem) => view.alias_problem = Some(problem.text()),
    }
    let policy = match expect!(
        visit
            .iam(pairs(&[("Action", "GetAccountPasswordPolicy")]))
            .await,
        GetAccountPasswordPolicy
    ) {
        Ok(found) => {
            view.has_policy = true;
            Some(found.password_policy)
        }
        Err(problem) if problem.code == wire::iam::Error::NoSuchEntity.code() => None,
        Err(problem) => {
            view.policy_problem = Some(problem.text());
            None
        }
    };
    let set = |get: fn(&wire::iam::PasswordPolicy) -> Option<bool>| {
        policy.as_ref().and_then(get).unwrap_or(false)
    };
    view.rules = vec![
        (
            "RequireUppercaseCharacters",
            "Require at least one uppercase letter (A-Z)",
            set(|p| p.require_uppercase_characters),
        ),
        (
            "RequireLowercaseCharacters",
            "Require at least one lowercase letter (a-z)",
            set(|p| p.require_lowercase_characters),
        ),
        (
            "RequireNumbers",
            "Require at least one number (0-9)",
            set(|p| p.require_numbers),
        ),
        (
            "RequireSymbols",
            "Require at least one symbol (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')",
            set(|p| p.require_symbols),
        ),
        (
            "AllowUsersToChangePassword",
            "Allow users to change their own password",
            set(|p| p.allow_users_to_change_password),
        ),
        (
            "HardExpiry",
            "Expired passwords can only be reset by an administrator",
            set(|p| p.hard_expiry),
        ),
    ];
    if let Some(policy) = &policy {
        view.min_length = policy.minimum_password_length.unwrap_or(6).to_string();
        view.max_age = policy
            .max_password_age
            .map(|d| d.to_string())
            .unwrap_or_default();
        view.reuse = policy
            .password_reuse_prevention
            .map(|n| n.to_string())
            .unwrap_or_default();
    }
    page(StatusCode::OK, &view)
}

/// Runs the IAM operation a form names (`Action` and its parameters, empty ones left out so
/// that AWS's defaults apply) and goes back with its outcome; a created access key is
/// shown once instead.
pub(crate) async fn act(visit: Visit, request: Request) -> Response {
    let Some((parts, fields)) = form(request).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let back = back_to(&fields);
    if !csrf_ok(&visit, &fields) {
        return see_other(&back);
    }
    let action = field(&fields, "Action").unwrap_or_default().to_owned();
    let asked: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, v)| k != "csrf" && k != "back" && k != "assign" && !v.is_empty())
        .cloned()
        .collect();
    let separator = if back.contains('?') { '&' } else { '?' };
    let outcome = if action == "EnableRootMFADevice" {
        // AWS's API has no form for this: only the root user's console enables its device.
        let service = visit.shared.app.service();
        service
            .enable_root_mfa_device(
                &visit.console.caller,
                field(&fields, "SerialNumber").unwrap_or_default(),
                (
                    field(&fields, "AuthenticationCode1").unwrap_or_default(),
                    field(&fields, "AuthenticationCode2").unwrap_or_default(),
                ),
            )
            .await
            .map(|()| Iam::EnableMFADevice)
            .map_err(|e| Problem::from_service(&e))
    } else {
        visit.iam(asked).await
    };
    match outcome {
        Ok(Iam::CreateVirtualMFADevice(created)) => {
            let device = created.virtual_mfa_device;
            let assign = field(&fields, "assign").filter(|u| !u.is_empty());
            let (enable_action, user) = match assign {
                Some(user) => ("EnableMFADevice", Some(user.to_owned())),
                None => ("EnableRootMFADevice", None),
            };
            page(
                StatusCode::OK,
                &MfaPage {
                    chrome: chrome(&visit, &parts.uri),
                    back,
                    serial: device.serial_number,
                    seed: String::from_utf8_lossy(&device.base32_string_seed.unwrap_or_default())
                        .into_owned(),
                    qr_png: data_encoding::BASE64.encode(&device.qr_code_png.unwrap_or_default()),
                    enable_action,
                    user,
                },
            )
        }
        Ok(Iam::CreateAccessKey(created)) => {
            let key = created.access_key;
            let csv = format!(
                "Access key ID,Secret access key\n{},{}\n",
                key.access_key_id, key.secret_access_key
            );
            page(
                StatusCode::OK,
                &KeyPage {
                    chrome: chrome(&visit, &parts.uri),
                    user: key.user_name,
                    key_id: key.access_key_id,
                    secret: key.secret_access_key,
                    csv,
                    back,
                },
            )
        }
        Ok(_) => {
            let done: String =
                form_urlencoded::byte_serialize(format!("{action} succeeded.").as_bytes())
                    .collect();
            see_other(&format!("{back}{separator}done={done}"))
        }
        Err(problem) => {
            let error: String =
                form_urlencoded::byte_serialize(problem.text().as_bytes()).collect();
            see_other(&format!("{back}{separator}error={error}"))
        }
    }
}

/// The policy engine's first finding on a document being edited (the console's editor asks
/// as its person types): 200 "No findings." or 400 with AWS's code and message. `kind` is
/// `managed` (a customer managed policy: Version required), `inline` or `trust`.
pub(crate) async fn validate(visit: Visit, request: Request) -> Response {
    let Some((_, fields)) = form(request).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if !csrf_ok(&visit, &fields) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let kind = match field(&fields, "kind") {
        Some("managed") => DocumentKind::Managed,
        Some("trust") => DocumentKind::Trust,
        _ => DocumentKind::Inline,
    };
    match check_document(field(&fields, "document").unwrap_or_default(), kind) {
        Ok(()) => (StatusCode::OK, "No findings.").into_response(),
        Err(error) => (
            StatusCode::BAD_REQUEST,
            format!("{}: {}", error.code(), error.message()),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::decoded;

    #[test]
    fn documents_are_shown_as_written() {
        assert_eq!(
            decoded("%7B%22Version%22%3A%20%222012-10-17%22%7D"),
            "{\"Version\": \"2012-10-17\"}"
        );
        assert_eq!(decoded("100%25 not json %zz"), "100% not json %zz");
    }
}
