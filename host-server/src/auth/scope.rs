//! Per-customer scope. A caller limited to one customer sees and changes only that
//! customer's orders: another customer's order answers exactly like a missing one (404
//! `order_not_found`), creating an order for someone else is 403 `forbidden`, lists and
//! feeds hold only their own. Callers with [`Scope::All`] pass through untouched.
//!
//! An order's customerId never changes after it is created, so checking it before the
//! command is decided cannot be outrun by a concurrent write.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use order_core::{EventEnvelope, EventStore};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{forbidden, read_body, with_body, Caller};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::routes::queries::{self, EventsQuery, DEFAULT_EVENTS_PAGE, MAX_PAGE};

/// Events a customer's `/events` request examines at most before answering (with fewer
/// events than asked, possibly none); `X-Scanned-Through` says where to continue.
pub const MAX_FEED_SCAN: usize = 10_000;
/// The last global position a filtered feed examined: the next `after` for the client.
pub const SCANNED_THROUGH: &str = "x-scanned-through";

fn caller(request: &Request) -> Result<Caller, ApiError> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| {
            ApiError::internal(
                "internal_error",
                "the authentication layer did not run for this route",
            )
        })
}

/// Whether `order_id` exists and belongs to `customer`.
async fn owned_by(app: &AppState, order_id: &str, customer: &str) -> Result<bool, ApiError> {
    let id = order_id.to_string();
    let owner = app
        .queries
        .run(move |store| Ok(store.get_view(&id)?.map(|view| view.customer_id)))
        .await?;
    Ok(owner.as_deref() == Some(customer))
}

/// Route layer for `/orders/{id}` and everything below it: another customer's order is
/// answered as missing, before the route reads or changes anything.
pub async fn own_order_only(
    State(app): State<AppState>,
    path: Option<Path<HashMap<String, String>>>,
    request: Request,
    next: Next,
) -> Response {
    let caller = match caller(&request) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let Some(customer) = caller.customer() else {
        return next.run(request).await;
    };
    // Fail closed: a customer's request whose order id cannot be read goes nowhere.
    let Some(order_id) = path.and_then(|Path(mut params)| params.remove("id")) else {
        return ApiError::invalid_input("the order id in the path could not be read")
            .into_response();
    };
    let order_id = &order_id;
    match owned_by(&app, order_id, customer).await {
        Ok(true) => next.run(request).await,
        Ok(false) => ApiError::order_not_found(order_id).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Route layer for `POST /orders`: a customer creates orders only for themself.
pub async fn create_for_self_only(request: Request, next: Next) -> Response {
    let caller = match caller(&request) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let Some(customer) = caller.customer() else {
        return next.run(request).await;
    };
    let (head, bytes) = match read_body(request).await {
        Ok(parts) => parts,
        Err(error) => return error.into_response(),
    };
    // Unparsable bodies and missing fields are the route's to answer (400).
    // A missing customerId or an unparsable body is the route's to answer (400); any
    // customerId that is not exactly theirs, whatever its type, is refused here.
    let named = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|body| body.get("customerId").cloned());
    if named.is_some_and(|named| named.as_str() != Some(customer)) {
        return forbidden("a customer may create orders only for their own customerId")
            .into_response();
    }
    next.run(with_body(head, bytes)).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    customer_id: Option<String>,
}

/// Route layer for `GET /orders?customerId=`: a customer lists only their own orders;
/// naming another customer is 403 (the caller knows their own id, so this is a mistake
/// worth reporting, and it tells nothing about the other customer).
pub async fn list_own_only(request: Request, next: Next) -> Response {
    let caller = match caller(&request) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let Some(customer) = caller.customer() else {
        return next.run(request).await;
    };
    let query = request.uri().query().unwrap_or_default();
    let named = serde_urlencoded_customer(query);
    match named {
        Some(named) if !named.is_empty() && named != customer => {
            forbidden("a customer may list only their own orders (customerId = theirs)")
                .into_response()
        }
        _ => next.run(request).await,
    }
}

fn serde_urlencoded_customer(query: &str) -> Option<String> {
    axum::extract::Query::<ListQuery>::try_from_uri(&format!("/?{query}").parse().ok()?)
        .ok()
        .and_then(|q| q.0.customer_id)
}

/// `GET /events`: the whole feed for a caller with every order in scope; for a customer,
/// only their orders' events, with their global positions (so the feed has gaps).
pub async fn events_feed(
    State(app): State<AppState>,
    axum::Extension(caller): axum::Extension<Caller>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Response {
    let Some(customer) = caller.customer().map(String::from) else {
        return queries::all_events(State(app), ApiQuery(query))
            .await
            .into_response();
    };
    let after = query.after.unwrap_or(0);
    let limit = match query.limit {
        None => DEFAULT_EVENTS_PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(n) => {
            return ApiError::invalid_input(format!(
                "limit must be between 1 and {MAX_PAGE}, not {n}"
            ))
            .into_response()
        }
    };
    let scanned = app
        .queries
        .run(move |store| filtered_feed(store, &customer, after, limit))
        .await;
    match scanned {
        Err(e) => e.into_response(),
        Ok((events, through)) => {
            let mut response = Json(events).into_response();
            response.headers_mut().insert(
                HeaderName::from_static(SCANNED_THROUGH),
                HeaderValue::from(through),
            );
            response
        }
    }
}

pub(crate) fn filtered_feed(
    store: &dyn EventStore,
    customer: &str,
    after: u64,
    limit: usize,
) -> Result<(Vec<EventEnvelope>, u64), ApiError> {
    let mut mine: HashMap<String, bool> = HashMap::new();
    let mut events = Vec::new();
    let mut through = after;
    let mut scanned = 0;
    while scanned < MAX_FEED_SCAN {
        let batch = store.read_all(through, MAX_PAGE)?;
        if batch.is_empty() {
            break;
        }
        for event in batch {
            through = event.position;
            scanned += 1;
            let owned = match mine.get(&event.stream_id) {
                Some(owned) => *owned,
                None => {
                    let owned = store
                        .get_view(&event.stream_id)?
                        .is_some_and(|view| view.customer_id == customer);
                    mine.insert(event.stream_id.clone(), owned);
                    owned
                }
            };
            if owned {
                events.push(event);
                if events.len() == limit {
                    return Ok((events, through));
                }
            }
        }
    }
    Ok((events, through))
}

/// What a command of a `POST /commands` batch targets.
enum Target {
    Create {
        order_id: Option<String>,
        /// The `customerId` field as sent (any JSON type), if present.
        customer_id: Option<Value>,
    },
    Existing(String),
    /// Not a well-formed command: the route rejects it with its own message.
    Malformed,
}

fn target(item: &Value) -> Target {
    let field = |name: &str| item.get(name).and_then(Value::as_str).map(String::from);
    match item.get("type").and_then(Value::as_str) {
        Some("CreateOrder") => Target::Create {
            order_id: field("orderId"),
            customer_id: item.get("customerId").cloned(),
        },
        Some(_) => field("orderId").map_or(Target::Malformed, Target::Existing),
        None => Target::Malformed,
    }
}

fn rejected(item: &Value, error: ApiError) -> Value {
    // Only a string is a command id; anything else is echoed as null, as the route does
    // (an outcome's commandId is a string or null in the document).
    let command_id = item.get("commandId").filter(|id| id.is_string());
    json!({
        "commandId": command_id.cloned().unwrap_or(Value::Null),
        "accepted": false,
        "error": {"code": error.code, "message": error.message},
        "retryable": false,
    })
}

/// Route layer for `POST /commands`: for a customer, each command is checked as its own
/// route would be; a command out of scope gets a rejected outcome (`forbidden` or
/// `order_not_found`, not retryable) in its place and never reaches the writer. The
/// others go to the route in order. A command on an order created earlier in the same
/// batch is checked only after that create was decided (the batch is sent in segments),
/// so a create that failed can never let a later command reach someone else's order.
pub async fn commands_in_scope(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let caller = match caller(&request) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let Some(customer) = caller.customer().map(String::from) else {
        return next.run(request).await;
    };
    let (head, bytes) = match read_body(request).await {
        Ok(parts) => parts,
        Err(error) => return error.into_response(),
    };
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) else {
        return next.run(with_body(head, bytes)).await;
    };
    if items.len() > crate::routes::sync::MAX_SYNC_COMMANDS {
        return next.run(with_body(head, bytes)).await;
    }
    let mut batch = Batch {
        head,
        next,
        outcomes: vec![Value::Null; items.len()],
        segment: Vec::new(),
    };
    let mut created_in_segment: HashSet<String> = HashSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let allowed = match target(&item) {
            Target::Malformed => Ok(()),
            Target::Create {
                order_id,
                customer_id,
            } => {
                if customer_id.is_some_and(|named| named.as_str() != Some(customer.as_str())) {
                    Err(forbidden(
                        "a customer may create orders only for their own customerId",
                    ))
                } else {
                    created_in_segment.extend(order_id);
                    Ok(())
                }
            }
            Target::Existing(order_id) => {
                if created_in_segment.contains(&order_id) {
                    if let Err(response) = batch.flush().await {
                        return *response;
                    }
                    created_in_segment.clear();
                }
                match owned_by(&app, &order_id, &customer).await {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(ApiError::order_not_found(&order_id)),
                    Err(e) => return e.into_response(),
                }
            }
        };
        match allowed {
            Ok(()) => batch.segment.push((index, item)),
            Err(error) => batch.outcomes[index] = rejected(&item, error),
        }
    }
    if let Err(response) = batch.flush().await {
        return *response;
    }
    Json(batch.outcomes).into_response()
}

/// The commands of a `POST /commands` request, sent to the route segment by segment.
struct Batch {
    head: Request<()>,
    next: Next,
    outcomes: Vec<Value>,
    /// Commands allowed but not sent yet, with their index in the request.
    segment: Vec<(usize, Value)>,
}

impl Batch {
    /// Sends the waiting commands to the route as one request and files their outcomes.
    /// A failed request (the store or writer is down) ends the whole batch with its answer;
    /// segments already sent are committed, and a retry with the same commandIds replays them.
    async fn flush(&mut self) -> Result<(), Box<Response>> {
        if self.segment.is_empty() {
            return Ok(());
        }
        let segment = std::mem::take(&mut self.segment);
        let (indexes, commands): (Vec<usize>, Vec<Value>) = segment.into_iter().unzip();
        let body = serde_json::to_vec(&commands).unwrap_or_default();
        let mut request = Request::new(());
        *request.method_mut() = self.head.method().clone();
        *request.uri_mut() = self.head.uri().clone();
        *request.headers_mut() = self.head.headers().clone();
        request
            .extensions_mut()
            .extend(self.head.extensions().clone());
        let response = self
            .next
            .clone()
            .run(with_body(request, Bytes::from(body)))
            .await;
        if response.status() != StatusCode::OK {
            return Err(Box::new(response));
        }
        let (parts, body) = response.into_parts();
        let answered = axum::body::to_bytes(body, usize::MAX)
            .await
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Vec<Value>>(&bytes).ok())
            .filter(|outcomes| outcomes.len() == indexes.len());
        let Some(answered) = answered else {
            tracing::error!(status = %parts.status, "POST /commands answered something other than one outcome per command");
            return Err(Box::new(
                ApiError::internal("internal_error", "the command batch could not be processed")
                    .into_response(),
            ));
        };
        for (index, outcome) in indexes.into_iter().zip(answered) {
            self.outcomes[index] = outcome;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_out_of_scope_outcome_echoes_only_a_string_command_id() {
        let error = || ApiError::order_not_found("o-1");
        let outcome = rejected(&json!({"commandId": "k-1"}), error());
        assert_eq!(outcome["commandId"], "k-1");
        assert_eq!(outcome["error"]["code"], "order_not_found");
        // Found by schemathesis: `{"commandId": {}}` came back as `{}`.
        for odd in [json!({}), json!([1]), json!(7), Value::Null] {
            let outcome = rejected(&json!({ "commandId": odd }), error());
            assert_eq!(outcome["commandId"], Value::Null, "{odd}");
        }
        assert_eq!(rejected(&json!({}), error())["commandId"], Value::Null);
    }
}
