//! Traces: one span per HTTP request (continuing the caller's W3C `traceparent`), per
//! guest call and per group commit, exported over OTLP/HTTP when the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set; and the trace id a command's events are
//! correlated by when the client names no correlation id.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{HeaderMap, Request, Response};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tower_http::trace::{DefaultOnResponse, OnResponse};
use tracing::field::Empty;
use tracing::{Level, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The standard variable that turns the exporter on (`http://collector:4318`).
pub const ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// The exporting tracer provider. Dropping it flushes the spans still queued for export
/// (the batch processor sends every few seconds), so that the last requests before an
/// exit are not lost.
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// The exporter the environment asks for: `None` when `OTEL_EXPORTER_OTLP_ENDPOINT` is
    /// unset, so that a server without a collector pays for no exporter. The other `OTEL_*`
    /// variables (`OTEL_SERVICE_NAME`, `OTEL_BSP_SCHEDULE_DELAY`, headers, timeout) are
    /// read by the SDK as usual.
    pub fn from_env() -> anyhow::Result<Option<Traces>> {
        if std::env::var_os(ENDPOINT_VAR).is_none_or(|value| value.is_empty()) {
            return Ok(None);
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()?;
        let mut resource = Resource::builder();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name("order-server");
        }
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build();
        Ok(Some(Traces { provider }))
    }

    /// The layer that turns this crate's spans into OpenTelemetry spans. It has its own
    /// filter: `RUST_LOG` chooses what is logged, not what is traced, so a quiet log
    /// (`RUST_LOG=warn`) still exports every request.
    pub fn layer<S>(&self) -> impl Layer<S>
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("order-server"))
            // Every span is made in this module: its file and line would say nothing.
            .with_location(false)
            .with_filter(Targets::new().with_target("order_server", Level::INFO))
    }
}

impl Drop for Traces {
    fn drop(&mut self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("warning: traces not all exported at exit: {e}");
        }
    }
}

/// The caller's trace context from its `traceparent` (and `tracestate`) header; empty
/// when there is none or it is malformed.
pub fn remote_context(headers: &HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

/// The trace a request belongs to, as 32 hex digits: the current span's (the request span,
/// continuing the caller's trace or starting one) while traces are exported, otherwise
/// the caller's `traceparent`, so that events correlate by it with or without a collector.
pub fn trace_id(headers: &HeaderMap) -> Option<String> {
    let valid_trace_id = |cx: &opentelemetry::Context| {
        let span = cx.span();
        let span_context = span.span_context();
        span_context
            .is_valid()
            .then(|| span_context.trace_id().to_string())
    };
    valid_trace_id(&Span::current().context()).or_else(|| valid_trace_id(&remote_context(headers)))
}

/// The span of one HTTP request, named by method and route template (not the path, whose
/// ids would make every order a span name of its own), child of the caller's span when a
/// `traceparent` came in. `uri` and `version` are what the log showed before.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let method = request.method();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        uri = %request.uri(),
        version = ?request.version(),
        http.route = route,
        http.response.status_code = Empty,
    );
    let parent = remote_context(request.headers());
    if parent.span().span_context().is_valid() {
        // Fails only without the OpenTelemetry layer, where there is no trace to continue.
        let _ = span.set_parent(parent);
    }
    span
}

/// Records the status on the request span, then logs the response as tower-http does.
#[derive(Clone, Debug)]
pub struct RecordStatus(pub DefaultOnResponse);

impl<B> OnResponse<B> for RecordStatus {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        let status = response.status();
        span.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
        self.0.on_response(response, latency, span);
    }
}

/// The span of one group commit. A span has one parent and a batch serves many requests:
/// it is the child of the first request's span (one request, the usual case, gets one
/// whole trace) and links to the spans of the others.
pub fn commit_span(requests: &[&Span], commands: usize) -> Span {
    let span = tracing::info_span!(
        parent: requests.first().and_then(|first| first.id()),
        "commit",
        commands,
        requests = requests.len(),
        otel.status_code = Empty,
    );
    for other in requests.iter().skip(1) {
        span.add_link(other.context().span().span_context().clone());
    }
    span
}

/// The span of one call into the guest, or none outside a request or commit: folds at
/// startup and in the CLI would otherwise each make a trace of their own.
pub fn guest_call_span(operation: &'static str, input_values: usize) -> Span {
    if Span::current().is_none() {
        return Span::none();
    }
    tracing::info_span!(
        "guest_call",
        otel.name = %format_args!("guest {operation}"),
        otel.status_code = Empty,
        guest.operation = operation,
        guest.input_values = input_values,
        guest.fuel_used = Empty,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::SpanId;
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{SpanData, SpanExporter};
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn headers(traceparent: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", traceparent.parse().unwrap());
        headers
    }

    #[test]
    fn the_trace_id_comes_from_the_traceparent_without_an_exporter() {
        assert_eq!(
            trace_id(&headers(TRACEPARENT)).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }

    #[test]
    fn no_or_a_malformed_traceparent_gives_no_trace_id() {
        assert_eq!(trace_id(&HeaderMap::new()), None);
        assert_eq!(trace_id(&headers("00-not-a-trace-01")), None);
        // The all-zero trace id is invalid by the W3C rules.
        let zero = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        assert_eq!(trace_id(&headers(zero)), None);
    }

    /// Keeps what the SDK exports, in place of a collector.
    #[derive(Debug, Clone, Default)]
    struct Collected(Arc<Mutex<Vec<SpanData>>>);

    impl SpanExporter for Collected {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            self.0.lock().unwrap().extend(batch);
            Ok(())
        }
    }

    fn span_id(span: &Span) -> SpanId {
        span.context().span().span_context().span_id()
    }

    #[test]
    fn a_batch_commit_is_the_child_of_its_first_request_and_links_to_the_others() {
        let collected = Collected::default();
        let traces = Traces {
            provider: SdkTracerProvider::builder()
                .with_simple_exporter(collected.clone())
                .build(),
        };
        let subscriber = tracing_subscriber::registry().with(traces.layer());
        let (first_id, second_id, commit_id) =
            tracing::subscriber::with_default(subscriber, || {
                assert!(
                    guest_call_span("handle", 1).is_none(),
                    "no span for a guest call outside a request or commit"
                );
                let first = tracing::info_span!("first request");
                let second = tracing::info_span!("second request");
                let commit = commit_span(&[&first, &second], 3);
                commit.in_scope(|| drop(guest_call_span("handle", 1)));
                (span_id(&first), span_id(&second), span_id(&commit))
            });
        drop(traces);
        let spans = collected.0.lock().unwrap();
        let named = |name: &str| spans.iter().find(|span| span.name == name).unwrap();
        let commit = named("commit");
        assert_eq!(commit.parent_span_id, first_id);
        let links: Vec<SpanId> = commit
            .links
            .iter()
            .map(|link| link.span_context.span_id())
            .collect();
        assert_eq!(links, [second_id]);
        assert_eq!(named("guest handle").parent_span_id, commit_id);
    }
}
