//! The output gate (CTL-2: 003 art. 6.4; CTL-3: art. 8.1b): what may leave the engine for
//! the DPO to see, decided from the rule's plan, not from column names.
//!
//! ```text
//! rule SQL --DataFusion planner--> LogicalPlan --lineage--> per output column: the source
//!                                                            columns that flow into it,
//!                                                            each with its class
//!          allow: time, measure, code, location, provenance, pseudonym(), counts
//!          `person`: a whole identity or network column, pseudonymised by logwacht
//!          refuse: anything fed by identity, network or content, under any name
//! ```
//!
//! Lineage follows every alias, expression, function, aggregate, join, union, CTE,
//! subquery and window of the plan DataFusion makes from the rule (views stay leaves, so
//! the protected `email` view's own literals are not the rule's). A value derived from a
//! personal column stays personal whatever is done to it (`upper`, `substr`, `concat`,
//! `md5`, `ascii`, casts, `string_agg`, CASE ...), with three exceptions that are the
//! point of the rules: `pseudonym()` of a whole identity column (keyed, CTL-2), counts
//! (`count`, `approx_distinct`, `row_number`, ...), and the classifying functions whose
//! answer comes from a fixed vocabulary of the school's settings (`word_match`,
//! `web_category`, `workload_network`, `school_hours`, `parent_quiet_time`, `local_date`,
//! `iso_week`). A presence test (`x IS NULL`) reads no value.
//!
//! Codes and locations a log wrote are allowed by their class, but their values pass
//! [`code_shaped`] when the rule's rows come out (`codes_only`): an address, a URL or an IP
//! in a hostile log's code column reads `(withheld: not a code)`.
//!
//! The same walk refuses, anywhere in the plan:
//! - `pseudonym()` of anything but a whole identity or network column (a literal, a
//!   `substr`, a `lower` ...): pseudonyms of guesses would turn pseudonyms back (CTL-2);
//! - in automated and sampled rules, an identity or network value compared with a literal
//!   (an address, an account, an IP, a prefix of one): that names a person, and looking at
//!   one person is a case (CTL-3: `logwacht case open`). The directory and the lists
//!   (`people`, `lists`) are how a rule names groups.
//!
//! About 600 lines: the lineage walk over every plan node kind is one function family.
use std::collections::BTreeSet;

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema};
use datafusion::logical_expr::expr::{AggregateFunction, ScalarFunction};
use datafusion::logical_expr::utils::grouping_set_to_exprlist;
use datafusion::logical_expr::{Distinct, Expr, LogicalPlan, Operator};

use crate::fsio::shown;
use crate::schema::{Class, class_of};

/// The output column the gate pseudonymises itself: a rule names its person so.
pub const PERSON: &str = "person";

/// The functions whose answer is a value of a fixed vocabulary (a list name, a category, a
/// day, a yes/no), whatever they read.
const CLASSIFIERS: [&str; 7] =
    ["word_match", "web_category", "workload_network", "school_hours", "parent_quiet_time", "local_date", "iso_week"];

/// Aggregates and window functions that count: the answer is a number of rows.
const COUNTS: [&str; 9] =
    ["count", "approx_distinct", "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "grouping"];

/// Aggregates and window functions whose answer is one of the values they read.
const PICKS: [&str; 8] = ["min", "max", "first_value", "last_value", "nth_value", "lag", "lead", "any_value"];

/// One source column that flows into a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flow {
    /// The source column's class.
    pub class: Class,
    /// `table.column`.
    pub origin: String,
    /// True while the value is the column's own value (passed on, renamed, coalesced,
    /// picked by min/max); false once anything was computed from it.
    pub whole: bool,
}

impl Flow {
    /// True for a code or location a log wrote (`signin.failure_reason`, `web.vendor_category`,
    /// `signin.source_country`, ...): allowed to reach the DPO by its class, but written by
    /// whatever wrote the log, so its values pass [`code_shaped`] first.
    pub fn is_log_text(&self) -> bool {
        matches!(self.class, Class::Code | Class::Location)
            && ["signin.", "email.", "web."].iter().any(|t| self.origin.starts_with(t))
    }
}

/// The longest code a DPO sees from a log (a vendor's category, a failure reason).
pub const CODE_MAX: usize = 100;

/// What a DPO sees instead of a log's code that does not look like one.
pub const NOT_A_CODE: &str = "(withheld: not a code)";

/// True when a value from a log's code or location column looks like a code and may be
/// shown to the DPO: at most [`CODE_MAX`] characters of letters, digits, spaces and
/// `. _ - : / ( ) , + ; ' & =`, no `@`, no `://`, and no part that reads as an IP address.
/// An address, a URL or an IP in a code column (a hostile or broken log) never reaches
/// the report: the value is replaced by [`NOT_A_CODE`].
pub fn code_shaped(v: &str) -> bool {
    let is_ip = |t: &str| t.parse::<std::net::IpAddr>().is_ok();
    // A token of hex digits, dots and colons: an address as it is, at a sentence's end, or
    // with a port (`81.246.12.34:443`).
    let ip = v.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':')).any(|t| {
        t.contains(['.', ':'])
            && (is_ip(t) || is_ip(t.trim_end_matches(['.', ':'])) || t.split(':').any(|p| p.contains('.') && is_ip(p)))
    });
    v.chars().count() <= CODE_MAX
        && !v.contains('@')
        && !v.contains("://")
        && !ip
        && v.chars().all(|c| c.is_alphanumeric() || " ._-:/(),+;'&=".contains(c))
}

/// The batch with every string value of the columns marked in `log_text` that is not
/// [`code_shaped`] replaced by [`NOT_A_CODE`] (such columns become plain text).
pub fn codes_only(
    batch: &datafusion::arrow::record_batch::RecordBatch,
    log_text: &[bool],
) -> Result<datafusion::arrow::record_batch::RecordBatch, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (i, (field, col)) in schema.fields().iter().zip(batch.columns()).enumerate() {
        let text = matches!(field.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
            || matches!(field.data_type(), DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View));
        if !(text && log_text.get(i).copied().unwrap_or(false)) {
            fields.push(field.as_ref().clone());
            columns.push(col.clone());
            continue;
        }
        let s = datafusion::arrow::compute::cast(col, &DataType::Utf8)?;
        let s = s.as_string::<i32>();
        let shaped: StringArray = (0..s.len())
            .map(|j| (!s.is_null(j)).then(|| if code_shaped(s.value(j)) { s.value(j) } else { NOT_A_CODE }))
            .collect();
        fields.push(Field::new(field.name(), DataType::Utf8, field.is_nullable()));
        columns.push(std::sync::Arc::new(shaped));
    }
    datafusion::arrow::record_batch::RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), columns)
}

/// The flows into one value.
pub type Flows = BTreeSet<Flow>;

/// One output column of a rule and what flows into it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputColumn {
    /// Its name.
    pub name: String,
    /// The source columns it is made of.
    pub flows: Flows,
}

/// A scope a subquery's outer references resolve in.
#[derive(Clone, Copy)]
struct Scope<'a> {
    schema: &'a DFSchema,
    flows: &'a [Flows],
}

/// What the walk checks besides lineage.
struct Walk<'v> {
    /// Refuse identity or network values compared with literals (automated, sample).
    no_targets: bool,
    /// The engine's views of the store tables (name, plan): leaves, like tables.
    views: &'v [(&'static str, LogicalPlan)],
}

/// The flows of a table's columns, each whole.
fn table_flows(table: &str, schema: &DFSchema) -> Result<Vec<Flows>, Refusal> {
    schema
        .fields()
        .iter()
        .map(|f| {
            let class = class_of(table, f.name()).ok_or_else(|| {
                format!("reads {}.{}, which has no privacy class (this is a bug)", shown(table), shown(f.name()))
            })?;
            Ok(Flows::from([Flow { class, origin: format!("{table}.{}", f.name()), whole: true }]))
        })
        .collect()
}

type Refusal = String;

fn derived(f: Flows) -> Flows {
    f.into_iter().map(|x| Flow { whole: false, ..x }).collect()
}

fn union(items: impl IntoIterator<Item = Flows>) -> Flows {
    items.into_iter().flatten().collect()
}

fn personal(f: &Flows) -> Option<&Flow> {
    f.iter().find(|x| matches!(x.class, Class::Identity | Class::Network))
}

/// True for an expression made of literals only (no column, no subquery).
fn literal_only(e: &Expr) -> bool {
    let mut columns = false;
    let mut literal = false;
    let _ = e.apply(|x| {
        match x {
            Expr::Column(_)
            | Expr::OuterReferenceColumn(..)
            | Expr::ScalarSubquery(_)
            | Expr::InSubquery(_)
            | Expr::Exists(_)
            | Expr::SetComparison(_) => columns = true,
            Expr::Literal(v, _) if !v.is_null() => literal = true,
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    });
    literal && !columns
}

fn is_comparison(op: &Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        Eq | NotEq
            | Lt
            | LtEq
            | Gt
            | GtEq
            | IsDistinctFrom
            | IsNotDistinctFrom
            | LikeMatch
            | ILikeMatch
            | NotLikeMatch
            | NotILikeMatch
            | RegexMatch
            | RegexIMatch
            | RegexNotMatch
            | RegexNotIMatch
    )
}

/// A domain names a group (a provider, the school), not a person.
fn is_domain(e: &Expr) -> bool {
    matches!(e, Expr::ScalarFunction(f) if f.name() == "registrable_domain")
}

impl Walk<'_> {
    /// CTL-3: an identity or network value compared with a literal names a person.
    fn target(&self, value: &Expr, flows: &Flows, other: &Expr) -> Result<(), Refusal> {
        if !self.no_targets || is_domain(value) || !literal_only(other) {
            return Ok(());
        }
        match personal(flows) {
            Some(f) => Err(format!(
                "compares {} ({}) with a literal: a rule that names a person is a targeted check; open a case for one person (CTL-3: 003 art. 8.1b, `logwacht case open`) or name groups through the `people` and `lists` tables",
                f.origin,
                f.class.name()
            )),
            None => Ok(()),
        }
    }

    fn column(&self, c: &Column, schema: &DFSchema, input: &[Flows], outer: &[Scope]) -> Result<Flows, Refusal> {
        if let Some(i) = schema.maybe_index_of_column(c) {
            return input.get(i).cloned().ok_or_else(|| format!("column {} out of range (this is a bug)", c.name));
        }
        self.outer_column(c, outer)
    }

    /// A column of an enclosing query, innermost first.
    fn outer_column(&self, c: &Column, outer: &[Scope]) -> Result<Flows, Refusal> {
        for s in outer.iter().rev() {
            if let Some(i) = s.schema.maybe_index_of_column(c) {
                return s
                    .flows
                    .get(i)
                    .cloned()
                    .ok_or_else(|| format!("column {} out of range (this is a bug)", c.name));
            }
        }
        Err(format!("column {} cannot be traced to a table", shown(&c.name)))
    }

    fn subquery(
        &self,
        plan: &LogicalPlan,
        schema: &DFSchema,
        input: &[Flows],
        outer: &[Scope],
    ) -> Result<Vec<Flows>, Refusal> {
        let mut scopes = outer.to_vec();
        scopes.push(Scope { schema, flows: input });
        self.plan(plan, &scopes)
    }

    /// The flows into `e`, evaluated over `schema` whose columns carry `input`.
    fn expr(&self, e: &Expr, schema: &DFSchema, input: &[Flows], outer: &[Scope]) -> Result<Flows, Refusal> {
        let rec = |x: &Expr| self.expr(x, schema, input, outer);
        let all =
            |xs: &[Expr]| -> Result<Flows, Refusal> { Ok(union(xs.iter().map(rec).collect::<Result<Vec<_>, _>>()?)) };
        Ok(match e {
            Expr::Column(c) => self.column(c, schema, input, outer)?,
            Expr::OuterReferenceColumn(_, c) => self.outer_column(c, outer)?,
            Expr::Alias(a) => rec(&a.expr)?,
            Expr::Literal(..) | Expr::Placeholder(_) | Expr::ScalarVariable(..) => Flows::new(),
            Expr::Cast(c) => rec(&c.expr)?,
            Expr::TryCast(c) => rec(&c.expr)?,
            Expr::ScalarFunction(f) => self.function(f, schema, input, outer)?,
            Expr::AggregateFunction(a) => self.aggregate(a, schema, input, outer)?,
            Expr::WindowFunction(w) => {
                let p = &w.params;
                all(&p.partition_by)?;
                let mut order = Flows::new();
                for s in &p.order_by {
                    order.extend(rec(&s.expr)?);
                }
                if let Some(f) = &p.filter {
                    rec(f)?;
                }
                let args = all(&p.args)?;
                let name = w.fun.name();
                if COUNTS.contains(&name) {
                    // A rank is a position in the window's order: ranking by a subject or an
                    // address tells about it, ranking by time does not.
                    derived(order)
                } else if PICKS.contains(&name) {
                    args
                } else {
                    derived(args)
                }
            }
            Expr::Case(c) => {
                let mut parts = Vec::new();
                if let Some(b) = &c.expr {
                    parts.push(rec(b)?);
                }
                for (when, then) in &c.when_then_expr {
                    parts.push(rec(when)?);
                    parts.push(rec(then)?);
                }
                if let Some(x) = &c.else_expr {
                    parts.push(rec(x)?);
                }
                derived(union(parts))
            }
            Expr::BinaryExpr(b) => {
                let (l, r) = (rec(&b.left)?, rec(&b.right)?);
                if is_comparison(&b.op) {
                    self.target(&b.left, &l, &b.right)?;
                    self.target(&b.right, &r, &b.left)?;
                }
                derived(union([l, r]))
            }
            Expr::Like(l) | Expr::SimilarTo(l) => {
                let (v, p) = (rec(&l.expr)?, rec(&l.pattern)?);
                self.target(&l.expr, &v, &l.pattern)?;
                derived(union([v, p]))
            }
            Expr::InList(i) => {
                let v = rec(&i.expr)?;
                for x in &i.list {
                    self.target(&i.expr, &v, x)?;
                }
                derived(union([v, all(&i.list)?]))
            }
            Expr::Between(b) => {
                let v = rec(&b.expr)?;
                self.target(&b.expr, &v, &b.low)?;
                self.target(&b.expr, &v, &b.high)?;
                derived(union([v, rec(&b.low)?, rec(&b.high)?]))
            }
            // A presence test reads no value.
            Expr::IsNull(x) | Expr::IsNotNull(x) => {
                rec(x)?;
                Flows::new()
            }
            Expr::Not(x)
            | Expr::IsTrue(x)
            | Expr::IsFalse(x)
            | Expr::IsUnknown(x)
            | Expr::IsNotTrue(x)
            | Expr::IsNotFalse(x)
            | Expr::IsNotUnknown(x)
            | Expr::Negative(x) => derived(rec(x)?),
            Expr::ScalarSubquery(s) => {
                let out = self.subquery(&s.subquery, schema, input, outer)?;
                union(out.into_iter().take(1))
            }
            Expr::InSubquery(i) => {
                let v = rec(&i.expr)?;
                let out = self.subquery(&i.subquery.subquery, schema, input, outer)?;
                derived(union([v, union(out)]))
            }
            Expr::SetComparison(s) => {
                let v = rec(&s.expr)?;
                let out = self.subquery(&s.subquery.subquery, schema, input, outer)?;
                derived(union([v, union(out)]))
            }
            // EXISTS answers yes or no about rows that the outer row's values select: it
            // carries what the subquery reads of the outer row.
            Expr::Exists(x) => {
                self.subquery(&x.subquery.subquery, schema, input, outer)?;
                let refs: Vec<Flows> = x
                    .subquery
                    .outer_ref_columns
                    .iter()
                    .map(|c| match c {
                        Expr::OuterReferenceColumn(_, c) => self.column(c, schema, input, outer),
                        other => rec(other),
                    })
                    .collect::<Result<_, _>>()?;
                derived(union(refs))
            }
            Expr::GroupingSet(g) => {
                derived(union(g.distinct_expr().into_iter().map(rec).collect::<Result<Vec<_>, _>>()?))
            }
            Expr::Unnest(u) => derived(rec(&u.expr)?),
            other => {
                return Err(format!(
                    "uses an expression logwacht cannot trace ({}); rules keep to SELECT, functions, aggregates, joins, unions, CTEs, subqueries and windows",
                    other.variant_name()
                ));
            }
        })
    }

    fn function(
        &self,
        f: &ScalarFunction,
        schema: &DFSchema,
        input: &[Flows],
        outer: &[Scope],
    ) -> Result<Flows, Refusal> {
        let args: Vec<Flows> = f.args.iter().map(|a| self.expr(a, schema, input, outer)).collect::<Result<_, _>>()?;
        let name = f.name();
        if name == crate::schema::PSEUDONYM {
            let arg = args.first().cloned().unwrap_or_default();
            let ok = f.args.len() == 1
                && !arg.is_empty()
                && arg.iter().all(|x| x.whole && matches!(x.class, Class::Identity | Class::Network));
            if !ok {
                let what = match arg.iter().find(|x| !x.whole || !matches!(x.class, Class::Identity | Class::Network)) {
                    Some(x) if !x.whole => format!("an expression over {}", x.origin),
                    Some(x) => format!("{} ({})", x.origin, x.class.name()),
                    None => "a literal".to_string(),
                };
                return Err(format!(
                    "calls pseudonym() on {what}: pseudonym() takes one whole identity or network column, never a literal or an expression over one, so that no pseudonym can be matched to a guess (CTL-2)"
                ));
            }
            return Ok(Flows::new());
        }
        if CLASSIFIERS.contains(&name) {
            return Ok(Flows::new());
        }
        if name == "coalesce" || name == "nvl" || name == "ifnull" {
            return Ok(union(args));
        }
        Ok(derived(union(args)))
    }

    fn aggregate(
        &self,
        a: &AggregateFunction,
        schema: &DFSchema,
        input: &[Flows],
        outer: &[Scope],
    ) -> Result<Flows, Refusal> {
        let p = &a.params;
        if let Some(f) = &p.filter {
            self.expr(f, schema, input, outer)?;
        }
        for s in &p.order_by {
            self.expr(&s.expr, schema, input, outer)?;
        }
        let args = union(p.args.iter().map(|x| self.expr(x, schema, input, outer)).collect::<Result<Vec<_>, _>>()?);
        let name = a.func.name();
        Ok(if COUNTS.contains(&name) {
            Flows::new()
        } else if PICKS.contains(&name) {
            args
        } else {
            derived(args)
        })
    }

    fn exprs(&self, es: &[Expr], schema: &DFSchema, input: &[Flows], outer: &[Scope]) -> Result<Vec<Flows>, Refusal> {
        es.iter().map(|e| self.expr(e, schema, input, outer)).collect()
    }

    /// The flows into each output column of `plan`.
    fn plan(&self, plan: &LogicalPlan, outer: &[Scope]) -> Result<Vec<Flows>, Refusal> {
        let out = match plan {
            // The engine's own view of a store table, as DataFusion inlines it.
            LogicalPlan::SubqueryAlias(s)
                if self.views.iter().any(|(t, v)| s.alias.table() == *t && *s.input == *v) =>
            {
                table_flows(s.alias.table(), &s.schema)?
            }
            LogicalPlan::TableScan(scan) => {
                let table = scan.table_name.table();
                let out = table_flows(table, &scan.projected_schema)?;
                for f in &scan.filters {
                    self.expr(f, &scan.projected_schema, &out, outer)?;
                }
                out
            }
            LogicalPlan::Projection(p) => {
                let input = self.plan(&p.input, outer)?;
                self.exprs(&p.expr, p.input.schema(), &input, outer)?
            }
            LogicalPlan::Filter(f) => {
                let input = self.plan(&f.input, outer)?;
                self.expr(&f.predicate, f.input.schema(), &input, outer)?;
                input
            }
            LogicalPlan::Window(w) => {
                let mut input = self.plan(&w.input, outer)?;
                let more = self.exprs(&w.window_expr, w.input.schema(), &input, outer)?;
                input.extend(more);
                input
            }
            LogicalPlan::Aggregate(a) => {
                let input = self.plan(&a.input, outer)?;
                let schema = a.input.schema();
                let groups: Vec<Expr> = grouping_set_to_exprlist(&a.group_expr)
                    .map_err(|e| format!("grouping: {e}"))?
                    .into_iter()
                    .cloned()
                    .collect();
                let mut out = self.exprs(&groups, schema, &input, outer)?;
                // A grouping set adds an internal grouping id after the groups.
                if a.schema.fields().len() == groups.len() + a.aggr_expr.len() + 1 {
                    out.push(Flows::new());
                }
                out.extend(self.exprs(&a.aggr_expr, schema, &input, outer)?);
                out
            }
            // The order of the rows that come out (or that a LIMIT keeps) tells about what
            // they are sorted by: never an identity, an address or content.
            LogicalPlan::Sort(s) => {
                let input = self.plan(&s.input, outer)?;
                for x in &s.expr {
                    let flows = self.expr(&x.expr, s.input.schema(), &input, outer)?;
                    if let Some(f) = flows.iter().find(|f| f.class.is_personal()) {
                        return Err(format!(
                            "sorts by {} ({}): the order of the rows would tell about it; sort by time, provenance or a pseudonym (CTL-2)",
                            f.origin,
                            f.class.name()
                        ));
                    }
                }
                input
            }
            LogicalPlan::Join(j) => {
                let (l, r) = (self.plan(&j.left, outer)?, self.plan(&j.right, outer)?);
                let both = j.left.schema().join(j.right.schema()).map_err(|e| format!("join: {e}"))?;
                let flows: Vec<Flows> = l.iter().chain(&r).cloned().collect();
                for (a, b) in &j.on {
                    let (fa, fb) = (self.expr(a, &both, &flows, outer)?, self.expr(b, &both, &flows, outer)?);
                    self.target(a, &fa, b)?;
                    self.target(b, &fb, a)?;
                }
                if let Some(f) = &j.filter {
                    self.expr(f, &both, &flows, outer)?;
                }
                j.schema
                    .iter()
                    .map(|(q, f)| match both.index_of_column_by_name(q, f.name()) {
                        Some(i) => flows[i].clone(),
                        None => Flows::new(),
                    })
                    .collect()
            }
            LogicalPlan::Union(u) => {
                let mut out: Vec<Flows> = vec![Flows::new(); u.schema.fields().len()];
                for input in &u.inputs {
                    for (i, f) in self.plan(input, outer)?.into_iter().enumerate() {
                        if let Some(o) = out.get_mut(i) {
                            o.extend(f);
                        }
                    }
                }
                out
            }
            LogicalPlan::Limit(l) => self.plan(&l.input, outer)?,
            LogicalPlan::Repartition(r) => self.plan(&r.input, outer)?,
            LogicalPlan::Subquery(s) => self.plan(&s.subquery, outer)?,
            LogicalPlan::SubqueryAlias(s) => self.plan(&s.input, outer)?,
            LogicalPlan::Distinct(Distinct::All(input)) => self.plan(input, outer)?,
            LogicalPlan::Distinct(Distinct::On(d)) => {
                let input = self.plan(&d.input, outer)?;
                self.exprs(&d.on_expr, d.input.schema(), &input, outer)?;
                self.exprs(&d.select_expr, d.input.schema(), &input, outer)?
            }
            LogicalPlan::EmptyRelation(e) => vec![Flows::new(); e.schema.fields().len()],
            LogicalPlan::Values(v) => {
                for row in &v.values {
                    self.exprs(row, &DFSchema::empty(), &[], outer)?;
                }
                vec![Flows::new(); v.schema.fields().len()]
            }
            other => {
                let kind = match other {
                    LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => "EXPLAIN",
                    LogicalPlan::DescribeTable(_) => "DESCRIBE",
                    LogicalPlan::Dml(_) | LogicalPlan::Copy(_) => "a write (INSERT, COPY)",
                    LogicalPlan::Ddl(_) => "a definition (CREATE, DROP)",
                    LogicalPlan::Statement(_) => "a statement (SET, a transaction)",
                    LogicalPlan::Unnest(_) => "UNNEST",
                    LogicalPlan::RecursiveQuery(_) => "a recursive query",
                    _ => "an extension",
                };
                return Err(format!(
                    "is not a plain query ({kind}); a rule is one SELECT over the tables logwacht gives it"
                ));
            }
        };
        if out.len() != plan.schema().fields().len() {
            return Err(format!(
                "has a plan logwacht cannot trace ({} columns, {} traced; this is a bug)",
                plan.schema().fields().len(),
                out.len()
            ));
        }
        Ok(out)
    }
}

/// The lineage of every output column of `plan` (as DataFusion planned it from the rule's
/// SQL), with the checks of the walk. `no_targets`: refuse literal comparisons on identity
/// and network values (automated and sampled rules). The error is the refusal, without
/// the rule's id.
pub fn lineage(
    plan: &LogicalPlan,
    views: &[(&'static str, LogicalPlan)],
    no_targets: bool,
) -> Result<Vec<OutputColumn>, String> {
    let walk = Walk { no_targets, views };
    let flows = walk.plan(plan, &[])?;
    Ok(plan
        .schema()
        .fields()
        .iter()
        .zip(flows)
        .map(|(f, flows)| OutputColumn { name: f.name().clone(), flows })
        .collect())
}

/// The gate for what a DPO sees (automated and sampled rules): every output column holds
/// only time, measure, code, location, provenance or pseudonyms; `person` is a whole
/// identity or network column that logwacht pseudonymises before anything is written.
pub fn check_dpo(plan: &LogicalPlan, views: &[(&'static str, LogicalPlan)]) -> Result<Vec<OutputColumn>, String> {
    let columns = lineage(plan, views, true)?;
    for c in &columns {
        if c.name == PERSON {
            if let Some(f) = c.flows.iter().find(|f| !f.whole || !matches!(f.class, Class::Identity | Class::Network)) {
                return Err(format!(
                    "names as `person` {} ({}{}); `person` is a whole identity or network column, which logwacht pseudonymises (CTL-2: 003 art. 6.4)",
                    f.origin,
                    f.class.name(),
                    if f.whole { "" } else { ", computed" }
                ));
            }
            if c.flows.is_empty() {
                return Err("names as `person` a value from no identity column; `person` is a whole identity or network column (CTL-2)".into());
            }
            continue;
        }
        if let Some(f) = c.flows.iter().find(|f| f.class.is_personal()) {
            return Err(format!(
                "would show {} ({}) in output column {}; what a DPO sees holds only time, measures, codes, locations, provenance and pseudonyms (CTL-2: 003 art. 6.4): use pseudonym() on a whole identity column, call it `person`, or leave it out",
                f.origin,
                f.class.name(),
                shown(&c.name)
            ));
        }
    }
    Ok(columns)
}

#[cfg(test)]
mod code_tests {
    use super::code_shaped;

    #[test]
    fn codes_pass_and_addresses_urls_and_ips_do_not() {
        for ok in [
            "Information Technology",
            "Sexually Explicit",
            "text/html; charset=utf-8",
            "TCP_MISS",
            "250 2.0.0 Ok",
            "Invalid username or password.",
            "Sint-Niklaas",
            "BE",
            "Mobile Apps and Desktop clients",
        ] {
            assert!(code_shaped(ok), "{ok}");
        }
        for no in [
            "jan@school.example",
            "http://x.example",
            "81.246.12.34",
            "from 10.0.0.1 port",
            "2a02:1810::1",
            "::1",
            "at 81.246.12.34:443.",
            "a<script>",
            &"x".repeat(101),
        ] {
            assert!(!code_shaped(no), "{no}");
        }
    }
}
