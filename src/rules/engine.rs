//! Runs rules in a plain DataFusion `SessionContext`: the store's tables (only the
//! partitions the window needs, rows cut to the window), the reference tables, the
//! functions of [`super::functions`], and nothing hand-written, so the same rules can run
//! on a Ballista cluster.
//!
//! Purpose limitation (003 art. 7-8) is a property of the engine, in two layers:
//! - rows: each purpose gets its own session whose tables hold only what the purpose may
//!   process; purposes b, c and d (art. 8.2-8.4: business mail of staff) see the mail of
//!   staff and shared mailboxes only, and no sign-ins or web traffic;
//! - columns: before a rule runs, its optimised logical plan is walked, every table
//!   scan's columns (projected and filtered) are compared with what the purpose may read,
//!   and a rule that reads a column outside it is refused, naming the column, the purpose
//!   and the article. Purpose f (art. 8.7-8.8: traffic data only) may count per person,
//!   but reads an identity column only through `pseudonym()`.
//!
//! Protected rows (CTL-7, CTL-8) are part of the `email` table of every session: content
//! columns are NULL for personal-labelled mail and counsellors' mail, whatever the purpose.
//!
//! Over 600 lines: the sessions per purpose, their row and column limits (art. 8) and the
//! views they register belong together; the output gate is gate.rs.
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Date32Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::catalog::{MemTable, TableProvider, view::ViewTable};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::execution::context::SQLOptions;
use datafusion::functions::string::expr_fn::lower;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, when};
use datafusion::prelude::SessionContext;
use datafusion::prelude::{col, lit};

use super::EngineError as Error;
use crate::config::Config;
use crate::enrich::directory::Person;
use crate::enrich::directory::Role;
use crate::rules::functions::{Functions, PSEUDONYM};
use crate::rules::{Purpose, Rule};
use crate::schema::{self, Class, Source};
use crate::store::{Store, day_of_micros, list_partitions};

pub use crate::schema::TABLES;

/// What a rule run looks at.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// From (inclusive), UTC.
    pub from: DateTime<Utc>,
    /// To (exclusive), UTC.
    pub to: DateTime<Utc>,
}

impl Window {
    /// School-local days `from..=to` in zone `tz`: from the first day's midnight to the
    /// midnight after the last.
    pub fn local_days(from: chrono::NaiveDate, to: chrono::NaiveDate, tz: chrono_tz::Tz) -> Window {
        let at = |d: chrono::NaiveDate| {
            DateTime::from_timestamp_micros(crate::store::hold::day_start_us(d, tz)).unwrap_or_default()
        };
        Window { from: at(from), to: at(to + chrono::Duration::days(1)) }
    }
}

/// The classes a purpose may read by default (art. 8); `None`: every class.
///
/// - a (misuse, 8.1) and e (security, 8.5-8.6): every class; the engine still nulls
///   protected content (CTL-7/8), and what leaves the engine for the DPO passes the output
///   gate (`gate`) whatever the purpose.
/// - b, c, d (8.2-8.4): every class, of business mail of staff only (see [`excluded_tables`]
///   and the row limits in `build`).
/// - f (8.7-8.8): traffic data only: time, measures and codes; never content, a location
///   or provenance; identity and network values only through `pseudonym()`.
pub fn allowed_classes(purpose: Purpose) -> Option<&'static [Class]> {
    match purpose {
        Purpose::F => Some(&[Class::Time, Class::Measure, Class::Code]),
        _ => None,
    }
}

/// The tables a purpose never reads (art. 8.2-8.4: business mail only; 8.7: no travel or
/// holds for cost and capacity).
pub fn excluded_tables(purpose: Purpose) -> &'static [&'static str] {
    match purpose {
        Purpose::B | Purpose::C | Purpose::D => &["signin", "web", "travel_exceptions", "holds"],
        Purpose::F => &["travel_exceptions", "holds"],
        _ => &[],
    }
}

/// The default columns a purpose may read of a table, from the classes; `None`: all.
/// `[purposes.<letter>]` in `logwacht.toml` replaces an entry.
pub fn default_columns(purpose: Purpose, table: &str) -> Option<Vec<String>> {
    if excluded_tables(purpose).contains(&table) {
        return Some(Vec::new());
    }
    let classes = allowed_classes(purpose)?;
    Some(
        schema::CLASSES
            .iter()
            .filter(|(t, _, k)| *t == table && classes.contains(k))
            .map(|(_, c, _)| c.to_string())
            .collect(),
    )
}

/// What each purpose is, for refusals.
fn purpose_text(p: Purpose) -> &'static str {
    match p {
        Purpose::A => "misuse",
        Purpose::B => "privacy compliance: business mail of staff only",
        Purpose::C => "continuity of work: business mail only",
        Purpose::D => "evidence and archive: business mail only",
        Purpose::E => "system and network security",
        Purpose::F => "cost and capacity: traffic data only",
    }
}

/// Labels that mark mail as personal (CTL-7: 003 art. 6.8), compared lower-cased.
pub const PERSONAL_LABELS: [&str; 4] = ["persoonlijk", "personal", "private", "privé"];

/// The condition that makes one row of mail protected: labelled personal (CTL-7) or to or
/// from a counsellor or a protected mailbox (CTL-8).
fn protected_row(counsellors: &[String]) -> Expr {
    let labels: Vec<Expr> = PERSONAL_LABELS.iter().map(|l| lit(*l)).collect();
    let mut protected = lower(col(schema::SENSITIVITY)).in_list(labels, false);
    if !counsellors.is_empty() {
        let list: Vec<Expr> = counsellors.iter().map(|c| lit(c.as_str())).collect();
        protected = protected
            .or(col(schema::SENDER).in_list(list.clone(), false))
            .or(col(schema::RECIPIENT).in_list(list, false));
    }
    protected
}

/// The key of a message across its rows (events, recipients, copies).
fn message_key() -> Expr {
    datafusion::functions::core::expr_fn::coalesce(vec![col(schema::MESSAGE_ID), col(schema::TRACE_ID)])
}

/// The `email` table as every rule sees it: every row of a protected message (one of its
/// rows is labelled personal, CTL-7, or goes to or from a counsellor or protected mailbox,
/// CTL-8) has its content columns (subject, attachment names, mail client: the columns of
/// class content) NULL, whatever the purpose, so a colleague's copy of a message to a
/// counsellor hides its subject too. It is part of the table, so no rule can get around it;
/// the counsellors and the protected message keys are literals, so the view reads nothing
/// but the mail files.
fn protected_email(counsellors: &[String], messages: &[String]) -> Vec<Expr> {
    let mut protected = protected_row(counsellors);
    if !messages.is_empty() {
        let keys: Vec<Expr> = messages.iter().map(|m| lit(m.as_str())).collect();
        protected = protected.or(message_key().in_list(keys, false));
    }
    Source::Email
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let c = col(f.name());
            if schema::class_of("email", f.name()) == Some(Class::Content) {
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

/// The columns of one purpose: per table, `None` for all.
#[derive(Debug, Clone)]
pub struct Limits {
    purpose: Purpose,
    tables: BTreeMap<String, Option<Vec<String>>>,
}

impl Limits {
    /// The defaults of art. 8 with the configuration's overrides.
    pub fn new(purpose: Purpose, config: &Config) -> Limits {
        let tables = TABLES
            .iter()
            .map(|t| {
                let cols = match config.purpose_columns.get(&(purpose.letter(), t.to_string())) {
                    Some(c) if c.iter().any(|c| c == "*") => None,
                    Some(c) => Some(c.clone()),
                    None => default_columns(purpose, t),
                };
                (t.to_string(), cols)
            })
            .collect();
        Limits { purpose, tables }
    }

    /// The columns of `table` this purpose may read; `None`: all.
    pub fn columns(&self, table: &str) -> Option<&[String]> {
        self.tables.get(table).and_then(|c| c.as_deref())
    }

    /// True when the purpose may count per person through `pseudonym()` (purpose f).
    fn pseudonyms_only(&self) -> bool {
        self.purpose == Purpose::F
    }

    /// Identity and network columns (table, column) this purpose reads only through
    /// `pseudonym()`.
    fn masked_identity(&self) -> Vec<(&'static str, &'static str)> {
        if !self.pseudonyms_only() {
            return Vec::new();
        }
        schema::CLASSES
            .iter()
            .filter(|(_, _, k)| matches!(k, Class::Identity | Class::Network))
            .filter(|(t, c, _)| self.columns(t).is_some_and(|cols| !cols.iter().any(|x| x == c)))
            .map(|(t, c, _)| (*t, *c))
            .collect()
    }
}

/// A session over one workspace and window: one DataFusion context per purpose, made when
/// a rule of that purpose first runs.
pub struct Engine {
    config: Config,
    window: Window,
    people: Arc<Vec<Person>>,
    functions: Arc<Functions>,
    contexts: RefCell<BTreeMap<char, SessionContext>>,
    /// Per purpose, the plans of the store tables' views: the gate treats them as the
    /// tables they stand for (their own literals, the counsellors' addresses, are not the
    /// rule's).
    views: RefCell<BTreeMap<char, Vec<(&'static str, LogicalPlan)>>>,
    /// The window's protected message keys, once read.
    protected_keys: RefCell<Option<Vec<String>>>,
    runtime: &'static tokio::runtime::Runtime,
}

/// One runtime for every engine of a process: two workers for the two cores, and fewer
/// threads means fewer allocator arenas holding on to freed memory.
static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();

fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    if let Some(r) = RUNTIME.get() {
        return Ok(r);
    }
    let r = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Bug(format!("tokio runtime: {e}")))?;
    Ok(RUNTIME.get_or_init(|| r))
}

fn df(e: datafusion::error::DataFusionError) -> Error {
    Error::Usage(format!("query: {e}"))
}

fn bug(e: impl std::fmt::Display) -> Error {
    Error::Bug(e.to_string())
}

fn mem_table(ctx: &SessionContext, name: &str, batch: RecordBatch) -> Result<(), Error> {
    ctx.register_table(name, Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(df)?))
        .map_err(df)?;
    Ok(())
}

fn text_col(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

/// Replaces every quoted stretch of an execution error with `'…'`: such an error (a failed
/// cast, say) can quote a value from the data, and no raw log value goes to a terminal.
pub fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for ch in message.chars() {
        match quote {
            Some(q) if ch == q => {
                out.push('…');
                out.push(ch);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(ch);
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                }
            }
        }
    }
    if quote.is_some() {
        out.push('…');
    }
    out
}

impl Engine {
    /// Prepares sessions for `window`: loads the directory, the lists and the key.
    /// `key`: the pseudonym key, read once by the command (none: `pseudonym()` is refused).
    pub fn new(config: &Config, key: Option<&crate::pseudonym::Key>, window: Window) -> Result<Engine, Error> {
        let runtime = runtime()?;
        let people = Arc::new(crate::enrich::directory::load(&config.reference_dir.join("people.csv"))?);
        let functions = Arc::new(Functions::new(config, key)?);
        Ok(Engine {
            config: config.clone(),
            window,
            people,
            functions,
            contexts: RefCell::new(BTreeMap::new()),
            views: RefCell::new(BTreeMap::new()),
            protected_keys: RefCell::new(None),
            runtime,
        })
    }

    /// The same workspace over another window, without loading the directory, the
    /// blocklists and the key again.
    pub fn for_window(&self, window: Window) -> Engine {
        Engine {
            config: self.config.clone(),
            window,
            people: self.people.clone(),
            functions: self.functions.clone(),
            contexts: RefCell::new(BTreeMap::new()),
            views: RefCell::new(BTreeMap::new()),
            protected_keys: RefCell::new(None),
            runtime: self.runtime,
        }
    }

    fn addresses(&self, roles: &[Role]) -> Vec<Expr> {
        self.people.iter().filter(|p| roles.contains(&p.role)).map(|p| lit(p.address.as_str())).collect()
    }

    /// The keys of the window's protected messages (CTL-7, CTL-8): any row of the message
    /// protected makes every row of it protected. Read once per engine from the mail files.
    fn protected_messages(
        &self,
        ctx: &SessionContext,
        provider: Arc<dyn TableProvider>,
        window: Expr,
        counsellors: &[String],
    ) -> Result<Vec<String>, Error> {
        if let Some(keys) = self.protected_keys.borrow().as_ref() {
            return Ok(keys.clone());
        }
        let plan = LogicalPlanBuilder::scan("email", provider_as_source(provider), None)
            .and_then(|b| b.filter(window.and(protected_row(counsellors))))
            .and_then(|b| b.project(vec![message_key().alias("message")]))
            .and_then(|b| b.distinct())
            .and_then(|b| b.build())
            .map_err(df)?;
        let batches = self
            .runtime
            .block_on(async { ctx.execute_logical_plan(plan).await?.collect().await })
            .map_err(|e| Error::Usage(format!("protected messages: {}", scrub(&e.to_string()))))?;
        let mut keys = Vec::new();
        for b in &batches {
            let col = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).map_err(bug)?;
            let s = col.as_any().downcast_ref::<StringArray>().ok_or_else(|| bug("message keys are not text"))?;
            keys.extend((0..s.len()).filter(|i| s.is_valid(*i)).map(|i| s.value(i).to_string()));
        }
        keys.sort();
        *self.protected_keys.borrow_mut() = Some(keys.clone());
        Ok(keys)
    }

    /// The session of one purpose.
    fn context(&self, purpose: Purpose) -> Result<SessionContext, Error> {
        if let Some(ctx) = self.contexts.borrow().get(&purpose.letter()) {
            return Ok(ctx.clone());
        }
        let ctx = self.build(purpose)?;
        self.contexts.borrow_mut().insert(purpose.letter(), ctx.clone());
        Ok(ctx)
    }

    fn build(&self, purpose: Purpose) -> Result<SessionContext, Error> {
        let (config, window) = (&self.config, self.window);
        let ctx = SessionContext::new();
        self.functions.register(&ctx);
        let store = Store::new(&config.store_dir);
        let (first, last) =
            (day_of_micros(window.from.timestamp_micros()), day_of_micros(window.to.timestamp_micros() - 1));
        // CTL-8: counsellors' mail is never inspected for content.
        let counsellors: Vec<String> =
            self.people.iter().filter(|p| p.role.is_protected()).map(|p| p.address.clone()).collect();
        let mut views = Vec::new();
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
            let window_filter =
                col(schema::EVENT_TIME).gt_eq(micros(window.from)).and(col(schema::EVENT_TIME).lt(micros(window.to)));
            let mut filter = window_filter.clone();
            // Art. 8.2-8.4: purposes b, c and d process business mail of staff only.
            if source == Source::Email && matches!(purpose, Purpose::B | Purpose::C | Purpose::D) {
                let staff = self.addresses(&[Role::Staff, Role::SharedMailbox]);
                let business = if staff.is_empty() {
                    lit(false)
                } else {
                    col(schema::SENDER).in_list(staff.clone(), false).or(col(schema::RECIPIENT).in_list(staff, false))
                };
                filter = filter.and(business);
            }
            let mut builder = LogicalPlanBuilder::scan(source.name(), provider_as_source(provider.clone()), None)
                .and_then(|b| b.filter(filter))
                .map_err(df)?;
            if source == Source::Email {
                let messages = self.protected_messages(&ctx, provider.clone(), window_filter.clone(), &counsellors)?;
                builder = builder.project(protected_email(&counsellors, &messages)).map_err(df)?;
            }
            let plan = builder.build().map_err(df)?;
            views.push((source.name(), plan.clone()));
            ctx.register_table(source.name(), Arc::new(ViewTable::new(plan, None))).map_err(df)?;
        }
        let travel = crate::enrich::travel::load(&config.reference_dir.join("travel_exceptions.csv"))?;
        mem_table(&ctx, "travel_exceptions", crate::enrich::travel::to_batch(&travel, config.timezone).map_err(bug)?)?;
        // The directory without display names: no rule needs a name.
        let people = RecordBatch::try_new(
            Arc::new(Schema::new(vec![text_col("address"), text_col("role"), text_col("class")])),
            vec![
                Arc::new(StringArray::from_iter_values(self.people.iter().map(|p| p.address.as_str()))) as ArrayRef,
                Arc::new(StringArray::from_iter_values(self.people.iter().map(|p| p.role.as_str()))),
                Arc::new(StringArray::from(self.people.iter().map(|p| p.class.clone()).collect::<Vec<_>>())),
            ],
        )
        .map_err(bug)?;
        mem_table(&ctx, "people", people)?;
        let holds = crate::store::hold::Holds::load(&config.holds_path())?;
        // `active`: at the end of the window.
        let now = self.window.to;
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let days = |d: chrono::NaiveDate| (d - epoch).num_days() as i32;
        let h = &holds.holds;
        let holds = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                text_col("case_id"),
                text_col("subject"),
                Field::new("first_day", DataType::Date32, false),
                Field::new("last_day", DataType::Date32, false),
                Field::new("until", DataType::Date32, false),
                Field::new("active", DataType::Boolean, false),
            ])),
            vec![
                Arc::new(StringArray::from_iter_values(h.iter().map(|h| h.case.as_str()))) as ArrayRef,
                Arc::new(StringArray::from(h.iter().map(|h| h.subject.clone()).collect::<Vec<_>>())),
                Arc::new(Date32Array::from_iter_values(h.iter().map(|h| days(h.from)))),
                Arc::new(Date32Array::from_iter_values(h.iter().map(|h| days(h.to)))),
                Arc::new(Date32Array::from_iter_values(h.iter().map(|h| days(h.until)))),
                Arc::new(BooleanArray::from(h.iter().map(|h| h.active(now, config.timezone)).collect::<Vec<_>>())),
            ],
        )
        .map_err(bug)?;
        mem_table(&ctx, "holds", holds)?;
        let countries = StringArray::from_iter_values(config.allowed_countries.iter().map(String::as_str));
        let allowed = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("country", DataType::Utf8, false)])),
            vec![Arc::new(countries) as ArrayRef],
        )
        .map_err(bug)?;
        mem_table(&ctx, "allowed_countries", allowed)?;
        // The configured lists, one table: (list, value).
        let mut lists: Vec<(&str, String)> = Vec::new();
        lists.extend(config.mail_domains.iter().map(|v| ("school_domain", v.clone())));
        lists.extend(config.private_domains.iter().map(|v| ("private_domain", v.clone())));
        lists.extend(config.forbidden_extensions.iter().map(|v| ("forbidden_extension", v.clone())));
        lists.extend(config.download_extensions.iter().map(|v| ("download_extension", v.clone())));
        lists.extend(config.approved_mailers.iter().map(|v| ("approved_mailer", v.clone())));
        // logwacht's own vocabularies, so that a query names them instead of copying them:
        // the labels that make a message personal (CTL-7) and the roles whose mail is never
        // inspected (CTL-8).
        lists.extend(PERSONAL_LABELS.iter().map(|v| ("personal_label", v.to_string())));
        lists.extend(crate::enrich::directory::protected_role_words().map(|v| ("protected_role", v.to_string())));
        let lists = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("list", DataType::Utf8, false),
                Field::new("value", DataType::Utf8, false),
            ])),
            vec![
                Arc::new(StringArray::from_iter_values(lists.iter().map(|(l, _)| *l))) as ArrayRef,
                Arc::new(StringArray::from_iter_values(lists.iter().map(|(_, v)| v.as_str()))),
            ],
        )
        .map_err(bug)?;
        mem_table(&ctx, "lists", lists)?;
        let mut categories: Vec<(&str, &str)> = Vec::new();
        for (group, cats) in &config.category_groups {
            categories.extend(cats.iter().map(|c| (group.as_str(), c.as_str())));
        }
        let categories = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("group_name", DataType::Utf8, false),
                Field::new("category", DataType::Utf8, false),
            ])),
            vec![
                Arc::new(StringArray::from_iter_values(categories.iter().map(|(g, _)| *g))) as ArrayRef,
                Arc::new(StringArray::from_iter_values(categories.iter().map(|(_, c)| *c))),
            ],
        )
        .map_err(bug)?;
        mem_table(&ctx, "blocklist_categories", categories)?;
        // The policy's numbers, so rules read them instead of hard-coding them.
        let numbers: [(&str, i64); 7] = [
            ("travel_lead_days", i64::from(config.travel_lead_days)),
            ("summer_deadline_month", i64::from(config.summer_deadline.0)),
            ("summer_deadline_day", i64::from(config.summer_deadline.1)),
            ("retention_days", i64::from(config.retention_days)),
            ("visible_external_threshold", i64::from(config.visible_external_threshold)),
            ("mass_recipients", i64::from(config.mass_recipients)),
            ("chain_repeats", i64::from(config.chain_repeats)),
        ];
        let policy = RecordBatch::try_new(
            Arc::new(Schema::new(
                numbers.iter().map(|(n, _)| Field::new(*n, DataType::Int64, false)).collect::<Vec<_>>(),
            )),
            numbers.iter().map(|(_, v)| Arc::new(Int64Array::from(vec![*v])) as ArrayRef).collect(),
        )
        .map_err(bug)?;
        mem_table(&ctx, "policy", policy)?;
        self.views.borrow_mut().insert(purpose.letter(), views);
        Ok(ctx)
    }

    /// Checks the rule's purpose against its plan, then runs it in its purpose's session.
    pub fn run(&self, rule: &Rule) -> Result<Vec<RecordBatch>, Error> {
        self.run_with(rule, Vec::new())
    }

    /// [`run`](Self::run) with values for the query's placeholders (`$1`, `$2`, ...):
    /// logwacht's own queries take their values (a case's subject) as parameters, never
    /// pasted into the SQL text.
    pub fn run_with(&self, rule: &Rule, params: Vec<ScalarValue>) -> Result<Vec<RecordBatch>, Error> {
        let ctx = self.context(rule.purpose)?;
        // A rule is one query over the tables given here, nothing else: no DDL (CREATE
        // EXTERNAL TABLE over any file, CREATE VIEW that a later rule would see), no DML
        // (COPY ... TO any path, INSERT), no statements (SET, transactions). The session
        // is shared by the rules of one purpose, so no rule can change what the next sees.
        let options = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
        let frame = self
            .runtime
            .block_on(ctx.sql_with_options(&rule.sql, options))
            .map_err(|e| Error::Usage(format!("rule {}: {e}", rule.id)))?;
        let frame = if params.is_empty() {
            frame
        } else {
            frame.with_param_values(params).map_err(|e| Error::Usage(format!("rule {}: {e}", rule.id)))?
        };
        // EXPLAIN and DESCRIBE print plans, and a plan holds the literals of the protected
        // view (counsellors' addresses): only a query's rows may come out.
        if matches!(
            frame.logical_plan(),
            LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) | LogicalPlan::DescribeTable(_)
        ) {
            return Err(Error::Usage(format!(
                "rule {} is not a query: EXPLAIN and DESCRIBE are refused; a rule is one SELECT",
                rule.id
            )));
        }
        let plan = ctx.state().optimize(frame.logical_plan()).map_err(df)?;
        check_purpose(&plan, rule, &Limits::new(rule.purpose, &self.config))?;
        // CTL-2: what a rule file shows a person is decided by its plan's lineage, before
        // it runs (`gate`); logwacht's own queries (case files, statistics) are exempt.
        let mut log_text = Vec::new();
        if rule.mode != super::Mode::Internal {
            let views = self.views.borrow();
            let views = views.get(&rule.purpose.letter()).map(Vec::as_slice).unwrap_or_default();
            let outputs = super::gate::check_dpo(frame.logical_plan(), views)
                .map_err(|why| Error::Usage(format!("rule {} {why}", rule.id)))?;
            log_text = outputs.iter().map(|c| c.flows.iter().any(super::gate::Flow::is_log_text)).collect();
        }
        let batches = self
            .runtime
            .block_on(frame.collect())
            .map_err(|e| Error::Usage(format!("rule {}: {}", rule.id, scrub(&e.to_string()))))?;
        if !log_text.iter().any(|x| *x) {
            return Ok(batches);
        }
        batches.iter().map(|b| super::gate::codes_only(b, &log_text).map_err(|e| df(e.into()))).collect()
    }
}

/// The columns an expression reads outside `pseudonym()`.
fn bare_columns(e: &Expr, out: &mut Vec<String>) {
    let _ = e.apply(|x| {
        match x {
            Expr::ScalarFunction(f) if f.name() == PSEUDONYM => return Ok(TreeNodeRecursion::Jump),
            Expr::Column(c) => out.push(c.name.clone()),
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    });
}

/// Refuses a plan that reads a column its rule's purpose may not see.
pub fn check_purpose(plan: &LogicalPlan, rule: &Rule, limits: &Limits) -> Result<(), Error> {
    let refuse = |table: &str, c: &str, how: &str| {
        let class = schema::class_of(table, c).map(|k| format!(" ({})", k.name())).unwrap_or_default();
        let column = if table.is_empty() { c.to_string() } else { format!("{table}.{c}") };
        Error::Usage(format!(
            "rule {} has purpose {} ({}), which may not read {column}{class}{how} (003 {})",
            rule.id,
            rule.purpose.letter(),
            purpose_text(rule.purpose),
            rule.purpose.article()
        ))
    };
    let masked = limits.masked_identity();
    // Which table each masked column was scanned from, for the refusal.
    let mut scanned: BTreeMap<String, String> = BTreeMap::new();
    let mut refusal = None;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let table = scan.table_name.table();
            if let Some(allowed) = limits.columns(table) {
                let mut cols: Vec<String> = scan.projected_schema.fields().iter().map(|f| f.name().clone()).collect();
                for f in &scan.filters {
                    cols.extend(f.column_refs().into_iter().map(|c| c.name.clone()));
                }
                for c in cols {
                    if allowed.contains(&c) {
                        continue;
                    }
                    if masked.contains(&(table, c.as_str())) {
                        scanned.entry(c).or_insert_with(|| table.to_string());
                    } else {
                        refusal = Some(refuse(table, &c, ""));
                        return Ok(TreeNodeRecursion::Stop);
                    }
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    // A masked column may be scanned, but used only inside pseudonym(): anywhere else (an
    // output column, a grouping key, a join key, a filter) it is refused.
    let table_of = |c: &str| scanned.get(c).cloned().unwrap_or_default();
    if refusal.is_none() && !masked.is_empty() {
        let _ = plan.apply_with_subqueries(|node| {
            let mut bare = Vec::new();
            for e in node.expressions() {
                // A projection that passes a column on under its own name uses nothing;
                // where it goes next is checked there (and at the output).
                let passed_on = match (node, &e) {
                    (LogicalPlan::Projection(_), Expr::Column(_)) => true,
                    (LogicalPlan::Projection(_), Expr::Alias(a)) => {
                        matches!(a.expr.as_ref(), Expr::Column(c) if c.name == a.name)
                    }
                    _ => false,
                };
                if !passed_on {
                    bare_columns(&e, &mut bare);
                }
            }
            if let Some(c) = bare.into_iter().find(|c| scanned.contains_key(c)) {
                refusal = Some(refuse(&table_of(&c), &c, " except through pseudonym()"));
                return Ok(TreeNodeRecursion::Stop);
            }
            Ok(TreeNodeRecursion::Continue)
        });
    }
    if refusal.is_none()
        && let Some(f) = plan.schema().fields().iter().find(|f| scanned.contains_key(f.name()))
    {
        refusal = Some(refuse(&table_of(f.name()), f.name(), " except through pseudonym()"));
    }
    match refusal {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_of_every_table_a_rule_sees_has_a_class() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = crate::config::init(dir.path(), None).unwrap();
        let config = Config::find(Some(&cfg)).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T03:00:00Z").unwrap().to_utc();
        let engine = Engine::new(&config, None, Window { from: now - chrono::Duration::days(7), to: now }).unwrap();
        let ctx = engine.context(Purpose::A).unwrap();
        for table in TABLES {
            let provider = engine.runtime.block_on(ctx.table_provider(table)).unwrap();
            for f in provider.schema().fields() {
                assert!(schema::class_of(table, f.name()).is_some(), "{table}.{} has no class", f.name());
            }
        }
    }

    #[test]
    fn scrub_hides_quoted_values() {
        assert_eq!(
            scrub("Cast error: Cannot cast string 'jan@school.example' to value of Int64 type"),
            "Cast error: Cannot cast string '…' to value of Int64 type"
        );
        assert_eq!(scrub("a \"b\" c 'd"), "a \"…\" c '…");
    }
}
