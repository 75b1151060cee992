//! Traces against the real binary, exported to an OTLP receiver inside the test: a
//! request's `traceparent` is continued through its guest calls and its commit on the
//! writer thread, the trace id correlates the command's events, a client's own
//! correlation id still wins, and the spans queued at exit are not lost.

mod support;

use std::time::Duration;

use serde_json::json;
use support::otlp::{ReceivedSpan, Receiver};
use support::{Db, Server};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";
const WAIT: Duration = Duration::from_secs(30);

fn traceparent() -> String {
    format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01")
}

/// A server exporting to `receiver`, its batches sent `delay_ms` after their first span.
fn traced_server(db: &Db, receiver: &Receiver, delay_ms: &str) -> Server {
    Server::start_with_env(
        db,
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", delay_ms),
        ],
    )
}

fn named<'a>(spans: &'a [ReceivedSpan], trace_id: &str, name: &str) -> Option<&'a ReceivedSpan> {
    spans
        .iter()
        .find(|span| span.trace_id == trace_id && span.name == name)
}

fn correlation_ids(server: &Server, order_id: &str) -> Vec<String> {
    server
        .events_of(order_id)
        .iter()
        .map(|event| {
            event["metadata"]["correlationId"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn a_traceparent_is_continued_through_the_guest_calls_and_the_commit() {
    let receiver = Receiver::start();
    let db = Db::new();
    let server = traced_server(&db, &receiver, "100");

    let created = server.post_with(
        "/orders",
        json!({"orderId": "o-1", "customerId": "c-1"}),
        &[("traceparent", &traceparent())],
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        correlation_ids(&server, "o-1"),
        [TRACE_ID],
        "without a correlation id of its own, the command is correlated by its trace"
    );

    let spans = receiver.wait_for(WAIT, |spans| {
        ["POST /orders", "commit", "guest handle"]
            .iter()
            .all(|name| named(spans, TRACE_ID, name).is_some())
    });
    let request = named(&spans, TRACE_ID, "POST /orders").unwrap();
    assert_eq!(request.parent_span_id, CALLER_SPAN_ID, "{request:#?}");
    assert_eq!(request.attributes["http.route"], "/orders");
    assert_eq!(request.attributes["http.response.status_code"], "201");
    // The commit ran on the writer thread, in the request's trace.
    let commit = named(&spans, TRACE_ID, "commit").unwrap();
    assert_eq!(commit.parent_span_id, request.span_id, "{commit:#?}");
    assert_eq!(commit.attributes["commands"], "1");
    // The whole command (decide, evolve, project) is one guest call.
    let handle = named(&spans, TRACE_ID, "guest handle").unwrap();
    assert_eq!(handle.parent_span_id, commit.span_id, "{handle:#?}");
    assert!(
        handle.attributes["guest.fuel_used"].parse::<u64>().unwrap() > 0,
        "{handle:#?}"
    );
}

#[test]
fn a_correlation_id_header_wins_and_spans_queued_at_exit_are_exported() {
    let receiver = Receiver::start();
    let db = Db::new();
    // Batches are due only after ten minutes: what arrives was flushed by the shutdown.
    let server = traced_server(&db, &receiver, "600000");

    let created = server.post_with(
        "/orders",
        json!({"orderId": "o-1", "customerId": "c-1"}),
        &[
            ("traceparent", &traceparent()),
            ("X-Correlation-Id", "corr-1"),
        ],
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(correlation_ids(&server, "o-1"), ["corr-1"]);

    // No traceparent: the trace the server started correlates the events.
    let created = server.post("/orders", json!({"orderId": "o-2", "customerId": "c-1"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let own_trace = correlation_ids(&server, "o-2").remove(0);
    assert!(
        own_trace.len() == 32 && own_trace.chars().all(|c| c.is_ascii_hexdigit()),
        "a trace id, not {own_trace}"
    );

    assert!(server.terminate().success());
    let spans = receiver.wait_for(WAIT, |spans| {
        named(spans, TRACE_ID, "POST /orders").is_some()
            && named(spans, &own_trace, "POST /orders").is_some()
    });
    let own = named(&spans, &own_trace, "POST /orders").unwrap();
    assert_eq!(
        own.parent_span_id, "",
        "a trace of its own starts at the request"
    );
}
