-- Service last accessed data (issue 16): when each user or role last made an authenticated
-- request to each service, and for the services whose actions are tracked (IAM, STS,
-- Organizations) to each action (`action` is empty for the service's own row). Written at
-- most once a minute per row by each node; read by the access advisor's reports. Not state:
-- no revision, no change log.
CREATE TABLE service_access (
    account_id   TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    service      TEXT NOT NULL,
    action       TEXT NOT NULL,
    last_at      BIGINT NOT NULL,
    region       TEXT NOT NULL,
    PRIMARY KEY (principal_id, service, action)
);
CREATE INDEX service_access_account ON service_access (account_id);
