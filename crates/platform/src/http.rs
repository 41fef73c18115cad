//! The HTTP server: `POST /graphql`, GraphiQL at `GET /graphql` when enabled (its assets under `/assets/`),
//! the operators' console under `/ops`, `GET /healthz` and `GET /metrics`.
//!
//! A request's `Authorization: Bearer` token is verified here, before GraphQL runs; the caller it names is
//! handed to the resolvers as request data. An invalid token is answered 401 with an `UNAUTHENTICATED`
//! error, whatever the query; no token means anonymous (the public catalog only).

use api::auth::Authenticator;
use api::{ApiState, GraphqlService, Limits};
use async_graphql_axum::GraphQLRequest;
use async_graphql_axum::rejection::GraphQLRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jobs::JobContext;
use platform_core::{Clock, Settings};
use sea_orm::DatabaseConnection;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Longest time a request may take before the server answers 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct AppState {
    graphql: GraphqlService,
    db: DatabaseConnection,
    auth: Authenticator,
    graphiql: bool,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    metrics_access: crate::scrape::Access,
}

/// The router of the whole service over an open, migrated database.
/// The router of the whole service over the process's shared services (see [`jobs::JobContext`]).
pub fn router(settings: &Settings, services: &JobContext, auth: Authenticator) -> anyhow::Result<Router> {
    let limits = Limits::from(settings);
    let db = services.db.clone();
    let state = ApiState {
        catalog: services.catalog.clone(),
        db: db.clone(),
        clock: Clock::System,
        orders: services.orders.clone(),
        calendar: services.calendar,
        jobs: services.clone(),
    };
    let graphql = api::build_schema(state, limits);
    let metrics = if settings.metrics.enabled { crate::scrape::install() } else { None };
    let metrics_access = crate::scrape::Access::parse(&settings.metrics.allowed_networks)?;
    let console = ops_console::routes(services, auth.clone())?;
    let state =
        AppState { graphql, db, auth, graphiql: settings.graphiql_enabled(), metrics, metrics_access };
    Ok(Router::new()
        .route("/graphql", get(graphiql).post(execute_graphql))
        .route("/healthz", get(healthz))
        .route("/metrics", get(scrape))
        .with_state(state)
        .merge(console)
        .merge(ops_console::asset_routes())
        .layer(RequestBodyLimitLayer::new(settings.graphql.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(request_span)))
}

/// The span of a request: its method and path, with a one-time login link's secret left out (logs never
/// hold a secret, even a used one).
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let path = request.uri().path();
    let path = if path.starts_with("/ops/link/") { "/ops/link/<secret>" } else { path };
    tracing::debug_span!("request", method = %request.method(), path = %path)
}

async fn scrape(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let peer = request.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    let headers = request.headers().clone();
    crate::scrape::scrape(
        state.metrics.as_ref(),
        &state.metrics_access,
        &state.auth,
        &state.db,
        peer,
        &headers,
    )
    .await
}

/// The media types a GraphQL POST may carry. A browser sends a cross-site form or `text/plain` post
/// without asking first (no CORS preflight); `application/json` needs a preflight, which this server never
/// grants, so no page on another site can make a visitor's browser run a mutation.
const GRAPHQL_MEDIA_TYPES: [&str; 2] = ["application/json", "application/graphql-response+json"];

/// Whether the request's `Content-Type` is one of [`GRAPHQL_MEDIA_TYPES`] (parameters such as `charset`
/// allowed).
fn is_graphql_media_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let media_type = value.split(';').next().unwrap_or_default().trim();
    GRAPHQL_MEDIA_TYPES.iter().any(|allowed| media_type.eq_ignore_ascii_case(allowed))
}

/// Executes a GraphQL request. A body that is not a GraphQL request at all (bad JSON, wrong content type)
/// still gets a GraphQL-shaped error with a code.
async fn execute_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    if !is_graphql_media_type(&headers) {
        let body = json!({ "errors": [{
            "message": "POST /graphql takes Content-Type: application/json",
            "extensions": { "code": "BAD_USER_INPUT" },
        }]});
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response();
    }
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("<not text>"));
    let principal = match state.auth.principal(authorization) {
        Ok(principal) => principal,
        Err(err) => {
            let body = json!({ "errors": [{
                "message": err.to_string(),
                "extensions": { "code": "UNAUTHENTICATED" },
            }]});
            let challenge = [(header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)];
            return (StatusCode::UNAUTHORIZED, challenge, Json(body)).into_response();
        }
    };
    match request {
        Ok(request) => {
            let body = state.graphql.execute_json(request.into_inner(), principal).await;
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(rejection) => {
            let body = json!({ "errors": [{
                "message": format!("not a GraphQL request: {}", rejection.0),
                "extensions": { "code": "BAD_USER_INPUT" },
            }]});
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

async fn graphiql(State(state): State<AppState>) -> Response {
    if state.graphiql {
        ops_console::graphiql::page()
    } else {
        (StatusCode::NOT_FOUND, "GraphiQL is disabled (setting graphql.graphiql)").into_response()
    }
}

/// 200 when the database answers, 503 otherwise; the body says which.
async fn healthz(State(state): State<AppState>) -> Response {
    let database = platform_core::db::ping(&state.db).await;
    let status = if database { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if database { "ok" } else { "unavailable" },
        "database": if database { "ok" } else { "unreachable" },
    });
    (status, Json(body)).into_response()
}

/// A server bound to its address, ready to run.
pub struct Server {
    listener: TcpListener,
    router: Router,
}

impl Server {
    /// Binds `settings.listen` (port 0 picks a free port).
    pub async fn bind(
        settings: &Settings,
        services: &JobContext,
        auth: Authenticator,
    ) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        Ok(Server { listener, router: router(settings, services, auth)? })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await?;
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
