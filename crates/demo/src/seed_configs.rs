//! Component configurations of the demo project: the kinds a migration has to treat differently
//! (secrets, OAuth, SSH tunnels, transformations, rows, history, the trash).

use std::collections::BTreeMap;

use anyhow::Context;
use serde_json::json;
use stackport_client::Client;
use stackport_model::api::{
    Configuration, ConfigurationUpdate, MetadataKeyValue, MetadataWrite, NewConfiguration,
    NewOAuthCredentials, NewRow, NewSshKey, RawJson, SshKeyType,
};
use stackport_model::{BackendName, ComponentId, ConfigId, RowId};

use crate::seed::parse_id;

pub(crate) const MYSQL: &str = "keboola.ex-db-mysql";
pub(crate) const PGSQL: &str = "keboola.ex-db-pgsql";
pub(crate) const GENERIC: &str = "keboola.ex-generic-v2";
pub(crate) const GA4: &str = "keboola.ex-google-analytics-ga4";
pub(crate) const HTTP: &str = "keboola.ex-http";
pub(crate) const SQLITE: &str = "keboola.sqlite-transformation";
pub(crate) const POSTGRESQL: &str = "keboola.postgresql-transformation";
pub(crate) const WR_PGSQL: &str = "keboola.wr-db-pgsql";
pub(crate) const WR_S3: &str = "keboola.wr-aws-s3";
pub(crate) const SHEETS: &str = "keboola.wr-google-sheets";
pub(crate) const DATA_APPS: &str = "keboola.data-apps";
pub(crate) const SNOWFLAKE: &str = "keboola.wr-db-snowflake";
pub(crate) const GOODDATA: &str = "keboola.gooddata-writer";

/// Every component the seed configures, on either backend (the transformations are in the
/// dialect of the project's). A destination stack must offer all of them, not deprecated, for
/// the demo migration to go through.
pub const SEED_COMPONENTS: &[&str] = &[
    MYSQL, PGSQL, GENERIC, GA4, HTTP, SQLITE, POSTGRESQL, WR_PGSQL, WR_S3, SHEETS, DATA_APPS,
    SNOWFLAKE, GOODDATA,
];

/// The plaintext secret values the seed writes (each stack seals them on save). A test that
/// greps a snapshot or a data dir for any of these finds a leak.
pub const SEED_PLAINTEXT_SECRETS: &[&str] = &[
    "Cr3m-reader-pa$$word",
    "n0tes-reader-only",
    "sh0p-reader-secret",
    "partner-loader-secret",
    "replica-one-secret",
    "replica-two-secret",
    "sk-demo-0123456789abcdef",
    "whk-1-aaaaaaaa",
    "whk-2-bbbbbbbb",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ya29.demo-",
    "1//demo-refresh-",
];

/// A configuration, by component and id.
pub(crate) type ConfigRef = (ComponentId, ConfigId);

/// What the configurations part of the seed made, and what the orchestrations run.
pub(crate) struct SeededConfigs {
    /// Configurations not in the trash.
    pub live: usize,
    pub trashed: usize,
    pub rows: usize,
    pub oauth_credentials: usize,
    pub ssh_keys: usize,
    pub extractors: Vec<ConfigRef>,
    pub transformations: Vec<ConfigRef>,
    pub writers: Vec<ConfigRef>,
}

fn doc(value: serde_json::Value) -> RawJson {
    RawJson::from(&value)
}

fn folder(name: &str) -> MetadataWrite {
    MetadataWrite {
        provider: "user".into(),
        metadata: vec![MetadataKeyValue {
            key: "KBC.configuration.folderName".into(),
            value: name.into(),
        }],
        columns_metadata: BTreeMap::new(),
    }
}

async fn create(
    client: &Client,
    component: &str,
    new: NewConfiguration,
) -> anyhow::Result<Configuration> {
    let component: ComponentId = parse_id(component)?;
    client
        .create_config(&component, &new)
        .await
        .with_context(|| format!("cannot create configuration '{}' of {component}", new.name))
}

async fn add_row(
    client: &Client,
    config: &ConfigRef,
    id: &str,
    name: &str,
    configuration: serde_json::Value,
    disabled: bool,
) -> anyhow::Result<RowId> {
    let row = client
        .create_row(
            &config.0,
            &config.1,
            &NewRow {
                row_id: Some(parse_id(id)?),
                name: Some(name.into()),
                configuration: Some(doc(configuration)),
                is_disabled: disabled.then_some(true),
                change_description: Some(format!("Row {name} added")),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("cannot add row {id} to configuration {}", config.1))?;
    Ok(row.id)
}

async fn update(
    client: &Client,
    config: &ConfigRef,
    update: ConfigurationUpdate,
) -> anyhow::Result<()> {
    client
        .update_config(&config.0, &config.1, &update)
        .await
        .with_context(|| format!("cannot update configuration {} of {}", config.1, config.0))?;
    Ok(())
}

async fn write_metadata(
    client: &Client,
    config: &ConfigRef,
    write: &MetadataWrite,
) -> anyhow::Result<()> {
    client
        .write_config_metadata(&config.0, &config.1, write)
        .await
        .with_context(|| format!("cannot write metadata of configuration {}", config.1))?;
    Ok(())
}

fn reference(config: &Configuration, component: &str) -> anyhow::Result<ConfigRef> {
    Ok((parse_id(component)?, config.id.clone()))
}

/// Hand-formatted, with a number in exponent form: the stack must keep the document as written,
/// and a migration must not reformat it.
const MYSQL_CONFIGURATION: &str = r##"{
    "parameters": {
        "db": {
            "host": "mysql.crm.internal",
            "port": 3306,
            "database": "crm",
            "user": "keboola_reader",
            "#password": "Cr3m-reader-pa$$word"
        },
        "timeoutSeconds": 1.5e2
    }
}"##;

/// Creates all configurations but the provisioned ones; the transformations in the SQL of
/// `backend`, the project's.
pub(crate) async fn seed_configs(
    client: &Client,
    backend: &BackendName,
) -> anyhow::Result<SeededConfigs> {
    let mut rows = 0;
    let mysql = mysql_extractor(client, &mut rows).await?;
    let postgres = ssh_tunnelled_extractor(client, &mut rows).await?;
    let api = create(
        client,
        GENERIC,
        NewConfiguration {
            name: "CRM REST API".into(),
            configuration_id: Some(parse_id("crm-api")?),
            description: Some("Accounts from the CRM's API; the token lives in the vault".into()),
            configuration: Some(doc(json!({
                "api": {"baseUrl": "https://api.crm.example.com/v2/"},
                "config": {
                    "#token": "{{ vault.crm_api_token }}",
                    "headers": {"X-Tenant": "{{ vault.crm_tenant }}"},
                    "outputBucket": "in.c-crm",
                    "jobs": [{"endpoint": "accounts", "dataType": "accounts"}]
                }
            }))),
            ..Default::default()
        },
    )
    .await?;
    let api = reference(&api, GENERIC)?;
    write_metadata(client, &api, &folder("CRM")).await?;

    let (analytics, sheets) = oauth_configs(client).await?;
    let transformations = transformations(client, Dialect::of(backend)?).await?;
    let (partner, app, legacy) = secret_configs(client).await?;

    // A configuration nobody needs any more, in the trash: it must travel as trash, not as live.
    let old = create(
        client,
        HTTP,
        NewConfiguration {
            name: "Old price list".into(),
            configuration_id: Some(parse_id("old-price-list")?),
            configuration: Some(doc(json!({
                "parameters": {"baseUrl": "https://prices.example.com/", "path": "2019/prices.csv"}
            }))),
            ..Default::default()
        },
    )
    .await?;
    let http: ComponentId = parse_id(HTTP)?;
    client
        .delete_config(&http, &old.id)
        .await
        .with_context(|| format!("cannot move configuration {} to the trash", old.id))?;

    let extractors = vec![mysql, postgres, api, analytics];
    let writers = vec![partner, sheets];
    let live = extractors.len() + transformations.len() + writers.len() + [app, legacy].len();
    Ok(SeededConfigs {
        live,
        trashed: 1,
        rows,
        oauth_credentials: 2,
        ssh_keys: 1,
        extractors,
        transformations,
        writers,
    })
}

/// The extractor with everything a configuration can have: rows (one disabled) with their own
/// secret, state, a custom row order, metadata and several versions.
async fn mysql_extractor(client: &Client, rows: &mut usize) -> anyhow::Result<ConfigRef> {
    let config = create(
        client,
        MYSQL,
        NewConfiguration {
            name: "CRM database".into(),
            configuration_id: Some(parse_id("crm-mysql")?),
            description: Some("Customers, notes and leads from the CRM's MySQL".into()),
            configuration: Some(
                RawJson::from_string(MYSQL_CONFIGURATION.into())
                    .context("the MySQL configuration is JSON")?,
            ),
            state: Some(doc(
                json!({"component": {"lastRun": "2024-07-01T02:00:00Z"}}),
            )),
            change_description: Some("Created from the CRM project template".into()),
            ..Default::default()
        },
    )
    .await?;
    let config = reference(&config, MYSQL)?;
    let customers = add_row(
        client,
        &config,
        "customers",
        "Customers",
        json!({"parameters": {
            "table": {"schema": "crm", "tableName": "customers"},
            "outputTable": "in.c-crm.customers",
            "incremental": true,
            "primaryKey": ["id"],
            "incrementalFetchingColumn": "updated_at"
        }}),
        false,
    )
    .await?;
    let notes = add_row(
        client,
        &config,
        "notes",
        "Notes",
        json!({"parameters": {
            "db": {"user": "notes_reader", "#password": "n0tes-reader-only"},
            "query": "SELECT id, customer_id, subject, note, `2024`, mesto AS `město` FROM notes",
            "outputTable": "in.c-crm.notes",
            "primaryKey": ["id"]
        }}),
        false,
    )
    .await?;
    let leads = add_row(
        client,
        &config,
        "leads",
        "Leads",
        json!({"parameters": {
            "table": {"schema": "crm", "tableName": "leads"},
            "outputTable": "in.c-crm.leads",
            "incremental": true
        }}),
        false,
    )
    .await?;
    let archive = add_row(
        client,
        &config,
        "archive-2019",
        "Archive 2019 (one-off)",
        json!({"parameters": {
            "table": {"schema": "crm_archive", "tableName": "customers_2019"},
            "outputTable": "in.c-crm.customers_2019"
        }}),
        true,
    )
    .await?;
    *rows += 4;
    client
        .update_row_state(
            &config.0,
            &config.1,
            &customers,
            &doc(json!({"lastFetchedRow": "2024-06-30 23:59:59"})),
        )
        .await
        .context("cannot write the state of row customers")?;
    update(
        client,
        &config,
        ConfigurationUpdate {
            description: Some(
                "Customers, notes and leads from the CRM's MySQL (read replica)".into(),
            ),
            change_description: Some("Read from the replica".into()),
            ..Default::default()
        },
    )
    .await?;
    update(
        client,
        &config,
        ConfigurationUpdate {
            rows_sort_order: Some(vec![leads, customers, notes, archive]),
            change_description: Some("Leads first: sales wants them early".into()),
            ..Default::default()
        },
    )
    .await?;
    write_metadata(client, &config, &folder("CRM")).await?;
    Ok(config)
}

/// An extractor behind an SSH bastion, with a key the stack generated and sealed.
async fn ssh_tunnelled_extractor(client: &Client, rows: &mut usize) -> anyhow::Result<ConfigRef> {
    let key = client
        .generate_ssh_key(&NewSshKey {
            key_type: SshKeyType::Ed25519,
            comment: Some("shop-postgres tunnel".into()),
        })
        .await
        .context("cannot generate the SSH key of the shop database tunnel")?;
    let config = create(
        client,
        PGSQL,
        NewConfiguration {
            name: "Shop database".into(),
            configuration_id: Some(parse_id("shop-postgres")?),
            configuration: Some(doc(json!({"parameters": {"db": {
                "host": "10.0.4.12",
                "port": 5432,
                "database": "shop",
                "user": "reader",
                "#password": "sh0p-reader-secret",
                "ssh": {
                    "enabled": true,
                    "sshHost": "bastion.example.com",
                    "sshPort": 22,
                    "user": "tunnel",
                    "keys": {"public": key.public_key, "#private": key.private_key}
                }
            }}}))),
            ..Default::default()
        },
    )
    .await?;
    let config = reference(&config, PGSQL)?;
    for table in ["orders", "order_items", "products", "web_sessions"] {
        add_row(
            client,
            &config,
            &table.replace('_', "-"),
            table,
            json!({"parameters": {
                "table": {"schema": "public", "tableName": table},
                "outputTable": format!("in.c-shop.{table}")
            }}),
            false,
        )
        .await?;
        *rows += 1;
    }
    write_metadata(client, &config, &folder("Shop")).await?;
    Ok(config)
}

/// Two OAuth-authorized configurations, each pointing at credentials the stack holds.
async fn oauth_configs(client: &Client) -> anyhow::Result<(ConfigRef, ConfigRef)> {
    let mut made = Vec::new();
    for (component, credentials, owner, config_id, name, parameters) in [
        (
            GA4,
            "web-team",
            "web@example.com",
            "web-analytics",
            "Web analytics",
            json!({"properties": ["properties/123456789"], "dimensions": ["date", "country"], "metrics": ["sessions"]}),
        ),
        (
            SHEETS,
            "finance-team",
            "finance@example.com",
            "finance-sheet",
            "Revenue to the finance sheet",
            json!({"tables": [{"sheetTitle": "Revenue", "tableId": "out.c-reporting.daily_revenue", "action": "update", "fileId": "1AbCdEfGhIjKlMnOp"}]}),
        ),
    ] {
        let component_id: ComponentId = parse_id(component)?;
        let creds = client
            .create_oauth_credentials(
                &component_id,
                &NewOAuthCredentials {
                    id: parse_id(credentials)?,
                    authorized_for: owner.into(),
                    data: json!({
                        "access_token": format!("ya29.demo-{credentials}"),
                        "refresh_token": format!("1//demo-refresh-{credentials}"),
                        "expires_in": 3599,
                        "token_type": "Bearer"
                    }),
                },
            )
            .await
            .with_context(|| {
                format!("cannot store OAuth credentials {credentials} of {component}")
            })?;
        let config = create(
            client,
            component,
            NewConfiguration {
                name: name.into(),
                configuration_id: Some(parse_id(config_id)?),
                configuration: Some(doc(json!({
                    "authorization": {"oauth_api": {"id": creds.id.as_str(), "version": 3}},
                    "parameters": parameters
                }))),
                ..Default::default()
            },
        )
        .await?;
        made.push(reference(&config, component)?);
    }
    let sheets = made.pop().context("the Sheets configuration")?;
    let analytics = made.pop().context("the analytics configuration")?;
    Ok((analytics, sheets))
}

fn transformation(
    input: serde_json::Value,
    output: serde_json::Value,
    blocks: serde_json::Value,
) -> RawJson {
    doc(json!({
        "storage": {"input": {"tables": input}, "output": {"tables": output}},
        "parameters": {"blocks": blocks}
    }))
}

/// The seed's transformations in the SQL of one backend, and the component that runs it: a
/// project's transformations are written for the database its tables live in.
struct Dialect {
    component: &'static str,
    revenue: &'static str,
    paid: [&'static str; 2],
    ltv: &'static str,
    kpis: &'static str,
}

const SQLITE_SQL: Dialect = Dialect {
    component: SQLITE,
    revenue: "CREATE TABLE \"daily_revenue\" AS SELECT \"order_date\" AS \"date\", COUNT(*) AS \"orders\", SUM(\"total\") AS \"revenue\", 'EUR' AS \"currency\" FROM \"orders\" GROUP BY 1;",
    paid: [
        "CREATE TABLE \"paid\" AS SELECT * FROM \"orders\" WHERE \"paid\" = 'true';",
        "CREATE INDEX \"paid_customer\" ON \"paid\" (\"customer_id\");",
    ],
    ltv: "CREATE TABLE \"customer_ltv\" AS SELECT c.\"id\" AS \"customer_id\", COUNT(p.\"order_id\") AS \"orders\", SUM(p.\"total\") AS \"lifetime_value\", MIN(p.\"order_date\") AS \"first_order\", MAX(p.\"order_date\") AS \"last_order\" FROM \"customers\" c JOIN \"paid\" p ON p.\"customer_id\" = c.\"id\" GROUP BY 1;",
    kpis: "CREATE TABLE \"kpi_monthly\" AS SELECT substr(\"date\", 1, 7) AS \"month\", SUM(\"revenue\") AS \"revenue\", SUM(\"orders\") AS \"orders\", (SELECT COUNT(*) FROM \"customers\") AS \"active_customers\", '0.000' AS \"churn_rate\" FROM \"daily_revenue\" GROUP BY 1;",
};

/// Storage hands a transformation every column as `text`, and PostgreSQL, unlike SQLite, does
/// not sum text: the figures are cast, as a PostgreSQL user writes it.
const POSTGRESQL_SQL: Dialect = Dialect {
    component: POSTGRESQL,
    revenue: "CREATE TABLE \"daily_revenue\" AS SELECT \"order_date\" AS \"date\", COUNT(*) AS \"orders\", SUM(\"total\"::numeric) AS \"revenue\", 'EUR'::text AS \"currency\" FROM \"orders\" GROUP BY 1;",
    paid: [
        "CREATE TABLE \"paid\" AS SELECT * FROM \"orders\" WHERE \"paid\" = 'true';",
        "CREATE INDEX \"paid_customer\" ON \"paid\" (\"customer_id\");",
    ],
    ltv: "CREATE TABLE \"customer_ltv\" AS SELECT c.\"id\" AS \"customer_id\", COUNT(p.\"order_id\") AS \"orders\", SUM(p.\"total\"::numeric) AS \"lifetime_value\", MIN(p.\"order_date\") AS \"first_order\", MAX(p.\"order_date\") AS \"last_order\" FROM \"customers\" c JOIN \"paid\" p ON p.\"customer_id\" = c.\"id\" GROUP BY 1;",
    kpis: "CREATE TABLE \"kpi_monthly\" AS SELECT left(\"date\", 7) AS \"month\", SUM(\"revenue\"::numeric) AS \"revenue\", SUM(\"orders\"::bigint) AS \"orders\", (SELECT COUNT(*) FROM \"customers\") AS \"active_customers\", '0.000'::text AS \"churn_rate\" FROM \"daily_revenue\" GROUP BY 1;",
};

impl Dialect {
    fn of(backend: &BackendName) -> anyhow::Result<&'static Dialect> {
        if *backend == BackendName::SQLITE {
            Ok(&SQLITE_SQL)
        } else if *backend == BackendName::POSTGRESQL {
            Ok(&POSTGRESQL_SQL)
        } else {
            anyhow::bail!("the demo has no SQL transformations for the backend '{backend}'")
        }
    }
}

/// SQL transformations with incremental inputs (`changed_since`) and several code blocks; the ids
/// are the stack's, as they would be for configurations made in the UI.
async fn transformations(client: &Client, sql: &Dialect) -> anyhow::Result<Vec<ConfigRef>> {
    let revenue = create(
        client,
        sql.component,
        NewConfiguration {
            name: "Revenue by day".into(),
            description: Some("Completed and shipped orders of the last week, per day".into()),
            configuration: Some(transformation(
                json!([{
                    "source": "in.c-shop.orders",
                    "destination": "orders",
                    "columns": ["order_date", "total", "status"],
                    "changed_since": "-7 days",
                    "where_column": "status",
                    "where_values": ["completed", "shipped"]
                }]),
                json!([{
                    "source": "daily_revenue",
                    "destination": "out.c-reporting.daily_revenue",
                    "incremental": true,
                    "primary_key": ["date"]
                }]),
                json!([{"name": "Revenue", "codes": [{"name": "aggregate", "script": [sql.revenue]}]}]),
            )),
            ..Default::default()
        },
    )
    .await?;
    let revenue = reference(&revenue, sql.component)?;
    let ltv = create(
        client,
        sql.component,
        NewConfiguration {
            name: "Customer lifetime value".into(),
            configuration: Some(transformation(
                json!([
                    {"source": "in.c-crm.customers", "destination": "customers"},
                    {"source": "in.c-shop.orders", "destination": "orders", "changed_since": "-30 days"}
                ]),
                json!([{
                    "source": "customer_ltv",
                    "destination": "out.c-reporting.customer_ltv",
                    "incremental": true,
                    "primary_key": ["customer_id"]
                }]),
                json!([
                    {"name": "Prepare", "codes": [{"name": "clean", "script": sql.paid}]},
                    {"name": "Aggregate", "codes": [{"name": "ltv", "script": [sql.ltv]}]}
                ]),
            )),
            ..Default::default()
        },
    )
    .await?;
    let ltv = reference(&ltv, sql.component)?;
    let kpis = create(
        client,
        sql.component,
        NewConfiguration {
            name: "BI KPIs".into(),
            configuration: Some(transformation(
                json!([
                    {"source": "out.c-reporting.daily_revenue", "destination": "daily_revenue", "changed_since": "-35 days"},
                    {"source": "out.c-bi.customers_cz_sk", "destination": "customers"}
                ]),
                json!([{
                    "source": "kpi_monthly",
                    "destination": "out.c-bi.kpi_monthly",
                    "primary_key": ["month"]
                }]),
                json!([{"name": "KPIs", "codes": [{"name": "monthly", "script": [sql.kpis]}]}]),
            )),
            ..Default::default()
        },
    )
    .await?;
    let kpis = reference(&kpis, sql.component)?;

    // A history of edits: a migration carries the current version, and the demo shows how many
    // versions stayed behind.
    for (n, days) in [(1, "-3 days"), (2, "-7 days")] {
        let current = client
            .get_config(&revenue.0, &revenue.1)
            .await
            .context("cannot read the transformation 'Revenue by day'")?;
        let mut value = current
            .configuration
            .context("the transformation 'Revenue by day' has a configuration")?
            .to_value();
        value["storage"]["input"]["tables"][0]["changed_since"] = json!(days);
        update(
            client,
            &revenue,
            ConfigurationUpdate {
                configuration: Some(doc(value)),
                change_description: Some(format!("Edit {n}: incremental window {days}")),
                ..Default::default()
            },
        )
        .await?;
    }
    for config in [&revenue, &ltv, &kpis] {
        write_metadata(client, config, &folder("Reporting")).await?;
    }
    Ok(vec![revenue, ltv, kpis])
}

/// A writer and an application whose secrets sit where scanners miss them: in objects inside
/// arrays, as an array under a `#` key, and as a number; plus a disabled writer.
async fn secret_configs(client: &Client) -> anyhow::Result<(ConfigRef, ConfigRef, ConfigRef)> {
    let partner = create(
        client,
        WR_PGSQL,
        NewConfiguration {
            name: "Partner PostgreSQL".into(),
            configuration_id: Some(parse_id("partner-postgres")?),
            configuration: Some(doc(json!({
                "parameters": {
                    "db": {
                        "driver": "pgsql",
                        "host": "pg.partner.example.com",
                        "port": 5432,
                        "database": "partner",
                        "schema": "public",
                        "user": "loader",
                        "#password": "partner-loader-secret"
                    },
                    "replicas": [
                        {"host": "pg-replica-1.partner.example.com", "#password": "replica-one-secret"},
                        {"host": "pg-replica-2.partner.example.com", "#password": "replica-two-secret"}
                    ],
                    "tables": [{"dbName": "customers", "tableId": "out.c-bi.customers_cz_sk", "export": true}]
                },
                "storage": {"input": {"tables": [
                    {"source": "out.c-bi.customers_cz_sk", "destination": "customers.csv"}
                ]}}
            }))),
            ..Default::default()
        },
    )
    .await?;
    let partner = reference(&partner, WR_PGSQL)?;
    let app = create(
        client,
        DATA_APPS,
        NewConfiguration {
            name: "Sales dashboard".into(),
            configuration_id: Some(parse_id("sales-dashboard")?),
            configuration: Some(doc(json!({
                "parameters": {
                    "size": "small",
                    "dataApp": {
                        "slug": "sales-dashboard",
                        "streamlit": {"config.toml": "[theme]\nbase = \"dark\"\n"},
                        "secrets": {
                            "#OPENAI_API_KEY": "sk-demo-0123456789abcdef",
                            "#webhook_tokens": ["whk-1-aaaaaaaa", "whk-2-bbbbbbbb"],
                            "#pin": 4711
                        }
                    }
                }
            }))),
            ..Default::default()
        },
    )
    .await?;
    let app = reference(&app, DATA_APPS)?;
    let legacy = create(
        client,
        WR_S3,
        NewConfiguration {
            name: "Legacy S3 export".into(),
            configuration_id: Some(parse_id("legacy-s3-export")?),
            description: Some("Disabled since the partner moved to PostgreSQL".into()),
            configuration: Some(doc(json!({"parameters": {
                "accessKeyId": "AKIADEMO0000000000",
                "#secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "bucket": "legacy-exports",
                "prefix": "shop/"
            }}))),
            is_disabled: Some(true),
            ..Default::default()
        },
    )
    .await?;
    let legacy = reference(&legacy, WR_S3)?;
    for config in [&partner, &legacy] {
        write_metadata(client, config, &folder("Partners")).await?;
    }
    Ok((partner, app, legacy))
}
