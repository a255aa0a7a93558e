//! A real `nats-server` with JetStream on a loopback port, its store in a temporary folder.
//! `.ci/run` installs the pinned binary (`.ci/nats-server.txt`); `WASMBOT_NATS_SERVER` names
//! another.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    pub port: u16,
    store: PathBuf,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts a server keeping its JetStream data in `dir`.
    pub fn start(dir: &Path) -> Self {
        Self::start_on(dir, free_port())
    }

    /// [`start`](Self::start) on a given port.
    pub fn start_on(dir: &Path, port: u16) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let mut server = Self {
            port,
            store: dir.to_path_buf(),
            child: None,
        };
        server.spawn();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL) and starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn spawn(&mut self) {
        let binary =
            std::env::var("WASMBOT_NATS_SERVER").unwrap_or_else(|_| "nats-server".to_string());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.store.join("nats.log"))
            .unwrap();
        let child = Command::new(&binary)
            .args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-sd")
            .arg(&self.store)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `{binary}` ({e}): install it with \
                     `pip install --require-hashes -r .ci/nats-server.txt` (see .ci/run)"
                )
            });
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}
