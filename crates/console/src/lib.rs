//! The operators' console at `/ops` (SPEC §6) and the assets of GraphiQL, both served by the binary with
//! nothing loaded from the internet (an intranet browser has no egress).
//!
//! The console is server-rendered HTML (minijinja templates under `templates/console/`), readable
//! without JavaScript; its forms post back to it. An admin logs in with a token from `platform token
//! --role admin` or a one-time link from `platform ops-link`, and gets a session cookie (HttpOnly,
//! SameSite=Strict, Secure behind HTTPS) whose secret is stored only as a hash; every form carries the
//! session's CSRF token; `ops.allowed_networks` bounds who is answered at all. It reads the domains'
//! figures and lists (it owns only the table `console_sessions`) and changes nothing but follow-ups,
//! through the follow-ups crate.

mod assets;
mod chart;
mod entity;
pub mod graphiql;
mod guard;
mod login;
mod networks;
mod pages;
mod session;
mod view;

pub use assets::routes as asset_routes;
pub use networks::Networks;
pub use session::{LINK_MINUTES, issue_link};

use api::auth::Authenticator;
use axum::Router;
use jobs::JobContext;
use std::sync::Arc;

/// What every console request needs.
#[derive(Clone)]
pub(crate) struct Console {
    /// The database, settings, calendar and order service.
    pub(crate) jobs: JobContext,
    /// Verifies the token pasted at login.
    pub(crate) auth: Authenticator,
    /// `ops.allowed_networks`.
    pub(crate) networks: Networks,
    /// The templates.
    pub(crate) view: Arc<view::View>,
}

/// The console's routes under `/ops`, over the process's shared services.
pub fn routes(jobs: &JobContext, auth: Authenticator) -> anyhow::Result<Router> {
    let networks = Networks::parse("ops.allowed_networks", &jobs.settings.ops.allowed_networks)?;
    let view = Arc::new(view::View::new(jobs.calendar)?);
    let console = Console { jobs: jobs.clone(), auth, networks, view };
    Ok(pages::routes(console))
}
