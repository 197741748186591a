//! Shared helpers for the workspace integration tests.

use std::process::Child;

/// A child process that is killed when dropped, so a failing test leaves nothing behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An HTTP client for tests (rustls with ring; plain HTTP on loopback in practice).
pub fn http_client() -> reqwest::Client {
    // Installing twice is refused, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

/// Finds a free TCP port on 127.0.0.1 (the listener is closed before returning).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Finds a program on `PATH`, or in the repository's `.venv/bin` where the test command installs
/// Python-distributed tools.
pub fn find_tool(name: &str) -> Option<std::path::PathBuf> {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(venv)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether tests run in CI, where a missing tool is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A partner that does nothing with what it receives, registered for every event type, user
/// attributes and email identities: what the overhead benches measure the SDK against.
pub struct Noop;

#[mparticle_firehose::async_trait]
impl mparticle_firehose::partner::Partner for Noop {
    fn registration(&self) -> mparticle_firehose::model::ModuleRegistrationResponse {
        use mparticle_firehose::model::*;
        ModuleRegistrationResponse::new("Noop", "1.0")
            .with_permissions(
                Permissions::new()
                    .allow_user_attributes()
                    .with_user_identity(UserIdentityPermission::new(
                        UserIdentityType::Email,
                        IdentityEncoding::Raw,
                    )),
            )
            .with_event_processing(
                EventProcessingRegistration::new()
                    .with_event_types(EventType::KNOWN.iter().cloned())
                    .with_push_messaging_provider_id("noop-push"),
            )
    }
}

/// Reading the CloudFormation templates under `registration/` for their structural tests.
pub mod cloudformation {
    use serde_json::Value;

    /// The template `registration/<file>`, parsed.
    pub fn template(file: &str) -> Value {
        let path = format!("{}/../registration/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
    }

    /// All resources of the given type, with their logical ids.
    pub fn resources_of_type<'a>(t: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
        t["Resources"]
            .as_object()
            .expect("Resources is an object")
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .map(|(id, r)| (id.as_str(), r))
            .collect()
    }

    /// The one resource of the given type.
    pub fn single<'a>(t: &'a Value, kind: &str) -> (&'a str, &'a Value) {
        let found = resources_of_type(t, kind);
        assert_eq!(
            found.len(),
            1,
            "expected exactly one {kind}, found {found:?}"
        );
        found[0]
    }
}
