//! Orchestrations: the same, through the id map (new ids are expected), except `active`: the
//! migration restores them inactive and people enable them when ready.

use std::collections::BTreeMap;
use std::path::Path;

use stackport_client::Client;
use stackport_model::api::Orchestration;

use super::Verification;
use crate::error::{ApiContext, Result};

/// Source id → destination id, from the `report.json` of the run that migrated the project.
pub(super) fn id_map_from_report(work_dir: &Path) -> Option<BTreeMap<u64, u64>> {
    // A report is a few KiB per orchestration; a work dir's file is opened as untrusted.
    const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;
    let file = crate::regular_file::open_regular(&work_dir.join("report.json")).ok()?;
    let reader = std::io::BufReader::new(std::io::Read::take(file, MAX_REPORT_BYTES));
    let report: serde_json::Value = serde_json::from_reader(reader).ok()?;
    report["orchestrations"]
        .as_array()?
        .iter()
        .map(|m| Some((m["oldId"].as_u64()?, m["newId"].as_u64()?)))
        .collect()
}

/// Returns the id map it went by (source id → destination id), for the triggers.
pub(super) async fn compare(
    src: &Client,
    dst: &Client,
    map: Option<&BTreeMap<u64, u64>>,
    v: &mut Verification,
) -> Result<BTreeMap<u64, u64>> {
    let source = src
        .list_orchestrations()
        .await
        .api(|| "listing the source's orchestrations".into())?;
    let dest = dst
        .list_orchestrations()
        .await
        .api(|| "listing the destination's orchestrations".into())?;
    // Without a report, match by name (unique names only).
    let by_name: BTreeMap<&str, &Orchestration> =
        dest.iter().map(|o| (o.name.as_str(), o)).collect();
    let mut ids: BTreeMap<u64, u64> = BTreeMap::new();
    for o in &source {
        let new = match map {
            Some(m) => m.get(&o.id.0).copied(),
            None => by_name.get(o.name.as_str()).map(|d| d.id.0),
        };
        if let Some(n) = new {
            ids.insert(o.id.0, n);
        }
    }
    let mapped: std::collections::BTreeSet<u64> = ids.values().copied().collect();
    for d in dest.iter().filter(|d| !mapped.contains(&d.id.0)) {
        v.differ(
            format!("orchestration {} ({})", d.id, d.name),
            "existence",
            "missing",
            "present",
        );
    }
    for o in &source {
        let object = format!("orchestration {} ({})", o.id, o.name);
        let Some(d) = ids
            .get(&o.id.0)
            .and_then(|n| dest.iter().find(|d| d.id.0 == *n))
        else {
            v.differ(object, "existence", "present", "missing");
            continue;
        };
        v.orchestrations += 1;
        let object = format!("{object} → {}", d.id);
        if o.name != d.name {
            v.differ(&object, "name", &o.name, &d.name);
        }
        if o.crontab_record != d.crontab_record {
            v.differ(
                &object,
                "crontabRecord",
                format!("{:?}", o.crontab_record),
                format!("{:?}", d.crontab_record),
            );
        }
        if o.timezone != d.timezone {
            v.differ(&object, "timezone", &o.timezone, &d.timezone);
        }
        if o.notifications != d.notifications {
            v.differ(
                &object,
                "notifications",
                format!("{:?}", o.notifications),
                format!("{:?}", d.notifications),
            );
        }
        if o.tasks.len() != d.tasks.len() {
            v.differ(&object, "tasks", o.tasks.len(), d.tasks.len());
            continue;
        }
        for (i, (a, b)) in o.tasks.iter().zip(&d.tasks).enumerate() {
            let mut expected = a.clone();
            expected.orchestration_id = a
                .orchestration_id
                .map(|c| stackport_model::OrchestrationId(ids.get(&c.0).copied().unwrap_or(0)));
            if &expected != b {
                v.differ(
                    &object,
                    format!("tasks[{i}]"),
                    format!("{expected:?}"),
                    format!("{b:?}"),
                );
            }
        }
    }
    Ok(ids)
}
