//! Runs rules in a plain DataFusion `SessionContext`: the store's tables (only the
//! partitions the window needs, rows cut to the window), the reference tables, and nothing
//! hand-written, so the same rules can run on a Ballista cluster.
//!
//! Purpose limitation (003 art. 7-8) is a property of the engine: before a rule runs, its
//! optimised logical plan is walked, every table scan's columns (projected and filtered)
//! are compared with what the rule's purpose may see, and a rule that reads a column
//! outside it is refused, naming the column, the purpose and the article.
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::catalog::{MemTable, TableProvider, view::ViewTable};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::functions::string::expr_fn::lower;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, when};
use datafusion::prelude::SessionContext;
use datafusion::prelude::{col, lit};

use crate::config::Config;
use crate::error::Error;
use crate::rules::{Purpose, Rule};
use crate::schema::{self, Source};
use crate::store::{Store, day_of_micros, list_partitions};

/// What a rule run looks at.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// From (inclusive), UTC.
    pub from: DateTime<Utc>,
    /// To (exclusive), UTC.
    pub to: DateTime<Utc>,
}

/// The columns a purpose may read per table; `None`: the whole table.
///
/// The first cut, from art. 8: purpose f (cost and capacity, art. 8.7-8.8) sees traffic
/// data only: time, counts and sizes, never an address, subject, URL, host or path. The
/// other purposes see whole tables; their row-level limits (8.2: business mail of staff;
/// 8.5: content only of suspicious items) are the rules issue's next step.
pub fn allowed_columns(purpose: Purpose, table: &str) -> Option<&'static [&'static str]> {
    match (purpose, table) {
        (Purpose::F, "signin") => {
            Some(&[schema::EVENT_TIME, schema::SUCCESS, schema::APP, schema::CLIENT_APP, schema::INTERACTIVE])
        }
        (Purpose::F, "email") => Some(&[
            schema::EVENT_TIME,
            schema::SIZE_BYTES,
            schema::RECIPIENT_COUNT,
            schema::STATUS,
            schema::EVENT,
            schema::DIRECTION,
        ]),
        (Purpose::F, "web") => Some(&[
            schema::EVENT_TIME,
            schema::BYTES,
            schema::HTTP_STATUS,
            schema::ELAPSED_MS,
            schema::METHOD,
            schema::CACHE_RESULT,
        ]),
        (Purpose::F, "people" | "travel_exceptions" | "holds") => Some(&[]),
        _ => None,
    }
}

/// Labels that mark mail as personal (CTL-7: 003 art. 6.8), compared lower-cased.
pub const PERSONAL_LABELS: [&str; 4] = ["persoonlijk", "personal", "private", "privé"];

/// The columns of the `email` table that carry content.
pub const CONTENT_COLUMNS: [&str; 2] = [schema::SUBJECT, schema::ATTACHMENT_NAMES];

/// The `email` table as every rule sees it: mail labelled personal (CTL-7) and all mail
/// of counsellors (CTL-8) with its content columns NULL, whatever the purpose. It is part
/// of the table, so no rule can get around it; the counsellors are literals, so the view
/// reads nothing but the mail files.
fn protected_email(counsellors: &[String]) -> Vec<Expr> {
    let labels: Vec<Expr> = PERSONAL_LABELS.iter().map(|l| lit(*l)).collect();
    let mut protected = lower(col(schema::SENSITIVITY)).in_list(labels, false);
    if !counsellors.is_empty() {
        let list: Vec<Expr> = counsellors.iter().map(|c| lit(c.as_str())).collect();
        protected = protected
            .or(col(schema::SENDER).in_list(list.clone(), false))
            .or(col(schema::RECIPIENT).in_list(list, false));
    }
    Source::Email
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let c = col(f.name());
            if CONTENT_COLUMNS.contains(&f.name().as_str()) {
                // NULL when protected; NULL conditions (no label, no address) are not protected.
                when(protected.clone(), lit(ScalarValue::Utf8(None)))
                    .otherwise(c)
                    .map(|e| e.alias(f.name()))
                    .unwrap_or_else(|_| lit(ScalarValue::Utf8(None)).alias(f.name()))
            } else {
                c
            }
        })
        .collect()
}

/// A session over one workspace and window.
pub struct Engine {
    ctx: SessionContext,
    runtime: tokio::runtime::Runtime,
}

fn df(e: datafusion::error::DataFusionError) -> Error {
    Error::Usage(format!("query: {e}"))
}

impl Engine {
    /// Registers the store tables for `window` and the reference tables.
    pub fn new(config: &Config, window: Window) -> Result<Engine, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Bug(format!("tokio runtime: {e}")))?;
        let ctx = SessionContext::new();
        let store = Store::new(&config.store_dir);
        let (first, last) =
            (day_of_micros(window.from.timestamp_micros()), day_of_micros(window.to.timestamp_micros() - 1));
        // CTL-8: counsellors' mail is never inspected for content.
        let people = crate::enrich::directory::load(&config.reference_dir.join("people.csv"))?;
        let counsellors: Vec<String> =
            people.iter().filter(|p| p.role == "counsellor").map(|p| p.address.clone()).collect();
        for source in Source::ALL {
            let mut urls = Vec::new();
            for (day, dir) in list_partitions(&store.table_dir(source))? {
                if day >= first && day <= last {
                    urls.push(ListingTableUrl::parse(format!("{}/", dir.display())).map_err(df)?);
                }
            }
            let provider: Arc<dyn TableProvider> = if urls.is_empty() {
                Arc::new(MemTable::try_new(source.schema(), vec![vec![]]).map_err(df)?)
            } else {
                let opts = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
                let cfg = ListingTableConfig::new_with_multi_paths(urls)
                    .with_listing_options(opts)
                    .with_schema(source.schema());
                Arc::new(ListingTable::try_new(cfg).map_err(df)?)
            };
            // Only the window's rows: the table rules see is a view over the files, and no
            // unfiltered name is registered that a rule could read instead.
            let micros = |t: DateTime<Utc>| {
                lit(ScalarValue::TimestampMicrosecond(Some(t.timestamp_micros()), Some("UTC".into())))
            };
            let mut builder = LogicalPlanBuilder::scan(source.name(), provider_as_source(provider), None)
                .and_then(|b| {
                    b.filter(
                        col(schema::EVENT_TIME)
                            .gt_eq(micros(window.from))
                            .and(col(schema::EVENT_TIME).lt(micros(window.to))),
                    )
                })
                .map_err(df)?;
            if source == Source::Email {
                builder = builder.project(protected_email(&counsellors)).map_err(df)?;
            }
            let plan = builder.build().map_err(df)?;
            ctx.register_table(source.name(), Arc::new(ViewTable::new(plan, None))).map_err(df)?;
        }
        let travel = crate::enrich::travel::load(&config.reference_dir.join("travel_exceptions.csv"))?;
        let batch = crate::enrich::travel::to_batch(&travel, config.timezone)?;
        ctx.register_table(
            "travel_exceptions",
            Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(df)?),
        )
        .map_err(df)?;
        let countries = StringArray::from_iter_values(config.allowed_countries.iter().map(String::as_str));
        let allowed = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("country", DataType::Utf8, false)])),
            vec![Arc::new(countries) as ArrayRef],
        )
        .map_err(|e| Error::Bug(e.to_string()))?;
        ctx.register_table(
            "allowed_countries",
            Arc::new(MemTable::try_new(allowed.schema(), vec![vec![allowed]]).map_err(df)?),
        )
        .map_err(df)?;
        // The policy's numbers, so rules read them instead of hard-coding them.
        let policy = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("travel_lead_days", DataType::Int64, false),
                Field::new("summer_deadline_month", DataType::Int64, false),
                Field::new("summer_deadline_day", DataType::Int64, false),
                Field::new("retention_days", DataType::Int64, false),
            ])),
            vec![
                Arc::new(Int64Array::from(vec![i64::from(config.travel_lead_days)])) as ArrayRef,
                Arc::new(Int64Array::from(vec![i64::from(config.summer_deadline.0)])),
                Arc::new(Int64Array::from(vec![i64::from(config.summer_deadline.1)])),
                Arc::new(Int64Array::from(vec![i64::from(config.retention_days)])),
            ],
        )
        .map_err(|e| Error::Bug(e.to_string()))?;
        ctx.register_table("policy", Arc::new(MemTable::try_new(policy.schema(), vec![vec![policy]]).map_err(df)?))
            .map_err(df)?;
        Ok(Engine { ctx, runtime })
    }

    /// Checks the rule's purpose against its plan, then runs it.
    pub fn run(&self, rule: &Rule) -> Result<Vec<RecordBatch>, Error> {
        let frame = self
            .runtime
            .block_on(self.ctx.sql(&rule.sql))
            .map_err(|e| Error::Usage(format!("rule {}: {e}", rule.id)))?;
        let plan = self.ctx.state().optimize(frame.logical_plan()).map_err(df)?;
        check_purpose(&plan, rule)?;
        self.runtime.block_on(frame.collect()).map_err(|e| Error::Usage(format!("rule {}: {e}", rule.id)))
    }
}

/// Refuses a plan that reads a column its rule's purpose may not see.
pub fn check_purpose(plan: &LogicalPlan, rule: &Rule) -> Result<(), Error> {
    let mut refusal = None;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let table = scan.table_name.table();
            if let Some(allowed) = allowed_columns(rule.purpose, table) {
                let mut cols: Vec<String> = scan.projected_schema.fields().iter().map(|f| f.name().clone()).collect();
                for f in &scan.filters {
                    cols.extend(f.column_refs().into_iter().map(|c| c.name.clone()));
                }
                if let Some(c) = cols.into_iter().find(|c| !allowed.contains(&c.as_str())) {
                    refusal = Some(format!(
                        "rule {} has purpose {} ({}), which may not read {table}.{c} (003 {})",
                        rule.id,
                        rule.purpose.letter(),
                        match rule.purpose {
                            Purpose::F => "cost and capacity: traffic data only",
                            _ => "limited",
                        },
                        rule.purpose.article()
                    ));
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    match refusal {
        Some(msg) => Err(Error::Usage(msg)),
        None => Ok(()),
    }
}
