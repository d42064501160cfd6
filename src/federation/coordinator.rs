//! `logwacht federation audit`: each rule planned once, as one distributed query whose
//! leaf stage has one task per school, routed to that school's worker (issue 19, part 3).
//!
//! ```text
//! rule file --Fragment{schools, rule, window}--> SchoolRuleExec, as the table `Remote`
//!   scan: NetworkCoalesceExec(n -> 1) <- CoalescePartitionsExec <- SchoolRuleExec
//!   route: task i -> worker of schools[i]; every request carries that school's id and token
//! failure (a worker killed, unreachable, or refusing): the rule is run again per school,
//!   so the others finish; a school that fails is named and left out of the later rules
//! ```
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SessionStateBuilder, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::prelude::SessionContext;
use datafusion_distributed::{
    ChannelResolver, CoordinatorToWorkerMsg, DistributedExt, ExecuteTaskRequest, GetWorkerInfoRequest,
    GetWorkerInfoResponse, NetworkCoalesceExec, RouteTasksEvent, RouteTasksEventResponse, SessionStateBuilderExt,
    SetPlanRequest, WorkerChannel, WorkerResolver, WorkerToCoordinatorMsg,
};
use futures::stream::BoxStream;
use url::Url;

use super::fragment::{self, Fragment, FragmentCodec, SchoolRuleExec};

/// A school as the coordinator reaches it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its id.
    pub id: String,
    /// `host:port` of its worker.
    pub addr: String,
    /// Its worker's URL.
    pub url: Url,
    /// The token its worker expects (HMAC of the school's id under the shared secret).
    pub token: String,
    /// Mutual TLS with its worker (the provider's CA and the coordinator's certificate),
    /// when the federation file sets it; else plain HTTP/2.
    pub tls: Option<tonic::transport::ClientTlsConfig>,
}

impl Target {
    /// A target from the federation file's address and the provider's copy of the secret.
    pub fn new(id: &str, addr: &str, secret: &[u8]) -> std::result::Result<Target, String> {
        let url = Url::parse(&format!("http://{addr}")).map_err(|e| format!("worker {addr}: {e}"))?;
        Ok(Target { id: id.into(), addr: addr.into(), url, token: fragment::token(secret, id), tls: None })
    }
}

/// The coordinator's side of mutual TLS from the federation file's PEM files.
pub fn client_tls(files: &super::TlsFiles) -> std::result::Result<tonic::transport::ClientTlsConfig, String> {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let (ca, cert, key) = files.pems()?;
    Ok(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca)).identity(Identity::from_pem(cert, key)))
}

/// True when something listens at `addr` (a TCP connection within two seconds).
pub fn reachable(addr: &str) -> std::result::Result<(), String> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = addr.to_socket_addrs().map_err(|e| format!("cannot resolve: {e}"))?.collect();
    let mut last = String::from("no address");
    for a in addrs {
        match std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("unreachable ({last})"))
}

fn key(url: &Url) -> (String, u16) {
    (url.host_str().unwrap_or_default().to_string(), url.port_or_known_default().unwrap_or_default())
}

/// Per worker (host, port), the ids and tokens of the schools it hosts.
type Credentials = BTreeMap<(String, u16), Vec<(String, String)>>;

/// Opens connections to workers, each request carrying the ids and tokens of the schools
/// at that worker (never another worker's schools'), comma-separated in the same order;
/// over mutual TLS to the workers whose targets say so.
#[derive(Clone)]
struct AuthChannels {
    inner: datafusion_distributed::grpc::DefaultChannelResolver,
    by_url: Arc<Credentials>,
    tls: Arc<BTreeMap<(String, u16), tonic::transport::ClientTlsConfig>>,
    tls_channels: Arc<std::sync::Mutex<BTreeMap<(String, u16), datafusion_distributed::grpc::BoxCloneSyncChannel>>>,
}

impl AuthChannels {
    fn new(targets: &[Target]) -> AuthChannels {
        let mut by_url = Credentials::new();
        let mut tls = BTreeMap::new();
        for t in targets {
            by_url.entry(key(&t.url)).or_default().push((t.id.clone(), t.token.clone()));
            if let Some(c) = &t.tls {
                tls.insert(key(&t.url), c.clone());
            }
        }
        AuthChannels {
            inner: datafusion_distributed::grpc::DefaultChannelResolver::default(),
            by_url: Arc::new(by_url),
            tls: Arc::new(tls),
            tls_channels: Default::default(),
        }
    }

    /// The worker's client: over mutual TLS (one channel per worker, kept for the query)
    /// or plain.
    async fn client(&self, url: &Url) -> Result<Box<dyn WorkerChannel>> {
        let k = key(url);
        let Some(tls) = self.tls.get(&k) else {
            return self.inner.get_worker_client_for_url(url).await;
        };
        let cached = self.tls_channels.lock().unwrap_or_else(|p| p.into_inner()).get(&k).cloned();
        let channel = match cached {
            Some(c) => c,
            None => {
                let err = |e: tonic::transport::Error| {
                    DataFusionError::Execution(format!(
                        "worker {}:{}: {e} ({:?})",
                        k.0,
                        k.1,
                        std::error::Error::source(&e)
                    ))
                };
                let endpoint = tonic::transport::Endpoint::from_shared(format!("https://{}:{}", k.0, k.1))
                    .map_err(err)?
                    .tls_config(tls.clone().domain_name(k.0.clone()))
                    .map_err(err)?;
                let c = datafusion_distributed::grpc::BoxCloneSyncChannel::new(endpoint.connect().await.map_err(err)?);
                self.tls_channels.lock().unwrap_or_else(|p| p.into_inner()).insert(k, c.clone());
                c
            }
        };
        Ok(datafusion_distributed::grpc::create_worker_client(channel))
    }
}

#[async_trait]
impl ChannelResolver for AuthChannels {
    async fn get_worker_client_for_url(&self, url: &Url) -> Result<Box<dyn WorkerChannel>> {
        let Some(schools) = self.by_url.get(&key(url)) else {
            return Err(DataFusionError::Execution(format!("{url} is no member school's worker")));
        };
        let inner = self.client(url).await?;
        let mut headers = http::HeaderMap::new();
        let value = |v: String| http::HeaderValue::from_str(&v).map_err(|e| DataFusionError::Execution(e.to_string()));
        let ids: Vec<&str> = schools.iter().map(|(s, _)| s.as_str()).collect();
        headers.insert(fragment::SCHOOL_HEADER, value(ids.join(","))?);
        // An empty token sends none (only a test does that, to be refused).
        if schools.iter().all(|(_, t)| !t.is_empty()) {
            let tokens: Vec<&str> = schools.iter().map(|(_, t)| t.as_str()).collect();
            headers.insert(fragment::TOKEN_HEADER, value(tokens.join(","))?);
        }
        Ok(Box::new(Authed { inner, headers }))
    }
}

/// A worker client whose every request carries one school's credentials.
struct Authed {
    inner: Box<dyn WorkerChannel>,
    headers: http::HeaderMap,
}

#[async_trait]
impl WorkerChannel for Authed {
    async fn coordinator_channel(
        &mut self,
        mut headers: http::HeaderMap,
        set_plan_request: SetPlanRequest,
        c2w_stream: BoxStream<'static, CoordinatorToWorkerMsg>,
        metrics: ExecutionPlanMetricsSet,
        task_ctx: &Arc<TaskContext>,
    ) -> Result<BoxStream<'static, Result<WorkerToCoordinatorMsg>>> {
        headers.extend(self.headers.clone());
        self.inner.coordinator_channel(headers, set_plan_request, c2w_stream, metrics, task_ctx).await
    }

    async fn execute_task(
        &mut self,
        mut headers: http::HeaderMap,
        request: ExecuteTaskRequest,
        metrics: ExecutionPlanMetricsSet,
        task_ctx: &Arc<TaskContext>,
    ) -> Result<Vec<BoxStream<'static, Result<RecordBatch>>>> {
        headers.extend(self.headers.clone());
        self.inner.execute_task(headers, request, metrics, task_ctx).await
    }

    async fn get_worker_info(&mut self, request: GetWorkerInfoRequest) -> Result<GetWorkerInfoResponse> {
        self.inner.get_worker_info(request).await
    }
}

/// The cluster as the planner sees it: the tasks' workers.
struct Workers(Vec<Url>);

impl WorkerResolver for Workers {
    fn get_urls(&self) -> Result<Vec<Url>> {
        Ok(self.0.clone())
    }
}

/// A plan to run at the schools' workers, as a table: its leaf stage, task `i` at
/// `urls[i]`, gathered here.
#[derive(Debug)]
struct Remote {
    leaf: Arc<dyn ExecutionPlan>,
    tasks: usize,
}

#[async_trait]
impl TableProvider for Remote {
    fn schema(&self) -> SchemaRef {
        self.leaf.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let gather = Arc::new(CoalescePartitionsExec::new(self.leaf.clone()));
        Ok(Arc::new(NetworkCoalesceExec::try_new(gather, self.tasks, 1)?))
    }
}

/// The fragment's schools in task order: a group of one gets a second, empty task, so that
/// the planner keeps the network boundary (a 1 -> 1 boundary would run the task here).
fn tasks(targets: &[Target]) -> Vec<String> {
    let mut schools: Vec<String> = targets.iter().map(|t| t.id.clone()).collect();
    if schools.len() == 1 {
        schools.push(String::new());
    }
    schools
}

/// What one rule gave per school: its outcome JSON, as `audit run --json` writes it, and
/// the school's threshold.
pub type Outcomes = BTreeMap<String, (serde_json::Value, u64)>;

/// Runs `leaf` at the workers: task `i` at the worker of `schools[i]` (an empty id: the
/// first target's), every request with that worker's school's credentials; the batches
/// gathered here. `federation audit` runs only [`SchoolRuleExec`] this way; the tests send
/// other plans to see them refused.
pub async fn run_plan(
    targets: &[Target],
    schools: &[String],
    leaf: Arc<dyn ExecutionPlan>,
) -> Result<Vec<RecordBatch>> {
    let urls: BTreeMap<String, Url> = targets.iter().map(|t| (t.id.clone(), t.url.clone())).collect();
    let first = targets.first().map(|t| t.url.clone()).ok_or_else(|| DataFusionError::Plan("no school".into()))?;
    let task_urls: Vec<Url> = schools.iter().map(|s| urls.get(s).cloned().unwrap_or_else(|| first.clone())).collect();
    let channels = AuthChannels::new(targets);
    let route = task_urls.clone();
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_distributed_worker_resolver(Workers(task_urls))
        .with_distributed_channel_resolver(channels)
        .with_distributed_user_codec(FragmentCodec::default())
        .with_distributed_route_tasks_handler(move |ev: RouteTasksEvent<'_>| {
            Some(Ok(RouteTasksEventResponse::new(route.iter().take(ev.task_count).cloned().collect())))
        })
        .with_distributed_planner()
        .build();
    let ctx = SessionContext::from(state);
    // Sorted, so that the head stage merges the tasks' partitions into the one partition
    // the distributed plan's root must have (a bare coalesce is optimised away).
    let frame = ctx.read_table(Arc::new(Remote { leaf, tasks: schools.len() }))?;
    let first_column = frame.schema().field(0).name().clone();
    let frame = frame.sort(vec![datafusion::prelude::col(first_column).sort(true, false)])?;
    let plan = frame.create_physical_plan().await?;
    if std::env::var_os("LOGWACHT_DEBUG_PLAN").is_some() {
        eprintln!("{}", datafusion::physical_plan::displayable(plan.as_ref()).indent(true));
    }
    datafusion::physical_plan::collect(plan, ctx.task_ctx()).await
}

/// Runs one rule at `targets` as one distributed query.
pub async fn run_once(targets: &[Target], mut fragment: Fragment) -> Result<Outcomes> {
    fragment.schools = tasks(targets);
    let schools = fragment.schools.clone();
    let batches = run_plan(targets, &schools, Arc::new(SchoolRuleExec::new(fragment, None))).await?;
    let mut out = Outcomes::new();
    for b in &batches {
        collect_rows(b, &mut out)?;
    }
    // A worker answers for the schools it was asked about, or its answer is not counted:
    // no id a worker makes up reaches a file name or the terminal.
    out.retain(|school, _| targets.iter().any(|t| &t.id == school));
    Ok(out)
}

fn collect_rows(b: &RecordBatch, out: &mut Outcomes) -> Result<()> {
    let col = |name: &str| {
        b.column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>())
            .ok_or_else(|| DataFusionError::Execution(format!("a worker's answer has no text column {name}")))
    };
    let (school, outcome) = (col("school")?, col("outcome")?);
    let min_cell = b
        .column_by_name("min_cell")
        .and_then(|c| c.as_primitive_opt::<datafusion::arrow::datatypes::UInt64Type>())
        .ok_or_else(|| DataFusionError::Execution("a worker's answer has no min_cell".into()))?;
    for i in 0..b.num_rows() {
        if school.is_null(i) || outcome.is_null(i) {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(outcome.value(i))
            .map_err(|e| DataFusionError::Execution(format!("a worker's outcome is not JSON: {e}")))?;
        out.insert(school.value(i).to_string(), (v, min_cell.value(i)));
    }
    Ok(())
}

/// A federated audit's result: per school its rules' outcomes in rule order, and the
/// schools that could not be audited (to the end or at all), with why.
#[derive(Debug, Default)]
pub struct FederatedAudit {
    /// Per school, per rule run there, its id, purpose, count and refusal as `audit run
    /// --json` writes them; the rows, which can be many, go to `on_rule` only, so the
    /// coordinator holds one rule's answers at a time.
    pub outcomes: BTreeMap<String, Vec<serde_json::Value>>,
    /// Per school, its `[audit] min_cell`.
    pub min_cells: BTreeMap<String, u64>,
    /// The schools left out, with the first rule they missed and why.
    pub failed: BTreeMap<String, (String, String)>,
    /// The rules, in order.
    pub rules: Vec<String>,
}

impl FederatedAudit {
    /// True when every school ran every rule.
    pub fn complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Why a school's part failed, in one line without values: unreachable, or the error
/// (quoted stretches scrubbed, at most 300 characters).
fn why(t: &Target, e: &str) -> String {
    if let Err(down) = reachable(&t.addr) {
        return format!("worker {}: {down}", t.addr);
    }
    let text: String = crate::fsio::printable(&crate::rules::engine::scrub(e)).chars().take(300).collect();
    format!("worker {}: {}", t.addr, text)
}

/// What a federated run asks of every school, for each rule.
#[derive(Debug, Clone)]
pub struct Ask {
    /// First school-local day.
    pub from: chrono::NaiveDate,
    /// Last school-local day, inclusive.
    pub to: chrono::NaiveDate,
    /// The federation's name, for each school's trail.
    pub group: String,
    /// Count as the weekly audit counts (`Fragment::weekly`).
    pub weekly: bool,
    /// How long one rule may take at every school.
    pub timeout: Duration,
}

/// Runs each rule once over every school still in the run (counted as `audit run` counts,
/// or as the weekly audit counts when `ask.weekly`; `on_rule` is told each rule's
/// outcomes); a failed distributed query is run again per school so that the others
/// finish, and a school that fails is left out of the rules after.
pub fn audit(
    targets: Vec<Target>,
    rules: &[(crate::rules::Rule, String)],
    ask: &Ask,
    mut on_rule: impl FnMut(&str, &Outcomes, &BTreeMap<String, (String, String)>),
) -> std::result::Result<FederatedAudit, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let mut live = targets;
    let mut result = FederatedAudit::default();
    for (rule, text) in rules {
        let file = rule.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        result.rules.push(rule.id.clone());
        let fragment = Fragment {
            schools: Vec::new(),
            rule_file: file,
            rule_text: text.clone(),
            from: ask.from,
            to: ask.to,
            group: ask.group.clone(),
            weekly: ask.weekly,
        };
        let timeout = ask.timeout;
        let once = |ts: Vec<Target>, f: Fragment| async move {
            match tokio::time::timeout(timeout, run_once(&ts, f)).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(format!("no answer within {} s (--timeout)", timeout.as_secs())),
            }
        };
        let got = if live.is_empty() {
            Outcomes::new()
        } else {
            match runtime.block_on(once(live.clone(), fragment.clone())) {
                Ok(o) if o.len() == live.len() => o,
                _ => {
                    // One school at a time, so that one dead or refusing worker does not
                    // take the others' results with it.
                    let mut o = Outcomes::new();
                    let mut still = Vec::new();
                    for t in live.drain(..) {
                        match runtime.block_on(once(vec![t.clone()], fragment.clone())) {
                            Ok(mut one) if one.contains_key(&t.id) => {
                                o.insert(t.id.clone(), one.remove(&t.id).unwrap_or_default());
                                still.push(t);
                            }
                            Ok(_) => {
                                result
                                    .failed
                                    .insert(t.id.clone(), (rule.id.clone(), why(&t, "no answer for its school")));
                            }
                            Err(e) => {
                                result.failed.insert(t.id.clone(), (rule.id.clone(), why(&t, &e)));
                            }
                        }
                    }
                    live = still;
                    o
                }
            }
        };
        for (school, (v, k)) in &got {
            let brief: serde_json::Map<String, serde_json::Value> = ["id", "purpose", "findings", "refused"]
                .into_iter()
                .filter_map(|k| v.get(k).map(|x| (k.to_string(), x.clone())))
                .collect();
            result.outcomes.entry(school.clone()).or_default().push(serde_json::Value::Object(brief));
            result.min_cells.insert(school.clone(), *k);
        }
        on_rule(&rule.id, &got, &result.failed);
    }
    Ok(result)
}
