//! Reports: the credential report and access-report jobs an account generated, kept whole
//! (bytes the service composed) so that any node answers the Get that follows. Writing one
//! is not a state change: no revision, no change log.

use sqlx::Row;

use crate::db::Store;
use crate::error::Result;
use crate::model::Timestamp;

/// A report as it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// When it was generated.
    pub generated_at: Timestamp,
    /// What the service stored (CSV, or its own encoding of a job's result).
    pub content: Vec<u8>,
}

impl Store {
    /// Stores (or replaces) an account's report under `report_id`, and drops the account's
    /// reports generated before `keep_since`, so that the table holds a bounded number.
    pub async fn put_report(
        &self,
        account_id: &str,
        report_id: &str,
        report: &StoredReport,
        keep_since: Timestamp,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM reports WHERE account_id = $1 AND generated_at < $2")
            .bind(account_id)
            .bind(keep_since)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO reports (account_id, report_id, generated_at, content) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, report_id) \
             DO UPDATE SET generated_at = excluded.generated_at, content = excluded.content",
        )
        .bind(account_id)
        .bind(report_id)
        .bind(report.generated_at)
        .bind(&report.content)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An account's report by id, if one is stored.
    pub async fn get_report(
        &self,
        account_id: &str,
        report_id: &str,
    ) -> Result<Option<StoredReport>> {
        let row = sqlx::query(
            "SELECT generated_at, content FROM reports WHERE account_id = $1 AND report_id = $2",
        )
        .bind(account_id)
        .bind(report_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(StoredReport {
                generated_at: row.try_get("generated_at")?,
                content: row.try_get("content")?,
            })
        })
        .transpose()
    }
}
