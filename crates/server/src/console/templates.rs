//! The console's pages as askama templates (`crates/server/templates/console/`): each struct
//! holds what its page shows, already read and formatted.

use askama::Template;

/// What every signed-in page shows around its content.
pub(crate) struct Chrome {
    pub(crate) who: String,
    pub(crate) csrf: String,
    /// A success notice (`?done=` after a form).
    pub(crate) done: Option<String>,
    /// A failure notice (`?error=` after a form): AWS's code and message.
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/signin.html")]
pub(crate) struct SignInPage {
    pub(crate) csrf: String,
    pub(crate) root: bool,
    pub(crate) account: String,
    pub(crate) user_name: String,
    pub(crate) error: Option<String>,
    pub(crate) mfa_required: bool,
}

/// The role page of a SAML sign-in whose response offers several roles: the response goes
/// back with the choice, as on AWS's role page.
#[derive(Template)]
#[template(path = "console/saml_roles.html")]
pub(crate) struct SamlRolesPage {
    /// Where the choice is posted: the endpoint the response came to.
    pub(crate) action: String,
    pub(crate) saml_response: String,
    pub(crate) relay_state: String,
    pub(crate) roles: Vec<String>,
}

/// After a SAML sign-in: a same-site navigation to the console, so the new session's
/// SameSite=Strict cookie goes with it (the IdP's cross-site POST would not carry it through
/// a redirect).
#[derive(Template)]
#[template(path = "console/saml_signed_in.html")]
pub(crate) struct SamlSignedInPage {
    pub(crate) destination: String,
}

/// A SAML response the server refused, in AWS's words.
#[derive(Template)]
#[template(path = "console/saml_refused.html")]
pub(crate) struct SamlRefusedPage;

#[derive(Template)]
#[template(path = "console/password.html")]
pub(crate) struct PasswordPage {
    pub(crate) csrf: String,
    pub(crate) required: bool,
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
pub(crate) struct Dashboard {
    pub(crate) chrome: Chrome,
    pub(crate) account_id: String,
    pub(crate) alias: Option<String>,
    pub(crate) sign_in_url: String,
    pub(crate) recommendations: Vec<String>,
    pub(crate) summary_problem: Option<String>,
    /// (resource, in use, quota).
    pub(crate) resources: Vec<(String, i32, String)>,
}

/// A row of a list page: its name links to the item's page.
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) link: String,
    pub(crate) cells: Vec<String>,
}

/// An input of a list page's create form.
pub(crate) struct Input {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) value: String,
    pub(crate) required: bool,
    pub(crate) multiline: bool,
    /// For a policy document: the editor's kind of live check (`managed`, `trust`).
    pub(crate) policy: &'static str,
}

#[derive(Template)]
#[template(path = "console/list.html")]
pub(crate) struct ListPage {
    pub(crate) chrome: Chrome,
    pub(crate) title: &'static str,
    pub(crate) here: String,
    pub(crate) problem: Option<String>,
    /// The search box's label; empty for no search box.
    pub(crate) filter_name: &'static str,
    pub(crate) filter: String,
    pub(crate) filter_hidden: Vec<(String, String)>,
    /// (label, link, current).
    pub(crate) tabs: Vec<(String, String, bool)>,
    pub(crate) columns: Vec<&'static str>,
    pub(crate) rows: Vec<Row>,
    pub(crate) note: Option<String>,
    /// The operation of the create form; empty for none.
    pub(crate) create_action: &'static str,
    pub(crate) create_title: &'static str,
    pub(crate) create_fields: Vec<Input>,
}

#[derive(Template)]
#[template(path = "console/user.html")]
pub(crate) struct UserPage {
    pub(crate) chrome: Chrome,
    pub(crate) back: String,
    pub(crate) name: String,
    pub(crate) problem: Option<String>,
    pub(crate) arn: String,
    pub(crate) path: String,
    pub(crate) created: String,
    pub(crate) password_last_used: String,
    pub(crate) groups: Vec<String>,
    pub(crate) all_groups: Vec<String>,
    pub(crate) kind: &'static str,
    pub(crate) attached: Vec<(String, String)>,
    pub(crate) inline: Vec<(String, String)>,
    pub(crate) permissions_problem: Option<String>,
    pub(crate) has_password: bool,
    pub(crate) reset_required: bool,
    /// (id, status, created).
    pub(crate) keys: Vec<(String, String, String)>,
    /// MFA devices: (serial number, enabled).
    pub(crate) devices: Vec<(String, String)>,
    /// Whose devices these are (`None`: the root user's).
    pub(crate) device_user: Option<String>,
}

#[derive(Template)]
#[template(path = "console/group.html")]
pub(crate) struct GroupPage {
    pub(crate) chrome: Chrome,
    pub(crate) back: String,
    pub(crate) name: String,
    pub(crate) problem: Option<String>,
    pub(crate) arn: String,
    pub(crate) created: String,
    pub(crate) members: Vec<String>,
    pub(crate) kind: &'static str,
    pub(crate) attached: Vec<(String, String)>,
    pub(crate) inline: Vec<(String, String)>,
    pub(crate) permissions_problem: Option<String>,
}

#[derive(Template)]
#[template(path = "console/role.html")]
pub(crate) struct RolePage {
    pub(crate) chrome: Chrome,
    pub(crate) back: String,
    pub(crate) name: String,
    pub(crate) problem: Option<String>,
    pub(crate) arn: String,
    pub(crate) description: String,
    pub(crate) max_session: i32,
    pub(crate) created: String,
    pub(crate) trust: String,
    pub(crate) kind: &'static str,
    pub(crate) attached: Vec<(String, String)>,
    pub(crate) inline: Vec<(String, String)>,
    pub(crate) permissions_problem: Option<String>,
}

#[derive(Template)]
#[template(path = "console/policy.html")]
pub(crate) struct PolicyPage {
    pub(crate) chrome: Chrome,
    pub(crate) back: String,
    pub(crate) name: String,
    pub(crate) problem: Option<String>,
    pub(crate) arn: String,
    pub(crate) aws_managed: bool,
    pub(crate) description: String,
    pub(crate) attachments: i32,
    pub(crate) default_version: String,
    pub(crate) document: String,
    /// (id, created, default).
    pub(crate) versions: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "console/account.html")]
pub(crate) struct AccountPage {
    pub(crate) chrome: Chrome,
    pub(crate) alias: Option<String>,
    pub(crate) alias_problem: Option<String>,
    pub(crate) policy_problem: Option<String>,
    pub(crate) has_policy: bool,
    pub(crate) min_length: String,
    /// (parameter, label, set).
    pub(crate) rules: Vec<(&'static str, &'static str, bool)>,
    pub(crate) max_age: String,
    pub(crate) reuse: String,
}

#[derive(Template)]
#[template(path = "console/key.html")]
pub(crate) struct KeyPage {
    pub(crate) chrome: Chrome,
    pub(crate) user: String,
    pub(crate) key_id: String,
    pub(crate) secret: String,
    pub(crate) csv: String,
    pub(crate) back: String,
}

#[derive(Template)]
#[template(path = "console/mfa.html")]
pub(crate) struct MfaPage {
    pub(crate) chrome: Chrome,
    pub(crate) back: String,
    pub(crate) serial: String,
    pub(crate) seed: String,
    /// The QR code PNG, base64.
    pub(crate) qr_png: String,
    /// `EnableMFADevice`, or the console's own `EnableRootMFADevice`.
    pub(crate) enable_action: &'static str,
    pub(crate) user: Option<String>,
}

#[derive(Template)]
#[template(path = "console/credentials.html")]
pub(crate) struct CredentialsPage {
    pub(crate) chrome: Chrome,
    pub(crate) back: String,
    pub(crate) problem: Option<String>,
    /// (serial number, enabled).
    pub(crate) devices: Vec<(String, String)>,
    pub(crate) device_user: Option<String>,
}
