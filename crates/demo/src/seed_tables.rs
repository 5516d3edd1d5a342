//! Buckets and tables of the demo project: enough rows that a migration has to stream, and the
//! shapes a migration gets wrong first (typed columns, keys, aliases, awkward values).

use std::collections::BTreeMap;

use anyhow::{ensure, Context};
use stackport_client::{Client, ImportParams};
use stackport_model::api::{
    BaseType, ColumnDefinition, ColumnFilter, FilterOperator, MetadataKeyValue, MetadataWrite,
    NewAlias, NewBucket, NewTable, TableDefinition,
};
use stackport_model::{BucketId, ColumnName, Stage, TableId};

use crate::data::{date, money, push_csv_row, timestamp, typed_timestamp, Lcg, DAY_2023_01_01};
use crate::seed::parse_id;

/// Rows per import request: large tables go in several, as a real extractor's loads would.
const BATCH_ROWS: usize = 25_000;

/// What the tables part of the seed made.
pub(crate) struct SeededTables {
    pub buckets: usize,
    pub tables: usize,
    pub aliases: usize,
    pub rows: u64,
}

struct BucketSpec {
    stage: Stage,
    name: &'static str,
    display_name: &'static str,
    description: &'static str,
    owner: &'static str,
}

const BUCKETS: &[BucketSpec] = &[
    BucketSpec {
        stage: Stage::In,
        name: "crm",
        display_name: "CRM",
        description: "Customers, leads and notes from the CRM database",
        owner: "sales-ops@example.com",
    },
    BucketSpec {
        stage: Stage::In,
        name: "shop",
        display_name: "E-shop",
        description: "Orders, products and sessions of the e-shop",
        owner: "eshop@example.com",
    },
    BucketSpec {
        stage: Stage::Out,
        name: "reporting",
        display_name: "Reporting",
        description: "Aggregates the transformations produce",
        owner: "analytics@example.com",
    },
    BucketSpec {
        stage: Stage::Out,
        name: "bi",
        display_name: "BI",
        description: "What the BI project loads",
        owner: "analytics@example.com",
    },
];

struct TypedColumn {
    name: &'static str,
    basetype: BaseType,
    nullable: bool,
    length: Option<&'static str>,
}

const fn typed(
    name: &'static str,
    basetype: BaseType,
    nullable: bool,
    length: Option<&'static str>,
) -> TypedColumn {
    TypedColumn {
        name,
        basetype,
        nullable,
        length,
    }
}

enum Columns {
    Untyped(&'static [&'static str]),
    Typed(&'static [TypedColumn]),
}

impl Columns {
    fn names(&self) -> Vec<&'static str> {
        match self {
            Columns::Untyped(names) => names.to_vec(),
            Columns::Typed(cols) => cols.iter().map(|c| c.name).collect(),
        }
    }
}

/// The sizes of the other tables, which a generator needs to make foreign keys that resolve.
#[derive(Clone, Copy)]
struct Sizes {
    customers: usize,
    orders: usize,
    products: usize,
}

type RowFn = fn(&mut Lcg, usize, Sizes) -> Vec<String>;

struct TableSpec {
    bucket: &'static str,
    name: &'static str,
    display_name: &'static str,
    description: &'static str,
    columns: Columns,
    primary_key: &'static [&'static str],
    rows_at_full_scale: usize,
    min_rows: usize,
    row: RowFn,
}

impl TableSpec {
    fn rows(&self, scale: f64) -> usize {
        ((self.rows_at_full_scale as f64 * scale).round() as usize).max(self.min_rows)
    }
}

const ORDER_COLUMNS: &[TypedColumn] = &[
    typed("order_id", BaseType::Integer, false, None),
    typed("customer_id", BaseType::Integer, false, None),
    typed("order_date", BaseType::Date, false, None),
    typed("status", BaseType::String, false, Some("16")),
    typed("currency", BaseType::String, false, Some("3")),
    typed("total", BaseType::Numeric, false, Some("12,2")),
    typed("discount", BaseType::Float, true, None),
    typed("paid", BaseType::Boolean, false, None),
    typed("updated_at", BaseType::Timestamp, true, None),
];

const TABLES: &[TableSpec] = &[
    TableSpec {
        bucket: "in.c-crm",
        name: "customers",
        display_name: "Customers",
        description: "One row per customer, deduplicated by the CRM",
        columns: Columns::Untyped(&[
            "id",
            "first_name",
            "last_name",
            "email",
            "country",
            "city",
            "segment",
            "created_at",
        ]),
        primary_key: &["id"],
        rows_at_full_scale: 20_000,
        min_rows: 50,
        row: customer_row,
    },
    TableSpec {
        bucket: "in.c-crm",
        name: "notes",
        display_name: "Notes",
        description: "Free-text notes typed by sales people, as they typed them",
        columns: Columns::Untyped(&["id", "customer_id", "subject", "note", "2024", "město"]),
        primary_key: &["id"],
        rows_at_full_scale: 3_000,
        min_rows: AWKWARD_VALUES.len() * 2,
        row: note_row,
    },
    TableSpec {
        bucket: "in.c-crm",
        name: "leads",
        display_name: "Leads",
        description: "Leads as collected; the same e-mail may come twice",
        columns: Columns::Untyped(&["email", "source", "score", "created_at", "comment"]),
        primary_key: &[],
        rows_at_full_scale: 8_000,
        min_rows: 20,
        row: lead_row,
    },
    TableSpec {
        bucket: "in.c-shop",
        name: "orders",
        display_name: "Orders",
        description: "Orders with checked types, loaded from the e-shop database",
        columns: Columns::Typed(ORDER_COLUMNS),
        primary_key: &["order_id"],
        rows_at_full_scale: 40_000,
        min_rows: 100,
        row: order_row,
    },
    TableSpec {
        bucket: "in.c-shop",
        name: "order_items",
        display_name: "Order items",
        description: "Lines of the orders; appended on each load, no key",
        columns: Columns::Untyped(&["order_id", "line", "product_id", "quantity", "unit_price"]),
        primary_key: &[],
        rows_at_full_scale: 30_000,
        min_rows: 100,
        row: order_item_row,
    },
    TableSpec {
        bucket: "in.c-shop",
        name: "products",
        display_name: "Products",
        description: "The catalogue",
        columns: Columns::Untyped(&["product_id", "name", "category", "price", "active"]),
        primary_key: &["product_id"],
        rows_at_full_scale: 1_000,
        min_rows: 20,
        row: product_row,
    },
    TableSpec {
        bucket: "in.c-shop",
        name: "web_sessions",
        display_name: "Web sessions",
        description: "Sessions on the e-shop; anonymous ones have no customer",
        columns: Columns::Untyped(&[
            "session_id",
            "customer_id",
            "started_at",
            "duration_s",
            "device",
            "landing_page",
        ]),
        primary_key: &["session_id"],
        rows_at_full_scale: 10_000,
        min_rows: 20,
        row: session_row,
    },
    TableSpec {
        bucket: "out.c-reporting",
        name: "daily_revenue",
        display_name: "Daily revenue",
        description: "Revenue per day, written by the transformation 'Revenue by day'",
        columns: Columns::Untyped(&["date", "orders", "revenue", "currency"]),
        primary_key: &["date"],
        rows_at_full_scale: 730,
        min_rows: 30,
        row: daily_revenue_row,
    },
    TableSpec {
        bucket: "out.c-reporting",
        name: "customer_ltv",
        display_name: "Customer lifetime value",
        description: "Written by the transformation 'Customer lifetime value'",
        columns: Columns::Untyped(&[
            "customer_id",
            "orders",
            "lifetime_value",
            "first_order",
            "last_order",
        ]),
        primary_key: &["customer_id"],
        rows_at_full_scale: 5_000,
        min_rows: 20,
        row: ltv_row,
    },
    TableSpec {
        bucket: "out.c-bi",
        name: "kpi_monthly",
        display_name: "Monthly KPIs",
        description: "What the board sees",
        columns: Columns::Untyped(&[
            "month",
            "revenue",
            "orders",
            "active_customers",
            "churn_rate",
        ]),
        primary_key: &["month"],
        rows_at_full_scale: 24,
        min_rows: 24,
        row: kpi_row,
    },
];

/// Values a naive CSV writer or reader breaks on, each in the `note` of one row of `notes`.
const AWKWARD_VALUES: &[&str] = &[
    "He said \"ship it\" and left",
    "\"",
    "\"\"",
    "first line\nsecond line",
    "windows line\r\nnext line",
    "\n",
    "ends with a carriage return\r",
    "",
    "Žluťoučký kůň 🐎 úpěl ďábelské ódy",
    "東京の顧客 — 北京客户 — 서울 고객",
    "  leading and trailing spaces  ",
    " ",
    "comma, semicolon; tab\there",
    "C:\\temp\\new\\file.csv",
    "NULL",
    "=HYPERLINK(\"http://example.com\")",
    "emoji only 👍🏽👨‍👩‍👧",
    "Ünïcödé \u{00a0}non-breaking space",
];

const FIRST_NAMES: &[(&str, &str)] = &[
    ("Jiří", "jiri"),
    ("Anna", "anna"),
    ("Zoë", "zoe"),
    ("Łukasz", "lukasz"),
    ("José", "jose"),
    ("Åsa", "asa"),
    ("Noémie", "noemie"),
    ("Björn", "bjorn"),
    ("Mei", "mei"),
    ("John", "john"),
    ("Petra", "petra"),
    ("Ahmed", "ahmed"),
];
const LAST_NAMES: &[(&str, &str)] = &[
    ("Novák", "novak"),
    ("Dvořáková", "dvorakova"),
    ("Müller", "muller"),
    ("O'Brien", "obrien"),
    ("García", "garcia"),
    ("Smith", "smith"),
    ("Kowalski", "kowalski"),
    ("Tanaka", "tanaka"),
    ("van der Berg", "vanderberg"),
    ("Svoboda", "svoboda"),
];
const COUNTRIES: &[(&str, &str)] = &[
    ("CZ", "Praha"),
    ("CZ", "Brno"),
    ("SK", "Bratislava"),
    ("DE", "München"),
    ("AT", "Wien"),
    ("PL", "Kraków"),
    ("US", "New York, NY"),
    ("GB", "London"),
    ("FR", "Paris"),
    ("JP", "東京"),
];

fn customer_row(g: &mut Lcg, i: usize, _: Sizes) -> Vec<String> {
    let (first, first_ascii) = FIRST_NAMES[g.below(FIRST_NAMES.len() as u64) as usize];
    let (last, last_ascii) = LAST_NAMES[g.below(LAST_NAMES.len() as u64) as usize];
    let (country, city) = COUNTRIES[g.below(COUNTRIES.len() as u64) as usize];
    let id = i + 1;
    vec![
        id.to_string(),
        first.into(),
        last.into(),
        format!("{first_ascii}.{last_ascii}.{id}@example.com"),
        country.into(),
        city.into(),
        g.pick(&["enterprise", "smb", "smb", "consumer", "consumer"])
            .into(),
        timestamp((DAY_2023_01_01 + g.range(0, 700)) * 86_400 + g.range(0, 86_399)),
    ]
}

fn note_row(g: &mut Lcg, i: usize, sizes: Sizes) -> Vec<String> {
    let awkward = AWKWARD_VALUES[i % AWKWARD_VALUES.len()];
    // The first rows hold each awkward value alone; later ones mix them into ordinary text.
    let note = if i < AWKWARD_VALUES.len() {
        awkward.to_string()
    } else {
        format!(
            "Call #{i}: {awkward} / follow up in {} days",
            g.range(1, 30)
        )
    };
    vec![
        (i + 1).to_string(),
        (g.below(sizes.customers as u64) + 1).to_string(),
        g.pick(&["Renewal", "Complaint", "Upsell", "", "Re: \"pricing\""])
            .into(),
        note,
        if g.chance(20) {
            String::new()
        } else {
            money(g.range(0, 5_000_000))
        },
        g.pick(&["Praha", "Ústí nad Labem", "Český Krumlov", "", "Plzeň"])
            .into(),
    ]
}

fn lead_row(g: &mut Lcg, i: usize, _: Sizes) -> Vec<String> {
    vec![
        format!("lead{}@example.org", g.below(i as u64 + 1)),
        g.pick(&["web", "event", "referral", "partner", "ads"])
            .into(),
        g.range(0, 100).to_string(),
        timestamp((DAY_2023_01_01 + g.range(0, 730)) * 86_400 + g.range(0, 86_399)),
        if g.chance(70) {
            String::new()
        } else {
            g.pick(&["hot", "asked for a demo", "wrong number", "spam?"])
                .into()
        },
    ]
}

fn order_row(g: &mut Lcg, i: usize, sizes: Sizes) -> Vec<String> {
    let day = DAY_2023_01_01 + (i as i64 * 730 / sizes.orders.max(1) as i64);
    let status = g.pick(&[
        "completed",
        "completed",
        "completed",
        "shipped",
        "cancelled",
        "refunded",
        "pending",
    ]);
    vec![
        (i + 1).to_string(),
        (g.below(sizes.customers as u64) + 1).to_string(),
        date(day),
        status.into(),
        g.pick(&["EUR", "EUR", "CZK", "USD"]).into(),
        money(g.range(199, 2_500_000)),
        if g.chance(70) {
            String::new()
        } else {
            (g.range(1, 30) as f64 / 100.0).to_string()
        },
        (status != "pending" && status != "cancelled").to_string(),
        if g.chance(10) {
            String::new()
        } else {
            typed_timestamp(day * 86_400 + g.range(0, 3 * 86_400))
        },
    ]
}

fn order_item_row(g: &mut Lcg, _: usize, sizes: Sizes) -> Vec<String> {
    vec![
        (g.below(sizes.orders as u64) + 1).to_string(),
        g.range(1, 5).to_string(),
        format!("P{:04}", g.below(sizes.products as u64) + 1),
        g.range(1, 12).to_string(),
        money(g.range(99, 99_999)),
    ]
}

fn product_row(g: &mut Lcg, i: usize, _: Sizes) -> Vec<String> {
    let adjective = g.pick(&[
        "Classic",
        "Ultra",
        "Mini",
        "Eco",
        "Příjemný",
        "Ωmega",
        "Smart",
    ]);
    let noun = g.pick(&[
        "Kettle",
        "Mug",
        "Kávovar",
        "Lamp",
        "Backpack",
        "Teapot 茶壶",
    ]);
    vec![
        format!("P{:04}", i + 1),
        format!("{adjective} {noun} {}", i + 1),
        g.pick(&["kitchen", "home", "outdoor", "office"]).into(),
        money(g.range(99, 99_999)),
        if g.chance(85) { "1" } else { "0" }.into(),
    ]
}

fn session_row(g: &mut Lcg, i: usize, sizes: Sizes) -> Vec<String> {
    // Multiplying by an odd constant is a bijection on u64: unique ids that look random.
    let id = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    vec![
        format!("{id:016x}"),
        if g.chance(30) {
            String::new()
        } else {
            (g.below(sizes.customers as u64) + 1).to_string()
        },
        timestamp((DAY_2023_01_01 + g.range(0, 730)) * 86_400 + g.range(0, 86_399)),
        g.range(1, 3_600).to_string(),
        g.pick(&["desktop", "mobile", "tablet"]).into(),
        format!(
            "/p/{}?utm_source={}&utm_campaign=spring,sale",
            g.below(sizes.products as u64) + 1,
            g.pick(&["newsletter", "google", "facebook"])
        ),
    ]
}

fn daily_revenue_row(g: &mut Lcg, i: usize, _: Sizes) -> Vec<String> {
    vec![
        date(DAY_2023_01_01 + i as i64),
        g.range(20, 200).to_string(),
        money(g.range(100_000, 5_000_000)),
        "EUR".into(),
    ]
}

fn ltv_row(g: &mut Lcg, i: usize, _: Sizes) -> Vec<String> {
    let first = DAY_2023_01_01 + g.range(0, 365);
    vec![
        (i + 1).to_string(),
        g.range(1, 40).to_string(),
        money(g.range(1_000, 10_000_000)),
        date(first),
        date(first + g.range(0, 365)),
    ]
}

fn kpi_row(g: &mut Lcg, i: usize, _: Sizes) -> Vec<String> {
    vec![
        format!("{}-{:02}", 2023 + i / 12, i % 12 + 1),
        money(g.range(10_000_000, 90_000_000)),
        g.range(1_000, 5_000).to_string(),
        g.range(500, 3_000).to_string(),
        format!("0.{:03}", g.range(5, 80)),
    ]
}

fn column(name: &str) -> anyhow::Result<ColumnName> {
    ColumnName::parse(name).with_context(|| format!("demo column name {name}"))
}

fn columns(names: &[&str]) -> anyhow::Result<Vec<ColumnName>> {
    names.iter().map(|n| column(n)).collect()
}

fn entries(pairs: &[(&str, &str)]) -> Vec<MetadataKeyValue> {
    pairs
        .iter()
        .map(|(key, value)| MetadataKeyValue {
            key: key.to_string(),
            value: value.to_string(),
        })
        .collect()
}

/// Creates the buckets, tables and aliases, imports the rows and writes the metadata.
pub(crate) async fn seed_tables(client: &Client, scale: f64) -> anyhow::Result<SeededTables> {
    for spec in BUCKETS {
        create_bucket(client, spec).await?;
    }
    let rows_of = |name: &str| {
        TABLES
            .iter()
            .find(|t| t.name == name)
            .map_or(0, |t| t.rows(scale))
    };
    let sizes = Sizes {
        customers: rows_of("customers"),
        orders: rows_of("orders"),
        products: rows_of("products"),
    };
    let mut rows = 0;
    for (n, spec) in TABLES.iter().enumerate() {
        rows += create_table(client, spec, n as u64, sizes, scale).await?;
    }
    write_table_metadata(client).await?;
    let aliases = create_aliases(client).await?;
    Ok(SeededTables {
        buckets: BUCKETS.len(),
        tables: TABLES.len(),
        aliases,
        rows,
    })
}

async fn create_bucket(client: &Client, spec: &BucketSpec) -> anyhow::Result<()> {
    let bucket = client
        .create_bucket(&NewBucket {
            name: spec.name.into(),
            stage: spec.stage,
            display_name: Some(spec.display_name.into()),
            description: Some(spec.description.into()),
            backend: None,
        })
        .await
        .with_context(|| format!("cannot create bucket {}.c-{}", spec.stage, spec.name))?;
    client
        .write_bucket_metadata(
            &bucket.id,
            &MetadataWrite {
                provider: "user".into(),
                metadata: entries(&[("KBC.description", spec.description), ("owner", spec.owner)]),
                columns_metadata: BTreeMap::new(),
            },
        )
        .await
        .with_context(|| format!("cannot write the metadata of bucket {}", bucket.id))?;
    if spec.stage == Stage::In {
        // Buckets an extractor created carry its id, as on the reference platform.
        client
            .write_bucket_metadata(
                &bucket.id,
                &MetadataWrite {
                    provider: "system".into(),
                    metadata: entries(&[("KBC.createdBy.component.id", "keboola.ex-db-mysql")]),
                    columns_metadata: BTreeMap::new(),
                },
            )
            .await
            .with_context(|| format!("cannot write the system metadata of bucket {}", bucket.id))?;
    }
    Ok(())
}

/// Creates one table and imports its rows; returns how many rows it holds.
async fn create_table(
    client: &Client,
    spec: &TableSpec,
    seed: u64,
    sizes: Sizes,
    scale: f64,
) -> anyhow::Result<u64> {
    let bucket: BucketId = parse_id(spec.bucket)?;
    let new = match &spec.columns {
        Columns::Untyped(names) => NewTable {
            name: spec.name.into(),
            columns: columns(names)?,
            primary_key: columns(spec.primary_key)?,
            definition: None,
            display_name: Some(spec.display_name.into()),
        },
        Columns::Typed(cols) => NewTable {
            name: spec.name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            definition: Some(TableDefinition {
                columns: cols
                    .iter()
                    .map(|c| {
                        Ok(ColumnDefinition {
                            name: column(c.name)?,
                            basetype: c.basetype,
                            nullable: c.nullable,
                            length: c.length.map(str::to_string),
                        })
                    })
                    .collect::<anyhow::Result<_>>()?,
                primary_keys_names: columns(spec.primary_key)?,
            }),
            display_name: Some(spec.display_name.into()),
        },
    };
    let table = client
        .create_table(&bucket, &new)
        .await
        .with_context(|| format!("cannot create table {bucket}.{}", spec.name))?;
    client
        .write_table_metadata(
            &table.id,
            &MetadataWrite {
                provider: "user".into(),
                metadata: entries(&[("KBC.description", spec.description)]),
                columns_metadata: BTreeMap::new(),
            },
        )
        .await
        .with_context(|| format!("cannot write the description of table {}", table.id))?;

    let header = spec.columns.names();
    let total = spec.rows(scale);
    let mut generator = Lcg::new(seed);
    let mut rows_count = 0;
    for (batch, start) in (0..total).step_by(BATCH_ROWS).enumerate() {
        let mut csv = String::new();
        push_csv_row(&mut csv, &header);
        for i in start..(start + BATCH_ROWS).min(total) {
            push_csv_row(&mut csv, &(spec.row)(&mut generator, i, sizes));
        }
        let result = client
            .import_table(
                &table.id,
                &ImportParams {
                    incremental: batch > 0,
                    ..Default::default()
                },
                csv,
            )
            .await
            .with_context(|| format!("cannot import batch {batch} into table {}", table.id))?;
        rows_count = result.rows_count;
    }
    ensure!(
        rows_count == total as u64,
        "table {} holds {rows_count} rows after the import, {total} were generated (a repeated key?)",
        table.id
    );
    Ok(rows_count)
}

/// Metadata beyond descriptions: column notes and a component's own keys, which a migration must
/// carry under their original providers.
async fn write_table_metadata(client: &Client) -> anyhow::Result<()> {
    let writes: [(&str, MetadataWrite); 3] = [
        (
            "in.c-crm.customers",
            MetadataWrite {
                provider: "keboola.ex-db-mysql".into(),
                metadata: entries(&[
                    ("KBC.createdBy.component.id", "keboola.ex-db-mysql"),
                    ("KBC.createdBy.configuration.id", "crm-mysql"),
                ]),
                columns_metadata: BTreeMap::from([
                    (
                        "email".to_string(),
                        entries(&[("KBC.description", "Lower-case, unique per customer")]),
                    ),
                    (
                        "country".to_string(),
                        entries(&[("KBC.description", "ISO 3166-1 alpha-2")]),
                    ),
                ]),
            },
        ),
        (
            "in.c-shop.orders",
            MetadataWrite {
                provider: "user".into(),
                metadata: entries(&[("KBC.lastUpdatedBy", "nightly load")]),
                columns_metadata: BTreeMap::from([(
                    "total".to_string(),
                    entries(&[
                        ("KBC.description", "Gross total including VAT"),
                        ("unit", "currency of the order"),
                    ]),
                )]),
            },
        ),
        (
            "in.c-crm.notes",
            MetadataWrite {
                provider: "user".into(),
                metadata: entries(&[(
                    "KBC.description.cs",
                    "Poznámky obchodníků, tak jak je napsali",
                )]),
                columns_metadata: BTreeMap::from([
                    (
                        "2024".to_string(),
                        entries(&[("KBC.description", "Planned revenue for 2024")]),
                    ),
                    (
                        "město".to_string(),
                        entries(&[("KBC.description", "Město zákazníka")]),
                    ),
                ]),
            },
        ),
    ];
    for (table, write) in writes {
        let id: TableId = parse_id(table)?;
        client
            .write_table_metadata(&id, &write)
            .await
            .with_context(|| format!("cannot write the metadata of table {id}"))?;
    }
    Ok(())
}

/// One alias with a row filter and one with chosen columns; returns how many were made.
async fn create_aliases(client: &Client) -> anyhow::Result<usize> {
    let aliases = [
        (
            "out.c-bi",
            NewAlias {
                source_table: parse_id("in.c-crm.customers")?,
                name: "customers_cz_sk".into(),
                alias_filter: Some(ColumnFilter {
                    column: column("country")?,
                    operator: FilterOperator::Eq,
                    values: vec!["CZ".into(), "SK".into()],
                }),
                alias_columns: Vec::new(),
            },
        ),
        (
            "out.c-reporting",
            NewAlias {
                source_table: parse_id("in.c-shop.products")?,
                name: "active_products".into(),
                alias_filter: Some(ColumnFilter {
                    column: column("active")?,
                    operator: FilterOperator::Eq,
                    values: vec!["1".into()],
                }),
                alias_columns: columns(&["product_id", "name", "price"])?,
            },
        ),
    ];
    let count = aliases.len();
    for (bucket, alias) in aliases {
        let bucket: BucketId = parse_id(bucket)?;
        client
            .create_alias(&bucket, &alias)
            .await
            .with_context(|| format!("cannot create alias {bucket}.{}", alias.name))?;
    }
    Ok(count)
}
