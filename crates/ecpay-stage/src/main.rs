//! `ecpay-stage [ADDR] [LATENCY_MS]`: the local ECPay stand-in on ADDR (default 127.0.0.1:18900), answering
//! after LATENCY_MS (default 0), for the benchmarks.

use std::time::Duration;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18900".to_owned());
    let latency = args.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let addr = addr.parse().map_err(std::io::Error::other)?;
    let stage =
        ecpay_stage::EcpayStage::listen(addr, Duration::from_millis(latency), Duration::from_secs(60))
            .await?;
    eprintln!("ecpay-stage listening on {}", stage.url);
    tokio::signal::ctrl_c().await
}
