use chrono::TimeZone;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::sqlite::timestamp;

fn at(micros: i64, extra_nanos: u32) -> DateTime<Utc> {
    Utc.timestamp_micros(micros).unwrap() + chrono::Duration::nanoseconds(extra_nanos.into())
}

fn round_trip(event_id: &Uuid, m: &Metadata) -> (Value, Metadata) {
    let text = metadata_text(event_id, m).unwrap();
    let recorded = RecordedAt {
        text: String::new(),
        micros: Some(m.recorded_at.timestamp_micros()),
    };
    let back = metadata_from(&text, event_id, &recorded).unwrap();
    (serde_json::from_str(&text).unwrap(), back)
}

fn id_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![Just(None), "[a-z0-9-]{0,12}".prop_map(Some)]
}

proptest! {
    /// Whatever the metadata, the row gives it back exactly.
    #[test]
    fn metadata_round_trips(
        raw_id in any::<u128>(),
        command in prop_oneof![Just(None), Just(Some("own".to_string())), id_text()],
        correlation in prop_oneof![Just(None), Just(Some("same".to_string())), id_text()],
        causation in id_text(),
        actor in id_text(),
        micros in 0i64..4_000_000_000_000_000,
        nanos in prop_oneof![Just(0u32), 0u32..1000],
        issued in prop::option::of(0i64..4_000_000_000_000_000),
        module in id_text(),
    ) {
        let event_id = Uuid::from_u128(raw_id);
        let command_id = command.map(|c| if c == "own" { event_id.to_string() } else { c });
        let correlation_id = match correlation.as_deref() {
            Some("same") => command_id.clone(),
            _ => correlation,
        };
        let m = Metadata {
            command_id,
            correlation_id,
            causation_id: causation,
            actor,
            recorded_at: at(micros, nanos),
            issued_at: issued.map(|t| at(t, 0)),
            module_hash: module,
        };
        let (_, back) = round_trip(&event_id, &m);
        prop_assert_eq!(back, m);
    }
}

#[test]
fn a_command_named_by_its_event_stores_no_ids_and_no_time() {
    let event_id = Uuid::from_u128(7);
    let m = Metadata {
        command_id: Some(event_id.to_string()),
        correlation_id: Some(event_id.to_string()),
        recorded_at: at(1_700_000_000_123_456, 0),
        ..Metadata::default()
    };
    let (stored, back) = round_trip(&event_id, &m);
    assert_eq!(stored, json!({}));
    assert_eq!(back, m);
}

#[test]
fn what_the_compact_form_cannot_say_is_stored_in_full() {
    let event_id = Uuid::from_u128(7);
    let no_correlation = Metadata {
        command_id: Some("c-1".into()),
        recorded_at: at(1_700_000_000_123_456, 0),
        ..Metadata::default()
    };
    let finer_than_the_column = Metadata {
        command_id: Some("c-1".into()),
        correlation_id: Some("c-1".into()),
        recorded_at: at(1_700_000_000_123_456, 789),
        ..Metadata::default()
    };
    for m in [no_correlation, finer_than_the_column] {
        let (stored, back) = round_trip(&event_id, &m);
        assert!(stored.get("recordedAt").is_some(), "{stored}");
        assert_eq!(back, m);
    }
}

/// Rows written before the compact format keep their meaning: an absent correlation id
/// there is none, not the command's.
#[test]
fn a_full_form_row_reads_as_written() {
    let event_id = Uuid::from_u128(7);
    let text = r#"{"commandId":"c-1","recordedAt":"2026-01-01T00:00:00.000001Z"}"#;
    let recorded = RecordedAt {
        text: "1999-01-01T00:00:00.000000Z".into(),
        micros: None,
    };
    let m = metadata_from(text, &event_id, &recorded).unwrap();
    assert_eq!(m.command_id.as_deref(), Some("c-1"));
    assert_eq!(m.correlation_id, None);
    assert_eq!(m.recorded_at, at(1_767_225_600_000_001, 0));
}

#[test]
fn a_compact_row_with_a_bad_time_column_is_corrupt() {
    let bad = RecordedAt {
        text: "yesterday".into(),
        micros: None,
    };
    let err = metadata_from("{}", &Uuid::from_u128(7), &bad).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(ref m) if m.contains("yesterday")),
        "{err}"
    );
    let out_of_range = RecordedAt {
        text: String::new(),
        micros: Some(i64::MAX),
    };
    let err = metadata_from("{}", &Uuid::from_u128(7), &out_of_range).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(ref m) if m.contains("out of range")),
        "{err}"
    );
}

fn view(created_at: DateTime<Utc>) -> OrderView {
    serde_json::from_value(json!({
        "id": "order-1", "customerId": "customer-1", "status": "placed",
        "items": [{"productId": "p-1", "quantity": 2, "price": "29.99"}],
        "total": "59.98", "createdAt": created_at, "createdBy": "ann",
        "placedAt": "2026-01-01T00:00:01Z", "version": 3,
        "updatedAt": "2026-01-01T00:00:01Z"
    }))
    .unwrap()
}

fn row_of(view: &OrderView, text: String) -> ViewRow {
    ViewRow {
        id: view.id.clone(),
        customer_id: view.customer_id.clone(),
        status: view.status.as_str().into(),
        total: view.total.to_string(),
        created_at: timestamp(view.created_at),
        version: view.version as i64,
        view: text,
    }
}

#[test]
fn a_view_round_trips_in_both_forms() {
    for created_at in [at(1_767_225_600_000_001, 0), at(1_767_225_600_000_001, 5)] {
        let view = view(created_at);
        let text = view_text(&view).unwrap();
        let compact = !text.contains("\"id\"");
        assert_eq!(
            compact,
            created_at.timestamp_subsec_nanos().is_multiple_of(1000),
            "{text}"
        );
        assert_eq!(row_of(&view, text).into_view().unwrap(), view);
    }
}

#[test]
fn a_full_form_view_reads_as_written() {
    let view = view(at(1_767_225_600_000_001, 0));
    let text = serde_json::to_string(&view).unwrap();
    let mut row = row_of(&view, text);
    // The JSON wins over the columns for a full-form row.
    row.status = "draft".into();
    assert_eq!(row.into_view().unwrap(), view);
}

mod files_from_before_v2 {
    use order_core::{EventStore, StoredEvent};

    use super::*;
    use crate::SqliteStore;

    const OLD_ID: &str = "00000000-0000-7000-8000-000000000001";

    /// A file written by schema v1 (one event and its view: a text id, full metadata, the
    /// full view JSON), opened by this build, which brings it to v2.
    fn v1_store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        let v1 = rusqlite::Connection::open(&path).unwrap();
        v1.execute_batch(crate::schema::MIGRATIONS[0]).unwrap();
        v1.pragma_update(None, "user_version", 1).unwrap();
        v1
            .execute_batch(&format!(
                r#"INSERT INTO events VALUES (1, '{OLD_ID}', 'o-1', 1, 'OrderCreated', 1,
                  '{{"createdAt":"2026-01-01T09:00:00Z","customerId":"c-1","orderId":"o-1"}}',
                  '{{"commandId":"k-1","recordedAt":"2026-01-01T09:00:00Z"}}',
                  '2026-01-01T09:00:00.000000Z');
                INSERT INTO rm_orders VALUES ('o-1', 'c-1', 'draft', '0.00',
                  '2026-01-01T09:00:00.000000Z', 1,
                  '{{"id":"o-1","customerId":"c-1","status":"draft","items":[],"total":"0.00","createdAt":"2026-01-01T09:00:00Z","version":1,"updatedAt":"2026-01-01T09:00:00Z"}}');"#
            ))
            .unwrap();
        drop(v1);
        let store = SqliteStore::open(&path, crate::Synchronous::Normal).unwrap();
        let version: u32 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, crate::schema::SCHEMA_VERSION);
        (dir, store)
    }

    fn stored(id: Uuid, stream: &str) -> StoredEvent {
        serde_json::from_value(json!({
            "eventId": id, "streamId": stream, "version": 1, "type": "OrderCreated",
            "schemaVersion": 1,
            "data": {"createdAt": "2026-01-01T09:00:00Z", "customerId": "c-1", "orderId": stream},
            "metadata": {"recordedAt": "2026-01-01T09:00:00Z"}
        }))
        .unwrap()
    }

    #[test]
    fn rows_read_as_written() {
        let (_dir, store) = v1_store();
        let events = store.read_all(0, 10).unwrap();
        assert_eq!(events[0].event_id.to_string(), OLD_ID);
        assert_eq!(events[0].metadata.command_id.as_deref(), Some("k-1"));
        assert_eq!(events[0].metadata.correlation_id, None);
        let view = store.get_view("o-1").unwrap().unwrap();
        assert_eq!(view.customer_id, "c-1");
        assert_eq!(view.version, 1);
    }

    #[test]
    fn a_known_id_is_refused_whichever_form_holds_it() {
        let (_dir, mut store) = v1_store();
        let old = Uuid::parse_str(OLD_ID).unwrap();
        let err = store.import(vec![stored(old, "o-2")]).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        let new = Uuid::from_u128(99);
        store.import(vec![stored(new, "o-3")]).unwrap();
        let err = store.import(vec![stored(new, "o-4")]).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(
            store.last_position().unwrap(),
            2,
            "nothing of a refused import"
        );
    }

    #[test]
    fn a_stream_head_reads_either_form() {
        let (_dir, mut store) = v1_store();
        let new = Uuid::from_u128(99);
        store.import(vec![stored(new, "o-3")]).unwrap();
        let head = |stream| crate::sqlite::rows::stream_head(&store.conn, stream).unwrap();
        assert_eq!(head("o-1"), (1, Some(Uuid::parse_str(OLD_ID).unwrap())));
        assert_eq!(head("o-3"), (1, Some(new)));
    }

    #[test]
    fn new_rows_store_the_id_in_16_bytes_and_the_time_as_an_integer() {
        let (_dir, mut store) = v1_store();
        store
            .import(vec![stored(Uuid::from_u128(99), "o-3")])
            .unwrap();
        let kinds: Vec<String> = store
            .conn
            .prepare(
                "SELECT typeof(event_id) || ':' || length(event_id) || ' ' || typeof(recorded_us) FROM events ORDER BY position",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(kinds, ["text:36 null", "blob:16 integer"]);
        let events = store.read_all(0, 10).unwrap();
        assert_eq!(events[1].metadata.recorded_at, at(1_767_258_000_000_000, 0));
    }
}
