//! Provisioned resources and orchestrations: the objects that get new ids on the destination.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use stackport_client::Client;
use stackport_model::api::{NewBiProject, NewOrchestration, NewWorkspace, Provision};
use stackport_model::OrchestrationId;

use super::RestoreOutcome;
use crate::error::{ApiContext, Result};
use crate::progress::PhaseTimer;
use crate::snapshot::{orchestration_order, Snapshot};

/// An orchestration's id on both stacks.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrchestrationMapping {
    /// Its name.
    pub name: String,
    /// Id on the source.
    pub old_id: u64,
    /// Id on the destination.
    pub new_id: u64,
    /// Whether it was active on the source (it is inactive on the destination).
    pub was_active: bool,
    /// Its schedule, if any.
    pub schedule: Option<String>,
    /// The schedule's time zone.
    pub timezone: String,
}

/// A workspace or BI project provisioned again for a configuration.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedMapping {
    /// `workspace` or `biProject`.
    pub kind: Provision,
    /// The configuration's component.
    pub component_id: String,
    /// The configuration.
    pub configuration_id: String,
    /// Id on the source.
    pub old_id: String,
    /// Id on the destination.
    pub new_id: String,
    /// Where it lives on the destination (account, database).
    pub account: String,
}

/// Provisions what the snapshot's configurations had; with `create` false (a finished restore
/// described again) it only finds what is there.
pub(crate) async fn restore_provisioned(
    client: &Client,
    snapshot: &Snapshot,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
    create: bool,
) -> Result<()> {
    let existing = client
        .list_provisioned()
        .await
        .api(|| "listing the destination's provisioned resources".into())?;
    for p in &snapshot.provisioned {
        let there = existing.iter().find(|e| {
            e.kind == p.kind
                && e.component_id == p.component_id
                && e.configuration_id == p.configuration_id
        });
        if let (Some(e), Some(component), Some(config)) =
            (there, &p.component_id, &p.configuration_id)
        {
            outcome.provisioned.push(ProvisionedMapping {
                kind: p.kind,
                component_id: component.to_string(),
                configuration_id: config.to_string(),
                old_id: p.id.clone(),
                new_id: e.id.clone(),
                account: e.account.clone(),
            });
            continue;
        }
        if !create {
            outcome.warnings.push(format!(
                "{:?} {} was not provisioned on the destination",
                p.kind, p.id
            ));
            continue;
        }
        let (Some(component), Some(config)) = (&p.component_id, &p.configuration_id) else {
            outcome.warnings.push(format!(
                "{:?} {} belongs to no configuration and was not provisioned again",
                p.kind, p.id
            ));
            continue;
        };
        let (new_id, account) = match p.kind {
            Provision::Workspace => {
                let w = client
                    .create_workspace(&NewWorkspace {
                        component_id: Some(component.clone()),
                        configuration_id: Some(config.clone()),
                        ..Default::default()
                    })
                    .await
                    .api(|| {
                        format!("provisioning a workspace for configuration {component}/{config}")
                    })?;
                (
                    w.id.to_string(),
                    format!("{} {}", w.connection.backend, w.connection.database),
                )
            }
            Provision::BiProject => {
                let b = client
                    .create_bi_project(&NewBiProject {
                        component_id: component.clone(),
                        configuration_id: config.clone(),
                        name: Some(p.name.clone()),
                    })
                    .await
                    .api(|| {
                        format!("provisioning a BI project for configuration {component}/{config}")
                    })?;
                (b.id, b.account)
            }
        };
        let kind = match p.kind {
            Provision::Workspace => "workspace",
            Provision::BiProject => "BI project",
        };
        timer.item(format!("{kind} for {component}/{config}"));
        outcome.provisioned.push(ProvisionedMapping {
            kind: p.kind,
            component_id: component.to_string(),
            configuration_id: config.to_string(),
            old_id: p.id.clone(),
            new_id,
            account,
        });
    }
    Ok(())
}

/// Creates the orchestrations, children first. One an interrupted run already created (same
/// name, schedule, notifications and remapped tasks, inactive) is taken over, not made twice.
/// With `create` false it only finds them.
pub(crate) async fn restore_orchestrations(
    client: &Client,
    snapshot: &Snapshot,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
    create: bool,
) -> Result<()> {
    let existing = client
        .list_orchestrations()
        .await
        .api(|| "listing the destination's orchestrations".into())?;
    let mut taken: HashSet<u64> = HashSet::new();
    let mut ids: HashMap<u64, OrchestrationId> = HashMap::new();
    for o in orchestration_order(&snapshot.orchestrations)? {
        let mut tasks = o.tasks.clone();
        for t in &mut tasks {
            if let Some(child) = t.orchestration_id {
                t.orchestration_id = ids.get(&child.0).copied();
            }
        }
        let new = NewOrchestration {
            name: o.name.clone(),
            crontab_record: o.crontab_record.clone(),
            timezone: Some(o.timezone.clone()),
            // Nothing runs on the destination before a person has put the secrets back.
            active: false,
            notifications: o.notifications.clone(),
            tasks,
        };
        let found = existing.iter().find(|e| {
            !taken.contains(&e.id.0)
                && !e.active
                && e.name == new.name
                && e.crontab_record == new.crontab_record
                && Some(&e.timezone) == new.timezone.as_ref()
                && e.notifications == new.notifications
                && e.tasks == new.tasks
        });
        let id = match found {
            Some(e) => e.id,
            None if create => {
                client
                    .create_orchestration(&new)
                    .await
                    .api(|| {
                        format!(
                            "creating orchestration {} ({}) on the destination",
                            o.id, o.name
                        )
                    })?
                    .id
            }
            None => {
                outcome.warnings.push(format!(
                    "orchestration {} ({}) is not on the destination",
                    o.id, o.name
                ));
                continue;
            }
        };
        taken.insert(id.0);
        ids.insert(o.id.0, id);
        outcome.orchestrations.push(OrchestrationMapping {
            name: o.name.clone(),
            old_id: o.id.0,
            new_id: id.0,
            was_active: o.active,
            schedule: o.crontab_record.clone(),
            timezone: o.timezone.clone(),
        });
        timer.item(format!("orchestration {} → {}", o.id, id));
    }
    outcome.orchestrations.sort_by_key(|m| m.old_id);
    Ok(())
}
