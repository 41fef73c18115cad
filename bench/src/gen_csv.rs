//! `gen-csv KIND ROWS [AS_OF] [SEED]`: writes a realistic legacy export of `ROWS` rows to stdout
//! (see `importer::generate`), for `platform import` rehearsals and the import benchmarks.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen-csv customers|entitlements-erp|renewals-erp|member-profiles|member-customers|issues ROWS [AS_OF] [SEED]";
    let (Some(kind), Some(rows)) = (
        args.first().and_then(|k| importer::Kind::parse(k)),
        args.get(1).and_then(|r| r.parse::<u64>().ok()),
    ) else {
        eprintln!("{usage}");
        return ExitCode::FAILURE;
    };
    let as_of = args
        .get(2)
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let seed = args.get(3).and_then(|s| s.parse::<u64>().ok()).unwrap_or(42);
    let out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    match importer::generate::write(kind, rows, as_of, seed, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gen-csv: {err}");
            ExitCode::FAILURE
        }
    }
}
