//! The rules of the validation: from what was read on both sides to findings and an estimate.

use std::collections::{BTreeMap, HashMap, HashSet};

use stackport_model::api::{Component, OrchestrationTask};

use super::{Destination, Finding, Plan, PlanInventory, Severity};
use crate::backend_change::{self, BackendChange};
use crate::checklist::changed_since_inputs;
use crate::read::{SourceProject, LISTING_LIMIT};
use crate::snapshot::format::{SecretKind, StackRef};
use crate::snapshot::strip_configuration;

/// Nominal end-to-end data rate used for the estimate: measured by `stackport` on loopback
/// between two local stacks (see docs/performance.md); a long-distance link will be slower.
const NOMINAL_BYTES_PER_SECOND: f64 = 40.0 * 1024.0 * 1024.0;

fn finding(
    severity: Severity,
    code: &str,
    object: String,
    message: String,
    action: String,
) -> Finding {
    Finding {
        severity,
        code: code.to_string(),
        object,
        message,
        action,
    }
}

fn listing(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

pub(crate) fn evaluate(
    project: &SourceProject,
    dest: &Destination,
    source_seconds: f64,
    dest_latency: f64,
    resuming: Option<&str>,
    allow_backend_change: bool,
) -> Plan {
    use Severity::*;
    let mut findings = Vec::new();
    let src_token = &project.verified.token;
    let src_owner = &project.verified.owner;
    let dst_owner = &dest.verified.owner;
    let src_stack = &project.verified.stack;
    let dst_stack = &dest.verified.stack;

    // Tokens.
    if !src_token.is_master_token {
        let mut cannot = vec![
            "the project's members".to_string(),
            "its API tokens".to_string(),
        ];
        if !src_token.can_manage_buckets && src_token.bucket_permissions.is_empty() {
            cannot.push("its buckets".into());
        }
        if src_token.component_access.is_some() {
            cannot.push("configurations of components outside its componentAccess".into());
        }
        findings.push(finding(
            Blocking,
            "source.tokenCannotReadAll",
            format!("source token {} ({})", src_token.id, src_token.description),
            format!(
                "the source token is not a master token and cannot read {}",
                cannot.join(", ")
            ),
            "use a master token of the source project (it is only read from)".into(),
        ));
    }
    if !dest.verified.token.is_master_token {
        findings.push(finding(
            Blocking,
            "destination.tokenNotMaster",
            format!("destination token {} ({})", dest.verified.token.id, dest.verified.token.description),
            "the destination token is not a master token; a restore creates buckets, configurations, workspaces and orchestrations".into(),
            "use a master token of the destination project".into(),
        ));
    }
    if src_stack.id == dst_stack.id && src_owner.id == dst_owner.id {
        findings.push(finding(
            Blocking,
            "destination.isSource",
            format!("project {} on stack {}", src_owner.id, src_stack.id),
            "the source and the destination are the same project".into(),
            "create a new empty project on the destination stack and use its token".into(),
        ));
    }

    // The destination must be empty, unless it holds part of the very snapshot being resumed.
    let own = resuming.is_some() && (dest.restoring() == resuming || dest.restored() == resuming);
    if own {
        let done = dest.restored() == resuming;
        findings.push(finding(
            Info,
            if done {
                "migration.alreadyRestored"
            } else {
                "migration.resuming"
            },
            format!("destination project {} ({})", dst_owner.id, dst_owner.name),
            if done {
                "the destination already holds the whole snapshot of this migration".into()
            } else {
                "the destination holds part of this migration's snapshot from an interrupted run"
                    .into()
            },
            if done {
                "nothing to write; the run only verifies".into()
            } else {
                "the run goes on where it stopped; nothing is loaded twice".into()
            },
        ));
    }
    for (what, items) in [
        ("buckets", &dest.buckets),
        ("configurations", &dest.configurations),
        ("orchestrations", &dest.orchestrations),
        ("provisioned resources", &dest.provisioned),
    ] {
        if !items.is_empty() && !own {
            findings.push(finding(
                Blocking,
                "destination.notEmpty",
                format!("destination project {} ({})", dst_owner.id, dst_owner.name),
                format!("the destination project already has {} {what}: {}", items.len(), listing(items)),
                "migrate into a new, empty project (trashed configurations do not count), or delete these first".into(),
            ));
        }
    }

    // Ids kept by the destination's trash would make the restore stop half-way.
    for (component, config) in &project.configs {
        let key = (component.to_string(), config.id.to_string());
        if dest.trashed.contains(&key) && !own {
            findings.push(finding(
                Blocking,
                "destination.trashedIdTaken",
                format!("configuration {component}/{} ({})", config.id, config.name),
                format!(
                    "the destination's trash holds a configuration {component}/{}, so the stack will not create one with that id",
                    config.id
                ),
                "purge it from the destination's trash (delete it once more), or migrate into a new project".into(),
            ));
        }
    }

    // Backends.
    if src_owner.backend != dst_owner.backend {
        let from = &src_owner.backend;
        let to = &dst_owner.backend;
        if allow_backend_change {
            findings.push(finding(
                Warning,
                "backend.mismatch",
                format!("project backends: {from} → {to}"),
                format!(
                    "the source project uses the {from} backend and the destination project the {to} backend; --allow-backend-change moves the rows as they are, and the comparison after the restore checks them by fingerprint"
                ),
                "work through the backend.transformationRewrite and backend.typedColumn findings (they are on the report's checklist too)".into(),
            ));
            let change = BackendChange::of(
                from,
                to,
                project.configs.iter().map(|(c, cfg)| (c, cfg)),
                &project.tables,
            )
            .expect("the backends differ");
            for t in &change.rewrite {
                findings.push(finding(
                    Warning,
                    "backend.transformationRewrite",
                    t.object(),
                    format!(
                        "its SQL is in {}'s dialect, which a {} project cannot run",
                        backend_change::label(from),
                        backend_change::label(to)
                    ),
                    format!(
                        "it is restored disabled; {} after the migration",
                        backend_change::rewrite_for(to)
                    ),
                ));
            }
            for c in &change.typed_columns {
                findings.push(finding(
                    Warning,
                    "backend.typedColumn",
                    c.object(),
                    c.change.clone(),
                    "the rows move exactly as they are; check programs that compare or parse this column's text".into(),
                ));
            }
        } else {
            findings.push(finding(
                Blocking,
                "backend.mismatch",
                format!("project backends: {from} → {to}"),
                format!(
                    "the source project uses the {from} backend and the destination project the {to} backend; tables and transformations do not change backend in a migration unless it is asked for"
                ),
                format!(
                    "create the destination project with the {from} backend{}, or run again with --allow-backend-change to move the rows into the {to} project anyway (SQL transformations of the {from} dialect are then restored disabled, to be rewritten)",
                    if dest.index.backends.contains(from) {
                        String::new()
                    } else {
                        format!(" (stack {} does not offer it: choose another destination stack)", dst_stack.id)
                    }
                ),
            ));
        }
    }

    // Components.
    let registry: HashMap<&str, &Component> = dest
        .index
        .components
        .iter()
        .map(|c| (c.id.as_str(), c))
        .collect();
    for (component, config) in &project.configs {
        let object = format!("configuration {component}/{} ({})", config.id, config.name);
        match registry.get(component.as_str()) {
            None => findings.push(finding(
                Blocking,
                "component.missing",
                object,
                format!("component {component} does not exist on stack {}", dst_stack.id),
                "move the configuration to a component the destination stack has, or delete it from the source project".into(),
            )),
            Some(c) if c.is_deprecated() => findings.push(finding(
                Blocking,
                "component.deprecated",
                object,
                format!("component {component} is deprecated on stack {}", dst_stack.id),
                match &c.replaced_by {
                    Some(r) => format!("migrate the configuration to {r}, then delete this one"),
                    None => "migrate the configuration to a supported component, or delete it".into(),
                },
            )),
            Some(_) => {}
        }
    }

    // Orchestration tasks must point at something that moves.
    let live: HashSet<(String, String)> = project
        .configs
        .iter()
        .map(|(c, cfg)| (c.to_string(), cfg.id.to_string()))
        .collect();
    let orchestration_ids: HashSet<u64> = project.orchestrations.iter().map(|o| o.id.0).collect();
    for o in &project.orchestrations {
        for (i, task) in o.tasks.iter().enumerate() {
            if let Some(problem) = dangling(task, &live, &orchestration_ids) {
                findings.push(finding(
                    Blocking,
                    "orchestration.danglingTask",
                    format!("orchestration {} ({}), task {}", o.id, o.name, i + 1),
                    problem,
                    "remove the task from the orchestration, or restore its configuration from the trash".into(),
                ));
            }
        }
    }

    // What will need work afterwards.
    let mut secrets = 0u64;
    let mut oauth = 0u64;
    let mut ssh = 0u64;
    for (component, config) in &project.configs {
        let object = format!("configuration {component}/{} ({})", config.id, config.name);
        // Counted exactly as the snapshot will cut them, so the plan and the report agree.
        let removed = match strip_configuration(component, &mut config.clone()) {
            Ok(removed) => removed,
            Err(e) => {
                findings.push(finding(
                    Blocking,
                    "configuration.unreadable",
                    object.clone(),
                    e.to_string(),
                    "fix or delete the configuration in the source project".into(),
                ));
                Vec::new()
            }
        };
        for r in &removed {
            match r.kind {
                SecretKind::Secret => secrets += 1,
                SecretKind::SshKey => ssh += 1,
                SecretKind::Oauth => {
                    oauth += 1;
                    findings.push(finding(
                        Warning,
                        "oauth.reauthorize",
                        object.clone(),
                        "the OAuth authorization stays on the source stack".into(),
                        "re-authorize the configuration on the destination after the migration"
                            .into(),
                    ));
                }
            }
        }
        let inputs = changed_since_inputs(config);
        if !inputs.is_empty() {
            findings.push(finding(
                Warning,
                "changedSince.fullReload",
                object,
                format!(
                    "input {} uses changed_since; every migrated row gets the migration's timestamp",
                    inputs.join(", ")
                ),
                "expect its first run on the destination to read all rows".into(),
            ));
        }
    }
    if secrets > 0 {
        findings.push(finding(
            Warning,
            "secrets.notMoved",
            format!("{secrets} encrypted values"),
            "encrypted values are bound to the source stack's keys and are not carried".into(),
            "re-enter each one on the destination; the report lists every configuration and JSON path".into(),
        ));
    }
    if ssh > 0 {
        findings.push(finding(
            Warning,
            "ssh.notMoved",
            format!("{ssh} SSH tunnel keys"),
            "SSH private keys are not carried".into(),
            "generate new keys on the destination and install their public halves on the bastion hosts".into(),
        ));
    }
    for table in project.tables.iter().filter(|t| t.is_typed) {
        if let Some(def) = &table.definition {
            let nullable: Vec<&str> = def
                .columns
                .iter()
                .filter(|c| c.nullable && def.primary_keys_names.contains(&c.name))
                .map(|c| c.name.as_str())
                .collect();
            if !nullable.is_empty() {
                findings.push(finding(
                    Warning,
                    "table.nullablePrimaryKey",
                    format!("table {}", table.id),
                    format!("primary key column(s) {} are nullable", nullable.join(", ")),
                    "check the table after the migration; make the key columns NOT NULL when you can".into(),
                ));
            }
        }
    }
    if !project.orchestrations.is_empty() {
        findings.push(finding(
            Info,
            "orchestrations.inactive",
            format!("{} orchestrations", project.orchestrations.len()),
            "orchestrations get new ids and are restored inactive, so nothing runs before you are ready".into(),
            "enable each one on the destination when its secrets and authorizations are in place".into(),
        ));
    }
    if !project.triggers.is_empty() {
        findings.push(finding(
            Info,
            "triggers.inactive",
            format!("{} triggers", project.triggers.len()),
            "triggers get new ids and are restored inactive: the tokens they run with do not move"
                .into(),
            "on the destination give each one a token (runWithTokenId) and set isActive to true"
                .into(),
        ));
    }
    if src_stack.ip_addresses != dst_stack.ip_addresses {
        findings.push(finding(
            Warning,
            "network.ipAddresses",
            format!("stack {} → stack {}", src_stack.id, dst_stack.id),
            format!(
                "the destination connects from {} instead of {}",
                dst_stack.ip_addresses.join(", "),
                src_stack.ip_addresses.join(", ")
            ),
            "add the destination's addresses to the allow-lists of your databases and services"
                .into(),
        ));
    }
    let nm = &project.not_moved;
    let mut not_moved = BTreeMap::new();
    not_moved.insert("encryptedValues".to_string(), secrets);
    not_moved.insert("oauthAuthorizations".to_string(), oauth);
    not_moved.insert("sshKeys".to_string(), ssh);
    not_moved.insert("users".to_string(), nm.users.len() as u64);
    not_moved.insert("tokens".to_string(), nm.tokens.len() as u64);
    not_moved.insert("files".to_string(), nm.files);
    not_moved.insert("events".to_string(), nm.events);
    not_moved.insert("jobs".to_string(), nm.jobs);
    not_moved.insert("storageJobs".to_string(), nm.storage_jobs);
    not_moved.insert(
        "configurationVersions".to_string(),
        nm.configuration_versions,
    );
    not_moved.insert(
        "trashedConfigurations".to_string(),
        nm.trashed_configurations.len() as u64,
    );
    for (what, n) in [
        ("files", nm.files),
        ("events", nm.events),
        ("jobs and their logs", nm.jobs),
        ("storage jobs", nm.storage_jobs),
        ("configuration versions", nm.configuration_versions),
        (
            "trashed configurations",
            nm.trashed_configurations.len() as u64,
        ),
        ("users", nm.users.len() as u64),
        ("API tokens", nm.tokens.len() as u64),
    ] {
        if n > 0 {
            let count = if n >= u64::from(LISTING_LIMIT)
                && matches!(
                    what,
                    "files" | "events" | "jobs and their logs" | "storage jobs"
                ) {
                format!("at least {n}")
            } else {
                n.to_string()
            };
            findings.push(finding(
                Info,
                "notMoved",
                format!("{count} {what}"),
                format!("{what} are not migrated"),
                match what {
                    "users" => "invite each member on the destination (the report lists them with their roles)".into(),
                    "API tokens" => "create the tokens you still need on the destination".into(),
                    _ => "nothing to do; they stay in the source project".into(),
                },
            ));
        }
    }
    findings.sort_by_key(|f| f.severity);

    let mut configurations = BTreeMap::new();
    let mut configuration_rows = 0;
    for (component, config) in &project.configs {
        *configurations.entry(component.to_string()).or_insert(0) += 1;
        configuration_rows += config.rows.as_ref().map_or(0, |r| r.len()) as u64;
    }
    let inventory = PlanInventory {
        buckets: project.buckets.len() as u64,
        tables: project.tables.iter().filter(|t| !t.is_alias).count() as u64,
        aliases: project.tables.iter().filter(|t| t.is_alias).count() as u64,
        rows: project.data_rows(),
        bytes: project.data_bytes(),
        configurations,
        configuration_rows,
        orchestrations: project.orchestrations.len() as u64,
        triggers: project.triggers.len() as u64,
        provisioned: project.provisioned.len() as u64,
        not_moved,
    };
    // Writes per object on the destination, each one round trip.
    let requests = 3 * inventory.buckets
        + 4 * (inventory.tables + inventory.aliases)
        + 5 * project.configs.len() as u64
        + 2 * configuration_rows
        + inventory.orchestrations
        + inventory.triggers
        + inventory.provisioned;
    let data_seconds = 2.0 * inventory.bytes as f64 / NOMINAL_BYTES_PER_SECOND;
    let estimated_seconds = source_seconds + requests as f64 * dest_latency + data_seconds;
    let mib = inventory.bytes / (1024 * 1024);
    Plan {
        source_stack: StackRef::from(src_stack),
        source_project: format!("{} ({})", src_owner.id, src_owner.name),
        destination_stack: StackRef::from(dst_stack),
        destination_project: format!("{} ({})", dst_owner.id, dst_owner.name),
        findings,
        inventory,
        estimated_seconds,
        estimate_basis: format!(
            "reading the source took {source_seconds:.1} s; {requests} destination requests at the measured {:.0} ms each; {} MiB of data read and written at a nominal {} MiB/s",
            dest_latency * 1000.0,
            mib,
            NOMINAL_BYTES_PER_SECOND as u64 / (1024 * 1024)
        ),
    }
}

fn dangling(
    task: &OrchestrationTask,
    live: &HashSet<(String, String)>,
    orchestrations: &HashSet<u64>,
) -> Option<String> {
    if let Some(child) = task.orchestration_id {
        return (!orchestrations.contains(&child.0))
            .then(|| format!("the task runs orchestration {child}, which does not exist"));
    }
    match (&task.component_id, &task.config_id) {
        (Some(c), Some(id)) if !live.contains(&(c.to_string(), id.to_string())) => Some(format!(
            "the task runs configuration {c}/{id}, which is deleted or in the trash and will not move"
        )),
        _ => None,
    }
}
