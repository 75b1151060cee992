//! The compact row format (schema v2): what an event's metadata and a read-model row store
//! beyond their columns. Issue 14 measured a third of every event row as metadata that
//! repeats the row: `recordedAt` (also a column) and `commandId` and `correlationId`, which
//! almost always equal the event's own id (a command sent without an id is named by its
//! first event) and each other. A view repeated its six columns too.
//!
//! Rows written before v2 are never rewritten, so each reader takes both forms:
//! - metadata: the full form always holds `recordedAt`; the compact form never does, and
//!   then an absent `commandId` is the event's own id, an absent `correlationId` equals the
//!   command id and the time is the row's (`RecordedAt`). Metadata the compact form cannot
//!   say (no command id, no correlation id, a time finer than microseconds) is written in
//!   full.
//! - views: the full form holds `id`; the compact one leaves id, customer, status, total,
//!   creation time and version to their columns (in full when the creation time is finer
//!   than the column's microseconds).

use chrono::{DateTime, Utc};
use order_core::{Metadata, Money, OrderItem, OrderStatus, OrderView, StoreError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::corrupt;

/// Metadata as stored, in either form.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredMetadata {
    command_id: Option<String>,
    correlation_id: Option<String>,
    causation_id: Option<String>,
    actor: Option<String>,
    recorded_at: Option<DateTime<Utc>>,
    issued_at: Option<DateTime<Utc>>,
    module_hash: Option<String>,
}

/// The compact form, borrowed from the metadata it writes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompactMetadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    command_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    causation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_at: Option<&'a DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    module_hash: Option<&'a str>,
}

/// Whether the row's time columns (microseconds) keep `t` exactly.
fn column_keeps(t: DateTime<Utc>) -> bool {
    t.timestamp_subsec_nanos().is_multiple_of(1_000)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("timestamp `{text}`: {e}")))
}

/// The `metadata` column for an event with id `event_id`.
pub(super) fn metadata_text(event_id: &Uuid, m: &Metadata) -> Result<String, StoreError> {
    let (Some(command_id), Some(correlation_id)) = (&m.command_id, &m.correlation_id) else {
        return serde_json::to_string(m).map_err(corrupt);
    };
    if !column_keeps(m.recorded_at) {
        return serde_json::to_string(m).map_err(corrupt);
    }
    let mut own_id = Uuid::encode_buffer();
    let own_id: &str = event_id.hyphenated().encode_lower(&mut own_id);
    let compact = CompactMetadata {
        command_id: (command_id != own_id).then_some(command_id.as_str()),
        correlation_id: (correlation_id != command_id).then_some(correlation_id.as_str()),
        causation_id: m.causation_id.as_deref(),
        actor: m.actor.as_deref(),
        issued_at: m.issued_at.as_ref(),
        module_hash: m.module_hash.as_deref(),
    };
    serde_json::to_string(&compact).map_err(corrupt)
}

/// An event row's commit time: `recorded_us` since schema v2, the RFC 3339 text of
/// `recorded_at` before (where `recorded_us` is NULL).
pub(super) struct RecordedAt {
    pub text: String,
    pub micros: Option<i64>,
}

impl RecordedAt {
    fn time(&self) -> Result<DateTime<Utc>, StoreError> {
        match self.micros {
            Some(micros) => DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| corrupt(format!("recorded_us {micros} is out of range"))),
            None => parse_time(&self.text),
        }
    }
}

/// The metadata of a row, from its `metadata` column and its time.
pub(super) fn metadata_from(
    text: &str,
    event_id: &Uuid,
    recorded_at: &RecordedAt,
) -> Result<Metadata, StoreError> {
    let stored: StoredMetadata = serde_json::from_str(text).map_err(corrupt)?;
    let (command_id, correlation_id, recorded_at) = match stored.recorded_at {
        Some(t) => (stored.command_id, stored.correlation_id, t),
        None => {
            let command_id = stored.command_id.unwrap_or_else(|| event_id.to_string());
            let correlation_id = stored.correlation_id.unwrap_or_else(|| command_id.clone());
            (Some(command_id), Some(correlation_id), recorded_at.time()?)
        }
    };
    Ok(Metadata {
        command_id,
        correlation_id,
        causation_id: stored.causation_id,
        actor: stored.actor,
        recorded_at,
        issued_at: stored.issued_at,
        module_hash: stored.module_hash,
    })
}

/// A view's JSON as stored, in either form: the columns' fields are absent from the
/// compact one.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredView {
    id: Option<String>,
    customer_id: Option<String>,
    status: Option<OrderStatus>,
    total: Option<Money>,
    created_at: Option<DateTime<Utc>>,
    version: Option<u64>,
    items: Vec<OrderItem>,
    created_by: Option<String>,
    placed_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    updated_at: DateTime<Utc>,
}

/// The compact view: what the columns do not hold.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompactView<'a> {
    items: &'a [OrderItem],
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placed_at: Option<&'a DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancelled_at: Option<&'a DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancel_reason: Option<&'a str>,
    updated_at: &'a DateTime<Utc>,
}

/// The `view` column for `view`.
pub(super) fn view_text(view: &OrderView) -> Result<String, StoreError> {
    if !column_keeps(view.created_at) {
        return serde_json::to_string(view).map_err(corrupt);
    }
    serde_json::to_string(&CompactView {
        items: &view.items,
        created_by: view.created_by.as_deref(),
        placed_at: view.placed_at.as_ref(),
        cancelled_at: view.cancelled_at.as_ref(),
        cancel_reason: view.cancel_reason.as_deref(),
        updated_at: &view.updated_at,
    })
    .map_err(corrupt)
}

/// A read-model row's columns, in `view_columns!` order.
pub(super) struct ViewRow {
    pub id: String,
    pub customer_id: String,
    pub status: String,
    pub total: String,
    pub created_at: String,
    pub version: i64,
    pub view: String,
}

/// The columns `ViewRow` reads, as a literal for `concat!`: queries are then built at
/// compile time rather than formatted on each call.
macro_rules! view_columns {
    () => {
        "id, customer_id, status, total, created_at, version, view"
    };
}
pub(super) use view_columns;

impl ViewRow {
    pub fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<ViewRow> {
        Ok(ViewRow {
            id: row.get(0)?,
            customer_id: row.get(1)?,
            status: row.get(2)?,
            total: row.get(3)?,
            created_at: row.get(4)?,
            version: row.get(5)?,
            view: row.get(6)?,
        })
    }

    pub fn into_view(self) -> Result<OrderView, StoreError> {
        let stored: StoredView = serde_json::from_str(&self.view)
            .map_err(|e| corrupt(format!("view of order `{}`: {e}", self.id)))?;
        let status = match stored.status {
            Some(status) => status,
            None => {
                serde_json::from_value(serde_json::Value::String(self.status)).map_err(corrupt)?
            }
        };
        let total = match stored.total {
            Some(total) => total,
            None => Money::parse(&self.total).map_err(corrupt)?,
        };
        let created_at = match stored.created_at {
            Some(t) => t,
            None => parse_time(&self.created_at)?,
        };
        Ok(OrderView {
            id: stored.id.unwrap_or(self.id),
            customer_id: stored.customer_id.unwrap_or(self.customer_id),
            status,
            items: stored.items,
            total,
            created_at,
            created_by: stored.created_by,
            placed_at: stored.placed_at,
            cancelled_at: stored.cancelled_at,
            cancel_reason: stored.cancel_reason,
            version: match stored.version {
                Some(version) => version,
                None => u64::try_from(self.version).map_err(corrupt)?,
            },
            updated_at: stored.updated_at,
        })
    }
}

#[cfg(test)]
#[path = "compact_tests.rs"]
mod tests;
