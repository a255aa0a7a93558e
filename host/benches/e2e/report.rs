//! The figures of each run and the Markdown tables they are printed as.

use std::time::Duration;

/// One load against one daemon: what it cost and how fast it went.
#[derive(Debug, Clone)]
pub struct Measured {
    pub events: usize,
    pub events_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub cpu_per_event: Duration,
    pub written_per_event: f64,
    pub switches_per_event: f64,
    pub threads: u64,
    pub peak_rss_kib: u64,
    /// 503 answers ("busy": the journal was full), each retried.
    pub busy: u64,
    /// The bench process's own CPU (load generator and stand-in) per event.
    pub bench_cpu_per_event: Duration,
    /// Warning and error lines the daemon logged over its whole life.
    pub log_problems: usize,
}

/// The start-up run: spawn → first reply on a fresh data dir.
#[derive(Debug, Clone)]
pub struct Startup {
    pub plugins: usize,
    pub to_accepted: Duration,
    pub to_reply: Duration,
    /// Once the daemon has settled (no CPU used for a second): resident memory, the part of
    /// it that is anonymous (not pages of files such as the binary), and threads.
    pub idle_rss_kib: u64,
    pub idle_anon_kib: u64,
    pub idle_threads: u64,
    /// Spawn → settled.
    pub to_idle: Duration,
}

/// A column of the main table.
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub measured: Measured,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The rows of the main table: a name and how to show a column's value.
type Row = (&'static str, fn(&Measured) -> String);

const ROWS: &[Row] = &[
    ("events measured", |m| m.events.to_string()),
    ("**events/s**", |m| {
        format!("**{:.0}**", m.events_per_second)
    }),
    ("latency p50 (POST → reply)", |m| ms(m.p50)),
    ("latency p99", |m| ms(m.p99)),
    ("**CPU per event** (daemon)", |m| {
        format!("**{}**", us(m.cpu_per_event))
    }),
    ("bytes written per event", |m| {
        format!("{:.0} B", m.written_per_event)
    }),
    ("context switches per event", |m| {
        format!("{:.1}", m.switches_per_event)
    }),
    ("threads (max)", |m| m.threads.to_string()),
    ("peak RSS (VmHWM)", |m| mib(m.peak_rss_kib)),
    ("503 busy answers (retried)", |m| m.busy.to_string()),
    ("bench CPU per event (load + stand-in)", |m| {
        us(m.bench_cpu_per_event)
    }),
    ("daemon WARN/ERROR log lines", |m| {
        m.log_problems.to_string()
    }),
];

/// The main table: rows the measures, columns the runs.
pub fn table(columns: &[Column]) -> String {
    let titles: Vec<&str> = columns.iter().map(|c| c.title.as_str()).collect();
    let mut out = format!("| measure | {} |\n", titles.join(" | "));
    out.push_str(&format!("|---|{}\n", "---|".repeat(columns.len())));
    for (name, show) in ROWS {
        let cells: Vec<String> = columns.iter().map(|c| show(&c.measured)).collect();
        out.push_str(&format!("| {name} | {} |\n", cells.join(" | ")));
    }
    out
}

/// durable ÷ memory for events/s and CPU per event, one column per sender count.
pub fn ratios(label: &str, pairs: &[(String, &Measured, &Measured)]) -> String {
    let titles: Vec<&str> = pairs.iter().map(|(t, _, _)| t.as_str()).collect();
    let mut out = format!("| {label} | {} |\n", titles.join(" | "));
    out.push_str(&format!("|---|{}\n", "---|".repeat(pairs.len())));
    let row = |name: &str, f: &dyn Fn(&Measured) -> f64| {
        let cells: Vec<String> = pairs
            .iter()
            .map(|(_, durable, memory)| format!("{:.2}×", f(durable) / f(memory)))
            .collect();
        format!("| {name} | {} |\n", cells.join(" | "))
    };
    out.push_str(&row("events/s", &|m| m.events_per_second));
    out.push_str(&row("CPU per event", &|m| m.cpu_per_event.as_secs_f64()));
    out.push_str(&row("bytes written per event", &|m| m.written_per_event));
    out
}

/// The start-up figures as a two-column table.
pub fn startup(s: &Startup) -> String {
    format!(
        "| start-up ({} bundled plugins, fjall, fresh data dir and Wasm cache) | |\n\
         |---|---|\n\
         | spawn → first webhook accepted | {} |\n\
         | **spawn → first reply** | **{}** |\n\
         | spawn → idle (no CPU used for 1 s) | {} |\n\
         | idle RSS (VmRSS) | {} |\n\
         | of which anonymous (RssAnon) | {} |\n\
         | idle threads | {} |\n",
        s.plugins,
        ms(s.to_accepted),
        ms(s.to_reply),
        ms(s.to_idle),
        mib(s.idle_rss_kib),
        mib(s.idle_anon_kib),
        s.idle_threads
    )
}

/// The warning and error lines of a daemon log, grouped by what they say (the level, target and
/// message: the words before the first `key=value` field; and a `status=` field), most frequent
/// first.
pub fn log_problems(log: &str) -> Vec<(String, usize)> {
    let mut groups = std::collections::BTreeMap::<String, usize>::new();
    for line in log.lines() {
        let Some(at) = line.find(" WARN ").or_else(|| line.find(" ERROR ")) else {
            continue;
        };
        let fields = line[at..].split_whitespace();
        let mut words: Vec<&str> = fields.clone().take_while(|w| !w.contains('=')).collect();
        words.extend(fields.filter(|w| w.starts_with("status=")));
        *groups.entry(words.join(" ")).or_default() += 1;
    }
    let mut sorted: Vec<(String, usize)> = groups.into_iter().collect();
    sorted.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    sorted
}
