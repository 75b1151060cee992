//! The suite's profile (short inside `make test`, long on demand) and its figures: each
//! scenario prints a Markdown table and writes it to the report directory, from which
//! `scripts/test-faults.sh` assembles docs/reliability.md.

use std::fmt::Display;
use std::path::PathBuf;
use std::time::Duration;

/// `FAULTS_PROFILE=long` gives the counts of issue 10; anything else but `short` is refused.
pub fn long() -> bool {
    match std::env::var("FAULTS_PROFILE").as_deref() {
        Ok("long") => true,
        Ok("short") | Err(_) => false,
        Ok(other) => panic!("FAULTS_PROFILE must be `short` or `long`, not `{other}`"),
    }
}

/// The short count or the long one, by profile.
pub fn pick(short: usize, long_count: usize) -> usize {
    if long() {
        long_count
    } else {
        short
    }
}

pub struct Table {
    file: &'static str,
    title: String,
    rows: Vec<(String, String)>,
}

impl Table {
    /// `file` orders the sections in the report (e.g. `1-crash`).
    pub fn new(file: &'static str, title: &str) -> Table {
        Table {
            file,
            title: title.to_string(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, name: &str, value: impl Display) {
        self.rows.push((name.to_string(), value.to_string()));
    }

    /// Prints the table and writes it to `$FAULTS_REPORT_DIR/<file>.md`.
    pub fn finish(self) {
        let mut text = format!("### {}\n\n| figure | value |\n|---|---|\n", self.title);
        for (name, value) in &self.rows {
            text.push_str(&format!("| {name} | {value} |\n"));
        }
        println!("\n{text}");
        let dir = std::env::var_os("FAULTS_REPORT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("faults-report"));
        std::fs::create_dir_all(&dir).expect("report dir");
        std::fs::write(dir.join(format!("{}.md", self.file)), text).expect("write report");
    }
}

/// The `p`-th percentile (0..=100) of the samples, nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    assert!(!samples.is_empty(), "no samples");
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// p50 / p99 / max of the samples, in milliseconds.
pub fn spread(samples: &[Duration]) -> String {
    format!(
        "p50 {} / p99 {} / max {} (n={})",
        ms(percentile(samples, 50.0)),
        ms(percentile(samples, 99.0)),
        ms(percentile(samples, 100.0)),
        samples.len()
    )
}

/// Resident and peak resident memory of a process, in MiB, from /proc.
pub fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}
