//! A real RabbitMQ for the relay tests: a fresh exchange and queue per test (deleted after),
//! and a reader that drains the queue. The broker must run on 127.0.0.1:5672 (guest/guest);
//! when it does not, the tests fail saying so.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeclareOptions, ExchangeDeleteOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use serde_json::Value;

pub const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// One received message, with what the relay promised to set.
#[derive(Debug, Clone)]
pub struct Message {
    pub routing_key: String,
    pub message_id: String,
    pub content_type: String,
    pub persistent: bool,
    pub headers: FieldTable,
    pub body: Value,
}

impl Message {
    pub fn header_int(&self, name: &str) -> Option<i64> {
        match self.headers.inner().get(name) {
            Some(AMQPValue::LongLongInt(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn header_text(&self, name: &str) -> Option<String> {
        match self.headers.inner().get(name) {
            Some(AMQPValue::LongString(v)) => Some(v.to_string()),
            _ => None,
        }
    }
}

/// A test's own exchange with a queue bound to every routing key.
pub struct Broadcast {
    pub exchange: String,
    queue: String,
    runtime: tokio::runtime::Runtime,
}

/// A fresh connection per use: a test may stop and start the broker in between.
async fn open_channel() -> (Connection, Channel) {
    let connection = Connection::connect(URL, ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| {
            panic!("RabbitMQ is not reachable at {URL} ({e}); start it with `rabbitmq-server -detached`")
        });
    let channel = connection.create_channel().await.unwrap();
    (connection, channel)
}

impl Broadcast {
    pub fn new(test: &str) -> Broadcast {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let unique = format!(
            "{test}.{}.{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let exchange = format!("orders.test.{unique}");
        let queue = format!("orders.test.{unique}.all");
        runtime.block_on(async {
            let (_connection, channel) = open_channel().await;
            channel
                .exchange_declare(
                    exchange.as_str().into(),
                    ExchangeKind::Topic,
                    ExchangeDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .unwrap();
            channel
                .queue_declare(
                    queue.as_str().into(),
                    QueueDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .unwrap();
            channel
                .queue_bind(
                    queue.as_str().into(),
                    exchange.as_str().into(),
                    "#".into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
        });
        Broadcast {
            exchange,
            queue,
            runtime,
        }
    }

    /// Reads messages until `done` says enough or nothing arrives for `idle`.
    pub fn drain(&self, idle: Duration, done: impl Fn(&[Message]) -> bool) -> Vec<Message> {
        self.runtime.block_on(async {
            let (_connection, channel) = open_channel().await;
            let mut consumer = channel
                .basic_consume(
                    self.queue.as_str().into(),
                    format!("drain-{}", rand_tag()).as_str().into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
            let mut messages = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(120);
            while !done(&messages) && Instant::now() < deadline {
                let Ok(Some(delivery)) = tokio::time::timeout(idle, consumer.next()).await else {
                    break;
                };
                let delivery = delivery.unwrap();
                let properties = &delivery.properties;
                messages.push(Message {
                    routing_key: delivery.routing_key.to_string(),
                    message_id: properties
                        .message_id()
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    content_type: properties
                        .content_type()
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    persistent: *properties.delivery_mode() == Some(2),
                    headers: properties.headers().clone().unwrap_or_default(),
                    body: serde_json::from_slice(&delivery.data).unwrap(),
                });
                delivery.ack(BasicAckOptions::default()).await.unwrap();
            }
            let _ = channel
                .basic_cancel(
                    consumer.tag().as_str().into(),
                    lapin::options::BasicCancelOptions::default(),
                )
                .await;
            messages
        })
    }
}

impl Broadcast {
    /// Deletes a queue a test declared through another client (`subscribe --queue`).
    pub fn delete_queue(&self, queue: &str) {
        self.runtime.block_on(async {
            let (_connection, channel) = open_channel().await;
            let _ = channel
                .queue_delete(queue.into(), QueueDeleteOptions::default())
                .await;
        });
    }
}

/// Distinct positions received, each checked against the committed event it names (`log`
/// is the whole log in position order, as `GET /events` shows it).
pub fn check_against_log(messages: &[Message], log: &[Value]) -> BTreeMap<u64, String> {
    let mut by_position = BTreeMap::new();
    for message in messages {
        let position = message.body["position"].as_u64().unwrap();
        let committed = &log[position as usize - 1];
        assert_eq!(
            &message.body, committed,
            "the body is the envelope as /events shows it"
        );
        let event_id = committed["eventId"].as_str().unwrap();
        assert_eq!(message.message_id, event_id, "message_id is the event id");
        if let Some(earlier) = by_position.insert(position, message.message_id.clone()) {
            assert_eq!(
                earlier, message.message_id,
                "a duplicate carries the same message_id"
            );
        }
    }
    by_position
}

impl Broadcast {
    /// Whether a queue of that name exists on the broker (a passive declare succeeds).
    pub fn queue_exists(&self, queue: &str) -> bool {
        self.runtime.block_on(async {
            let (_connection, channel) = open_channel().await;
            let passive = QueueDeclareOptions {
                passive: true,
                ..Default::default()
            };
            channel
                .queue_declare(queue.into(), passive, FieldTable::default())
                .await
                .is_ok()
        })
    }
}

fn rand_tag() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Drop for Broadcast {
    fn drop(&mut self) {
        self.runtime.block_on(async {
            let (_connection, channel) = open_channel().await;
            let _ = channel
                .queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default())
                .await;
            let _ = channel
                .exchange_delete(
                    self.exchange.as_str().into(),
                    ExchangeDeleteOptions::default(),
                )
                .await;
        });
    }
}
