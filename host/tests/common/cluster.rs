//! A daemon of a cluster as a real process: its config (loopback port, own data dir, the
//! `[cluster]` table), its log file, SIGKILL, and a kill when dropped.

use std::path::{Path, PathBuf};
use std::process::Child;

pub struct ClusterNode {
    pub name: String,
    pub config: PathBuf,
    pub base: String,
    pub log: PathBuf,
    pub child: Option<Child>,
}

impl ClusterNode {
    /// Writes `dir/NAME.toml`: a free loopback port, `dir/data-NAME`, `plugins`, cluster mode
    /// on `nats` with `partitions`, then `more` (bots, plugins).
    pub fn new(
        dir: &Path,
        name: &str,
        nats: &str,
        plugins: &Path,
        partitions: u32,
        more: &str,
    ) -> Self {
        let port = super::nats::free_port();
        let config = dir.join(format!("{name}.toml"));
        let text = format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = {data:?}\nplugins_dir = {plugins:?}\n\
             mode = \"cluster\"\n\n[cluster]\nnats_url = {nats:?}\nnode = {name:?}\n\
             partitions = {partitions}\n\n{more}",
            data = dir.join(format!("data-{name}")).display().to_string(),
            plugins = plugins.display().to_string(),
        );
        std::fs::write(&config, text).unwrap();
        Self {
            name: name.to_string(),
            log: dir.join(format!("{name}.log")),
            config,
            base: format!("http://127.0.0.1:{port}"),
            child: None,
        }
    }

    pub fn start(&mut self) {
        self.child = Some(super::spawn_daemon(&self.config, &self.log));
    }

    /// SIGKILL: no clean stop, no lease released.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ClusterNode {
    fn drop(&mut self) {
        self.kill();
    }
}
