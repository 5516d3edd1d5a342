//! Writers whose target the stack itself provisions: a migration cannot copy these, it has to
//! provision them again on the destination and point the configurations at the new ones.

use anyhow::Context;
use serde_json::json;
use stackport_client::Client;
use stackport_model::api::{NewBiProject, NewConfiguration, NewWorkspace, RawJson};

use crate::seed::parse_id;
use crate::seed_configs::{ConfigRef, GOODDATA, SNOWFLAKE};

/// What was provisioned, and the writers to run.
pub(crate) struct SeededProvisioned {
    pub workspaces: usize,
    pub bi_projects: usize,
    pub writers: Vec<ConfigRef>,
}

/// A warehouse writer with its workspace and a BI writer with its BI project.
pub(crate) async fn seed_provisioned(client: &Client) -> anyhow::Result<SeededProvisioned> {
    let snowflake = parse_id(SNOWFLAKE)?;
    let warehouse = client
        .create_config(
            &snowflake,
            &NewConfiguration {
                name: "Warehouse".into(),
                configuration_id: Some(parse_id("warehouse")?),
                configuration: Some(RawJson::from(&json!({
                    "storage": {"input": {"tables": [
                        {"source": "out.c-reporting.daily_revenue", "destination": "daily_revenue"},
                        {"source": "out.c-reporting.customer_ltv", "destination": "customer_ltv"}
                    ]}},
                    "parameters": {"tables": [
                        {"tableId": "out.c-reporting.daily_revenue", "dbName": "DAILY_REVENUE", "export": true},
                        {"tableId": "out.c-reporting.customer_ltv", "dbName": "CUSTOMER_LTV", "export": true}
                    ]}
                }))),
                ..Default::default()
            },
        )
        .await
        .context("cannot create the provisioned warehouse writer")?;
    client
        .create_workspace(&NewWorkspace {
            component_id: Some(snowflake.clone()),
            configuration_id: Some(warehouse.id.clone()),
            ..Default::default()
        })
        .await
        .context("cannot provision the workspace of the warehouse writer")?;

    let gooddata = parse_id(GOODDATA)?;
    let dashboards = client
        .create_config(
            &gooddata,
            &NewConfiguration {
                name: "Board dashboards".into(),
                configuration_id: Some(parse_id("board-dashboards")?),
                configuration: Some(RawJson::from(&json!({
                    "storage": {"input": {"tables": [
                        {"source": "out.c-bi.kpi_monthly", "destination": "kpi_monthly.csv"}
                    ]}},
                    "parameters": {
                        "dimensions": {"month": {"template": "gooddata"}},
                        "tables": {"out.c-bi.kpi_monthly": {
                            "title": "Monthly KPIs",
                            "columns": {
                                "month": {"type": "DATE", "dateDimension": "month"},
                                "revenue": {"type": "FACT"},
                                "orders": {"type": "FACT"}
                            }
                        }}
                    }
                }))),
                ..Default::default()
            },
        )
        .await
        .context("cannot create the BI writer")?;
    client
        .create_bi_project(&NewBiProject {
            component_id: gooddata.clone(),
            configuration_id: dashboards.id.clone(),
            name: Some("Board dashboards".into()),
        })
        .await
        .context("cannot provision the BI project of the BI writer")?;
    Ok(SeededProvisioned {
        workspaces: 1,
        bi_projects: 1,
        writers: vec![(snowflake, warehouse.id), (gooddata, dashboards.id)],
    })
}
