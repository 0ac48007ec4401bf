//! The credential report (GenerateCredentialReport, GetCredentialReport): one CSV row per
//! user, the account root first, with AWS's 22 columns, composed from the in-memory state and
//! the usage stamps, and kept in the store so that any node answers the Get that follows.

use store::{AccessKeyRecord, AccessKeyStatus, CredentialKind, MfaOwner, StoredReport};
use wire::iam::{
    Error as IamError, GenerateCredentialReportResponse, GetCredentialReportResponse, Operation,
    ReportFormatType, ReportStateType,
};

use crate::caller::user_arn;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;
use crate::state::AccountState;

use super::timestamp;

/// The report's id in the store: an account has one credential report.
const CREDENTIAL_REPORT: &str = "credential-report";
/// A report is reused for four hours, then expires (AWS's figure).
const REPORT_LIFETIME: i64 = 4 * 3600;
/// How long the store keeps any report of the account after it was generated.
const KEEP_REPORTS: i64 = 30 * 24 * 3600;

/// The columns, in AWS's order.
const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

/// What a field holds when it does not apply (no password, no second key, never used).
const NOT_APPLICABLE: &str = "N/A";
/// The root user's password fields that IAM does not report.
const NOT_SUPPORTED: &str = "not_supported";
/// A password that exists (or the root's) and was never used.
const NO_INFORMATION: &str = "no_information";

impl Service {
    pub(super) async fn generate_credential_report(
        &self,
        caller: &crate::caller::Caller,
    ) -> ServiceResult<GenerateCredentialReportResponse> {
        self.allow(caller, Operation::GenerateCredentialReport, "*", Vec::new())
            .await?;
        let account_id = &caller.account_id;
        let now = self.clock.seconds();
        if let Some(report) = self
            .reads()
            .get_report(account_id, CREDENTIAL_REPORT)
            .await?
            && now - report.generated_at < REPORT_LIFETIME
        {
            return Ok(GenerateCredentialReportResponse {
                state: Some(ReportStateType::Complete),
                description: None,
            });
        }
        let account = self.reads().account_state(account_id).await?;
        let content = self.credential_report(&account);
        let report = StoredReport {
            generated_at: now,
            content: content.into_bytes(),
        };
        self.store
            .put_report(account_id, CREDENTIAL_REPORT, &report, now - KEEP_REPORTS)
            .await?;
        // The report is complete already; the answer is AWS's to a first request, which
        // clients expect (they poll until COMPLETE, or fetch right away).
        Ok(GenerateCredentialReportResponse {
            state: Some(ReportStateType::Started),
            description: Some("No report exists. Starting a new report generation task".into()),
        })
    }

    pub(super) async fn get_credential_report(
        &self,
        caller: &crate::caller::Caller,
    ) -> ServiceResult<GetCredentialReportResponse> {
        self.allow(caller, Operation::GetCredentialReport, "*", Vec::new())
            .await?;
        let Some(report) = self
            .reads()
            .get_report(&caller.account_id, CREDENTIAL_REPORT)
            .await?
        else {
            return Err(ServiceError::iam(
                IamError::CredentialReportNotPresent,
                "Unknown",
            ));
        };
        if self.clock.seconds() - report.generated_at >= REPORT_LIFETIME {
            return Err(ServiceError::iam(
                IamError::CredentialReportExpired,
                "The most recent credential report has expired. To generate a new credential \
                 report, use GenerateCredentialReport.",
            ));
        }
        Ok(GetCredentialReportResponse {
            content: Some(report.content),
            report_format: Some(ReportFormatType::TextCsv),
            generated_time: Some(timestamp(report.generated_at)),
        })
    }

    /// The report's CSV text: the header, the root user, then each user in name order.
    fn credential_report(&self, account: &AccountState) -> String {
        let mut csv = String::new();
        push_row(&mut csv, COLUMNS.iter().map(|c| (*c).to_owned()));
        let record = &account.record;
        let mut root = vec![
            "<root_account>".to_owned(),
            format!("arn:aws:iam::{}:root", record.account_id),
            date(record.created_at),
            NOT_SUPPORTED.to_owned(),
            record
                .root_password_last_used
                .map_or_else(|| NO_INFORMATION.to_owned(), date),
            NOT_SUPPORTED.to_owned(),
            NOT_SUPPORTED.to_owned(),
            flag(account.mfa_by_owner.contains_key(&MfaOwner::Root)),
        ];
        root.extend(self.key_columns(account, None));
        root.extend(certificate_columns(account, None));
        push_row(&mut csv, root);

        let max_age = account
            .password_policy
            .as_ref()
            .and_then(|p| p.max_password_age);
        for user in account.users.by_name.values() {
            let record = &user.record;
            let profile = user.login_profile.as_ref();
            let password_last_used = match (record.password_last_used, profile) {
                (Some(used), _) => date(used),
                (None, Some(_)) => NO_INFORMATION.to_owned(),
                (None, None) => NOT_APPLICABLE.to_owned(),
            };
            let next_rotation = match (profile, max_age) {
                (Some(profile), Some(days)) => date(profile.password_set_at + days * 86_400),
                _ => NOT_APPLICABLE.to_owned(),
            };
            let owner = MfaOwner::User(record.user_id.clone());
            let mut row = vec![
                record.name.clone(),
                user_arn(&record.account_id, &record.path, &record.name),
                date(record.created_at),
                flag(profile.is_some()),
                password_last_used,
                profile.map_or_else(|| NOT_APPLICABLE.to_owned(), |p| date(p.password_set_at)),
                next_rotation,
                flag(account.mfa_by_owner.contains_key(&owner)),
            ];
            row.extend(self.key_columns(account, Some(&record.user_id)));
            row.extend(certificate_columns(account, Some(&record.user_id)));
            push_row(&mut csv, row);
        }
        csv
    }

    /// The ten access key columns of an owner (`None`: the root user): its first two keys by
    /// creation, each with its last use as this node knows it.
    fn key_columns(&self, account: &AccountState, owner: Option<&String>) -> Vec<String> {
        let keys: Vec<AccessKeyRecord> = account
            .keys_by_owner
            .get(&owner.cloned())
            .into_iter()
            .flatten()
            .filter_map(|(_, id)| account.access_keys.get(id))
            .map(|key| self.reads().stamped_key(key))
            .take(2)
            .collect();
        let mut columns = Vec::with_capacity(10);
        for n in 0..2 {
            match keys.get(n) {
                Some(key) => {
                    let used = key.last_used_at.is_some();
                    let usage = |value: &Option<String>| match value {
                        Some(value) if used => value.clone(),
                        _ => NOT_APPLICABLE.to_owned(),
                    };
                    columns.extend([
                        flag(key.status == AccessKeyStatus::Active),
                        date(key.created_at),
                        key.last_used_at
                            .map_or_else(|| NOT_APPLICABLE.to_owned(), date),
                        usage(&key.last_used_region),
                        usage(&key.last_used_service),
                    ]);
                }
                None => columns.extend([
                    flag(false),
                    NOT_APPLICABLE.to_owned(),
                    NOT_APPLICABLE.to_owned(),
                    NOT_APPLICABLE.to_owned(),
                    NOT_APPLICABLE.to_owned(),
                ]),
            }
        }
        columns
    }
}

/// The four signing certificate columns of an owner (`None`: the root user).
fn certificate_columns(account: &AccountState, owner: Option<&String>) -> Vec<String> {
    let key = (owner.cloned(), CredentialKind::SigningCertificate);
    let certificates: Vec<_> = account
        .credentials_by_owner
        .get(&key)
        .into_iter()
        .flatten()
        .filter_map(|(_, id)| account.credentials.get(id))
        .take(2)
        .collect();
    let mut columns = Vec::with_capacity(4);
    for n in 0..2 {
        match certificates.get(n) {
            Some(certificate) => columns.extend([
                flag(certificate.status == AccessKeyStatus::Active),
                date(certificate.created_at),
            ]),
            None => columns.extend([flag(false), NOT_APPLICABLE.to_owned()]),
        }
    }
    columns
}

/// AWS's spelling of a boolean column.
fn flag(value: bool) -> String {
    if value { "true" } else { "false" }.to_owned()
}

/// A time as the report writes it: ISO 8601 with an explicit UTC offset.
fn date(seconds: i64) -> String {
    let text = timestamp(seconds).to_string();
    match text.strip_suffix('Z') {
        Some(bare) => format!("{bare}+00:00"),
        None => text,
    }
}

/// Appends one CSV line, quoting a field that holds a comma or a quote (a user name may
/// hold a comma).
fn push_row(csv: &mut String, fields: impl IntoIterator<Item = String>) {
    for (n, field) in fields.into_iter().enumerate() {
        if n > 0 {
            csv.push(',');
        }
        if field.contains([',', '"', '\n']) {
            csv.push('"');
            csv.push_str(&field.replace('"', "\"\""));
            csv.push('"');
        } else {
            csv.push_str(&field);
        }
    }
    csv.push('\n');
}

#[cfg(test)]
mod tests {
    use wire::QueryParams;
    use wire::iam::{Request, Response};

    use super::*;
    use crate::caller::{Caller, Identity, RequestInfo};
    use crate::seal::{MasterKey, Sealer};
    use crate::service::{Clock, NewAccount};

    const A: &str = "111122223333";
    const T0: i64 = 1_700_000_000;

    fn root() -> Caller {
        Caller {
            account_id: A.to_owned(),
            identity: Identity::Root,
            access_key_id: "AKIAROOT".to_owned(),
            request: RequestInfo::default(),
            session: None,
        }
    }

    async fn run(service: &Service, action: &str, params: &[(&str, &str)]) -> Response {
        let request: Request = Operation::from_action(action)
            .unwrap()
            .decode(&QueryParams::from_pairs(params.iter().copied()))
            .unwrap();
        service
            .iam(&root(), request)
            .await
            .unwrap_or_else(|e| panic!("{action}: {e:?}"))
    }

    async fn report(service: &Service) -> Result<Vec<Vec<String>>, ServiceError> {
        let answer = service.get_credential_report(&root()).await?;
        let text = String::from_utf8(answer.content.unwrap()).unwrap();
        Ok(text.lines().map(split_csv).collect())
    }

    /// A CSV line's fields (enough for the quoting `push_row` writes).
    fn split_csv(line: &str) -> Vec<String> {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(String::new()),
                c => fields.last_mut().unwrap().push(c),
            }
        }
        fields
    }

    fn state_of(response: Response) -> ReportStateType {
        match response {
            Response::GenerateCredentialReport(r) => r.state.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn report_rows_follow_the_account_and_expire_after_four_hours() {
        let store = store::Store::open("sqlite::memory:").await.unwrap();
        let service = Service::new(
            store,
            Sealer::new(&MasterKey::generate().unwrap()),
            Clock::fixed(T0),
        );
        service
            .create_account(NewAccount {
                account_id: Some(A.to_owned()),
                email: "a@example.com".to_owned(),
                ..NewAccount::default()
            })
            .await
            .unwrap();
        let missing = report(&service).await.unwrap_err();
        assert_eq!(missing.code(), "ReportNotPresent");
        assert_eq!(missing.status(wire::Service::Iam), 410);

        run(&service, "CreateUser", &[("UserName", "plain")]).await;
        run(&service, "CreateUser", &[("UserName", "with,comma")]).await;
        run(
            &service,
            "CreateLoginProfile",
            &[("UserName", "with,comma"), ("Password", "Correct-Horse-9")],
        )
        .await;
        run(
            &service,
            "UpdateAccountPasswordPolicy",
            &[("MaxPasswordAge", "90")],
        )
        .await;
        let Response::CreateAccessKey(key) =
            run(&service, "CreateAccessKey", &[("UserName", "plain")]).await
        else {
            panic!("not CreateAccessKey")
        };
        run(
            &service,
            "UpdateAccessKey",
            &[
                ("UserName", "plain"),
                ("AccessKeyId", &key.access_key.access_key_id),
                ("Status", "Inactive"),
            ],
        )
        .await;

        let generated = run(&service, "GenerateCredentialReport", &[]).await;
        assert_eq!(state_of(generated), ReportStateType::Started);
        let rows = report(&service).await.unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0], COLUMNS.map(str::to_owned).to_vec());
        let created = "2023-11-14T22:13:20+00:00";
        assert_eq!(
            rows[1][..8],
            [
                "<root_account>",
                "arn:aws:iam::111122223333:root",
                created,
                "not_supported",
                "no_information",
                "not_supported",
                "not_supported",
                "false",
            ]
        );
        let plain = &rows[2];
        assert_eq!(plain[0], "plain");
        assert_eq!(plain[1], "arn:aws:iam::111122223333:user/plain");
        assert_eq!(plain[3..8], ["false", "N/A", "N/A", "N/A", "false"]);
        assert_eq!(
            plain[8..18],
            [
                "false", created, "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A"
            ]
        );
        assert_eq!(plain[18..], ["false", "N/A", "false", "N/A"]);
        let comma = &rows[3];
        assert_eq!(comma[0], "with,comma");
        // A password never used; it must change 90 days after it was set.
        assert_eq!(
            comma[3..8],
            [
                "true",
                "no_information",
                created,
                "2024-02-12T22:13:20+00:00",
                "false"
            ]
        );

        // Within four hours the report is reused, whatever changed; then it expires.
        run(&service, "CreateUser", &[("UserName", "late")]).await;
        service.clock.advance(REPORT_LIFETIME - 1);
        let reused = run(&service, "GenerateCredentialReport", &[]).await;
        assert_eq!(state_of(reused), ReportStateType::Complete);
        assert_eq!(report(&service).await.unwrap().len(), 4);
        service.clock.advance(1);
        let expired = report(&service).await.unwrap_err();
        assert_eq!(expired.code(), "ReportExpired");
        assert_eq!(expired.status(wire::Service::Iam), 410);
        let renewed = run(&service, "GenerateCredentialReport", &[]).await;
        assert_eq!(state_of(renewed), ReportStateType::Started);
        assert_eq!(report(&service).await.unwrap().len(), 5);
    }
}
