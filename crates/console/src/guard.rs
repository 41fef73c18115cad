//! Who may use the console: the network check and security headers on every `/ops` response, the session
//! cookie read into an [`Operator`], and the CSRF check of every form post.

use crate::Console;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "ops_session";
/// The login form's CSRF cookie (before there is a session).
pub(crate) const LOGIN_COOKIE: &str = "ops_login";

/// What the console's pages may load: only its own stylesheet and inline SVG; forms post to it only.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Refuses a client outside `ops.allowed_networks` (403), and sets the headers every console response has.
pub(crate) async fn network_and_headers(
    State(console): State<Console>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let allowed = console.networks.is_empty() || peer.is_some_and(|p| console.networks.contains(p));
    let mut response = if allowed {
        next.run(request).await
    } else {
        (StatusCode::FORBIDDEN, "the console answers only from ops.allowed_networks").into_response()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// Whether cookies must be `Secure`: `ops.secure_cookies`, or by default in production or behind a proxy
/// that says the request came over HTTPS.
pub(crate) fn secure(console: &Console, headers: &HeaderMap) -> bool {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    console.jobs.settings.ops.secure_cookies.unwrap_or(console.jobs.settings.production) || forwarded_https
}

/// A `Set-Cookie` value for the console's path.
pub(crate) fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/ops; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// The admin of a live session, with the session's CSRF token. Without one, a page asked for is sent to
/// the login page (303) and anything else is answered 401.
pub(crate) struct Operator {
    pub(crate) subject: String,
    pub(crate) csrf: String,
}

impl Operator {
    /// Whether `token` is the session's CSRF token (if not, answer [`forbidden_csrf`]).
    pub(crate) fn csrf_ok(&self, token: &str) -> bool {
        crate::session::same(token, &self.csrf)
    }
}

/// The answer to a form post without the right CSRF token.
pub(crate) fn forbidden_csrf() -> Response {
    (StatusCode::FORBIDDEN, "the form's CSRF token is missing or wrong: reload the page and try again")
        .into_response()
}

impl FromRequestParts<Console> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Self::Rejection> {
        let now = console.jobs.clock.now();
        let found = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(key) => crate::session::find(&console.jobs.db, key, now)
                .await
                .map_err(|e| crate::view::internal(&e))?,
            None => None,
        };
        match found {
            Some(session) => Ok(Operator { subject: session.subject, csrf: session.csrf }),
            None if matches!(parts.method, Method::GET | Method::HEAD) => {
                let expired = cookie(&parts.headers, SESSION_COOKIE).is_some();
                Err(Redirect::to(if expired { "/ops/login?expired=1" } else { "/ops/login" }).into_response())
            }
            None => Err((StatusCode::UNAUTHORIZED, "log in at /ops/login first").into_response()),
        }
    }
}
