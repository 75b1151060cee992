//! One client connection with its prepared statements, its transaction state (no
//! transaction, an open batch, a failed batch) and reconnection after the server was lost.

use std::time::Duration;

use order_core::StoreError;
use postgres::{Client, Config, NoTls, Statement};

use super::schema::migrate;
use super::sql;

/// How long to wait for the server to accept a connection before naming it unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A failure inside a unit of work: from PostgreSQL (which may have aborted the transaction)
/// or a decision of the store itself (a conflict, corrupt data) that left it intact.
pub(crate) enum Fail {
    Pg(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for Fail {
    fn from(e: postgres::Error) -> Self {
        Fail::Pg(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<Fail> for StoreError {
    fn from(fail: Fail) -> Self {
        match fail {
            Fail::Pg(e) => backend(&e),
            Fail::Store(e) => e,
        }
    }
}

/// The error PostgreSQL gave, in its own words when it sent one. A lost or refused
/// session is [`StoreError::Unavailable`]: the same request succeeds once the server is
/// back, which callers tell their clients (503, retry), unlike a failed statement.
pub(crate) fn backend(e: &postgres::Error) -> StoreError {
    let message = match e.as_db_error() {
        Some(db) => format!("postgres: {}: {}", db.code().code(), db.message()),
        None if e.is_closed() => "postgres: the connection to the database was lost".into(),
        None => format!("postgres: {e}"),
    };
    if is_connection_failure(e) {
        StoreError::Unavailable(message)
    } else {
        StoreError::Backend(message)
    }
}

/// Whether `e` says the session is gone or cannot be had, rather than a statement failed:
/// the connection closed, an I/O error on it, SQLSTATE class 08 (connection exception), the
/// server shutting down, crashed or still starting (57P01, 57P02, 57P03), or out of
/// connection slots (53300).
fn is_connection_failure(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(state) => {
            let code = state.code();
            code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
        }
        None => std::error::Error::source(e).is_some_and(|cause| cause.is::<std::io::Error>()),
    }
}

/// Every statement the store runs, prepared once per connection.
pub(crate) struct Statements {
    pub lock_log_head: Statement,
    pub advance_log_head: Statement,
    pub last_position: Statement,
    pub stream_head: Statement,
    pub put_stream_head: Statement,
    pub insert_events: Statement,
    pub read_stream: Statement,
    pub read_all: Statement,
    pub get_view: Statement,
    pub put_view: Statement,
    pub list_views: Statement,
    pub clear_views: Statement,
    pub get_checkpoint: Statement,
    pub set_checkpoint: Statement,
    pub get_snapshot: Statement,
    pub get_command: Statement,
    pub upsert_command: Statement,
    pub prefetch: Statement,
    pub prefetch_heads: Statement,
    pub flush_batch: Statement,
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Self, postgres::Error> {
        Ok(Statements {
            lock_log_head: client.prepare(sql::LOCK_LOG_HEAD)?,
            advance_log_head: client.prepare(sql::ADVANCE_LOG_HEAD)?,
            last_position: client.prepare(sql::LAST_POSITION)?,
            stream_head: client.prepare(sql::STREAM_HEAD)?,
            put_stream_head: client.prepare(sql::PUT_STREAM_HEAD)?,
            insert_events: client.prepare(sql::INSERT_EVENTS)?,
            read_stream: client.prepare(&sql::read_stream())?,
            read_all: client.prepare(&sql::read_all())?,
            get_view: client.prepare(sql::GET_VIEW)?,
            put_view: client.prepare(sql::PUT_VIEW)?,
            list_views: client.prepare(sql::LIST_VIEWS)?,
            clear_views: client.prepare(sql::CLEAR_VIEWS)?,
            get_checkpoint: client.prepare(sql::GET_CHECKPOINT)?,
            set_checkpoint: client.prepare(sql::SET_CHECKPOINT)?,
            get_snapshot: client.prepare(sql::GET_SNAPSHOT)?,
            get_command: client.prepare(sql::GET_COMMAND)?,
            upsert_command: client.prepare(sql::UPSERT_COMMAND)?,
            prefetch: client.prepare(sql::PREFETCH)?,
            prefetch_heads: client.prepare(sql::PREFETCH_HEADS)?,
            flush_batch: client.prepare(sql::FLUSH_BATCH)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxState {
    Idle,
    Batch,
    /// A batch in which PostgreSQL aborted the transaction (or the connection was lost):
    /// nothing more may run in it and it cannot commit.
    FailedBatch,
}

pub(crate) struct Connection {
    config: Config,
    /// Where, for messages: host, port and database, never the password.
    target: String,
    client: Client,
    statements: Statements,
    state: TxState,
    /// The open batch failed because its session went away (not a failed statement).
    session_lost: bool,
}

fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

impl Connection {
    pub fn open(url: &str, run_migrations: bool) -> Result<Self, StoreError> {
        let mut config: Config = url
            .parse()
            .map_err(|e| StoreError::Invalid(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let target = describe(&config);
        let mut client = connect(&config, &target)?;
        if run_migrations {
            migrate(&mut client)
                .map_err(|e| backend(&e))?
                .map_err(StoreError::Backend)?;
        }
        let statements = Statements::prepare(&mut client).map_err(|e| backend(&e))?;
        Ok(Connection {
            config,
            target,
            client,
            statements,
            state: TxState::Idle,
            session_lost: false,
        })
    }

    /// Outside a transaction, a lost connection is replaced before the next use.
    fn ensure_connected(&mut self) -> Result<(), StoreError> {
        if !self.client.is_closed() {
            return Ok(());
        }
        if self.state != TxState::Idle {
            self.state = TxState::FailedBatch;
            self.session_lost = true;
            return Err(self.batch_lost("the connection was lost inside a batch"));
        }
        let mut client = connect(&self.config, &self.target)?;
        self.statements = Statements::prepare(&mut client).map_err(|e| backend(&e))?;
        self.client = client;
        Ok(())
    }

    fn note_failure(&mut self, fail: &Fail) {
        if let (Fail::Pg(e), TxState::Batch) = (fail, self.state) {
            // Outside a savepoint PostgreSQL aborts the whole transaction on any error.
            self.fail_batch(e);
        }
    }

    fn fail_batch(&mut self, e: &postgres::Error) {
        self.state = TxState::FailedBatch;
        self.session_lost |= is_connection_failure(e);
    }

    /// Why a batch cannot commit: unavailable if it went with its session (the server
    /// restarted under it; the client may notice the closed socket only later), a backend
    /// failure otherwise.
    fn batch_lost(&self, reason: &str) -> StoreError {
        let message = format!("postgres: {reason}; nothing of the batch was committed");
        if self.session_lost || self.client.is_closed() {
            StoreError::Unavailable(message)
        } else {
            StoreError::Backend(message)
        }
    }

    fn refuse_failed_batch(&self) -> Result<(), StoreError> {
        if self.state == TxState::FailedBatch {
            return Err(self.batch_lost("an earlier failure aborted this batch's transaction"));
        }
        Ok(())
    }

    /// Runs a read. Outside a batch, a read that finds the connection gone (the server
    /// restarted, or closed it) is run once more on a new connection.
    pub fn read<T>(
        &mut self,
        mut work: impl FnMut(&mut Client, &Statements) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        self.refuse_failed_batch()?;
        self.ensure_connected()?;
        let mut outcome = work(&mut self.client, &self.statements);
        if matches!(outcome, Err(Fail::Pg(_)))
            && self.state == TxState::Idle
            && self.client.is_closed()
        {
            self.ensure_connected()?;
            outcome = work(&mut self.client, &self.statements);
        }
        outcome.map_err(|fail| {
            self.note_failure(&fail);
            fail.into()
        })
    }

    /// Runs `work` atomically: its own transaction, or a savepoint inside an open batch.
    pub fn atomically<T>(
        &mut self,
        work: impl FnOnce(&mut Client, &Statements) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        self.refuse_failed_batch()?;
        self.ensure_connected()?;
        if self.state == TxState::Batch {
            self.simple("SAVEPOINT unit")?;
            match work(&mut self.client, &self.statements) {
                Ok(value) => {
                    self.simple("RELEASE unit")?;
                    Ok(value)
                }
                Err(fail) => {
                    // Undoes this unit only; if even that fails the batch is lost.
                    self.simple("ROLLBACK TO unit; RELEASE unit")?;
                    Err(fail.into())
                }
            }
        } else {
            self.client
                .batch_execute("BEGIN")
                .map_err(|e| backend(&e))?;
            let outcome = match work(&mut self.client, &self.statements) {
                Ok(value) => self
                    .client
                    .batch_execute("COMMIT")
                    .map(|()| value)
                    .map_err(|e| backend(&e)),
                Err(fail) => Err(fail.into()),
            };
            if outcome.is_err() && !self.client.is_closed() {
                let _ = self.client.batch_execute("ROLLBACK");
            }
            outcome
        }
    }

    /// A transaction-control statement inside a batch; a failure fails the batch.
    fn simple(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(|e| {
            self.fail_batch(&e);
            backend(&e)
        })
    }

    /// Opens a batch's transaction and locks the `$all` row in the same round trip, so
    /// that no other writer commits until this batch ends. Returns the last position.
    pub fn begin_batch(&mut self) -> Result<u64, StoreError> {
        if self.state != TxState::Idle {
            return Err(StoreError::Invalid("a batch is already open".into()));
        }
        self.ensure_connected()?;
        let begin = format!("BEGIN; {}", sql::LOCK_LOG_HEAD);
        let messages = match self.client.simple_query(&begin) {
            Ok(messages) => messages,
            // A connection found dead here has lost nothing yet: replace it and go on.
            Err(_) if self.client.is_closed() => {
                self.ensure_connected()?;
                self.client.simple_query(&begin).map_err(|e| backend(&e))?
            }
            Err(e) => {
                let _ = self.client.batch_execute("ROLLBACK");
                return Err(backend(&e));
            }
        };
        let position = messages.iter().find_map(|message| match message {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).and_then(|p| p.parse().ok()),
            _ => None,
        });
        let Some(position) = position else {
            let _ = self.client.batch_execute("ROLLBACK");
            return Err(StoreError::Corrupt("the log_head row is missing".into()));
        };
        self.state = TxState::Batch;
        self.session_lost = false;
        Ok(position)
    }

    pub fn finish_batch(&mut self) -> Result<(), StoreError> {
        match self.state {
            TxState::Idle => Err(StoreError::Invalid("no batch is open".into())),
            TxState::FailedBatch => {
                // COMMIT of an aborted transaction would answer ROLLBACK, not an error: never
                // send it; roll back and say why.
                let lost = self.batch_lost("the batch's transaction was aborted");
                self.abort_batch();
                Err(lost)
            }
            TxState::Batch => {
                self.state = TxState::Idle;
                if let Err(e) = self.client.batch_execute("COMMIT") {
                    if !self.client.is_closed() {
                        let _ = self.client.batch_execute("ROLLBACK");
                    }
                    return Err(backend(&e));
                }
                Ok(())
            }
        }
    }

    pub fn abort_batch(&mut self) {
        if self.state != TxState::Idle {
            self.state = TxState::Idle;
            if !self.client.is_closed() {
                let _ = self.client.batch_execute("ROLLBACK");
            }
        }
    }
}

/// A connection refused, timed out or turned away while the server starts or shuts down is
/// [`StoreError::Unavailable`] (try again later); one the server refuses for good (a wrong
/// password, no such database) is a backend failure.
fn connect(config: &Config, target: &str) -> Result<Client, StoreError> {
    config.connect(NoTls).map_err(|e| {
        // Class 28: invalid authorization; 3D000: no such database.
        let refused_for_good = e
            .code()
            .is_some_and(|state| state.code().starts_with("28") || state.code() == "3D000");
        let reason = e
            .as_db_error()
            .map(|db| db.message().to_string())
            .unwrap_or_else(|| {
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(inner) = source {
                    text = format!("{text}: {inner}");
                    source = inner.source();
                }
                text
            });
        let message = format!("cannot reach PostgreSQL at {target}: {reason}");
        if refused_for_good {
            StoreError::Backend(message)
        } else {
            StoreError::Unavailable(message)
        }
    })
}
