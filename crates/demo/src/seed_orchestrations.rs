//! Orchestrations: their ids are the stack's and their tasks point at configurations and other
//! orchestrations, so a migration has to renumber and rewire them.

use anyhow::Context;
use stackport_client::Client;
use stackport_model::api::{NewOrchestration, NewTrigger, OrchestrationTask};
use stackport_model::{ComponentId, ConfigId, OrchestrationId, TableId};

use crate::seed_configs::ConfigRef;

fn run(config: &ConfigRef, phase: &str) -> OrchestrationTask {
    OrchestrationTask {
        component_id: Some(config.0.clone()),
        config_id: Some(config.1.clone()),
        orchestration_id: None,
        action: "run".into(),
        active: true,
        continue_on_failure: false,
        phase: phase.into(),
    }
}

/// A child that extracts, a scheduled parent that runs it and then the rest, and an inactive
/// one; returns how many were made.
pub(crate) async fn seed_orchestrations(
    client: &Client,
    extractors: &[ConfigRef],
    transformations: &[ConfigRef],
    writers: &[ConfigRef],
) -> anyhow::Result<usize> {
    let child = client
        .create_orchestration(&NewOrchestration {
            name: "Nightly extraction".into(),
            tasks: extractors.iter().map(|c| run(c, "Extract")).collect(),
            ..Default::default()
        })
        .await
        .context("cannot create the orchestration 'Nightly extraction'")?;

    let mut tasks = vec![child_task(child.id)];
    tasks.extend(transformations.iter().map(|c| run(c, "Transform")));
    tasks.extend(writers.iter().enumerate().map(|(i, c)| OrchestrationTask {
        // A flaky target should not stop the other writers.
        continue_on_failure: i == 0,
        ..run(c, "Load")
    }));
    let daily = client
        .create_orchestration(&NewOrchestration {
            name: "Daily pipeline".into(),
            crontab_record: Some("15 4 * * *".into()),
            timezone: Some("Europe/Prague".into()),
            active: true,
            notifications: vec!["data-team@example.com".into()],
            tasks,
        })
        .await
        .context("cannot create the orchestration 'Daily pipeline'")?;

    let mut hourly = run(
        transformations
            .first()
            .context("the seed has a transformation for the hourly refresh")?,
        "1",
    );
    hourly.active = false;
    client
        .create_orchestration(&NewOrchestration {
            name: "Hourly revenue refresh (paused)".into(),
            crontab_record: Some("0 * * * 1-5".into()),
            timezone: Some("America/New_York".into()),
            active: false,
            notifications: Vec::new(),
            tasks: vec![hourly],
        })
        .await
        .context("cannot create the orchestration 'Hourly revenue refresh'")?;
    seed_trigger(client, daily.id).await?;
    Ok(3)
}

/// A trigger that runs the daily pipeline once the CRM tables have both been loaded again: a
/// migration restores it inactive, with a checklist line for the token it runs with.
async fn seed_trigger(client: &Client, pipeline: OrchestrationId) -> anyhow::Result<()> {
    let token = client
        .verify_token()
        .await
        .context("cannot read the seed's token")?;
    let tables = ["in.c-crm.customers", "in.c-crm.notes"]
        .iter()
        .map(|t| crate::seed::parse_id::<TableId>(t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    client
        .create_trigger(&NewTrigger {
            run_with_token_id: token.token.id,
            component: crate::seed::parse_id::<ComponentId>("orchestrator")?,
            configuration_id: crate::seed::parse_id::<ConfigId>(&pipeline.to_string())?,
            cool_down_period_minutes: 60,
            table_ids: tables,
            is_active: None,
        })
        .await
        .context("cannot create the trigger of the daily pipeline")?;
    Ok(())
}

fn child_task(id: OrchestrationId) -> OrchestrationTask {
    OrchestrationTask {
        component_id: None,
        config_id: None,
        orchestration_id: Some(id),
        action: "run".into(),
        active: true,
        continue_on_failure: false,
        phase: "Extract".into(),
    }
}
