//! Machine-readable figures for `make bench`'s table: when `BENCH_JSONL` names a file, each
//! figure is appended to it as one JSON object per line (the fields are described in
//! `bench/results/README.md`). Without the variable nothing is written.

use std::io::Write;

/// What one measured row is: where it belongs in the table and what was measured.
pub struct Figure<'a> {
    /// The benchmark the row comes from (`server`, `replay`).
    pub group: &'a str,
    /// The workload, the key the table looks rows up by.
    pub row: &'a str,
    /// `ours`, `peer` or `floor`.
    pub system: &'a str,
    /// What ran, for people reading the file.
    pub name: &'a str,
    /// `FULL`, `NORMAL` or `memory`.
    pub durability: &'a str,
    /// The workload's size (commands or events).
    pub n: usize,
}

impl Figure<'_> {
    /// Appends one line per `(metric, value)`.
    pub fn emit(&self, metrics: &[(&str, f64)]) {
        let Some(path) = std::env::var_os("BENCH_JSONL") else {
            return;
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("open BENCH_JSONL");
        for (metric, value) in metrics {
            let line = serde_json::json!({
                "group": self.group, "row": self.row, "system": self.system,
                "name": self.name, "metric": metric, "value": value,
                "durability": self.durability, "n": self.n,
            });
            writeln!(file, "{line}").expect("write BENCH_JSONL");
        }
    }
}
