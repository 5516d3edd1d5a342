//! The report: what moved, the id map, and the checklist people work through afterwards.
//! Written as `report.json` for programs and `report.md` for people.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::checklist::changed_since_inputs;
use crate::error::{MigrateError, Result};
use crate::restore::{OrchestrationMapping, ProvisionedMapping, RestoreOutcome, TriggerMapping};
use crate::snapshot::format::{SecretKind, StackRef};
use crate::snapshot::Snapshot;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The source stack.
    pub source_stack: StackRef,
    /// The source project, `id (name)`.
    pub source_project: String,
    /// The destination stack.
    pub destination_stack: StackRef,
    /// The destination project, `id (name)`.
    pub destination_project: String,
    /// The `_timestamp` of every migrated row.
    pub migration_instant: String,
    /// What moved.
    pub moved: Moved,
    /// Durations and rates.
    pub timing: Timing,
    /// Orchestrations: old id → new id.
    pub orchestrations: Vec<OrchestrationMapping>,
    /// Triggers: old id → new id, each restored inactive.
    pub triggers: Vec<TriggerMapping>,
    /// Provisioned resources: old id → new id.
    pub provisioned: Vec<ProvisionedMapping>,
    /// What was left behind, in counts.
    pub not_moved: Vec<(String, u64)>,
    /// One line per thing to do, in the order to do them.
    pub checklist: Vec<ChecklistItem>,
    /// What the restore noticed.
    pub warnings: Vec<String>,
    /// The destination project has another table backend than the source: what that changed.
    pub backend_change: Option<crate::BackendChange>,
    /// The comparison of the two projects after the restore, when it ran.
    pub verification: Option<crate::Verification>,
    /// This run finished a restore an earlier, interrupted run had begun.
    pub resumed: bool,
    /// The destination already held the whole migration: this run wrote nothing.
    pub nothing_written: bool,
}

/// Counts of what moved.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Moved {
    /// Buckets.
    pub buckets: u64,
    /// Tables.
    pub tables: u64,
    /// Aliases.
    pub aliases: u64,
    /// Rows.
    pub rows: u64,
    /// Uncompressed CSV bytes.
    pub bytes: u64,
    /// Configurations.
    pub configurations: u64,
    /// Configuration rows.
    pub configuration_rows: u64,
    /// Orchestrations.
    pub orchestrations: u64,
    /// Triggers.
    pub triggers: u64,
    /// Workspaces and BI projects provisioned again.
    pub provisioned: u64,
}

/// How long it took.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// Taking the snapshot.
    pub snapshot_seconds: f64,
    /// Restoring it.
    pub restore_seconds: f64,
    /// Of the restore, loading table data.
    pub data_seconds: f64,
    /// Everything.
    pub total_seconds: f64,
    /// Rows per second over snapshot and restore.
    pub rows_per_second: f64,
    /// Uncompressed MiB per second over snapshot and restore.
    pub mib_per_second: f64,
}

/// One thing to do after the migration.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChecklistItem {
    /// The kind of task: `reauthorizeOAuth`, `reenterSecret`, `setUpSshTunnel`,
    /// `updateIpAllowList`, `inviteUser`, `enableOrchestration`, `setTriggerToken`, `runProvisionedWriter`,
    /// `expectFullReload`, `createToken`, `rewriteTransformation` and `checkTypedColumn` (after
    /// a backend change), `deleteSourceProject`.
    pub task: String,
    /// The object, e.g. `configuration keboola.ex-db-mysql/orders (Orders DB)`.
    pub object: String,
    /// What to do.
    pub action: String,
}

/// Where the report was written.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    /// `report.md`.
    pub markdown: PathBuf,
    /// `report.json`.
    pub json: PathBuf,
}

fn item(task: &str, object: String, action: String) -> ChecklistItem {
    ChecklistItem {
        task: task.into(),
        object,
        action,
    }
}

impl Report {
    /// Builds the report of a restore of `snapshot`.
    pub fn build(
        snapshot: &Snapshot,
        restore: &RestoreOutcome,
        snapshot_seconds: f64,
        total_seconds: f64,
    ) -> Report {
        let src = &snapshot.project.stack;
        let dst = &restore.destination_stack;
        let names: HashMap<(String, String), String> = snapshot
            .configurations
            .iter()
            .map(|c| {
                (
                    (c.component_id.to_string(), c.configuration.id.to_string()),
                    c.configuration.name.clone(),
                )
            })
            .collect();
        let config_label = |component: &str, config: &str| match names
            .get(&(component.to_string(), config.to_string()))
        {
            Some(name) => format!("configuration {component}/{config} ({name})"),
            None => format!("configuration {component}/{config}"),
        };
        let mut checklist = Vec::new();
        let by_kind = |kind: SecretKind| snapshot.secrets.iter().filter(move |s| s.kind == kind);
        for s in by_kind(SecretKind::Oauth) {
            checklist.push(item(
                "reauthorizeOAuth",
                config_label(s.component_id.as_str(), s.config_id.as_str()),
                format!(
                    "authorize component {} again on stack {}",
                    s.component_id, dst.id
                ),
            ));
        }
        let filled: std::collections::HashSet<&str> = restore
            .filled_by_destination
            .iter()
            .map(String::as_str)
            .collect();
        for s in by_kind(SecretKind::Secret) {
            if filled.contains(crate::restore::secret_key(s).as_str()) {
                continue;
            }
            let row = s
                .row_id
                .as_ref()
                .map(|r| format!(", row {r}"))
                .unwrap_or_default();
            checklist.push(item(
                "reenterSecret",
                format!(
                    "{}{row}",
                    config_label(s.component_id.as_str(), s.config_id.as_str())
                ),
                format!("re-enter the value at {} {}", s.document, s.path),
            ));
        }
        for s in by_kind(SecretKind::SshKey) {
            let host = s.ssh_host.as_deref().unwrap_or("its bastion host");
            checklist.push(item(
                "setUpSshTunnel",
                config_label(s.component_id.as_str(), s.config_id.as_str()),
                format!(
                    "generate a new SSH key on stack {}, put its public key on {host}, and set {}",
                    dst.id, s.path
                ),
            ));
        }
        if src.ip_addresses != dst.ip_addresses {
            checklist.push(item(
                "updateIpAllowList",
                format!("stack {} → stack {}", src.id, dst.id),
                format!(
                    "allow {} (destination) where {} (source) are allowed today",
                    dst.ip_addresses.join(", "),
                    src.ip_addresses.join(", ")
                ),
            ));
        }
        for u in &snapshot.not_moved.users {
            checklist.push(item(
                "inviteUser",
                u.email.clone(),
                format!(
                    "invite as {} to project {}",
                    u.role.as_str(),
                    restore.destination_project_id
                ),
            ));
        }
        for t in snapshot
            .not_moved
            .tokens
            .iter()
            .filter(|t| !t.is_master_token)
        {
            checklist.push(item(
                "createToken",
                format!("token {} ({})", t.id, t.description),
                "create it again on the destination if it is still needed, with the same rights"
                    .into(),
            ));
        }
        // Before the orchestrations: they run these transformations once enabled.
        if let Some(change) = &restore.backend_change {
            for t in &change.rewrite {
                checklist.push(item(
                    "rewriteTransformation",
                    t.object(),
                    change.rewrite_action(t),
                ));
            }
            for c in &change.typed_columns {
                checklist.push(item(
                    "checkTypedColumn",
                    c.object(),
                    change.typed_column_action(c),
                ));
            }
        }
        for o in &restore.orchestrations {
            let schedule = match &o.schedule {
                Some(cron) => format!("schedule '{cron}' ({})", o.timezone),
                None => "no schedule".into(),
            };
            checklist.push(item(
                "enableOrchestration",
                format!(
                    "orchestration {} ({}), source id {}",
                    o.new_id, o.name, o.old_id
                ),
                format!(
                    "enable it once its tasks' secrets are in place; {schedule}{}",
                    if o.was_active {
                        ""
                    } else {
                        "; it was inactive on the source too"
                    }
                ),
            ));
        }
        for t in &restore.triggers {
            let token = if t.source_token_description.is_empty() {
                format!("token {}", t.source_token_id)
            } else {
                format!(
                    "token {} ('{}')",
                    t.source_token_id, t.source_token_description
                )
            };
            checklist.push(item(
                "setTriggerToken",
                format!(
                    "trigger {} of {}, source id {}",
                    t.new_id,
                    config_label(&t.component_id, &t.configuration_id),
                    t.old_id
                ),
                format!(
                    "it ran with {token} on the source, which does not move; it is restored \
                     inactive with the restorer's token: create a token on the destination that \
                     may run the configuration, then set it and switch the trigger on (PUT \
                     /v2/storage/triggers/{} with runWithTokenId and isActive=true){}",
                    t.new_id,
                    if t.was_active {
                        ""
                    } else {
                        "; it was inactive on the source too"
                    }
                ),
            ));
        }
        for p in &restore.provisioned {
            checklist.push(item(
                "runProvisionedWriter",
                config_label(&p.component_id, &p.configuration_id),
                format!(
                    "run it once to fill its new {} {} ({}); the old one was {}",
                    match p.kind {
                        stackport_model::api::Provision::Workspace => "workspace",
                        stackport_model::api::Provision::BiProject => "BI project",
                    },
                    p.new_id,
                    p.account,
                    p.old_id
                ),
            ));
        }
        for c in &snapshot.configurations {
            let inputs = changed_since_inputs(&c.configuration);
            if !inputs.is_empty() {
                checklist.push(item(
                    "expectFullReload",
                    config_label(c.component_id.as_str(), c.configuration.id.as_str()),
                    format!(
                        "its first run reads all rows of {} (every row's _timestamp is now {})",
                        inputs.join(", "),
                        restore.migration_instant
                    ),
                ));
            }
        }
        let source_project = format!(
            "{} ({})",
            snapshot.manifest.source.project_id, snapshot.manifest.source.project_name
        );
        checklist.push(item(
            "deleteSourceProject",
            format!("project {source_project} on stack {}", src.id),
            "when every line above is done and the destination has run for a while, ask the source stack's administrator to delete the old project".into(),
        ));

        let nm = &snapshot.not_moved;
        let count =
            |kind: SecretKind| snapshot.secrets.iter().filter(|s| s.kind == kind).count() as u64;
        let not_moved = vec![
            ("encrypted values".to_string(), count(SecretKind::Secret)),
            ("OAuth authorizations".to_string(), count(SecretKind::Oauth)),
            ("SSH private keys".to_string(), count(SecretKind::SshKey)),
            ("files".to_string(), nm.files),
            ("events".to_string(), nm.events),
            ("jobs and their logs".to_string(), nm.jobs),
            ("storage jobs".to_string(), nm.storage_jobs),
            (
                "configuration versions".to_string(),
                nm.configuration_versions,
            ),
            (
                "configurations in the trash".to_string(),
                nm.trashed_configurations.len() as u64,
            ),
            ("users".to_string(), nm.users.len() as u64),
            ("API tokens".to_string(), nm.tokens.len() as u64),
        ];
        let moving = snapshot_seconds + restore.seconds;
        let mut warnings = restore.warnings.clone();
        warnings.extend(
            nm.incomplete
                .iter()
                .map(|w| format!("the inventory of what did not move is incomplete: {w}")),
        );
        Report {
            source_stack: src.clone(),
            source_project,
            destination_stack: dst.clone(),
            destination_project: format!(
                "{} ({})",
                restore.destination_project_id, restore.destination_project_name
            ),
            migration_instant: restore.migration_instant.clone(),
            moved: Moved {
                buckets: restore.buckets,
                tables: restore.tables,
                aliases: restore.aliases,
                rows: restore.rows,
                bytes: restore.bytes,
                configurations: restore.configurations,
                configuration_rows: restore.configuration_rows,
                orchestrations: restore.orchestrations.len() as u64,
                triggers: restore.triggers.len() as u64,
                provisioned: restore.provisioned.len() as u64,
            },
            timing: Timing {
                snapshot_seconds,
                restore_seconds: restore.seconds,
                data_seconds: restore.data_seconds,
                total_seconds,
                rows_per_second: if moving > 0.0 {
                    restore.rows as f64 / moving
                } else {
                    0.0
                },
                mib_per_second: if moving > 0.0 {
                    restore.bytes as f64 / (1024.0 * 1024.0) / moving
                } else {
                    0.0
                },
            },
            orchestrations: restore.orchestrations.clone(),
            triggers: restore.triggers.clone(),
            provisioned: restore.provisioned.clone(),
            not_moved,
            checklist,
            warnings,
            backend_change: restore.backend_change.clone(),
            verification: None,
            resumed: restore.resumed,
            nothing_written: restore.already_restored,
        }
    }

    /// Writes `report.md` and `report.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<ReportFiles> {
        std::fs::create_dir_all(dir)
            .map_err(|e| MigrateError::io(dir, "creating the work dir", e))?;
        let json = dir.join("report.json");
        let text = serde_json::to_string_pretty(self).expect("the report serializes");
        write_file(&json, (text + "\n").as_bytes())?;
        let markdown = dir.join("report.md");
        write_file(&markdown, self.to_markdown().as_bytes())?;
        Ok(ReportFiles { markdown, json })
    }

    /// The short summary for the screen.
    pub fn summary(&self) -> String {
        let m = &self.moved;
        let t = &self.timing;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Migrated project {} on {} → project {} on {} in {:.1} s.",
            self.source_project,
            self.source_stack.id,
            self.destination_project,
            self.destination_stack.id,
            t.total_seconds
        );
        let _ = writeln!(
            s,
            "  moved: {} buckets, {} tables, {} aliases, {} rows ({:.1} MiB), {} configurations ({} rows), {} orchestrations, {}, {} provisioned resources",
            m.buckets,
            m.tables,
            m.aliases,
            m.rows,
            m.bytes as f64 / (1024.0 * 1024.0),
            m.configurations,
            m.configuration_rows,
            m.orchestrations,
            plural(m.triggers, "trigger"),
            m.provisioned
        );
        let _ = writeln!(
            s,
            "  time: snapshot {:.1} s, restore {:.1} s (data {:.1} s); {:.0} rows/s, {:.1} MiB/s",
            t.snapshot_seconds,
            t.restore_seconds,
            t.data_seconds,
            t.rows_per_second,
            t.mib_per_second
        );
        if self.nothing_written {
            let _ = writeln!(
                s,
                "  the destination already held this whole migration: nothing was written"
            );
        } else if self.resumed {
            let _ = writeln!(
                s,
                "  finished the restore an interrupted run had begun; nothing was loaded twice"
            );
        }
        let _ = writeln!(s, "  every row's _timestamp: {}", self.migration_instant);
        if let Some(b) = &self.backend_change {
            let _ = writeln!(s, "  backend changed: {}", b.summary());
        }
        let left: Vec<String> = self
            .not_moved
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{what} ({n})"))
            .collect();
        if !left.is_empty() {
            let _ = writeln!(
                s,
                "  left behind in the source, by design: {}",
                left.join(", ")
            );
        }
        if let Some(v) = &self.verification {
            if v.matches() {
                let triggers = match v.triggers {
                    0 => String::new(),
                    n => format!(", {}", plural(n, "trigger")),
                };
                let _ = writeln!(
                    s,
                    "  verified: {} tables ({} rows), {} configurations{triggers} and {} orchestrations match the source",
                    v.tables, v.rows, v.configurations, v.orchestrations
                );
                if v.transformations > 0 {
                    let _ = writeln!(
                        s,
                        "  ran {} SQL transformations as dry runs in both projects: same outputs",
                        v.transformations
                    );
                }
            } else {
                let _ = writeln!(
                    s,
                    "  VERIFICATION FAILED: {} difference(s):",
                    v.differences.len()
                );
                for d in &v.differences {
                    let _ = writeln!(
                        s,
                        "    {} {}: source {} / destination {}",
                        d.object, d.field, d.source, d.destination
                    );
                }
            }
        }
        for w in &self.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
        s
    }

    /// The checklist as numbered lines.
    pub fn checklist_text(&self) -> String {
        let mut s = String::new();
        for (i, c) in self.checklist.iter().enumerate() {
            let _ = writeln!(s, "{:>3}. [ ] {}: {}", i + 1, c.object, c.action);
        }
        s
    }

    /// The whole report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Migration report\n");
        let _ = writeln!(
            s,
            "- From: project {} on stack **{}** ({})",
            self.source_project, self.source_stack.id, self.source_stack.url
        );
        let _ = writeln!(
            s,
            "- To: project {} on stack **{}** ({})",
            self.destination_project, self.destination_stack.id, self.destination_stack.url
        );
        let _ = writeln!(
            s,
            "- Every migrated row's `_timestamp`: {}",
            self.migration_instant
        );
        if let Some(b) = &self.backend_change {
            let _ = writeln!(s, "- Backend change: {}", b.summary());
        }
        let _ = writeln!(s);
        let m = &self.moved;
        let _ = writeln!(s, "## What moved\n");
        let _ = writeln!(s, "| What | Count |\n|---|---:|");
        for (what, n) in [
            ("Buckets", m.buckets),
            ("Tables", m.tables),
            ("Aliases", m.aliases),
            ("Rows", m.rows),
            ("Data bytes (uncompressed CSV)", m.bytes),
            ("Configurations", m.configurations),
            ("Configuration rows", m.configuration_rows),
            ("Orchestrations", m.orchestrations),
            ("Triggers (restored inactive)", m.triggers),
            ("Provisioned resources", m.provisioned),
        ] {
            let _ = writeln!(s, "| {what} | {n} |");
        }
        let t = &self.timing;
        let _ = writeln!(
            s,
            "\nSnapshot {:.1} s, restore {:.1} s (table data {:.1} s), total {:.1} s: \
             {:.0} rows/s, {:.1} MiB/s.\n",
            t.snapshot_seconds,
            t.restore_seconds,
            t.data_seconds,
            t.total_seconds,
            t.rows_per_second,
            t.mib_per_second
        );
        if let Some(v) = &self.verification {
            let _ = writeln!(s, "## Verification\n");
            if v.matches() {
                let _ = writeln!(
                    s,
                    "The destination matches the source: {} tables ({} rows, compared by fingerprint), {} configurations (without secrets and history) and {} orchestrations (through the id map).\n",
                    v.tables, v.rows, v.configurations, v.orchestrations
                );
            } else {
                let _ = writeln!(
                    s,
                    "| Object | Field | Source | Destination |\n|---|---|---|---|"
                );
                for d in &v.differences {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} |",
                        cell(&d.object),
                        cell(&d.field),
                        cell(&d.source),
                        cell(&d.destination)
                    );
                }
                let _ = writeln!(s);
            }
        }
        let _ = writeln!(s, "## New ids\n");
        // Only what really got another id: a row for an id that stayed would say it changed.
        let mut changed: Vec<String> = Vec::new();
        for o in self.orchestrations.iter().filter(|o| o.old_id != o.new_id) {
            changed.push(format!(
                "| orchestration {} | {} | {} |",
                cell(&o.name),
                o.old_id,
                o.new_id
            ));
        }
        for t in self.triggers.iter().filter(|t| t.old_id != t.new_id) {
            changed.push(format!(
                "| trigger of {}/{} | {} | {} |",
                t.component_id, t.configuration_id, t.old_id, t.new_id
            ));
        }
        for p in self.provisioned.iter().filter(|p| p.old_id != p.new_id) {
            changed.push(format!(
                "| {} of {}/{} | {} | {} |",
                p.kind.label(),
                p.component_id,
                p.configuration_id,
                cell(&p.old_id),
                cell(&p.new_id)
            ));
        }
        if changed.is_empty() {
            let _ = writeln!(
                s,
                "Nothing got a new id: buckets, tables, configurations, rows, orchestrations, \
                 triggers and provisioned resources keep theirs.\n"
            );
        } else {
            let _ = writeln!(
                s,
                "Buckets, tables, configurations and rows keep their ids. These changed:\n"
            );
            let _ = writeln!(s, "| Object | Source id | Destination id |\n|---|---|---|");
            for row in changed {
                let _ = writeln!(s, "{row}");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s, "## What did not move\n");
        let _ = writeln!(s, "| What | Count |\n|---|---:|");
        for (what, n) in &self.not_moved {
            let _ = writeln!(s, "| {what} | {n} |");
        }
        let _ = writeln!(s, "\n## Checklist\n");
        for c in &self.checklist {
            let _ = writeln!(
                s,
                "- [ ] **{}** — {}: {}",
                c.task,
                inline(&c.object),
                inline(&c.action)
            );
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "\n## Warnings\n");
            for w in &self.warnings {
                let _ = writeln!(s, "- {w}");
            }
        }
        s
    }
}

/// Text inside a Markdown table cell: a `|` or a line break in a name would break the table.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Text on one Markdown line.
fn inline(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// Writes a report file, never through a link or into a pipe someone left in the work dir.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    crate::regular_file::create_regular(path)
        .map_err(|e| crate::regular_file::work_dir_file(path, e))?
        .write_all(bytes)
        .map_err(|e| MigrateError::io(path, "writing the report", e))
}

/// `1 trigger`, `2 triggers`: a report line a person reads.
fn plural(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}
