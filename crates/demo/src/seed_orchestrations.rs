//! Orchestrations: their ids are the stack's and their tasks point at configurations and other
//! orchestrations, so a migration has to renumber and rewire them.

use anyhow::Context;
use stackport_client::Client;
use stackport_model::api::{NewOrchestration, OrchestrationTask};
use stackport_model::OrchestrationId;

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
    client
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
    Ok(3)
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
