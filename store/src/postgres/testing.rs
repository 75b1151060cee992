//! A fresh database per test run on a real PostgreSQL server, dropped afterwards. Where no
//! server answers, the test fails and says how to start one: it is never skipped.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use postgres::{Client, NoTls};

/// The server tests use: `ORDER_TEST_PG_URL`, else the local one every machine provides.
pub fn admin_url() -> String {
    std::env::var("ORDER_TEST_PG_URL")
        .unwrap_or_else(|_| "postgresql://root@127.0.0.1:5432/test".to_string())
}

/// A database created for one test and dropped (with its connections) when this drops.
pub struct TestDatabase {
    name: String,
    url: String,
}

fn admin() -> Client {
    let url = admin_url();
    Client::connect(&url, NoTls).unwrap_or_else(|e| {
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(inner) = source {
            reason = format!("{reason}: {inner}");
            source = inner.source();
        }
        panic!(
            "PostgreSQL is unreachable at {url} ({reason}); these tests need it. Start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or set \
             ORDER_TEST_PG_URL to a server where this role may create databases"
        )
    })
}

impl TestDatabase {
    /// Creates an empty database with a name no other run uses.
    pub fn create() -> TestDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "order_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin()
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let base = admin_url();
        let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
        let url = format!("{server}/{name}");
        TestDatabase { name, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = Client::connect(&admin_url(), NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}
