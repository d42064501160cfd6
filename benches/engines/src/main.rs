//! Probe: the same query on Ballista 55 and datafusion-distributed 4 over loopback.
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use clap::Parser;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::common::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use datafusion_distributed::{DistributedExt, SessionStateBuilderExt, WorkerResolver};
use futures::TryStreamExt;

type R<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

async fn register(ctx: &SessionContext, paths: &str) -> R<()> {
    // paths: name=dir,name=dir
    for pair in paths.split(',') {
        let (name, dir) = pair.split_once('=').ok_or("name=dir")?;
        let opts = ParquetReadOptions::default().table_partition_cols(vec![("date".to_string(), DataType::Utf8)]);
        ctx.register_parquet(name, dir, opts).await?;
    }
    Ok(())
}

async fn run(ctx: &SessionContext, sql: &str, show: bool) -> R<()> {
    let t = Instant::now();
    let df = ctx.sql(sql).await?;
    if show {
        let plan = df.clone().create_physical_plan().await?;
        eprintln!("{}", datafusion::physical_plan::displayable(plan.as_ref()).indent(true));
    }
    let batches: Vec<_> = df.execute_stream().await?.try_collect().await?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let secs = t.elapsed().as_secs_f64();
    let head: Vec<_> = batches.iter().take(1).cloned().collect();
    eprintln!("{}", pretty_format_batches(&head)?);
    println!("{{\"rows\": {rows}, \"secs\": {secs:.3}}}");
    Ok(())
}

#[derive(Clone)]
struct Ports(Vec<u16>);
#[async_trait]
impl WorkerResolver for Ports {
    fn get_urls(&self) -> Result<Vec<url::Url>, DataFusionError> {
        Ok(self.0.iter().map(|p| url::Url::parse(&format!("http://127.0.0.1:{p}")).unwrap()).collect())
    }
}

fn main() -> R<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(32 * 1024 * 1024).build()?;
    rt.block_on(async move {
        match args[1].as_str() {
            "local" => {
                let ctx = SessionContext::new();
                register(&ctx, &args[2]).await?;
                run(&ctx, &args[3], args.len() > 4).await
            }
            "dd-worker" => {
                let port: u16 = args[2].parse()?;
                tonic::transport::Server::builder()
                    .add_service(datafusion_distributed::Worker::default().into_worker_server())
                    .serve(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
                    .await?;
                Ok(())
            }
            "dd-client" => {
                let ports = args[2].split(',').map(|p| p.parse()).collect::<Result<Vec<u16>, _>>()?;
                let state = SessionStateBuilder::new()
                    .with_default_features()
                    .with_distributed_worker_resolver(Ports(ports))
                    .with_distributed_planner()
                    .build();
                let ctx = SessionContext::from(state);
                register(&ctx, &args[3]).await?;
                run(&ctx, &args[4], args.len() > 5).await
            }
            "ballista-scheduler" => {
                tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("info")).init();
                let opt = ballista_scheduler::config::Config::parse_from(&args[1..]);
                let addr = format!("{}:{}", opt.bind_host, opt.bind_port).parse()?;
                let config: ballista_scheduler::config::SchedulerConfig = opt.try_into()?;
                let cluster = ballista_scheduler::cluster::BallistaCluster::new_from_config(&config).await?;
                ballista_scheduler::scheduler_process::start_server(cluster, addr, Arc::new(config)).await?;
                Ok(())
            }
            "ballista-executor" => {
                tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("info")).init();
                let opt = ballista_executor::config::Config::parse_from(&args[1..]);
                let config: ballista_executor::executor_process::ExecutorProcessConfig = opt.try_into()?;
                ballista_executor::executor_process::start_executor_process(Arc::new(config)).await?;
                Ok(())
            }
            "ballista-client" => {
                use ballista::prelude::SessionContextExt;
                let ctx = SessionContext::remote(&args[2]).await?;
                register(&ctx, &args[3]).await?;
                run(&ctx, &args[4], args.len() > 5).await
            }
            other => Err(format!("unknown {other}").into()),
        }
    })
}
