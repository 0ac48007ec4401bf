-- Reports (issue 16): what GenerateCredentialReport, GenerateServiceLastAccessedDetails and
-- GenerateOrganizationsAccessReport produce, kept so that any node answers the Get that
-- follows. A report is not state: writing one moves no revision and logs no change.
-- `report_id` is `credential-report` for an account's one credential report, or a job id.
CREATE TABLE reports (
    account_id   TEXT NOT NULL REFERENCES accounts (account_id),
    report_id    TEXT NOT NULL,
    generated_at BIGINT NOT NULL,
    content      BYTEA NOT NULL,
    PRIMARY KEY (account_id, report_id)
);
