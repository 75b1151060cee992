//! The stored form of an event: identity, position in its stream and in the global log,
//! schema version and metadata around the domain event.

use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::event::Event;
use crate::upcast::{upcast, UpcastError};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// When the event was committed. Required on import: a log without it cannot say
    /// when anything happened, and inventing a time would falsify temporal queries.
    pub recorded_at: DateTime<Utc>,
    /// When the client says its user acted, if it said so (work done offline and synced
    /// later). The business times in the payload (`createdAt`, `placedAt`, `cancelledAt`)
    /// take it; `recordedAt` stays the commit time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<DateTime<Utc>>,
    /// Hash of the guest module that decided the event (server only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_hash: Option<String>,
}

/// An event with its identity and place in the log, always in today's schema (older stored
/// payloads are upcast when they are read or decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEnvelope {
    pub event_id: Uuid,
    pub stream_id: String,
    /// 1-based position within the stream.
    pub version: u64,
    /// 1-based, gap-free position in the global log; 0 until the store commits it.
    pub position: u64,
    pub event: Event,
    pub metadata: Metadata,
}

/// The envelope as stored and exchanged: the payload is untyped and may be an older schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    pub event_id: Uuid,
    pub stream_id: String,
    pub version: u64,
    #[serde(default)]
    pub position: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    /// Required: guessing the payload's schema would upcast it wrongly.
    pub schema_version: u32,
    pub data: serde_json::Value,
    pub metadata: Metadata,
}

impl StoredEvent {
    /// Upcasts to today's event.
    pub fn into_envelope(self) -> Result<EventEnvelope, UpcastError> {
        let event = upcast(&self.event_type, self.schema_version, self.data)?;
        Ok(EventEnvelope {
            event_id: self.event_id,
            stream_id: self.stream_id,
            version: self.version,
            position: self.position,
            event,
            metadata: self.metadata,
        })
    }
}

impl EventEnvelope {
    pub fn to_stored(&self) -> StoredEvent {
        StoredEvent {
            event_id: self.event_id,
            stream_id: self.stream_id.clone(),
            version: self.version,
            position: self.position,
            event_type: self.event.type_name().to_string(),
            schema_version: self.event.schema_version(),
            data: self.event.payload(),
            metadata: self.metadata.clone(),
        }
    }
}

/// The stored form written straight from the typed event, without building `to_stored`'s
/// copy and its `serde_json::Value` payload: every envelope a host returns goes through
/// here, and that copy was most of the cost. Byte-identical to serializing `to_stored()`
/// (a test holds the two together).
impl Serialize for EventEnvelope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut stored = serializer.serialize_struct("StoredEvent", 8)?;
        stored.serialize_field("eventId", &self.event_id)?;
        stored.serialize_field("streamId", &self.stream_id)?;
        stored.serialize_field("version", &self.version)?;
        stored.serialize_field("position", &self.position)?;
        stored.serialize_field("type", self.event.type_name())?;
        stored.serialize_field("schemaVersion", &self.event.schema_version())?;
        stored.serialize_field("data", &Payload(&self.event))?;
        stored.serialize_field("metadata", &self.metadata)?;
        stored.end()
    }
}

/// An event's fields as `Event::payload` writes them. That goes through a
/// `serde_json::Value` object, whose keys come out sorted, so the keys here are listed in
/// that order.
struct Payload<'a>(&'a Event);

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut data = serializer.serialize_map(None)?;
        match self.0 {
            Event::OrderCreated(e) => {
                data.serialize_entry("createdAt", &e.created_at)?;
                if let Some(by) = &e.created_by {
                    data.serialize_entry("createdBy", by)?;
                }
                data.serialize_entry("customerId", &e.customer_id)?;
                data.serialize_entry("orderId", &e.order_id)?;
            }
            Event::ItemAdded(e) => {
                data.serialize_entry("orderId", &e.order_id)?;
                data.serialize_entry("price", &e.price)?;
                data.serialize_entry("productId", &e.product_id)?;
                data.serialize_entry("quantity", &e.quantity)?;
            }
            Event::ItemRemoved(e) => {
                data.serialize_entry("orderId", &e.order_id)?;
                data.serialize_entry("productId", &e.product_id)?;
                data.serialize_entry("quantity", &e.quantity)?;
            }
            Event::OrderPlaced(e) => {
                data.serialize_entry("customerId", &e.customer_id)?;
                data.serialize_entry("orderId", &e.order_id)?;
                data.serialize_entry("placedAt", &e.placed_at)?;
                data.serialize_entry("total", &e.total)?;
            }
            Event::OrderCancelled(e) => {
                data.serialize_entry("cancelledAt", &e.cancelled_at)?;
                data.serialize_entry("orderId", &e.order_id)?;
                if let Some(reason) = &e.reason {
                    data.serialize_entry("reason", reason)?;
                }
            }
        }
        data.end()
    }
}

impl<'de> Deserialize<'de> for EventEnvelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        StoredEvent::deserialize(deserializer)?
            .into_envelope()
            .map_err(serde::de::Error::custom)
    }
}
