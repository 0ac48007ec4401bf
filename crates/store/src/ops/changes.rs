//! The revision counter and change log that caching server nodes poll.

use sqlx::Row;

use crate::db::Store;
use crate::error::{BackendError, EntityKind, Result};
use crate::model::{Change, Changes};

impl Store {
    /// The revision of the last committed write.
    pub async fn current_revision(&self) -> Result<i64> {
        let row = sqlx::query("SELECT value FROM revision WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("value")?)
    }

    /// What changed after `since`, oldest first, at most `limit` entries (then `revision` is
    /// the last entry's, and the caller asks again from there).
    pub async fn changes_since(&self, since: i64, limit: u32) -> Result<Changes> {
        let started = std::time::Instant::now();
        let changes = self.read_changes_since(since, limit).await;
        self.latency.change_reads.observe(started.elapsed());
        changes
    }

    async fn read_changes_since(&self, since: i64, limit: u32) -> Result<Changes> {
        // One transaction, so the revision and the entries are one snapshot.
        let mut tx = self.pool.begin().await?;
        let head = sqlx::query("SELECT value, log_floor FROM revision WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let (current, floor): (i64, i64) = (head.try_get("value")?, head.try_get("log_floor")?);
        let rows = sqlx::query(
            "SELECT revision, account_id, entity_kind, entity_id FROM change_log \
             WHERE revision > $1 ORDER BY revision, entity_kind, entity_id LIMIT $2",
        )
        .bind(since)
        .bind(i64::from(limit.max(1)) + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut entries = rows
            .iter()
            .map(|row| {
                let kind: String = row.try_get("entity_kind")?;
                Ok(Change {
                    revision: row.try_get("revision")?,
                    account_id: row.try_get("account_id")?,
                    kind: EntityKind::parse(&kind).ok_or_else(|| {
                        BackendError::message(format!("unknown entity kind `{kind}`"))
                    })?,
                    entity_id: row.try_get("entity_id")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let max = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
        let mut complete = since >= floor;
        let revision = if entries.len() > max {
            // Cut at a revision boundary so that a transaction's entries are never split.
            entries.truncate(max);
            let last = entries.last().map_or(since, |c| c.revision);
            entries.retain(|c| c.revision < last);
            if entries.is_empty() {
                // One transaction touched more than `limit` entities: reload everything.
                complete = false;
                current
            } else {
                last - 1
            }
        } else {
            current
        };
        Ok(Changes {
            revision,
            entries,
            complete,
        })
    }

    /// Forgets change-log entries at or below `revision` (they are only needed by nodes that
    /// lag that far behind, and those will be told to reload everything).
    pub async fn prune_changes(&self, revision: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM change_log WHERE revision <= $1")
            .bind(revision)
            .execute(w.conn())
            .await?;
        sqlx::query("UPDATE revision SET log_floor = $1 WHERE id = 1 AND log_floor < $1")
            .bind(revision)
            .execute(w.conn())
            .await?;
        w.commit().await?;
        Ok(())
    }
}
