//! `logwacht worker --workspace DIR [--workspace DIR ...] --listen ADDR`: schools' stores
//! served to their provider's coordinator over datafusion-distributed's gRPC protocol
//! (issue 19, part 3). One process may host several schools; each keeps its own settings,
//! key, secret and trail.
//!
//! ```text
//! request --authenticate: x-logwacht-school = schools served here ([worker] school),
//!                         x-logwacht-token  = per school HMAC(its worker.secret, its id)
//!                                                                       else refused
//!         --check_fragment: every leaf a SchoolRuleExec, every node a known kind  else refused
//!         --SchoolRuleExec (its task's school must be one the request proved)
//!             rule text --rules::parse--> purpose in [worker] purposes?           else refused
//!             audit_rule_set in that workspace: its key, limits, gate, threshold; trail
//!         --> one row: school, rule, outcome (as `audit run --json`)
//! ```
//! Every refusal is a `worker refused` line in the school's trail (CTL-9); a refusal of an
//! unauthenticated request, which anyone reaching the port can cause, at most one a minute
//! per kind with the number not written, so that a flood cannot grow the trail. Every rule
//! run is the `audit` line `audit run` writes. The worker reads the store and writes
//! nothing but trail lines: DataFusion spills nothing (no memory limit is set, so no spill
//! file), and datafusion-distributed streams between stages without files.
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use datafusion::error::DataFusionError;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_distributed::{
    DistributedExt, Worker, WorkerPlanRewriteEvent, WorkerPlanRewriteEventResponse, WorkerQueryContext,
};

use super::fragment::{self, Answer, Fragment, FragmentCodec, Runner};
use crate::audit_log::{AuditLog, Event};
use crate::config::Config;
use crate::error::{Error, Result};

/// The shared secret's file in each workspace (made by the worker's first start).
pub const SECRET_FILE: &str = "worker.secret";

/// The plan nodes a worker lets stand above its fragments: none of them reads or writes
/// anything but its input.
const PASS_THROUGH: [&str; 8] = [
    "CoalescePartitionsExec",
    "CoalesceBatchesExec",
    "CooperativeExec",
    "RepartitionExec",
    "ProjectionExec",
    "FilterExec",
    "SortPreservingMergeExec",
    "SortExec",
];

/// One school a worker serves.
#[derive(Debug)]
struct School {
    /// Its `logwacht.toml`, read again for every task (a changed setting or a rotated key
    /// counts from the next task on).
    config_path: PathBuf,
    secret: Vec<u8>,
}

/// The schools one worker process serves (a provider may host several schools' workspaces
/// on one machine; each keeps its own settings, key, secret and trail).
#[derive(Debug)]
pub struct Served {
    schools: BTreeMap<String, School>,
    /// The command's clock (`--now` fixes it), read once per task.
    clock: crate::clock::Clock,
    /// Per kind of unauthenticated refusal: when one was last written, and how many since.
    refusals: Mutex<BTreeMap<&'static str, (Option<Instant>, u64)>>,
    /// Rules running now, at most [`Served::jobs`]: a worker hosting many schools gets one
    /// task per school for each rule at once, and runs them as many at a time as it has
    /// cores, so its memory stays that of a few rules, not of every school's.
    running: (Mutex<usize>, std::sync::Condvar),
    jobs: usize,
}

/// A slot of [`Served::running`], given back when dropped.
struct Slot<'a>(&'a Served);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let (count, freed) = &self.0.running;
        *count.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// One authenticated request: the schools its credentials proved.
#[derive(Debug)]
pub struct Request {
    served: Arc<Served>,
    schools: BTreeSet<String>,
}

impl Served {
    /// Waits for a free slot to run a rule in.
    fn slot(&self) -> Slot<'_> {
        let (count, freed) = &self.running;
        let mut n = count.lock().unwrap_or_else(|p| p.into_inner());
        while *n >= self.jobs {
            n = freed.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n += 1;
        Slot(self)
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn config(&self, school: &str) -> Result<Config> {
        let s = self.schools.get(school).ok_or_else(|| Error::Bug(format!("no school {school} here")))?;
        Ok(Config::find(Some(&s.config_path))?)
    }

    /// Records a refusal in the trails of `schools` (every served school when empty). A
    /// refusal of an authenticated request is always written; of an unauthenticated one
    /// (`connection`: anyone who reaches the port can cause it), the first of its kind in a
    /// minute, with the number not written since.
    fn refuse(&self, schools: &[&str], kind: &'static str, asked: &str, reason: &str) -> DataFusionError {
        let write = if asked != "connection" {
            Some(0)
        } else {
            let mut seen = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
            let entry = seen.entry(kind).or_insert((None, 0));
            if entry.0.is_none_or(|at| at.elapsed().as_secs() >= 60) {
                let skipped = entry.1;
                *entry = (Some(Instant::now()), 0);
                Some(skipped)
            } else {
                entry.1 += 1;
                None
            }
        };
        let all: Vec<&str> = self.schools.keys().map(String::as_str).collect();
        let trails = if schools.is_empty() { &all[..] } else { schools };
        if let Some(skipped) = write {
            let reason = if skipped > 0 {
                format!("{reason} (and {skipped} such refusals not written)")
            } else {
                reason.to_string()
            };
            for school in trails {
                if let Ok(config) = self.config(school) {
                    let _ = AuditLog::of(&config).record(
                        self.now(),
                        &format!("worker {school}"),
                        Event::WorkerRefused { asked, reason: &reason },
                    );
                }
            }
        }
        DataFusionError::Execution(format!("refused by the worker of {}: {reason}", trails.join(", ")))
    }

    /// Checks a request's credentials: `x-logwacht-school` lists schools this worker serves,
    /// `x-logwacht-token` the token of each, in the same order.
    pub fn authenticate(self: &Arc<Self>, headers: &http::HeaderMap) -> std::result::Result<Request, DataFusionError> {
        let list = |name: &str| -> Vec<String> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default()
        };
        let (schools, tokens) = (list(fragment::SCHOOL_HEADER), list(fragment::TOKEN_HEADER));
        if tokens.is_empty() {
            return Err(self.refuse(&[], "unauthenticated", "connection", "a request without a token"));
        }
        if schools.len() != tokens.len() || schools.len() > self.schools.len() {
            return Err(self.refuse(
                &[],
                "malformed",
                "connection",
                "a request whose schools and tokens do not pair up",
            ));
        }
        let mut proved = BTreeSet::new();
        for (school, token) in schools.iter().zip(&tokens) {
            let Some(s) = self.schools.get(school) else {
                return Err(self.refuse(
                    &[],
                    "other school",
                    "connection",
                    "a request for a school this worker does not serve",
                ));
            };
            if !fragment::token_matches(&s.secret, school, token) {
                return Err(self.refuse(&[school], "bad token", "connection", "a token that is not this school's"));
            }
            proved.insert(school.clone());
        }
        Ok(Request { served: self.clone(), schools: proved })
    }
}

impl Request {
    fn trails(&self) -> Vec<&str> {
        self.schools.iter().map(String::as_str).collect()
    }

    /// Lets a plan through only if every leaf is a [`SchoolRuleExec`] and every other node
    /// a pass-through kind: a raw scan, a file writer or anything unknown is refused.
    pub fn check_fragment(
        &self,
        plan: Arc<dyn ExecutionPlan>,
    ) -> std::result::Result<WorkerPlanRewriteEventResponse, DataFusionError> {
        fn walk(plan: &Arc<dyn ExecutionPlan>) -> std::result::Result<usize, String> {
            let name = plan.name();
            if name == fragment::NAME {
                return if plan.children().is_empty() { Ok(1) } else { Err(format!("a {name} with inputs")) };
            }
            if plan.children().is_empty() {
                return Err(format!("it reads with {name}; a worker runs only logwacht's rule fragments"));
            }
            if !PASS_THROUGH.contains(&name) && !name.starts_with("Network") && name != "PartitionIsolatorExec" {
                return Err(format!("it holds {name}; a worker runs only logwacht's rule fragments"));
            }
            plan.children().into_iter().map(walk).sum()
        }
        match walk(&plan) {
            Ok(_) => Ok(WorkerPlanRewriteEventResponse::new(plan)),
            Err(why) => Err(self.served.refuse(&self.trails(), "plan", "plan fragment", &why)),
        }
    }
}

impl Runner for Request {
    fn run(&self, school: &str, f: &Fragment) -> std::result::Result<Answer, DataFusionError> {
        if !self.schools.contains(school) {
            return Err(self.served.refuse(
                &self.trails(),
                "other school",
                "task",
                "a task for a school this request did not prove",
            ));
        }
        let served = &self.served;
        let refuse_rule = |asked: &str, reason: &str| served.refuse(&[school], "rule", asked, reason);
        let stem = f.rule_file.strip_suffix(".sql").unwrap_or_default();
        if crate::fsio::check_id("rule", stem).is_err() {
            return Err(refuse_rule("rule", "a rule file name that is not <id>.sql"));
        }
        if f.rule_text.len() > fragment::MAX_RULE_BYTES || f.to < f.from {
            return Err(refuse_rule(stem, "a rule over the size limit or a window that ends before it starts"));
        }
        let _slot = served.slot();
        let config = served.config(school).map_err(|e| DataFusionError::Execution(e.to_string()))?;
        let now = served.now();
        let operator = format!("federation {}", printable_group(&f.group));
        let outcome = |refused: String| crate::report::outcome::RuleOutcome {
            id: stem.to_string(),
            purpose: '?',
            requirements: Vec::new(),
            findings: 0,
            by_severity: Default::default(),
            by_country: Default::default(),
            rows: Vec::new(),
            refused: Some(refused),
        };
        let outcomes = match crate::rules::parse(Path::new(&f.rule_file), &f.rule_text) {
            Err(e) => {
                let why = format!("the rule does not parse: {e}");
                refuse_rule(stem, &why);
                vec![outcome(why)]
            }
            Ok(rule) => {
                if !config.worker.as_ref().is_some_and(|w| w.purposes.contains(&rule.purpose)) {
                    let why = format!(
                        "purpose {} is not among the purposes this school enabled for its provider ([worker] purposes)",
                        rule.purpose.letter()
                    );
                    refuse_rule(stem, &why);
                    let mut o = outcome(why);
                    o.purpose = rule.purpose.letter();
                    vec![o]
                } else {
                    let key = crate::pseudonym::load(&config.key_path())
                        .map_err(|e| DataFusionError::Execution(e.to_string()))?;
                    let run = if f.weekly {
                        crate::report::week_outcomes(&config, now, &key, f.from, f.to, vec![rule], Some(&operator))
                    } else {
                        crate::report::outcome::audit_rule_set(
                            &config,
                            now,
                            &key,
                            f.from,
                            f.to,
                            vec![rule],
                            Some(&operator),
                        )
                    };
                    let out = run.map_err(|e| DataFusionError::Execution(e.to_string()))?;
                    for o in &out {
                        if let Some(why) = &o.refused {
                            refuse_rule(stem, why);
                        }
                    }
                    out
                }
            }
        };
        let json = crate::report::outcome::suppressed_json(&outcomes, config.min_cell)
            .map_err(|e| DataFusionError::Execution(e.to_string()))?;
        let one = json.as_array().and_then(|a| a.first()).cloned().unwrap_or_default();
        let outcome = serde_json::to_string(&one).map_err(|e| DataFusionError::Execution(e.to_string()))?;
        Ok(Answer { outcome, min_cell: config.min_cell })
    }
}

/// A group's name as a trail's operator: letters, digits, space and `._-`, at most 64.
fn printable_group(name: &str) -> String {
    let s: String = name.chars().filter(|c| c.is_alphanumeric() || " ._-".contains(*c)).take(64).collect();
    if s.trim().is_empty() { "(unnamed)".into() } else { s }
}

/// Reads a shared secret file (a worker's, or the provider's copy of it): at least 32
/// characters, readable by its owner only.
pub fn read_secret(path: &Path) -> Result<Vec<u8>> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::Usage(format!("{}: cannot read the shared secret: {e}", path.display())))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::Usage(format!(
            "{}: the shared secret may be read by others (mode {:o}); chmod 600 it",
            path.display(),
            meta.permissions().mode() & 0o777
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("{}: cannot read the shared secret: {e}", path.display())))?;
    let text = text.trim();
    if text.len() < 32 {
        return Err(Error::Usage(format!(
            "{}: a shared secret of {} characters is under the minimum of 32",
            path.display(),
            text.len()
        )));
    }
    Ok(text.as_bytes().to_vec())
}

/// Reads the worker's shared secret, creating it (32 random bytes in hex, mode 0600) when
/// absent. Returns the secret and whether it was created.
pub fn secret(path: &Path) -> Result<(Vec<u8>, bool)> {
    if path.exists() {
        return Ok((read_secret(path)?, false));
    }
    use rand::RngCore;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let text = hex::encode(bytes);
    let create = |e: std::io::Error| Error::Usage(format!("{}: cannot write the shared secret: {e}", path.display()));
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(create)?;
    f.write_all(format!("{text}\n").as_bytes()).map_err(create)?;
    f.sync_all().map_err(create)?;
    Ok((text.into_bytes(), true))
}

/// Serves the workspaces of `config_paths` (each with a `[worker]` section) on `listen`
/// until the process is stopped.
pub fn serve(
    config_paths: &[PathBuf],
    listen: SocketAddr,
    tls: Option<&super::TlsFiles>,
    clock: crate::clock::Clock,
) -> Result<u8> {
    // Mutual TLS: the worker's certificate and key, and the provider's CA, which must have
    // signed the client's certificate (no certificate, no connection).
    let tls = match tls {
        None => None,
        Some(files) => {
            use tonic::transport::{Certificate, Identity, ServerTlsConfig};
            let (ca, cert, key) = files.pems().map_err(Error::Usage)?;
            Some(
                ServerTlsConfig::new()
                    .identity(Identity::from_pem(cert, key))
                    .client_ca_root(Certificate::from_pem(ca)),
            )
        }
    };
    let mut schools = BTreeMap::new();
    let mut lines = Vec::new();
    for path in config_paths {
        let config = Config::find(Some(path))?;
        let Some(settings) = config.worker.clone() else {
            return Err(Error::Usage(format!(
                "{}: no [worker] section; a school that serves its provider names its id and the purposes it allows: [worker] school = \"...\", purposes = [\"a\", \"f\"]",
                config.path.display()
            )));
        };
        // The key must be there before anything is served.
        crate::pseudonym::load(&config.key_path())?;
        let secret_path = config.workspace().join(SECRET_FILE);
        let (secret, created) = secret(&secret_path)?;
        if created {
            lines.push(format!(
                "created the shared secret {} (give the provider a copy: federation.toml, secret_file)",
                secret_path.display()
            ));
        }
        let purposes: Vec<String> = settings.purposes.iter().map(|p| p.letter().to_string()).collect();
        lines.push(format!("school {} (purposes {})", settings.school, purposes.join(",")));
        if schools.insert(settings.school.clone(), School { config_path: config.path.clone(), secret }).is_some() {
            return Err(Error::Usage(format!("two workspaces name the same [worker] school {}", settings.school)));
        }
    }
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let served = Arc::new(Served {
        schools,
        clock,
        refusals: Mutex::new(BTreeMap::new()),
        running: (Mutex::new(0), std::sync::Condvar::new()),
        jobs,
    });
    let worker = Worker::from_session_builder(move |ctx: WorkerQueryContext| {
        let served = served.clone();
        async move {
            let request = Arc::new(served.authenticate(&ctx.headers)?);
            let runner: Arc<dyn Runner> = request.clone();
            Ok(ctx
                .builder
                .with_distributed_user_codec(FragmentCodec { runner: Some(runner) })
                .with_distributed_worker_plan_rewrite_handler(move |ev: WorkerPlanRewriteEvent<'_>| {
                    request.check_fragment(ev.plan)
                })
                .build())
        }
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Bug(format!("tokio runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(listen))
        .map_err(|e| Error::Usage(format!("cannot listen on {listen}: {e}")))?;
    let bound = listener.local_addr().map_err(|e| Error::Usage(format!("cannot listen on {listen}: {e}")))?;
    for line in lines {
        println!("{line}");
    }
    let mut server = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        server = server.tls_config(tls).map_err(|e| Error::Usage(format!("the TLS certificate or key: {e}")))?;
        println!("worker listening on {bound} (mutual TLS)");
    } else {
        println!("worker listening on {bound} (no TLS: loopback or a tunnel only)");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    runtime
        .block_on(server.add_service(worker.into_worker_server()).serve_with_incoming(incoming))
        .map_err(|e| Error::Usage(format!("the worker on {bound} stopped: {e}")))?;
    Ok(crate::error::EXIT_OK)
}
