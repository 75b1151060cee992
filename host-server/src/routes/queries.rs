//! The read routes: one order (current, or as of a version or a moment), a customer's
//! orders page by page, an order's events, and the global event feed.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use order_core::{AsOf, EventEnvelope, OrderPage, OrderView};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};

pub const DEFAULT_ORDERS_PAGE: usize = 50;
pub const DEFAULT_EVENTS_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;

#[derive(Debug, Deserialize)]
pub struct GetOrderQuery {
    version: Option<u64>,
    at: Option<String>,
}

/// `GET /orders/{id}[?version=N | ?at=RFC3339]`.
pub async fn get_order(
    State(app): State<AppState>,
    ApiPath(order_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<GetOrderQuery>,
) -> Result<Json<OrderView>, ApiError> {
    let as_of = match (query.version, query.at) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_input(
                "give either ?version= or ?at=, not both",
            ))
        }
        (Some(version), None) => Some(AsOf::Version(version)),
        (None, Some(at)) => Some(AsOf::Time(parse_time(&at)?)),
        (None, None) => None,
    };
    let id = order_id.clone();
    let folds = app.folds.clone();
    let view = app
        .queries
        .run(move |store| match as_of {
            None => Ok(store.get_view(&id)?),
            Some(as_of) => folds.view_as_of(&store.read_stream(&id, 0)?, as_of),
        })
        .await?;
    view.map(Json)
        .ok_or_else(|| ApiError::order_not_found(&order_id))
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            ApiError::invalid_input(format!(
                "?at= must be an RFC 3339 timestamp such as 2026-01-01T10:00:00Z (`{text}`: {e})"
            ))
        })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOrdersQuery {
    customer_id: Option<String>,
    limit: Option<usize>,
    after: Option<String>,
}

/// `GET /orders?customerId=X[&limit=&after=]` -> `{orders, nextCursor}`.
pub async fn list_orders(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<ListOrdersQuery>,
) -> Result<Json<OrderPage>, ApiError> {
    let customer_id = query
        .customer_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid_input("query parameter customerId is required"))?;
    let limit = page_size(query.limit, DEFAULT_ORDERS_PAGE)?;
    let after = query.after.filter(|a| !a.is_empty());
    let page = app
        .queries
        .run(move |store| Ok(store.list_views(&customer_id, after.as_deref(), limit)?))
        .await?;
    Ok(Json(page))
}

/// `GET /orders/{id}/events[?after=V&limit=L]`: events with stream version > V, oldest
/// first, at most L (1 to 1000; without `limit`, all of them, as before paging existed).
/// 404 for an order with no events at all.
pub async fn order_events(
    State(app): State<AppState>,
    ApiPath(order_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<Vec<EventEnvelope>>, ApiError> {
    let after = query.after.unwrap_or(0);
    let limit = query
        .limit
        .map(|limit| page_size(Some(limit), MAX_PAGE))
        .transpose()?;
    let id = order_id.clone();
    let (exists, mut events) = app
        .queries
        .run(move |store| {
            let events = store.read_stream(&id, after)?;
            let exists = !events.is_empty() || (after > 0 && store.get_view(&id)?.is_some());
            Ok((exists, events))
        })
        .await?;
    if !exists {
        return Err(ApiError::order_not_found(&order_id));
    }
    if let Some(limit) = limit {
        events.truncate(limit);
    }
    Ok(Json(events))
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

/// `GET /events?after=P&limit=L`: events with position > P, oldest first.
pub async fn all_events(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<Vec<EventEnvelope>>, ApiError> {
    let after = query.after.unwrap_or(0);
    let limit = page_size(query.limit, DEFAULT_EVENTS_PAGE)?;
    let events = app
        .queries
        .run(move |store| Ok(store.read_all(after, limit)?))
        .await?;
    Ok(Json(events))
}

fn page_size(limit: Option<usize>, default: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid_input(format!(
            "limit must be between 1 and {MAX_PAGE}, not {n}"
        ))),
    }
}
