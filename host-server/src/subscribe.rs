//! `order-server subscribe`: the reference consumer of the broadcast. It binds a queue to
//! the exchange, prints each event as one JSON line (the envelope, as `GET /events` shows
//! it) and acknowledges it only after printing. Delivery is at-least-once, so it drops a
//! message whose event id it has already printed; a named queue is durable and declared
//! with `x-single-active-consumer`, so several copies of this consumer keep per-stream
//! order (one reads at a time, the others take over).

use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties, ExchangeKind};

/// Event ids remembered for deduplication (a redelivery comes soon after the original).
const REMEMBERED_IDS: usize = 100_000;

#[derive(Debug, Clone)]
pub struct SubscribeConfig {
    pub url: String,
    pub exchange: String,
    /// A durable queue to (re)use; `None` for a private queue that goes with the consumer.
    pub queue: Option<String>,
    /// Routing-key pattern: `#` for every event, `OrderPlaced` for one type.
    pub binding: String,
    /// Stop after this many distinct events.
    pub max_events: Option<u64>,
    /// Stop when nothing arrived for this long.
    pub idle_timeout: Option<Duration>,
}

/// Remembers recent event ids, forgetting the oldest past a bound.
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    fn new() -> Self {
        Seen {
            ids: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// True the first time `id` is seen.
    fn first_time(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_string()) {
            return false;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > REMEMBERED_IDS {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        true
    }
}

pub async fn subscribe(config: SubscribeConfig) -> anyhow::Result<u64> {
    let connection = Connection::connect(&config.url, ConnectionProperties::default())
        .await
        .context("connecting to the broker")?;
    let channel = connection.create_channel().await?;
    channel
        .exchange_declare(
            config.exchange.as_str().into(),
            ExchangeKind::Topic,
            lapin::options::ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("declaring exchange {}", config.exchange))?;
    let (name, options, arguments) = match &config.queue {
        Some(name) => {
            let mut arguments = FieldTable::default();
            arguments.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
            let options = QueueDeclareOptions {
                durable: true,
                ..Default::default()
            };
            (name.clone(), options, arguments)
        }
        None => {
            let options = QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            };
            (String::new(), options, FieldTable::default())
        }
    };
    let queue = channel
        .queue_declare(name.as_str().into(), options, arguments)
        .await
        .context("declaring the queue")?;
    let queue_name = queue.name().to_string();
    channel
        .queue_bind(
            queue_name.as_str().into(),
            config.exchange.as_str().into(),
            config.binding.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .context("binding the queue")?;
    channel.basic_qos(256, BasicQosOptions::default()).await?;
    let mut consumer = channel
        .basic_consume(
            queue_name.as_str().into(),
            "order-server-subscribe".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(queue = %queue_name, exchange = %config.exchange, "subscribed");
    let mut seen = Seen::new();
    let mut printed = 0;
    let stdout = std::io::stdout();
    loop {
        if config.max_events.is_some_and(|max| printed >= max) {
            break;
        }
        let next = match config.idle_timeout {
            Some(idle) => match tokio::time::timeout(idle, consumer.next()).await {
                Ok(next) => next,
                Err(_) => break,
            },
            None => consumer.next().await,
        };
        let Some(delivery) = next else { break };
        let delivery = delivery.context("receiving")?;
        let id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.to_string())
            .unwrap_or_default();
        if seen.first_time(&id) {
            let mut out = stdout.lock();
            out.write_all(&delivery.data)?;
            out.write_all(b"\n")?;
            out.flush()?;
            printed += 1;
        }
        delivery.ack(BasicAckOptions::default()).await?;
    }
    Ok(printed)
}

#[cfg(test)]
mod tests {
    use super::Seen;

    #[test]
    fn a_redelivered_event_is_printed_once() {
        let mut seen = Seen::new();
        assert!(seen.first_time("e-1"));
        assert!(seen.first_time("e-2"));
        assert!(!seen.first_time("e-1"));
    }
}
