//! The one plan fragment a school's worker runs for the provider (issue 19, part 3): one
//! rule over one window, in the school's own workspace, as `audit run` runs it there.
//!
//! ```text
//! coordinator                                  worker of school i (task i)
//!   DistributedExec                              SchoolRuleExec { schools, rule, window }
//!     NetworkCoalesceExec  (n tasks -> 1)  <---    the rule in the school's engine: its key,
//!       CoalescePartitionsExec                     its purpose limits, its output gate, its
//!         SchoolRuleExec (task i: schools[i])      threshold; one row: school, rule, outcome
//! ```
//! What crosses the network to a worker is the rule's text and the window, never a plan
//! that reads files: a worker runs nothing but this node (`worker::check_fragment`), and
//! builds every scan itself from its own store. What comes back is one row per school and
//! rule: the rule's outcome exactly as `logwacht audit run --json` prints it in that
//! workspace (counts under the school's threshold suppressed, rows through the output gate,
//! no `person`), so nothing leaves a school that its own DPO would not see.
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use serde::{Deserialize, Serialize};

/// The name a worker checks a fragment's only node by.
pub const NAME: &str = "SchoolRuleExec";

/// The longest rule text a worker decodes (a rule file is a few KiB).
pub const MAX_RULE_BYTES: usize = 256 * 1024;

/// What the coordinator asks: one rule over one window, task `i` at school `schools[i]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fragment {
    /// Per task, the school it runs at; an empty id is a task that returns nothing (a
    /// group of one school still needs two tasks, or the planner would run the one task
    /// on the coordinator, which has no store).
    pub schools: Vec<String>,
    /// The rule's file name (`mail_forbidden_attachment.sql`): its id is the stem.
    pub rule_file: String,
    /// The rule file's whole text, header and SQL.
    pub rule_text: String,
    /// First school-local day.
    pub from: NaiveDate,
    /// Last school-local day, inclusive.
    pub to: NaiveDate,
    /// The federation's name, for the school's trail.
    pub group: String,
    /// Count as the school's weekly audit counts (`federation report`): the rule's rows of
    /// the window's days only, a sampled rule's violations, and no rows sent; otherwise as
    /// `audit run` (`federation audit`).
    #[serde(default)]
    pub weekly: bool,
}

/// The output: per school and rule, the outcome as `audit run --json` writes it, and the
/// school's threshold (`[audit] min_cell`, which the group report's must not go under).
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("school", DataType::Utf8, false),
        Field::new("rule", DataType::Utf8, false),
        Field::new("outcome", DataType::Utf8, false),
        Field::new("min_cell", DataType::UInt64, false),
    ]))
}

/// What a school's worker answers for one task.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The outcome as `audit run --json` writes it (one rule's object).
    pub outcome: String,
    /// The school's `[audit] min_cell`.
    pub min_cell: u64,
}

/// Runs a fragment's task in a school's workspace; only a worker has one.
pub trait Runner: fmt::Debug + Send + Sync {
    /// The answer to `fragment` for `school`, or the refusal.
    fn run(&self, school: &str, fragment: &Fragment) -> Result<Answer>;
}

/// The leaf of a federated rule. On the coordinator it has no runner (executing it there
/// is an error); a worker's codec gives it the worker's own.
#[derive(Debug, Clone)]
pub struct SchoolRuleExec {
    pub fragment: Fragment,
    runner: Option<Arc<dyn Runner>>,
    properties: Arc<PlanProperties>,
}

impl SchoolRuleExec {
    pub fn new(fragment: Fragment, runner: Option<Arc<dyn Runner>>) -> SchoolRuleExec {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        SchoolRuleExec { fragment, runner, properties }
    }
}

impl DisplayAs for SchoolRuleExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{NAME}: rule={} {}..{} schools={}",
            self.fragment.rule_file,
            self.fragment.from,
            self.fragment.to,
            self.fragment.schools.join(",")
        )
    }
}

impl ExecutionPlan for SchoolRuleExec {
    fn name(&self) -> &str {
        NAME
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() { Ok(self) } else { Err(DataFusionError::Internal(format!("{NAME} has no children"))) }
    }

    fn execute(&self, _partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let Some(runner) = self.runner.clone() else {
            return Err(DataFusionError::Execution(format!(
                "{NAME} runs on a school's worker, never on the coordinator (it holds no store)"
            )));
        };
        let task = datafusion_distributed::DistributedTaskContext::from_ctx(&context).task_index;
        let Some(school) = self.fragment.schools.get(task).cloned() else {
            return Err(DataFusionError::Execution(format!(
                "task {task} of a fragment for {} schools",
                self.fragment.schools.len()
            )));
        };
        let fragment = self.fragment.clone();
        let schema = schema();
        let out = schema.clone();
        // The school's engine blocks on its own runtime: it runs on a thread of its own,
        // not on this server's.
        let rows = futures::stream::once(async move {
            if school.is_empty() {
                return Ok(RecordBatch::new_empty(out));
            }
            let (tx, rx) = tokio::sync::oneshot::channel();
            let name = school.clone();
            std::thread::Builder::new()
                .name("logwacht-fragment".into())
                .spawn(move || {
                    let _ = tx.send(runner.run(&name, &fragment).map(|answer| (fragment.rule_file, answer)));
                })
                .map_err(|e| DataFusionError::Execution(format!("cannot start the rule's thread: {e}")))?;
            let (rule_file, answer) = rx
                .await
                .map_err(|_| DataFusionError::Execution("the rule's thread ended without an answer".into()))??;
            let rule = rule_file.strip_suffix(".sql").unwrap_or(&rule_file).to_string();
            RecordBatch::try_new(
                out,
                vec![
                    Arc::new(StringArray::from(vec![school])),
                    Arc::new(StringArray::from(vec![rule])),
                    Arc::new(StringArray::from(vec![answer.outcome])),
                    Arc::new(UInt64Array::from(vec![answer.min_cell])),
                ],
            )
            .map_err(DataFusionError::from)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rows)))
    }
}

/// Encodes [`SchoolRuleExec`] as JSON of its [`Fragment`]; decodes it with the side's
/// runner (none on the coordinator, the worker's own on a worker). Nothing else is decoded
/// by this codec, and a worker refuses any other node anyway.
#[derive(Debug, Clone, Default)]
pub struct FragmentCodec {
    pub runner: Option<Arc<dyn Runner>>,
}

impl PhysicalExtensionCodec for FragmentCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        _ctx: &TaskContext,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !inputs.is_empty() {
            return Err(DataFusionError::Plan(format!("{NAME} has no inputs; this one came with {}", inputs.len())));
        }
        if buf.len() > MAX_RULE_BYTES + 4096 {
            return Err(DataFusionError::Plan(format!(
                "a fragment of {} bytes is over the limit of {} bytes",
                buf.len(),
                MAX_RULE_BYTES + 4096
            )));
        }
        let fragment: Fragment = serde_json::from_slice(buf)
            .map_err(|e| DataFusionError::Plan(format!("not a logwacht fragment: {}", e.classify_name())))?;
        Ok(Arc::new(SchoolRuleExec::new(fragment, self.runner.clone())))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let Some(exec) = node.downcast_ref::<SchoolRuleExec>() else {
            return Err(DataFusionError::Internal(format!("{} is not a {NAME}", node.name())));
        };
        serde_json::to_writer(buf, &exec.fragment).map_err(|e| DataFusionError::Internal(e.to_string()))
    }
}

/// serde_json's error kind, without the input it quotes.
trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "bad JSON",
            serde_json::error::Category::Data => "wrong fields",
            serde_json::error::Category::Eof => "cut off",
        }
    }
}

/// The header that names the school a request is for.
pub const SCHOOL_HEADER: &str = "x-logwacht-school";
/// The header with the request's proof of the school's secret.
pub const TOKEN_HEADER: &str = "x-logwacht-token";

/// The token for `school` under its shared `secret`: HMAC-SHA256 of the school's id, in
/// hex. The secret itself never crosses the network; the worker recomputes the token and
/// compares in constant time ([`token_matches`]).
pub fn token(secret: &[u8], school: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"logwacht worker v1\0");
    mac.update(school.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// True when `given` is the token of `school` under `secret` (constant time).
pub fn token_matches(secret: &[u8], school: &str, given: &str) -> bool {
    use hmac::Mac;
    let Ok(given) = hex::decode(given) else { return false };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"logwacht worker v1\0");
    mac.update(school.as_bytes());
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_proves_the_secret_of_one_school_only() {
        let t = token(b"secret of school a", "a");
        assert!(token_matches(b"secret of school a", "a", &t));
        assert!(!token_matches(b"secret of school a", "b", &t), "another school's id");
        assert!(!token_matches(b"secret of school b", "a", &t), "another secret");
        assert!(!token_matches(b"secret of school a", "a", "zz"), "not hex");
        assert!(!token_matches(b"secret of school a", "a", ""), "empty");
    }

    #[test]
    fn a_fragment_survives_the_codec_and_nothing_else_decodes() {
        let f = Fragment {
            schools: vec!["a".into(), "b".into()],
            rule_file: "r.sql".into(),
            rule_text: "-- purpose: a\nSELECT 1".into(),
            from: NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            group: "g".into(),
            weekly: false,
        };
        let codec = FragmentCodec::default();
        let ctx = TaskContext::default();
        let conv = datafusion_proto::physical_plan::DefaultPhysicalProtoConverter {};
        let mut buf = Vec::new();
        codec.try_encode(Arc::new(SchoolRuleExec::new(f.clone(), None)), &mut buf, &conv).unwrap();
        let back = codec.try_decode(&buf, &[], &ctx, &conv).unwrap();
        assert_eq!(back.downcast_ref::<SchoolRuleExec>().unwrap().fragment, f);
        let err = codec.try_decode(b"{\"path\": \"/etc/passwd\"}", &[], &ctx, &conv).unwrap_err().to_string();
        assert!(err.contains("not a logwacht fragment"), "{err}");
        assert!(!err.contains("passwd"), "the error quotes no input: {err}");
    }
}
