//! Console sign-in: an IAM user with account id or alias, user name and password, the root
//! user with email and password; the console sessions that follow, and their callers.
//!
//! Every refusal is one answer ([`SignIn::Refused`]), whatever went wrong: no such account
//! or user, no login profile, a wrong password, a throttled user or address, a hard-expired
//! password. An unknown name costs the same Argon2 run as a known one. Sessions live in the
//! store under the SHA-256 of their cookie value, so every node serves them and sign-out ends
//! them everywhere.

use std::net::IpAddr;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use store::{AccountRecord, ConsoleSessionRecord, MfaOwner, StoreError};

use crate::caller::{Caller, Identity, RequestInfo};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::new_console_session_id;
use crate::secret::Secret;
use crate::service::{PasswordCheck, Service};
use crate::session::{ParsedPrincipal, Session, SessionKind};

/// A console session ends this long after sign-in, whatever happens (AWS's console sessions
/// of IAM users last 12 hours).
pub const CONSOLE_SESSION_SECONDS: i64 = 12 * 3600;

/// A console session unused for this long is over.
pub const CONSOLE_IDLE_SECONDS: i64 = 3600;

/// A session's last-seen time is written at most this often.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// What a person typed on the sign-in page.
#[derive(Debug)]
pub struct SignInRequest {
    /// The account id or alias; empty for the root user, who signs in by email.
    pub account: String,
    /// The IAM user name, or the root user's email.
    pub user_name: String,
    /// The password.
    pub password: Secret,
    /// A code from the MFA device, on the second step.
    pub mfa_code: Option<String>,
    /// Where the request came from (throttling).
    pub source_ip: Option<IpAddr>,
}

/// The outcome of a sign-in.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the cookie value of the new session. With `password_change`, the session
    /// may only change the password (a reset is required, or it expired).
    SignedIn {
        /// The session's cookie value, shown to no one but the browser.
        cookie: Secret,
        /// The session may only change the password.
        password_change: bool,
    },
    /// The password was right and the user has an MFA device: ask for a code.
    MfaRequired,
    /// Anything else, always in the same words.
    Refused,
}

/// A console request's caller, with what its session allows.
#[derive(Debug, Clone)]
pub struct ConsoleCaller {
    /// The caller, as an API request's would be (authorized by the same engine).
    pub caller: Caller,
    /// The session may only change the password.
    pub password_change: bool,
    /// The user's name, or `None` for the root user and for a role session.
    pub user_name: Option<String>,
    /// For a federated sign-in, `<role name>/<session name>`.
    pub role_session: Option<String>,
    /// The account's alias, if it has one (shown in the console).
    pub account_alias: Option<String>,
}

/// The hex SHA-256 of a cookie value: what the store keeps.
fn id_hash(cookie: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(cookie.as_bytes()))
}

/// Who is signing in, resolved from the form.
struct Claimant {
    account: AccountRecord,
    /// `None` for the root user.
    user_id: Option<String>,
    /// What the throttle counts failures against.
    throttle_key: String,
    stored_hash: Option<String>,
    password_set_at: Option<i64>,
    reset_required: bool,
}

impl Service {
    /// Signs a person in (see the module documentation).
    pub async fn sign_in(&self, request: &SignInRequest) -> ServiceResult<SignIn> {
        let claimant = self.claimant(request).await?;
        let check = self
            .check_password_of(
                &claimant.throttle_key,
                request.source_ip,
                request.password.expose(),
                claimant.stored_hash.as_deref(),
            )
            .await?;
        if check != PasswordCheck::Matches {
            return Ok(SignIn::Refused);
        }
        let owner = match &claimant.user_id {
            Some(user_id) => MfaOwner::User(user_id.clone()),
            None => MfaOwner::Root,
        };
        let mfa = match self
            .sign_in_mfa(
                &claimant.account.account_id,
                &owner,
                request.mfa_code.as_deref(),
            )
            .await?
        {
            None => false,
            Some(true) => true,
            // The password was right: ask for a code, or refuse a wrong one like the rest.
            Some(false) if request.mfa_code.is_none() => return Ok(SignIn::MfaRequired),
            Some(false) => {
                self.count_failure(&claimant.throttle_key, request.source_ip);
                return Ok(SignIn::Refused);
            }
        };
        let now = self.clock.seconds();
        let mut password_change = claimant.reset_required;
        if let (Some(_), Some(set_at)) = (&claimant.user_id, claimant.password_set_at) {
            let policy = self
                .reads()
                .get_password_policy(&claimant.account.account_id)
                .await?;
            if let Some(days) = policy.as_ref().and_then(|p| p.max_password_age)
                && now >= set_at.saturating_add(days.saturating_mul(86_400))
            {
                if policy.as_ref().is_some_and(|p| p.hard_expiry) {
                    // Only an administrator can set a new password now.
                    return Ok(SignIn::Refused);
                }
                password_change = true;
            }
        }
        let account_id = claimant.account.account_id.clone();
        self.store
            .record_password_used(&account_id, claimant.user_id.as_deref(), now)
            .await?;
        // PasswordLastUsed is shown by GetUser from the state: at once on this node.
        self.after_write().await;
        let cookie = self
            .open_console_session(&account_id, claimant.user_id, mfa, password_change)
            .await?;
        Ok(SignIn::SignedIn {
            cookie,
            password_change,
        })
    }

    /// The account, principal and stored password the form names; an unknown account or
    /// user (or one without a password) is a claimant without a hash.
    async fn claimant(&self, request: &SignInRequest) -> ServiceResult<Claimant> {
        let unknown = |account: AccountRecord| Claimant {
            throttle_key: format!(
                "unknown:{}:{}",
                account.account_id,
                request.user_name.to_lowercase()
            ),
            account,
            user_id: None,
            stored_hash: None,
            password_set_at: None,
            reset_required: false,
        };
        let nobody = || AccountRecord {
            account_id: request.account.clone(),
            email: String::new(),
            alias: None,
            created_at: 0,
            global_endpoint_token_version: 1,
            root_password_last_used: None,
        };
        let found = |result: Result<AccountRecord, StoreError>| match result {
            Ok(account) => Ok(Some(account)),
            Err(StoreError::NoSuchEntity { .. }) => Ok(None),
            Err(other) => Err(ServiceError::from(other)),
        };
        if request.account.is_empty() {
            let Some(account) = found(self.reads().get_account_by_email(&request.user_name).await)?
            else {
                return Ok(unknown(nobody()));
            };
            let stored_hash = self
                .reads()
                .get_root_password_hash(&account.account_id)
                .await?;
            return Ok(Claimant {
                throttle_key: format!("root:{}", account.account_id),
                account,
                user_id: None,
                stored_hash,
                password_set_at: None,
                reset_required: false,
            });
        }
        let is_id =
            request.account.len() == 12 && request.account.bytes().all(|b| b.is_ascii_digit());
        let account = if is_id {
            found(self.reads().get_account(&request.account).await)?
        } else {
            found(self.reads().get_account_by_alias(&request.account).await)?
        };
        let Some(account) = account else {
            return Ok(unknown(nobody()));
        };
        let user = match self
            .reads()
            .get_user(&account.account_id, &request.user_name)
            .await
        {
            Ok(user) => user,
            Err(StoreError::NoSuchEntity { .. }) => return Ok(unknown(account)),
            Err(other) => return Err(other.into()),
        };
        let profile = match self
            .reads()
            .login_profile_with_hash(&account.account_id, &user.name)
            .await
        {
            Ok(profile) => profile,
            Err(StoreError::NoSuchEntity { .. }) => return Ok(unknown(account)),
            Err(other) => return Err(other.into()),
        };
        Ok(Claimant {
            throttle_key: format!("user:{}", user.user_id),
            account,
            user_id: Some(user.user_id),
            stored_hash: Some(profile.password_hash.clone()),
            password_set_at: Some(profile.password_set_at),
            reset_required: profile.password_reset_required,
        })
    }

    /// Stores a new console session and returns its cookie value.
    async fn open_console_session(
        &self,
        account_id: &str,
        user_id: Option<String>,
        mfa: bool,
        password_change: bool,
    ) -> ServiceResult<Secret> {
        let cookie = new_console_session_id().map_err(|e| ServiceError::internal(&e))?;
        let now = self.clock.seconds();
        self.store
            .create_console_session(&ConsoleSessionRecord {
                id_hash: id_hash(cookie.expose()),
                account_id: account_id.to_owned(),
                user_id,
                mfa,
                password_change,
                created_at: now,
                last_seen_at: now,
                expires_at: now + CONSOLE_SESSION_SECONDS,
                role_session: None,
            })
            .await?;
        Ok(cookie)
    }

    /// The caller behind a console cookie, or `None` when it names no live session (never
    /// existed, signed out, expired, idle too long, or its user was deleted).
    pub async fn console_caller(
        &self,
        cookie: &str,
        request: RequestInfo,
    ) -> ServiceResult<Option<ConsoleCaller>> {
        let hash = id_hash(cookie);
        let Some(record) = self.reads().get_console_session(&hash).await? else {
            return Ok(None);
        };
        let now = self.clock.seconds();
        if now >= record.expires_at || now - record.last_seen_at >= CONSOLE_IDLE_SECONDS {
            self.store.delete_console_session(&hash).await?;
            return Ok(None);
        }
        if now - record.last_seen_at >= TOUCH_EVERY_SECONDS {
            self.store.touch_console_session(&hash, now).await?;
        }
        if let Some(token) = &record.role_session {
            return self.federated_console_caller(&hash, token, request).await;
        }
        let (identity, user_name) = match &record.user_id {
            None => (Identity::Root, None),
            Some(user_id) => match self.reads().get_user_by_id(user_id).await {
                Ok(user) => {
                    let name = user.name.clone();
                    (Identity::User(user), Some(name))
                }
                Err(StoreError::NoSuchEntity { .. }) => {
                    self.store.delete_console_session(&hash).await?;
                    return Ok(None);
                }
                Err(other) => return Err(other.into()),
            },
        };
        let account = self.reads().get_account(&record.account_id).await?;
        // The session as the policy engine's context sees it: issued at sign-in, with MFA
        // when sign-in checked a code; it carries no session policies.
        let session = Session {
            access_key_id: String::new(),
            secret: String::new(),
            account_id: record.account_id.clone(),
            kind: SessionKind::Console {
                user_id: record.user_id.clone(),
            },
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa: record.mfa,
            mfa_at: record.mfa.then_some(record.created_at),
            issued_at: record.created_at,
            expires_at: record.expires_at,
            principal: ParsedPrincipal::default(),
        };
        Ok(Some(ConsoleCaller {
            caller: Caller {
                account_id: record.account_id,
                identity,
                access_key_id: String::new(),
                request,
                session: Some(Arc::new(session)),
            },
            password_change: record.password_change,
            user_name,
            role_session: None,
            account_alias: account.alias,
        }))
    }

    /// The role session behind a federated console session, or `None` when its token no
    /// longer opens (a reset since) or its role is gone.
    async fn federated_console_caller(
        &self,
        hash: &str,
        token: &str,
        request: RequestInfo,
    ) -> ServiceResult<Option<ConsoleCaller>> {
        let now = self.clock.seconds();
        let opened = Session::open_kept(&self.sealer, token, now, self.generation());
        let caller = match opened {
            Ok(session) => self.session_caller(Arc::new(session), request).await,
            Err(_) => Err(ServiceError::invalid_token()),
        };
        let caller = match caller {
            Ok(caller) => caller,
            Err(error) if error.is_invalid_token() => {
                self.store.delete_console_session(hash).await?;
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        let role_session = match &caller.identity {
            Identity::RoleSession { role, session_name } => {
                Some(format!("{}/{session_name}", role.name))
            }
            _ => None,
        };
        let account = self.reads().get_account(&caller.account_id).await?;
        Ok(Some(ConsoleCaller {
            caller,
            password_change: false,
            user_name: None,
            role_session,
            account_alias: account.alias,
        }))
    }

    /// Opens a console session for a federated sign-in: `session` is the role session the
    /// sign-in made (kept sealed in the store); the console session ends with it.
    #[allow(
        dead_code,
        reason = "the SAML console sign-in calls it (issue 13, in progress)"
    )]
    pub(crate) async fn open_federated_console_session(
        &self,
        session: &Session,
    ) -> ServiceResult<Secret> {
        let token = session.seal(&self.sealer, self.generation())?;
        let cookie = new_console_session_id().map_err(|e| ServiceError::internal(&e))?;
        let now = self.clock.seconds();
        self.store
            .create_console_session(&ConsoleSessionRecord {
                id_hash: id_hash(cookie.expose()),
                account_id: session.account_id.clone(),
                user_id: None,
                mfa: false,
                password_change: false,
                created_at: now,
                last_seen_at: now,
                expires_at: session.expires_at,
                role_session: Some(token),
            })
            .await?;
        Ok(cookie)
    }

    /// Ends the session behind a console cookie.
    pub async fn sign_out(&self, cookie: &str) -> ServiceResult<()> {
        self.store.delete_console_session(&id_hash(cookie)).await?;
        Ok(())
    }

    /// After a password change from a session that could only change it: that session ends
    /// and a full one begins (its cookie value returned).
    pub async fn console_password_changed(
        &self,
        cookie: &str,
        console: &ConsoleCaller,
    ) -> ServiceResult<Secret> {
        let user_id = match &console.caller.identity {
            Identity::User(user) => Some(user.user_id.clone()),
            _ => None,
        };
        let mfa = console.caller.session.as_ref().is_some_and(|s| s.mfa);
        self.sign_out(cookie).await?;
        self.open_console_session(&console.caller.account_id, user_id, mfa, false)
            .await
    }

    /// Sets the root user's console password (first start, `castellan account create`).
    pub async fn set_root_password(
        &self,
        account_id: &str,
        password: &Secret,
    ) -> ServiceResult<()> {
        let hash = self
            .guards
            .passwords
            .hash(password.expose())
            .await
            .map_err(|e| ServiceError::internal(&e))?;
        self.store.set_root_password(account_id, &hash).await?;
        self.after_write().await;
        Ok(())
    }
}
