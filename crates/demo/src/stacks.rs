//! Stacks served in-process, so that the demo and the end-to-end tests need no second binary and
//! still reach every stack over real HTTP, exactly as a migration would.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use stackport_client::Client;
use stackport_model::BackendName;
use stackport_stack::{BiAccount, Limits, Stack, StackSettings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::registry::make_us_east_registry_differ;
use crate::DemoBackend;

/// The manage token of the demo's eu-central stack.
pub const EU_CENTRAL_MANAGE_TOKEN: &str = "demo-eu-central-manage-token-0123456789";
/// The manage token of the demo's us-east stack.
pub const US_EAST_MANAGE_TOKEN: &str = "demo-us-east-manage-token-0123456789abcd";

/// The file a stack keeps its settings in; see `stackport_stack::Stack::open_with`.
const SETTINGS_FILE: &str = "stack.json";

/// How long a stopping stack may take before `stop` gives up instead of hanging a test.
const STOP_GUARD: Duration = Duration::from_secs(60);

/// A stack served on a free local port by this process.
pub struct EmbeddedStack {
    /// The stack's id, as its settings (and so every ciphertext's binding) have it.
    pub id: String,
    /// The base URL it is served at.
    pub url: String,
    /// The administrator's token.
    pub manage_token: String,
    /// The data dir.
    pub dir: PathBuf,
    /// The backend the demo makes its projects on here: the stack's default.
    pub backend: BackendName,
    server: Option<Server>,
}

struct Server {
    shutdown: oneshot::Sender<()>,
    handle: JoinHandle<std::io::Result<()>>,
}

impl EmbeddedStack {
    /// Opens (creating if needed) a stack in `dir` with `settings` built for the bound address,
    /// sets the manage token, serves it on 127.0.0.1:0.
    ///
    /// The port is only known once bound, so the settings are built afterwards. A dir that
    /// already holds a stack keeps its settings, except for the URL, which is updated to the new
    /// port: otherwise the stack would advertise an address nobody listens on.
    pub async fn start(
        dir: &Path,
        make_settings: impl FnOnce(&str) -> StackSettings,
        manage_token: &str,
    ) -> anyhow::Result<Self> {
        Self::start_on(dir, make_settings, manage_token, None).await
    }

    /// As [`EmbeddedStack::start`], registering the PostgreSQL database `postgres` (a URL that
    /// may carry a password, which is sealed) as server `pg1` when `dir` holds no stack yet; a
    /// stack already there keeps the servers it has.
    pub async fn start_on(
        dir: &Path,
        make_settings: impl FnOnce(&str) -> StackSettings,
        manage_token: &str,
        postgres: Option<&str>,
    ) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind a local port for an embedded stack")?;
        let addr = listener
            .local_addr()
            .context("cannot read the address of the embedded stack's port")?;
        let settings = make_settings(&addr.to_string());
        let url = format!("http://{addr}");
        let stack = {
            let dir = dir.to_path_buf();
            let token = manage_token.to_string();
            let postgres = postgres.map(str::to_string);
            tokio::task::spawn_blocking(move || {
                open_stack(&dir, settings, &token, postgres.as_deref())
            })
            .await
            .context("opening the embedded stack panicked")??
        };
        let id = stack.settings().id.clone();
        let backend = stack.settings().default_backend.clone();
        let (shutdown, stop) = oneshot::channel::<()>();
        let handle = tokio::spawn(stackport_server::serve(
            listener,
            Arc::new(stack),
            async move {
                let _ = stop.await;
            },
        ));
        Ok(EmbeddedStack {
            id,
            url,
            manage_token: manage_token.to_string(),
            dir: dir.to_path_buf(),
            backend,
            server: Some(Server { shutdown, handle }),
        })
    }

    /// A client with the administrator's token.
    pub fn manage_client(&self) -> Client {
        Client::new(&self.url).with_manage_token(&self.manage_token)
    }

    /// A client with a project's Storage API token.
    pub fn storage_client(&self, token: &str) -> Client {
        Client::new(&self.url).with_storage_token(token)
    }

    /// Stops gracefully and waits until the stack is closed, so the data dir can be reopened or
    /// removed right after.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let server = self
            .server
            .take()
            .ok_or_else(|| anyhow!("stack {} is not running", self.id))?;
        // The server may already have ended on its own; its result then tells why.
        let _ = server.shutdown.send(());
        tokio::time::timeout(STOP_GUARD, server.handle)
            .await
            .with_context(|| {
                format!(
                    "stack {} did not stop within {}s",
                    self.id,
                    STOP_GUARD.as_secs()
                )
            })?
            .with_context(|| format!("the server task of stack {} panicked", self.id))?
            .with_context(|| format!("the server of stack {} failed", self.id))
    }
}

impl Drop for EmbeddedStack {
    /// A stack dropped without `stop` (a failed test) must not keep serving in the background.
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.shutdown.send(());
            server.handle.abort();
        }
    }
}

fn open_stack(
    dir: &Path,
    settings: StackSettings,
    manage_token: &str,
    postgres: Option<&str>,
) -> anyhow::Result<Stack> {
    let settings_path = dir.join(SETTINGS_FILE);
    if !settings_path.exists() {
        if let Some(url) = postgres {
            // As `stackport stack init --postgres URL` does: the password sealed, not written.
            Stack::init(dir, &settings, &[url.to_string()])
                .with_context(|| format!("cannot create the stack in {}", dir.display()))?;
        }
    } else {
        let mut stored = StackSettings::load(&settings_path)
            .with_context(|| format!("cannot read {}", settings_path.display()))?;
        if stored.url != settings.url {
            stored.url = settings.url.clone();
            stored
                .save(&settings_path)
                .with_context(|| format!("cannot update the URL in {}", settings_path.display()))?;
        }
    }
    let stack = stackport_engines::open(dir, || settings)
        .with_context(|| format!("cannot open the stack in {}", dir.display()))?;
    stack
        .ensure_manage_token(Some(manage_token))
        .with_context(|| {
            format!(
                "cannot set the manage token of the stack in {}",
                dir.display()
            )
        })?;
    Ok(stack)
}

/// Settings shared by the demo stacks; they differ in who they are, not in what they offer.
fn demo_settings(
    listen: &str,
    id: &str,
    name: &str,
    region: &str,
    ips: [&str; 2],
    bi: BiAccount,
) -> StackSettings {
    StackSettings {
        id: id.into(),
        name: name.into(),
        region: region.into(),
        url: format!("http://{listen}"),
        ip_addresses: ips.iter().map(|ip| ip.to_string()).collect(),
        backends: vec![stackport_model::BackendName::SQLITE],
        default_backend: stackport_model::BackendName::SQLITE,
        limits: Limits::default(),
        quotas: Default::default(),
        jobs: Default::default(),
        network: Default::default(),
        bi_account: Some(bi),
        postgres: Vec::new(),
    }
}

/// The demo's source stack. Its addresses are documentation ranges (RFC 5737), so a firewall
/// checklist made from them can never open anything real.
pub fn eu_central_settings(listen: &str) -> StackSettings {
    demo_settings(
        listen,
        "eu-central",
        "EU Central",
        "eu-central-1",
        ["203.0.113.10", "203.0.113.11"],
        BiAccount {
            id: "gd-eu-central".into(),
            name: "GoodData account of EU Central".into(),
        },
    )
}

/// The demo's destination stack.
pub fn us_east_settings(listen: &str) -> StackSettings {
    demo_settings(
        listen,
        "us-east",
        "US East",
        "us-east-1",
        ["198.51.100.20", "198.51.100.21"],
        BiAccount {
            id: "gd-us-east".into(),
            name: "GoodData account of US East".into(),
        },
    )
}

/// Starts eu-central in `root/eu-central` and us-east in `root/us-east`, with registries that
/// differ as two real stacks' would, so a migration has something to check. Their projects
/// keep their tables in SQLite files.
pub async fn start_demo_stacks(root: &Path) -> anyhow::Result<(EmbeddedStack, EmbeddedStack)> {
    start_demo_stacks_on(root, &DemoBackend::Sqlite).await
}

/// As [`start_demo_stacks`], with the demo's projects on `backend` on both stacks.
pub async fn start_demo_stacks_on(
    root: &Path,
    backend: &DemoBackend,
) -> anyhow::Result<(EmbeddedStack, EmbeddedStack)> {
    let (eu_db, us_db) = match backend {
        DemoBackend::Sqlite => (None, None),
        DemoBackend::Postgresql {
            eu_central,
            us_east,
        } => (Some(eu_central.as_str()), Some(us_east.as_str())),
    };
    let eu = EmbeddedStack::start_on(
        &root.join("eu-central"),
        |listen| {
            let mut s = eu_central_settings(listen);
            backend.apply(&mut s);
            s
        },
        EU_CENTRAL_MANAGE_TOKEN,
        eu_db,
    )
    .await
    .context("cannot start the eu-central demo stack")?;
    let us = EmbeddedStack::start_on(
        &root.join("us-east"),
        |listen| {
            let mut s = us_east_settings(listen);
            backend.apply(&mut s);
            s
        },
        US_EAST_MANAGE_TOKEN,
        us_db,
    )
    .await
    .context("cannot start the us-east demo stack")?;
    make_us_east_registry_differ(&us.manage_client())
        .await
        .context("cannot adjust the component registry of the us-east demo stack")?;
    Ok((eu, us))
}
