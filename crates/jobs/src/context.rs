//! What a job run needs: the database, the settings, the catalog, the order service, the payment gateway,
//! the e-mail templates and mailer, and the webhook dispatcher. Built once per process (server or CLI) and shared: the server's
//! API, its scheduler and its `runJob` use the same one (one catalog cache, one order service, one
//! gateway).

use payments::Gateway;
use platform_core::{BusinessCalendar, Settings};
use renewals::charge::ChargeRun;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

/// The shared context of job runs.
#[derive(Clone)]
pub struct JobContext {
    /// The database.
    pub db: DatabaseConnection,
    /// The settings.
    pub settings: Arc<Settings>,
    /// The business calendar of the settings' time zone.
    pub calendar: BusinessCalendar,
    /// The catalog, with its cache.
    pub catalog: catalog::Catalog,
    /// Creates the AUTO orders of the charge run.
    pub orders: orders::service::OrderService,
    /// The configured payment gateway (`gateway.kind`: the simulated one of SPEC §5, its ledger in the
    /// database, or ECPay).
    pub gateway: Gateway,
    /// The e-mail templates.
    pub templates: Arc<notify::email::Templates>,
    /// The e-mail dispatcher.
    pub mailer: notify::email::Mailer,
    /// The webhook dispatcher: one per process, so its breakers (endpoints that stopped answering) hold
    /// across the in-server loop's rounds and every `DISPATCH_WEBHOOKS` run.
    pub dispatcher: notify::Dispatcher,
    /// The clock of real-time steps (leases, what is due to send now); the system clock outside tests.
    pub clock: platform_core::Clock,
}

impl JobContext {
    /// The context for `settings`: loads the e-mail templates (refusing broken ones) and builds the gateway.
    pub fn new(db: DatabaseConnection, settings: Arc<Settings>) -> anyhow::Result<JobContext> {
        let gateway = Gateway::from_settings(db.clone(), &settings.gateway).map_err(anyhow::Error::msg)?;
        let calendar = BusinessCalendar::from(settings.as_ref());
        let catalog = catalog::Catalog::new(db.clone(), Duration::from_millis(settings.catalog.cache_ttl_ms));
        let orders = orders::service::OrderService::new(
            db.clone(),
            catalog.clone(),
            calendar,
            settings.orders.subinventory.clone(),
        );
        let templates = Arc::new(notify::email::Templates::load(settings.email.templates_dir.as_deref())?);
        let mailer = notify::email::Mailer::new(db.clone(), &settings.email, templates.clone())?;
        let dispatcher =
            notify::Dispatcher::new(db.clone(), notify::DispatchSettings::from(settings.as_ref()))?;
        Ok(JobContext {
            db,
            settings,
            calendar,
            catalog,
            orders,
            gateway,
            templates,
            mailer,
            dispatcher,
            clock: platform_core::Clock::System,
        })
    }

    /// A charge runner (each with its own lease owner).
    pub fn charge_run(&self) -> ChargeRun<Gateway> {
        ChargeRun::new(
            self.orders.clone(),
            self.calendar,
            self.gateway.clone(),
            self.settings.renewals.clone(),
            Duration::from_secs(self.settings.gateway.timeout_secs.max(1)),
        )
    }
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext").field("smtp", &self.mailer.is_configured()).finish_non_exhaustive()
    }
}
