//! The demo world holds what it promises: checked through the client, as a migration sees it.

use std::collections::BTreeSet;
use std::time::Instant;

use stackport_client::{Client, EventQuery, ExportParams};
use stackport_demo::{
    create_empty_project, eu_central_settings, seed_source_project, start_demo_stacks,
    start_demo_stacks_on, DemoBackend, EmbeddedStack, SeedOptions, DROPPED_ON_US_EAST,
    EU_CENTRAL_MANAGE_TOKEN, ONLY_ON_US_EAST, SEED_COMPONENTS,
};
use stackport_model::api::{Provision, SecretState, UserRole};
use stackport_model::{ComponentId, ConfigId, TableId};

use stackport_testkit::stack::Backend;
use stackport_testkit::TempDir;

fn component(id: &str) -> ComponentId {
    id.parse().unwrap()
}

fn config(id: &str) -> ConfigId {
    id.parse().unwrap()
}

fn table(id: &str) -> TableId {
    id.parse().unwrap()
}

/// The demo stacks' storage for `backend`: for PostgreSQL a fresh database of the test
/// process's cluster per stack.
async fn demo_backend(backend: Backend) -> DemoBackend {
    match backend {
        Backend::Sqlite => DemoBackend::Sqlite,
        Backend::Postgresql => tokio::task::spawn_blocking(|| {
            let cluster = stackport_testkit::postgres::Cluster::shared();
            DemoBackend::Postgresql {
                eu_central: cluster.fresh_database("demo_eu_central"),
                us_east: cluster.fresh_database("demo_us_east"),
            }
        })
        .await
        .unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_stacks_hold_a_realistic_project_and_an_empty_destination() {
    for backend in Backend::ALL {
        eprintln!("-- projects on {backend:?}");
        realistic_project_and_empty_destination(backend).await;
    }
}

async fn realistic_project_and_empty_destination(backend: Backend) {
    let root = TempDir::new(&format!("seed-{backend:?}"));
    let (eu, us) = start_demo_stacks_on(root.path(), &demo_backend(backend).await)
        .await
        .unwrap();
    let started = Instant::now();
    let seeded = seed_source_project(&eu, "Demo source", &SeedOptions { rows_scale: 0.05 })
        .await
        .unwrap();
    eprintln!(
        "seeded at 0.05 in {:?}: {:?}",
        started.elapsed(),
        seeded.summary
    );
    let (dest_id, dest_token) = create_empty_project(&us, "Demo destination").await.unwrap();
    let summary = &seeded.summary;
    // Checking must not change what it checks.
    let client = eu.storage_client(&seeded.token).read_only();

    // Who the stacks are.
    let source = client.verify_token().await.unwrap();
    assert_eq!(source.owner.id, seeded.id);
    assert_eq!(source.stack.id, "eu-central");
    assert_eq!(source.stack.region, "eu-central-1");
    assert_eq!(source.stack.url, eu.url);
    assert_eq!(source.owner.default_backend, backend.name().as_str());
    let dest = us.storage_client(&dest_token);
    let destination = dest.verify_token().await.unwrap();
    assert_eq!(destination.owner.id, dest_id);
    assert_eq!(destination.owner.default_backend, backend.name().as_str());
    assert_eq!(destination.stack.id, "us-east");
    assert_eq!(
        destination.stack.ip_addresses,
        ["198.51.100.20", "198.51.100.21"]
    );
    assert!(dest.list_buckets(false).await.unwrap().is_empty());
    assert!(dest.list_components("", false).await.unwrap().is_empty());

    check_storage(&client, summary).await;
    check_configurations(&client, summary, backend).await;

    // Orchestrations: a scheduled parent running a child.
    let orchestrations = client.list_orchestrations().await.unwrap();
    assert_eq!(orchestrations.len(), summary.orchestrations);
    let parent = orchestrations
        .iter()
        .find(|o| o.name == "Daily pipeline")
        .unwrap();
    assert!(parent.active);
    assert_eq!(parent.crontab_record.as_deref(), Some("15 4 * * *"));
    assert_eq!(parent.timezone, "Europe/Prague");
    let child = parent
        .tasks
        .iter()
        .find_map(|t| t.orchestration_id)
        .unwrap();
    assert!(orchestrations.iter().any(|o| o.id == child));
    assert!(parent.tasks.iter().any(|t| t.config_id.is_some()));
    // A trigger runs the pipeline once both CRM tables are loaded again; it has not yet.
    let triggers = client.list_triggers().await.unwrap();
    assert_eq!(triggers.len(), 1);
    assert_eq!(
        triggers[0].configuration_id.to_string(),
        parent.id.to_string()
    );
    assert_eq!(
        triggers[0]
            .tables
            .iter()
            .map(|t| t.table_id.to_string())
            .collect::<Vec<_>>(),
        ["in.c-crm.customers", "in.c-crm.notes"]
    );
    assert!(triggers[0].is_active && triggers[0].last_run.is_none());

    // Provisioned resources.
    let provisioned = client.list_provisioned().await.unwrap();
    let kinds: Vec<Provision> = provisioned.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == Provision::Workspace).count(),
        summary.workspaces
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == Provision::BiProject).count(),
        summary.bi_projects
    );
    let bi = provisioned
        .iter()
        .find(|p| p.kind == Provision::BiProject)
        .unwrap();
    assert_eq!(bi.account, "gd-eu-central");

    // Access, files and events.
    assert_eq!(
        client.list_tokens().await.unwrap().len(),
        summary.tokens + 1
    );
    let users = eu.manage_client().list_users(seeded.id).await.unwrap();
    assert_eq!(users.len(), summary.users);
    for role in [
        UserRole::Admin,
        UserRole::Share,
        UserRole::Guest,
        UserRole::ReadOnly,
    ] {
        assert!(users.iter().any(|u| u.role == role), "{role:?}");
    }
    assert_eq!(
        client.list_files(&[], None).await.unwrap().len(),
        summary.files
    );
    assert_eq!(client.list_files(&["crm"], None).await.unwrap().len(), 1);
    assert!(!client
        .list_events(&EventQuery::default())
        .await
        .unwrap()
        .is_empty());

    check_registries(&eu.manage_client(), &us.manage_client()).await;

    eu.stop().await.unwrap();
    us.stop().await.unwrap();
}

async fn check_storage(client: &Client, summary: &stackport_demo::SeedSummary) {
    let buckets = client.list_buckets(true).await.unwrap();
    assert_eq!(buckets.len(), summary.buckets);
    let crm = buckets
        .iter()
        .find(|b| b.id.to_string() == "in.c-crm")
        .unwrap();
    assert!(crm.metadata.as_ref().unwrap().len() >= 2);

    let tables = client.list_tables().await.unwrap();
    let (aliases, data): (Vec<_>, Vec<_>) = tables.iter().partition(|t| t.is_alias);
    assert_eq!(data.len(), summary.tables);
    assert_eq!(aliases.len(), summary.aliases);
    assert_eq!(data.iter().map(|t| t.rows_count).sum::<u64>(), summary.rows);
    assert!(summary.rows >= 5_000, "{}", summary.rows);
    let filtered = aliases
        .iter()
        .find(|a| a.source_table == Some(table("in.c-crm.customers")))
        .unwrap();
    assert!(filtered.alias_filter.is_some());
    assert!(filtered.rows_count > 0);

    let orders = data
        .iter()
        .find(|t| t.id == table("in.c-shop.orders"))
        .unwrap();
    assert!(orders.is_typed);
    assert_eq!(orders.primary_key[0].as_str(), "order_id");
    assert!(orders
        .column_metadata
        .as_ref()
        .unwrap()
        .contains_key("total"));
    let customers = data
        .iter()
        .find(|t| t.id == table("in.c-crm.customers"))
        .unwrap();
    assert_eq!(customers.primary_key[0].as_str(), "id");
    assert!(!customers.metadata.as_ref().unwrap().is_empty());

    let notes = table("in.c-crm.notes");
    let notes_table = client.get_table(&notes).await.unwrap();
    assert!(notes_table.columns.iter().any(|c| c.as_str() == "2024"));
    assert!(notes_table.columns.iter().any(|c| c.as_str() == "město"));
    let csv = String::from_utf8(
        client
            .export_table(&notes, &ExportParams::default())
            .await
            .unwrap(),
    )
    .unwrap();
    for value in [
        "\"He said \"\"ship it\"\" and left\"",
        "\"windows line\r\nnext line\"",
        "\"first line\nsecond line\"",
        "\"Žluťoučký kůň 🐎 úpěl ďábelské ódy\"",
        "\"東京の顧客 — 北京客户 — 서울 고객\"",
        "\"  leading and trailing spaces  \"",
        ",\"\",",
    ] {
        assert!(csv.contains(value), "the notes lack {value:?}");
    }
}

async fn check_configurations(
    client: &Client,
    summary: &stackport_demo::SeedSummary,
    backend: Backend,
) {
    let components = client.list_components("", false).await.unwrap();
    let live: usize = components.iter().map(|c| c.configurations.len()).sum();
    assert_eq!(live, summary.configurations);
    let trashed = client
        .list_deleted_configs(&component("keboola.ex-http"))
        .await
        .unwrap();
    assert_eq!(trashed.len(), summary.trashed_configurations);
    assert_eq!(trashed[0].id, config("old-price-list"));
    assert!(trashed[0].is_deleted);

    // The extractor: rows in a chosen order, one disabled, state, metadata and history.
    let mysql = component("keboola.ex-db-mysql");
    let crm = client
        .get_config(&mysql, &config("crm-mysql"))
        .await
        .unwrap();
    assert_eq!(crm.rows_sort_order[0].as_str(), "leads");
    let rows = crm.rows.as_ref().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows.iter().filter(|r| r.is_disabled).count(), 1);
    assert!(crm.state.as_ref().unwrap().get().contains("lastRun"));
    assert!(crm
        .configuration
        .as_ref()
        .unwrap()
        .get()
        .contains("\"timeoutSeconds\": 1.5e2"));
    assert!(crm.version >= 6, "version {}", crm.version);
    assert!(client
        .config_metadata(&mysql, &crm.id)
        .await
        .unwrap()
        .iter()
        .any(|m| m.key == "KBC.configuration.folderName"));

    // Secrets: every one opens here; the vault placeholder is a reference, kept as written.
    for (c, id, at_least) in [
        ("keboola.ex-db-mysql", "crm-mysql", 2),
        ("keboola.ex-db-pgsql", "shop-postgres", 2),
        ("keboola.wr-db-pgsql", "partner-postgres", 3),
        ("keboola.data-apps", "sales-dashboard", 3),
        ("keboola.wr-aws-s3", "legacy-s3-export", 1),
        ("keboola.wr-db-snowflake", "warehouse", 1),
        ("keboola.gooddata-writer", "board-dashboards", 1),
    ] {
        let secrets = client
            .config_secrets(&component(c), &config(id))
            .await
            .unwrap();
        assert!(secrets.len() >= at_least, "{id}: {secrets:?}");
        assert!(
            secrets.iter().all(|s| s.status == SecretState::Ok),
            "{id}: {secrets:?}"
        );
    }
    let crm_secrets = client.config_secrets(&mysql, &crm.id).await.unwrap();
    assert!(crm_secrets
        .iter()
        .any(|s| s.path.starts_with("rows[notes]")));
    let api = component("keboola.ex-generic-v2");
    let secrets = client
        .config_secrets(&api, &config("crm-api"))
        .await
        .unwrap();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].status, SecretState::Reference);
    let doc = client
        .get_config(&api, &config("crm-api"))
        .await
        .unwrap()
        .configuration
        .unwrap()
        .to_value();
    assert_eq!(doc["config"]["#token"], "{{ vault.crm_api_token }}");
    assert_eq!(
        doc["config"]["headers"]["X-Tenant"],
        "{{ vault.crm_tenant }}"
    );

    let legacy = client
        .get_config(&component("keboola.wr-aws-s3"), &config("legacy-s3-export"))
        .await
        .unwrap();
    assert!(legacy.is_disabled);

    // OAuth and SSH.
    let sheets = component("keboola.wr-google-sheets");
    let credentials = client.list_oauth_credentials(&sheets).await.unwrap();
    let sheet = client
        .get_config(&sheets, &config("finance-sheet"))
        .await
        .unwrap()
        .configuration
        .unwrap()
        .to_value();
    assert_eq!(
        sheet["authorization"]["oauth_api"]["id"],
        credentials[0].id.as_str()
    );
    let shop = client
        .get_config(&component("keboola.ex-db-pgsql"), &config("shop-postgres"))
        .await
        .unwrap()
        .configuration
        .unwrap()
        .to_value();
    let ssh = &shop["parameters"]["db"]["ssh"];
    assert_eq!(ssh["enabled"], true);
    assert!(ssh["keys"]["public"]
        .as_str()
        .unwrap()
        .starts_with("ssh-ed25519 "));
    assert!(ssh["keys"]["#private"]
        .as_str()
        .unwrap()
        .starts_with("KBC::ProjectWideSecure::"));

    // Transformations in the project's SQL dialect, with incremental inputs and a history; each
    // ran once.
    let (sql, other) = match backend {
        Backend::Sqlite => (
            "keboola.sqlite-transformation",
            "keboola.postgresql-transformation",
        ),
        Backend::Postgresql => (
            "keboola.postgresql-transformation",
            "keboola.sqlite-transformation",
        ),
    };
    let sqlite = component(sql);
    let transformations = client.list_configs(&sqlite).await.unwrap();
    assert_eq!(transformations.len(), 3);
    assert_eq!(summary.transformations, 3);
    assert!(client
        .list_configs(&component(other))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(summary.jobs, 3);
    let revenue = transformations
        .iter()
        .find(|t| t.name == "Revenue by day")
        .unwrap();
    let value = revenue.configuration.as_ref().unwrap().to_value();
    assert_eq!(
        value["storage"]["input"]["tables"][0]["changed_since"],
        "-7 days"
    );
    let script = value["parameters"]["blocks"][0]["codes"][0]["script"][0]
        .as_str()
        .unwrap();
    assert!(script.starts_with("CREATE TABLE"), "{script}");
    // PostgreSQL sums no text: the PostgreSQL SQL casts what Storage hands it as text.
    assert_eq!(
        script.contains("::numeric"),
        backend == Backend::Postgresql,
        "{script}"
    );
    assert_eq!(
        client
            .list_config_versions(&sqlite, &revenue.id)
            .await
            .unwrap()
            .len(),
        3
    );
}

async fn check_registries(eu: &Client, us: &Client) {
    let ids = |components: Vec<stackport_model::api::Component>| {
        components
            .into_iter()
            .map(|c| c.id.to_string())
            .collect::<BTreeSet<_>>()
    };
    let us_components = us.manage_components().await.unwrap();
    for id in SEED_COMPONENTS {
        let found = us_components
            .iter()
            .find(|c| c.id.as_str() == *id)
            .unwrap_or_else(|| panic!("us-east lacks {id}"));
        assert!(!found.is_deprecated(), "{id} is deprecated on us-east");
    }
    let eu_ids = ids(eu.manage_components().await.unwrap());
    let us_ids = ids(us_components);
    assert!(eu_ids.contains(DROPPED_ON_US_EAST) && !us_ids.contains(DROPPED_ON_US_EAST));
    assert!(us_ids.contains(ONLY_ON_US_EAST) && !eu_ids.contains(ONLY_ON_US_EAST));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_stack_keeps_its_data_and_advertises_its_new_address() {
    let root = TempDir::new("restart");
    let dir = root.path().join("eu-central");
    let first = EmbeddedStack::start(&dir, eu_central_settings, EU_CENTRAL_MANAGE_TOKEN)
        .await
        .unwrap();
    let (project, token) = create_empty_project(&first, "kept").await.unwrap();
    first.stop().await.unwrap();

    let second = EmbeddedStack::start(&dir, eu_central_settings, EU_CENTRAL_MANAGE_TOKEN)
        .await
        .unwrap();
    let verified = second.storage_client(&token).verify_token().await.unwrap();
    assert_eq!(verified.owner.id, project);
    assert_eq!(verified.stack.url, second.url);
    second.stop().await.unwrap();
}

/// The full demo, to see its size and how long seeding takes:
/// `cargo test -p stackport-demo --test seed -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "seeds over 100,000 rows; run by hand to time the full demo"]
async fn the_full_demo_seed() {
    let root = TempDir::new("full");
    let (eu, us) = start_demo_stacks(root.path()).await.unwrap();
    let started = Instant::now();
    let seeded = seed_source_project(&eu, "Demo source", &SeedOptions::default())
        .await
        .unwrap();
    eprintln!(
        "seeded at 1.0 in {:?}: {:#?}",
        started.elapsed(),
        seeded.summary
    );
    assert!(seeded.summary.rows >= 100_000);
    eu.stop().await.unwrap();
    us.stop().await.unwrap();
}
