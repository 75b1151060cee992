//! RabbitMQ through lapin: a durable topic exchange, persistent messages routed by event
//! type, publisher confirms pipelined over a whole round.

use std::sync::atomic::Ordering;

use anyhow::Context as _;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use order_core::EventEnvelope;

use super::RelayStatus;

/// AMQP delivery mode 2: the broker writes the message to disk.
const PERSISTENT: u8 = 2;

pub struct Broker {
    // Kept so the connection lives as long as its channel.
    _connection: Connection,
    channel: Channel,
    exchange: String,
}

impl Broker {
    pub async fn connect(url: &str, exchange: &str) -> anyhow::Result<Broker> {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .context("connecting to the broker")?;
        let channel = connection.create_channel().await?;
        channel
            .exchange_declare(
                exchange.into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .with_context(|| format!("declaring exchange {exchange}"))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Broker {
            _connection: connection,
            channel,
            exchange: exchange.to_string(),
        })
    }

    /// Publishes the events in order, then waits for every confirm. Succeeds only when the
    /// broker acknowledged all of them.
    pub async fn publish_confirmed(
        &self,
        events: &[EventEnvelope],
        status: &RelayStatus,
    ) -> anyhow::Result<()> {
        let mut confirms = Vec::with_capacity(events.len());
        for envelope in events {
            let (routing_key, body, properties) = envelope_message(envelope)?;
            let confirm = self
                .channel
                .basic_publish(
                    self.exchange.as_str().into(),
                    routing_key.into(),
                    BasicPublishOptions::default(),
                    &body,
                    properties,
                )
                .await
                .with_context(|| format!("publishing position {}", envelope.position))?;
            status.published.fetch_add(1, Ordering::Relaxed);
            confirms.push((envelope.position, confirm));
        }
        for (position, confirm) in confirms {
            let confirmation = confirm
                .await
                .with_context(|| format!("waiting for the confirm of position {position}"))?;
            if !confirmation.is_ack() {
                anyhow::bail!("the broker refused position {position} (nack)");
            }
        }
        Ok(())
    }
}

/// The message for one event: routing key = event type; body = the envelope JSON exactly as
/// `GET /events` returns it; `message_id` = eventId (consumers deduplicate by it); headers
/// `streamId`, `version`, `position`, `type`.
pub fn envelope_message(
    envelope: &EventEnvelope,
) -> anyhow::Result<(String, Vec<u8>, BasicProperties)> {
    let body = serde_json::to_vec(envelope)?;
    let event_type = envelope.event.type_name().to_string();
    let mut headers = FieldTable::default();
    headers.insert(
        "streamId".into(),
        AMQPValue::LongString(envelope.stream_id.as_str().into()),
    );
    headers.insert(
        "version".into(),
        AMQPValue::LongLongInt(envelope.version as i64),
    );
    headers.insert(
        "position".into(),
        AMQPValue::LongLongInt(envelope.position as i64),
    );
    headers.insert(
        "type".into(),
        AMQPValue::LongString(event_type.as_str().into()),
    );
    let properties = BasicProperties::default()
        .with_message_id(envelope.event_id.to_string().into())
        .with_content_type("application/json".into())
        .with_delivery_mode(PERSISTENT)
        .with_headers(headers);
    Ok((event_type, body, properties))
}
