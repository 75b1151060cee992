//! A Server-Sent Events client for the tests: reads a stream on a thread and hands over
//! each event (id and data) and each heartbeat as it arrives.

use std::io::{BufRead, BufReader};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// What a stream said.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Event {
        id: Option<String>,
        data: String,
    },
    /// A comment line (`:` ...), the feed's heartbeat.
    Heartbeat,
    /// The server closed the stream.
    End,
}

pub struct Stream {
    pub status: u16,
    pub content_type: Option<String>,
    /// The body of a non-200 answer.
    pub error_body: Option<serde_json::Value>,
    received: Option<Receiver<Received>>,
}

/// Opens `url` with `headers` (a bearer token, `Last-Event-ID`...).
pub fn open(url: &str, headers: &[(&str, &str)]) -> Stream {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut request = agent.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.call().expect("transport");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    if status != 200 {
        let text = response.body_mut().read_to_string().unwrap_or_default();
        return Stream {
            status,
            content_type,
            error_body: serde_json::from_str(&text).ok(),
            received: None,
        };
    }
    let (sender, receiver) = mpsc::channel();
    let body = response.into_body();
    std::thread::spawn(move || {
        let reader = BufReader::new(body.into_reader());
        let (mut id, mut data) = (None, Vec::<String>::new());
        for line in reader.lines() {
            let Ok(line) = line else { break };
            let sent = if line.is_empty() {
                if data.is_empty() {
                    continue;
                }
                let event = Received::Event {
                    id: id.take(),
                    data: std::mem::take(&mut data).join("\n"),
                };
                sender.send(event)
            } else if line.starts_with(':') {
                sender.send(Received::Heartbeat)
            } else {
                let (field, value) = line.split_once(':').unwrap_or((&line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value).to_string();
                match field {
                    "id" => id = Some(value),
                    "data" => data.push(value),
                    _ => {}
                }
                Ok(())
            };
            if sent.is_err() {
                return;
            }
        }
        let _ = sender.send(Received::End);
    });
    Stream {
        status,
        content_type,
        error_body: None,
        received: Some(receiver),
    }
}

impl Stream {
    /// The next thing the stream says within `wait` (None: nothing came).
    pub fn next_within(&self, wait: Duration) -> Option<Received> {
        let received = self.received.as_ref().expect("the stream was refused");
        match received.recv_timeout(wait) {
            Ok(item) => Some(item),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Received::End),
        }
    }

    /// The next event (skipping heartbeats) within `wait`, as (id, envelope).
    pub fn next_event(&self, wait: Duration) -> (String, serde_json::Value) {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.next_within(left) {
                Some(Received::Event { id, data }) => {
                    let envelope = serde_json::from_str(&data)
                        .unwrap_or_else(|e| panic!("data is not JSON ({e}): {data}"));
                    return (id.expect("every event has an id"), envelope);
                }
                Some(Received::Heartbeat) => continue,
                Some(Received::End) => panic!("the stream ended while an event was expected"),
                None => panic!("no event within {wait:?}"),
            }
        }
    }
}
