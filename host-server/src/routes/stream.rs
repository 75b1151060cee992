//! The live feed over Server-Sent Events: `GET /events/stream?after=P` (the global feed,
//! `id:` = position; a customer's token sees only their own orders' events) and
//! `GET /orders/{id}/events/stream?after=V` (one order, `id:` = stream version). A
//! reconnect's `Last-Event-ID` takes precedence over `after`.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::feed::{self, Selection};

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    after: Option<u64>,
}

/// `GET /events/stream[?after=P]`.
pub async fn all_events(
    State(app): State<AppState>,
    axum::Extension(caller): axum::Extension<Caller>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StreamQuery>,
) -> Result<Response, ApiError> {
    let after = resume_point(&headers, query.after)?;
    let selection = match caller.customer() {
        Some(customer) => Selection::Customer(customer.to_string()),
        None => Selection::All,
    };
    Ok(open(app, selection, after))
}

/// `GET /orders/{id}/events/stream[?after=V]`: 404 for an order with no events.
pub async fn order_events(
    State(app): State<AppState>,
    ApiPath(order_id): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StreamQuery>,
) -> Result<Response, ApiError> {
    let after = resume_point(&headers, query.after)?;
    let id = order_id.clone();
    let exists = app
        .queries
        .run(move |store| Ok(store.get_view(&id)?.is_some()))
        .await?;
    if !exists {
        return Err(ApiError::order_not_found(&order_id));
    }
    Ok(open(app, Selection::Order(order_id), after))
}

fn open(app: AppState, selection: Selection, after: u64) -> Response {
    let settings = app.feed;
    let events = feed::open(
        app.queries.clone(),
        app.writer.commit_updates(),
        app.shutting_down.clone(),
        selection,
        after,
        settings,
    );
    let events = stream::unfold(events, |mut events| async move {
        let item = events.recv().await?;
        let event = Event::default().id(item.id.to_string()).data(item.data);
        Some((Ok::<_, Infallible>(event), events))
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(settings.heartbeat))
        .into_response();
    // Proxies such as nginx would otherwise hold the events back in their buffers.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    response
}

/// Where the stream starts: after `Last-Event-ID` when the client reconnects, else after
/// `?after=`, else from the beginning.
fn resume_point(headers: &HeaderMap, after: Option<u64>) -> Result<u64, ApiError> {
    let last_id = headers
        .get("last-event-id")
        .map(|value| value.to_str().map(str::trim).unwrap_or("?"))
        .filter(|text| !text.is_empty());
    let Some(last_id) = last_id else {
        return Ok(after.unwrap_or(0));
    };
    Some(last_id)
        .and_then(|text| text.parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::invalid_input(
                "Last-Event-ID must be the id of an event this stream sent (a whole number)",
            )
        })
}
