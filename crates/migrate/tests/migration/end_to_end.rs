//! The demo project moves from eu-central to us-east, and the source stays exactly as it was.

use std::collections::{BTreeMap, BTreeSet};

use stackport_client::{Client, ExportParams, ImportParams};
use stackport_demo::SEED_PLAINTEXT_SECRETS;
use stackport_migrate::snapshot::{self, SnapshotOptions};
use stackport_migrate::{run, verify, RestoreOptions, RunOptions};
use stackport_model::api::{MetadataEntry, Provision, SecretState, Table};

use crate::fingerprint::fingerprint;
use crate::world::*;

async fn export(client: &Client, table: &Table, with_timestamp: bool) -> String {
    let bytes = client
        .export_table(
            &table.id,
            &ExportParams {
                include_internal_timestamp: with_timestamp,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

/// Metadata a user wrote, without what each stack assigns (ids, times, the `storage` provider).
fn user_metadata(entries: &Option<Vec<MetadataEntry>>) -> BTreeSet<(String, String, String)> {
    entries
        .iter()
        .flatten()
        .filter(|e| e.provider != "storage")
        .map(|e| (e.provider.clone(), e.key.clone(), e.value.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_project_migrates_and_the_source_stays_as_it_was() {
    for backend in Backend::ALL {
        eprintln!("-- projects on {backend:?}");
        migrates_and_the_source_stays(backend).await;
    }
}

async fn migrates_and_the_source_stays(backend: Backend) {
    let world = World::on(&format!("e2e-{backend:?}"), backend).await;
    let src = world.source_client();
    let dst = world.dest_client();
    for (side, client) in [("source", &src), ("destination", &dst)] {
        assert_eq!(
            client.verify_token().await.unwrap().owner.default_backend,
            backend.name().as_str(),
            "the {side} project's backend"
        );
    }
    let before = fingerprint(&src).await;

    let work = world.work("work");
    let options = RunOptions {
        work_dir: work.clone(),
        // Small chunks, so tables span several and the cuts are exercised.
        snapshot: SnapshotOptions {
            chunk_bytes: 32 * 1024,
            ..Default::default()
        },
        restore: RestoreOptions::default(),
        run_transformations: false,
    };
    let outcome = run(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        &options,
        quiet(),
    )
    .await
    .unwrap();
    let blocking: Vec<_> = outcome.plan.blocking().collect();
    assert!(blocking.is_empty(), "{blocking:#?}");
    let report = outcome.report.expect("the migration ran");
    // `migrate verify`: the tables' fingerprints, each computed next to the data by its
    // backend, agree, and a row changed behind the migration's back shows.
    let verified = report.verification.as_ref().expect("the run verified");
    assert!(verified.matches(), "{:#?}", verified.differences);
    assert!(verified.tables >= 10, "{verified:?}");
    let again = verify(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        Some(&work),
    )
    .await
    .unwrap();
    assert!(again.matches(), "{:#?}", again.differences);

    // The source is unchanged, down to events and _timestamps.
    let after = fingerprint(&src).await;
    for (key, value) in before.as_object().unwrap() {
        assert_eq!(value, &after[key], "the source's {key} changed");
    }

    // Tables: same ids, schema and rows; every row with the one migration instant.
    let src_tables = src.list_tables().await.unwrap();
    let dst_tables = dst.list_tables().await.unwrap();
    let ids = |ts: &[Table]| ts.iter().map(|t| t.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&src_tables), ids(&dst_tables));
    let instant = stackport_model::time::parse(&report.migration_instant).unwrap();
    let mut rows = 0;
    let mut chunked = 0;
    let snap = snapshot::open(&work.join("snapshot")).unwrap();
    for (s, d) in src_tables.iter().zip(&dst_tables) {
        assert_eq!(s.columns, d.columns, "{}", s.id);
        assert_eq!(s.primary_key, d.primary_key, "{}", s.id);
        assert_eq!(s.is_typed, d.is_typed, "{}", s.id);
        assert_eq!(s.definition, d.definition, "{}", s.id);
        assert_eq!(s.display_name, d.display_name, "{}", s.id);
        assert_eq!(
            user_metadata(&s.metadata),
            user_metadata(&d.metadata),
            "{}",
            s.id
        );
        let cols = |t: &Table| {
            t.column_metadata
                .iter()
                .flatten()
                .map(|(c, e)| (c.clone(), user_metadata(&Some(e.clone()))))
                .filter(|(_, e)| !e.is_empty())
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(cols(s), cols(d), "column metadata of {}", s.id);
        if s.is_alias {
            assert_eq!(s.source_table, d.source_table);
            assert_eq!(s.alias_filter, d.alias_filter);
            continue;
        }
        assert_eq!(s.rows_count, d.rows_count, "{}", s.id);
        assert_eq!(
            export(&src, s, false).await,
            export(&dst, d, false).await,
            "rows of {}",
            s.id
        );
        // Values may hold newlines, so count the stamps rather than the lines.
        let stamped = export(&dst, d, true).await;
        let stamp = format!(",\"{}\"\n", stamped_form(&stamped));
        assert_eq!(
            stamped.matches(&stamp).count() as u64,
            d.rows_count,
            "{}: every row has {stamp:?}",
            s.id
        );
        assert_eq!(
            stackport_model::time::parse(stamped_form(&stamped)),
            Some(instant),
            "{}",
            s.id
        );
        rows += d.rows_count;
        let entry = snap.tables.iter().find(|e| e.table.id == s.id).unwrap();
        if entry.data.as_ref().unwrap().chunks.len() > 1 {
            chunked += 1;
        }
    }
    assert_eq!(rows, report.moved.rows);
    assert!(
        chunked >= 3,
        "several tables span more than one chunk ({chunked})"
    );
    let notes = dst_tables
        .iter()
        .find(|t| t.id.to_string() == "in.c-crm.notes")
        .unwrap();
    assert!(
        notes.columns.iter().any(|c| c.as_str() == "2024"),
        "a numeric column name survives"
    );

    // Configurations: same ids, names, rows, order and isDisabled; secrets emptied, not carried.
    let src_components = src
        .list_components("configuration,rows,state", false)
        .await
        .unwrap();
    let dst_components = dst
        .list_components("configuration,rows,state", false)
        .await
        .unwrap();
    let provisioned: BTreeSet<(String, String)> = snap
        .provisioned
        .iter()
        .map(|p| {
            (
                p.component_id.as_ref().unwrap().to_string(),
                p.configuration_id.as_ref().unwrap().to_string(),
            )
        })
        .collect();
    let mut configs = 0;
    for sc in &src_components {
        let dc = dst_components
            .iter()
            .find(|c| c.id == sc.id)
            .unwrap_or_else(|| panic!("component {} missing", sc.id));
        assert_eq!(
            sc.configurations.len(),
            dc.configurations.len(),
            "{}",
            sc.id
        );
        for s in &sc.configurations {
            let d = dc.configurations.iter().find(|d| d.id == s.id).unwrap();
            let label = format!("{}/{}", sc.id, s.id);
            assert_eq!(
                (&s.name, &s.description, s.is_disabled),
                (&d.name, &d.description, d.is_disabled),
                "{label}"
            );
            assert_eq!(s.rows_sort_order, d.rows_sort_order, "{label}");
            let srows = s.rows.as_ref().unwrap();
            let drows = d.rows.as_ref().unwrap();
            assert_eq!(
                srows
                    .iter()
                    .map(|r| (&r.id, &r.name, r.is_disabled))
                    .collect::<Vec<_>>(),
                drows
                    .iter()
                    .map(|r| (&r.id, &r.name, r.is_disabled))
                    .collect::<Vec<_>>(),
                "{label}"
            );
            let stripped = snap
                .configurations
                .iter()
                .find(|c| c.component_id == sc.id && c.configuration.id == s.id)
                .unwrap();
            if !provisioned.contains(&(sc.id.to_string(), s.id.to_string())) {
                assert_eq!(
                    stripped
                        .configuration
                        .configuration
                        .as_ref()
                        .map(|j| j.get()),
                    d.configuration.as_ref().map(|j| j.get()),
                    "{label}: the destination holds the snapshot's bytes"
                );
            }
            assert_eq!(
                stripped.configuration.state.as_ref().map(|j| j.get()),
                d.state.as_ref().map(|j| j.get()),
                "{label}"
            );
            for st in dst.config_secrets(&sc.id, &s.id).await.unwrap() {
                assert_ne!(
                    st.status,
                    SecretState::Undecryptable,
                    "{label}: {} carried a ciphertext",
                    st.path
                );
            }
            let origin = dst.config_metadata(&sc.id, &s.id).await.unwrap();
            assert!(
                origin
                    .iter()
                    .any(|m| m.key == "KBC.migration.sourceConfigurationId"
                        && m.value == s.id.as_str()),
                "{label}: origin metadata"
            );
            configs += 1;
        }
    }
    assert_eq!(configs as u64, report.moved.configurations);
    let mysql = dst
        .get_config(
            &"keboola.ex-db-mysql".parse().unwrap(),
            &"crm-mysql".parse().unwrap(),
        )
        .await
        .unwrap();
    assert!(mysql
        .configuration
        .unwrap()
        .get()
        .contains(r##""#password": """##));
    assert!(
        dst.list_components("", true).await.unwrap().is_empty(),
        "the trash does not move"
    );

    // Orchestrations: new ids, inactive, child tasks remapped.
    let dst_orch = dst.list_orchestrations().await.unwrap();
    assert_eq!(dst_orch.len(), report.orchestrations.len());
    assert!(dst_orch.iter().all(|o| !o.active), "restored inactive");
    let new_of: BTreeMap<u64, u64> = report
        .orchestrations
        .iter()
        .map(|m| (m.old_id, m.new_id))
        .collect();
    for o in src.list_orchestrations().await.unwrap() {
        let d = dst_orch.iter().find(|d| d.id.0 == new_of[&o.id.0]).unwrap();
        assert_eq!(
            (&o.name, &o.crontab_record, &o.timezone),
            (&d.name, &d.crontab_record, &d.timezone)
        );
        for (st, dt) in o.tasks.iter().zip(&d.tasks) {
            assert_eq!(
                st.orchestration_id.map(|c| new_of[&c.0]),
                dt.orchestration_id.map(|c| c.0)
            );
            assert_eq!(
                (&st.component_id, &st.config_id, &st.phase),
                (&dt.component_id, &dt.config_id, &dt.phase)
            );
        }
    }

    // Provisioned writers point at new resources in the destination's accounts.
    let dst_prov = dst.list_provisioned().await.unwrap();
    assert_eq!(dst_prov.len(), snap.provisioned.len());
    let bi = dst_prov
        .iter()
        .find(|p| p.kind == Provision::BiProject)
        .unwrap();
    assert_eq!(bi.account, "gd-us-east");
    let ws = dst_prov
        .iter()
        .find(|p| p.kind == Provision::Workspace)
        .unwrap();
    let writer = dst
        .get_config(
            ws.component_id.as_ref().unwrap(),
            ws.configuration_id.as_ref().unwrap(),
        )
        .await
        .unwrap();
    // A SQLite file of the destination project, or an account on its PostgreSQL server.
    let workspace = dst
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.id.to_string() == ws.id)
        .expect("the writer's new workspace");
    let db = writer.configuration.unwrap().to_value()["parameters"]["db"].clone();
    let c = &workspace.connection;
    assert_eq!(
        (&db["database"], &db["schema"], &db["user"]),
        (
            &serde_json::json!(c.database),
            &serde_json::json!(c.schema),
            &serde_json::json!(c.user)
        ),
        "the writer points at its new workspace"
    );
    if backend == Backend::Sqlite {
        assert!(c
            .database
            .starts_with(&format!("workspaces/{}/", world.dest_id)));
    } else {
        assert_eq!(c.backend, "postgresql");
    }

    // The report: files and one checklist line per thing to do.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("report.json")).unwrap()).unwrap();
    let md = std::fs::read_to_string(work.join("report.md")).unwrap();
    let tasks: BTreeSet<&str> = json["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["task"].as_str().unwrap())
        .collect();
    for task in [
        "reauthorizeOAuth",
        "reenterSecret",
        "setUpSshTunnel",
        "updateIpAllowList",
        "inviteUser",
        "enableOrchestration",
        "runProvisionedWriter",
        "expectFullReload",
        "deleteSourceProject",
    ] {
        assert!(tasks.contains(task), "checklist has {task}: {tasks:?}");
    }
    assert_eq!(
        json["checklist"].as_array().unwrap().last().unwrap()["task"],
        "deleteSourceProject"
    );
    assert!(
        md.contains("203.0.113.10") && md.contains("198.51.100.20"),
        "both stacks' addresses"
    );
    assert!(
        md.contains("parameters.replicas[1].#password"),
        "exact JSON paths"
    );
    assert!(
        !md.contains("keboola.wr-db-snowflake/warehouse (Warehouse): re-enter"),
        "the new workspace's password needs no re-entry"
    );
    // Every line is true: no row claims job history went uncounted (it is counted), and the
    // new-id table lists only ids that changed, by a name people read.
    assert!(!md.contains("not counted"), "{md}");
    assert!(
        !md.contains("Workspace of") && !md.contains("BiProject of"),
        "{md}"
    );
    let new_ids = md
        .split("## New ids")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a New ids section");
    for row in new_ids
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Object"))
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_ne!(cells[2], cells[3], "an id listed as changed did not: {row}");
    }
    assert!(
        md.contains("| jobs and their logs |"),
        "the jobs left behind are counted: {md}"
    );

    // No plaintext or ciphertext of a secret anywhere in the snapshot (or the report).
    for file in files_under(&work) {
        let bytes = std::fs::read(&file).unwrap();
        let text = if file.extension().is_some_and(|e| e == "zst") {
            String::from_utf8_lossy(&zstd_decode(&bytes)).into_owned()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        assert!(
            !text.contains("KBC::"),
            "{} holds a ciphertext",
            file.display()
        );
        for secret in SEED_PLAINTEXT_SECRETS {
            assert!(!text.contains(secret), "{} holds {secret}", file.display());
        }
    }

    change_one_value(&dst, "in.c-crm.customers").await;
    let changed = verify(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        Some(&work),
    )
    .await
    .unwrap();
    assert!(
        changed
            .differences
            .iter()
            .any(|d| d.object.contains("in.c-crm.customers")),
        "{:#?}",
        changed.differences
    );
    world.stop().await;
}

/// Changes the last value of the first row of `table` (keyed), as someone editing the
/// destination behind the migration's back would.
async fn change_one_value(client: &Client, table: &str) {
    let id = table.parse().unwrap();
    let csv = client
        .export_table(
            &id,
            &ExportParams {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let (head, _) = lines.next().unwrap().rsplit_once(",\"").unwrap();
    let changed = format!("{header}\n{head},\"changed behind its back\"\n");
    client
        .import_table(
            &id,
            &ImportParams {
                incremental: true,
                ..Default::default()
            },
            changed.into_bytes(),
        )
        .await
        .unwrap();
}

/// The `_timestamp` of the first row of an export with timestamps.
fn stamped_form(csv: &str) -> &str {
    let first_row_end = csv.find("\"\n").map(|i| i + 2).unwrap();
    let row = &csv[first_row_end..];
    let end = row.find("\"\n").unwrap();
    let start = row[..end].rfind(",\"").unwrap() + 2;
    &row[start..end]
}

fn zstd_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut zstd::Decoder::new(bytes).unwrap(), &mut out).unwrap();
    out
}
