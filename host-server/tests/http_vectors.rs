//! Every shared vector (tests/vectors) through HTTP. Each vector's `given` is imported as
//! stored events with the `import` subcommand (older schema shapes stay old), then `when`
//! is sent twice: to its own route, and inside `POST /commands`, each on its own copy of
//! the stream. The resulting events must equal `then` exactly, or the error code must match.
//!
//! The server takes the time from its own clock, so the timestamps a decision writes
//! (`createdAt`, `placedAt`, `cancelledAt`) are first checked to equal the event's
//! `metadata.recordedAt` and then replaced by the vector's `context.now` for comparison.

mod support;

use chrono::{DateTime, Utc};
use order_core::testing::vectors::GivenEvent;
use order_core::{EventEnvelope, Metadata, StoredEvent};
use serde_json::{json, Map, Value};
use support::{cli_ok, encode, Db, Reply, Server};

const DEFAULT_NOW: &str = "2026-01-01T10:00:00Z";
const DEFAULT_ACTOR: &str = "tester";
const DECISION_TIMESTAMPS: [&str; 3] = ["createdAt", "placedAt", "cancelledAt"];

struct Vector {
    file: String,
    case: Value,
}

#[derive(Clone, Copy, Debug)]
enum Via {
    Route,
    Sync,
}

impl Vector {
    /// The stream this vector uses for one way of sending: unique per vector and way, so
    /// one database holds them all. An empty order id (a rejection case) stays empty.
    fn stream(&self, via: Via) -> String {
        let original = self.case["when"]["orderId"].as_str().unwrap_or_default();
        if original.is_empty() {
            return String::new();
        }
        format!("{}-{via:?}-{original}", &self.file[..3]).to_lowercase()
    }

    fn original_id(&self) -> &str {
        self.case["when"]["orderId"].as_str().unwrap_or_default()
    }

    /// A JSON value with every `orderId` equal to the vector's id renamed to `stream`.
    fn renamed(&self, value: &Value, stream: &str) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if k == "orderId" && v == self.original_id() {
                            Value::String(stream.to_string())
                        } else {
                            self.renamed(v, stream)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.renamed(v, stream)).collect())
            }
            other => other.clone(),
        }
    }

    fn now(&self) -> &str {
        self.case["context"]["now"].as_str().unwrap_or(DEFAULT_NOW)
    }

    fn actor(&self) -> Option<&str> {
        match self.case.get("context") {
            Some(context) => context["actor"].as_str(),
            None => Some(DEFAULT_ACTOR),
        }
    }

    /// `given` as stored events of `stream`, versions 1..n.
    fn stored_given(&self, stream: &str) -> Vec<StoredEvent> {
        let given = self.case["given"].as_array().unwrap();
        given
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let entry = self.renamed(entry, stream);
                let version = i as u64 + 1;
                let event_id = uuid::Uuid::now_v7();
                match GivenEvent::from_json(&entry).unwrap_or_else(|e| panic!("{e}")) {
                    // An older stored shape: imported as it is, upcast when read.
                    GivenEvent::Stored {
                        event_type,
                        schema_version,
                        data,
                    } => StoredEvent {
                        event_id,
                        stream_id: stream.to_string(),
                        version,
                        position: 0,
                        event_type,
                        schema_version,
                        data,
                        metadata: Metadata::default(),
                    },
                    GivenEvent::Current(event) => EventEnvelope {
                        event_id,
                        stream_id: stream.to_string(),
                        version,
                        position: 0,
                        event,
                        metadata: Metadata::default(),
                    }
                    .to_stored(),
                }
            })
            .collect()
    }
}

fn load_vectors() -> Vec<Vector> {
    support::read_vectors()
        .into_iter()
        .map(|v| Vector {
            file: v.file,
            case: v.case,
        })
        .collect()
}

/// Sends `when` to the route that carries it.
fn send_to_route(server: &Server, command: &Value, actor: Option<&str>) -> Reply {
    let mut body: Map<String, Value> = command.as_object().unwrap().clone();
    let kind = body.remove("type").unwrap();
    let order_id = body["orderId"].as_str().unwrap().to_string();
    let headers: Vec<(&str, &str)> = actor.map(|a| ("X-Actor", a)).into_iter().collect();
    let order = encode(&order_id);
    match kind.as_str().unwrap() {
        "CreateOrder" => server.post_with("/orders", Value::Object(body), &headers),
        "AddItem" => {
            body.remove("orderId");
            server.post_with(
                &format!("/orders/{order}/items"),
                Value::Object(body),
                &headers,
            )
        }
        "RemoveItem" => {
            let product = encode(body["productId"].as_str().unwrap());
            let query = match body.get("quantity") {
                Some(q) => format!("?quantity={q}"),
                None => String::new(),
            };
            server.delete_with(&format!("/orders/{order}/items/{product}{query}"), &headers)
        }
        "PlaceOrder" => server.post_with(&format!("/orders/{order}/place"), json!({}), &headers),
        "CancelOrder" => {
            body.remove("orderId");
            server.post_with(
                &format!("/orders/{order}/cancel"),
                Value::Object(body),
                &headers,
            )
        }
        other => panic!("unknown command type {other}"),
    }
}

/// Sends `when` as the only command of a `POST /commands` batch, reshaped as a reply.
fn send_as_sync(server: &Server, command: &Value, actor: Option<&str>, command_id: &str) -> Reply {
    let mut item = command.as_object().unwrap().clone();
    item.insert("commandId".into(), json!(command_id));
    let headers: Vec<(&str, &str)> = actor.map(|a| ("X-Actor", a)).into_iter().collect();
    let reply = server.post_with("/commands", json!([item]), &headers);
    assert_eq!(reply.status, 200, "POST /commands: {}", reply.text);
    let outcome = reply.body[0].clone();
    assert_eq!(outcome["commandId"], command_id);
    if outcome["accepted"] == true {
        Reply {
            status: 200,
            text: outcome.to_string(),
            body: outcome,
            headers: Default::default(),
        }
    } else {
        let code = outcome["error"]["code"].as_str().unwrap_or_default();
        let status = if code == "order_not_found" { 404 } else { 422 };
        Reply {
            status,
            text: outcome.to_string(),
            body: json!({"error": outcome["error"]}),
            headers: Default::default(),
        }
    }
}

/// An event as the vectors write it: `{type, ...data}` with decision times normalized.
fn as_vector_event(envelope: &Value, now: &str, label: &str) -> Value {
    let recorded: DateTime<Utc> = envelope["metadata"]["recordedAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut event = Map::new();
    event.insert("type".into(), envelope["type"].clone());
    for (key, value) in envelope["data"].as_object().unwrap() {
        let value = if DECISION_TIMESTAMPS.contains(&key.as_str()) {
            let at: DateTime<Utc> = value.as_str().unwrap().parse().unwrap();
            assert_eq!(at, recorded, "{label}: {key} must be the decision time");
            Value::String(now.to_string())
        } else {
            value.clone()
        };
        event.insert(key.clone(), value);
    }
    Value::Object(event)
}

fn check(server: &Server, vector: &Vector, via: Via) {
    let label = format!("{} via {via:?}", vector.file);
    let stream = vector.stream(via);
    let given_count = vector.case["given"].as_array().unwrap().len();
    let before = if stream.is_empty() {
        Vec::new()
    } else {
        server.events_of(&stream)
    };
    assert_eq!(before.len(), given_count, "{label}: given imported");
    let command = vector.renamed(&vector.case["when"], &stream);
    let reply = match via {
        Via::Route => send_to_route(server, &command, vector.actor()),
        Via::Sync => send_as_sync(server, &command, vector.actor(), &format!("{label}-cmd")),
    };
    let after = if stream.is_empty() {
        Vec::new()
    } else {
        server.events_of(&stream)
    };
    if let Some(code) = vector.case["error"].as_str() {
        let status = if code == "order_not_found" { 404 } else { 422 };
        assert_eq!(
            (reply.status, reply.code()),
            (status, code),
            "{label}: {}",
            reply.text
        );
        assert_eq!(
            after.len(),
            given_count,
            "{label}: a rejection writes nothing"
        );
        return;
    }
    let expected_status = match (via, vector.case["when"]["type"].as_str()) {
        (Via::Route, Some("CreateOrder")) => 201,
        _ => 200,
    };
    assert_eq!(reply.status, expected_status, "{label}: {}", reply.text);
    let new_events: Vec<Value> = after[given_count..]
        .iter()
        .map(|e| as_vector_event(e, vector.now(), &label))
        .collect();
    let then = vector.renamed(&vector.case["then"], &stream);
    assert_eq!(Value::Array(new_events.clone()), then, "{label}: events");
    assert_eq!(
        reply.body["version"].as_u64().unwrap(),
        (given_count + new_events.len()) as u64,
        "{label}: version answered"
    );
    for (envelope, offset) in after[given_count..].iter().zip(0..) {
        assert_eq!(
            envelope["version"],
            (given_count + 1 + offset) as u64,
            "{label}"
        );
        assert_eq!(
            envelope["metadata"]["actor"].as_str(),
            vector.actor(),
            "{label}: actor recorded"
        );
    }
    if let Some(expect) = vector.case.get("expect") {
        let view = server.get(&format!("/orders/{}", encode(&stream)));
        assert_eq!(view.status, 200, "{label}: {}", view.text);
        for (key, value) in expect.as_object().unwrap() {
            assert_eq!(&view.body[key], value, "{label}: expect.{key}");
        }
    }
}

#[test]
fn every_shared_vector_passes_over_http() {
    let vectors = load_vectors();
    assert!(vectors.len() >= 30, "found only {} vectors", vectors.len());
    let db = Db::new();

    // One import for every vector's history, both copies, before the server starts.
    let mut lines = String::new();
    for vector in &vectors {
        for via in [Via::Route, Via::Sync] {
            let stream = vector.stream(via);
            for stored in vector.stored_given(&stream) {
                lines.push_str(&serde_json::to_string(&stored).unwrap());
                lines.push('\n');
            }
        }
    }
    cli_ok(&db, &["import", "-"], Some(lines.as_bytes()));

    let server = Server::start(&db);
    let mut passed = 0;
    for vector in &vectors {
        for via in [Via::Route, Via::Sync] {
            check(&server, vector, via);
            passed += 1;
        }
    }
    assert_eq!(passed, vectors.len() * 2);
    println!(
        "{} vectors passed over HTTP, each via its route and via POST /commands",
        vectors.len()
    );
}
