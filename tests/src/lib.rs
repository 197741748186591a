//! Shared helpers for the workspace integration tests.

use std::process::{Child, Command, Stdio};

/// A child process that is killed when dropped, so a failing test leaves nothing behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a function binary against a Runtime API, with extra environment variables.
pub fn spawn_function(
    binary: &str,
    env: &[(String, String)],
    extra: &[(&str, &str)],
) -> KillOnDrop {
    let mut cmd = Command::new(binary);
    cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("RUST_BACKTRACE", "0")
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    KillOnDrop(cmd.spawn().expect("the function binary starts"))
}
