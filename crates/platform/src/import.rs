//! `platform import`, `platform anonymize` and `platform environment`: the operator's side of the
//! `importer` crate — the progress bar (or log lines when not on a terminal), the summary, the exit code.

use anyhow::Context;
use importer::{Encoding, Kind, Options, Progress, Rejects, Summary};
use indicatif::{ProgressBar, ProgressStyle};
use platform_core::{BusinessCalendar, Clock, Settings};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What `platform import` was asked.
#[derive(Debug)]
pub struct ImportRequest {
    /// The kind of export.
    pub kind: Kind,
    /// The CSV file.
    pub file: PathBuf,
    /// Validate only.
    pub dry_run: bool,
    /// Where refused rows go; default `<file>.rejects.csv`.
    pub rejects: Option<PathBuf>,
    /// Rows per transaction.
    pub batch: usize,
    /// The file's encoding.
    pub encoding: Encoding,
    /// The cut-over day statuses are backfilled against; default today.
    pub as_of: Option<chrono::NaiveDate>,
}

/// Runs an import and prints its summary; an error when rows were rejected (after the summary).
pub async fn run(settings: &Settings, request: ImportRequest) -> anyhow::Result<String> {
    let db = crate::database::open_migrated(settings).await?;
    let calendar = BusinessCalendar::from(settings);
    let now = Clock::System.now();
    let options = Options {
        dry_run: request.dry_run,
        batch: request.batch,
        encoding: request.encoding,
        as_of: request.as_of.unwrap_or_else(|| calendar.date_of(now)),
        at: now,
        calendar,
        renewal_settings: settings.renewals.clone(),
        subinventory: settings.orders.subinventory.clone(),
    };
    let file = std::fs::File::open(&request.file)
        .with_context(|| format!("cannot open {}", request.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let rejects_path = request.rejects.clone().unwrap_or_else(|| default_rejects(&request.file));
    let mut rejects = Rejects::to_file(&rejects_path);
    let started = Instant::now();
    let mut reporter = Reporter::new(size);
    let result = importer::import(
        &db,
        request.kind,
        std::io::BufReader::with_capacity(1 << 20, file),
        &options,
        &mut rejects,
        &mut |p| reporter.report(p),
    )
    .await;
    reporter.finish();
    if let Err(importer::ImportError::Stopped { line, message, committed }) = &result {
        // What landed before the bad line goes to stdout as a summary; where to resume follows.
        let text = summary_text(request.kind, committed, started.elapsed(), request.dry_run);
        let mut out = std::io::stdout().lock();
        std::io::Write::write_all(&mut out, text.as_bytes())?;
        std::io::Write::flush(&mut out)?;
        let done = if request.dry_run { "were checked" } else { "are committed" };
        anyhow::bail!(
            "importing {}: stopped at line {line}: {message}. The lines before it {done} (above); fix line \
             {line} and re-run the file to resume (rows already imported report as unchanged)",
            request.file.display()
        );
    }
    let summary = result.with_context(|| format!("importing {}", request.file.display()))?;
    let text = summary_text(request.kind, &summary, started.elapsed(), request.dry_run);
    tracing::info!(kind = request.kind.as_str(), ?summary, "import finished");
    if summary.rejected > 0 {
        // The summary goes to stdout as on success; the error (and exit code 1) follows.
        let mut out = std::io::stdout().lock();
        std::io::Write::write_all(&mut out, text.as_bytes())?;
        std::io::Write::flush(&mut out)?;
        anyhow::bail!("{} row(s) rejected: see {}", summary.rejected, rejects_path.display());
    }
    Ok(text)
}

fn default_rejects(file: &Path) -> PathBuf {
    let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".rejects.csv");
    file.with_file_name(name)
}

fn summary_text(kind: Kind, s: &Summary, elapsed: Duration, dry_run: bool) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 { s.read as f64 / seconds } else { 0.0 };
    format!(
        "{}{}: read {}, inserted {}, updated {}, unchanged {}, rejected {}, skipped {} in {:.1} s ({:.0} rows/s)\n",
        if dry_run { "dry run, nothing written — " } else { "" },
        kind.as_str(),
        s.read,
        s.inserted,
        s.updated,
        s.unchanged,
        s.rejected,
        s.skipped,
        seconds,
        rate
    )
}

/// A progress bar with rows/s and ETA on a terminal; a log line every 5 s otherwise.
struct Reporter {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
}

impl Reporter {
    fn new(size: u64) -> Reporter {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(size);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40.cyan/blue} {percent:>3}% {msg} [{elapsed_precise}, ETA {eta}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Reporter { bar, started: Instant::now(), last_line: Instant::now() }
    }

    fn report(&mut self, progress: Progress) {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = progress.summary.read as f64 / seconds;
        match &self.bar {
            Some(bar) => {
                bar.set_position(progress.bytes);
                bar.set_message(format!("{} rows, {rate:.0} rows/s", progress.summary.read));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(5) => {
                self.last_line = Instant::now();
                tracing::info!(
                    read = progress.summary.read,
                    rejected = progress.summary.rejected,
                    rows_per_second = rate.round(),
                    bytes = progress.bytes,
                    "importing"
                );
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `platform anonymize`.
pub async fn anonymize(settings: &Settings) -> anyhow::Result<String> {
    let db = crate::database::open_migrated(settings).await?;
    let masked = importer::anonymize::anonymize(&db, Clock::System.now()).await?;
    let mut text = String::from("anonymized; the database is now marked development\n");
    for (table, rows) in masked.tables {
        text.push_str(&format!("  {table}: {rows} row(s)\n"));
    }
    Ok(text)
}

/// `platform environment [set NAME]`.
pub async fn environment(settings: &Settings, set: Option<String>) -> anyhow::Result<String> {
    let db = crate::database::open_migrated(settings).await?;
    if let Some(name) = set {
        importer::anonymize::set_environment(&db, &name, Clock::System.now()).await?;
    }
    let current = importer::anonymize::environment(&db).await?;
    Ok(format!("{}\n", current.as_deref().unwrap_or("unmarked")))
}
