//! Service last accessed data: when each user or role last called each service (and each
//! tracked action), for the access advisor. Written at most once a minute per row by each
//! node (the service throttles); not state: no revision, no change log.

use sqlx::Row;

use crate::db::Store;
use crate::error::Result;
use crate::model::Timestamp;

/// One row: a principal's last request to a service, or to one action of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccess {
    /// The user's or role's id.
    pub principal_id: String,
    /// The service namespace (`iam`, `s3`).
    pub service: String,
    /// The action (`CreateUser`), or empty for the service's own row.
    pub action: String,
    pub last_at: Timestamp,
    pub region: String,
}

impl Store {
    /// Records a request of `principal_id` to `service` (and, when given, to `action`) at
    /// `at`: each row keeps its latest time.
    pub async fn record_service_access(
        &self,
        account_id: &str,
        access: &ServiceAccess,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let actions = if access.action.is_empty() {
            vec![""]
        } else {
            vec!["", access.action.as_str()]
        };
        for action in actions {
            sqlx::query(
                "INSERT INTO service_access (account_id, principal_id, service, action, last_at, region) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (principal_id, service, action) \
                 DO UPDATE SET last_at = excluded.last_at, region = excluded.region \
                 WHERE excluded.last_at >= service_access.last_at",
            )
            .bind(account_id)
            .bind(&access.principal_id)
            .bind(&access.service)
            .bind(action)
            .bind(access.last_at)
            .bind(&access.region)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every row of the account's principals among `principal_ids`.
    pub async fn service_access_of(
        &self,
        account_id: &str,
        principal_ids: &[String],
    ) -> Result<Vec<ServiceAccess>> {
        let rows = sqlx::query(
            "SELECT principal_id, service, action, last_at, region FROM service_access \
             WHERE account_id = $1 ORDER BY principal_id, service, action",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        let mut found = Vec::new();
        for row in &rows {
            let principal_id: String = row.try_get("principal_id")?;
            if !principal_ids.contains(&principal_id) {
                continue;
            }
            found.push(ServiceAccess {
                principal_id,
                service: row.try_get("service")?,
                action: row.try_get("action")?,
                last_at: row.try_get("last_at")?,
                region: row.try_get("region")?,
            });
        }
        Ok(found)
    }
}
