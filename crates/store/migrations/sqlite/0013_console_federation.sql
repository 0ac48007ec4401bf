-- Console sessions of federated sign-ins (SAML to the console): the role session the sign-in
-- made, as its sealed session token (opened with the master key like any STS token, so the
-- table alone signs no one in). NULL for IAM users and the root user.

ALTER TABLE console_sessions ADD COLUMN role_session TEXT;
