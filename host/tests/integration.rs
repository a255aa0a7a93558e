//! The integration tests: one test binary (`cargo test -p wasmbot --test integration`), so
//! wasmtime and the rest of the daemon are linked once for all of them rather than once per
//! file. Each `tests/<name>.rs` is a module of this crate; select one file's tests with its
//! module path, e.g. `cargo test -p wasmbot --test integration crash::`.
//!
//! `host/Cargo.toml` sets `autotests = false` and names this file as the only test target: a new
//! file in `tests/` runs only once it is declared below.
//!
//! All tests share one process and run on parallel threads: process-wide state (the log
//! capture, the plugin build) lives in `common` and is set up once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Shared harness and platform simulators.
mod api_sim;
mod biliao_sim;
mod common;
mod fanbook_sim;
mod fault_harness;
mod minapp_sim;
mod webhook_sim;
mod yunhu_sim;

// The tests, one module per file.
mod admin_api;
mod admin_security;
mod bad_input;
mod biliao_flow;
mod browser;
mod bundled_plugins;
mod call_cli;
mod cli;
mod cli_truth;
mod cluster;
mod cluster_artifacts;
mod cluster_lease;
mod console_browser;
mod crash;
mod dev_watch;
mod dialogues;
mod fanbook_auth;
mod fanbook_cli;
mod fanbook_e2e;
mod fanbook_extras;
mod fanbook_golden;
mod fault_injection;
mod foreign_faults;
mod foreign_http;
mod grants;
mod hostile_ids;
mod hot_reload;
mod http;
mod http_replay;
mod in_doubt;
mod journal_lag;
mod metrics;
mod minapp_flow;
mod outage;
mod outbox_fairness;
mod pipelined_commits;
mod platform_ops;
mod plugin_switch;
mod python_plugins;
mod register_commands;
mod restart;
mod runtime_faults;
mod scaffolds;
mod scenario_harness;
mod sim_live;
mod standing;
mod startup;
mod store_migration;
mod tiers;
mod timers;
mod ts_plugins;
mod unanswerable_events;
mod weather;
mod webhook_golden;
mod webhook_ingress;
mod worlds;
mod yunhu_flow;
