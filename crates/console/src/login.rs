//! Logging in and out: a pasted admin token or a one-time link from `platform ops-link` opens a session;
//! the token is checked once and never kept (nor put in a URL); member and service tokens are refused.

use crate::Console;
use crate::guard::{LOGIN_COOKIE, Operator, SESSION_COOKIE, cookie, forbidden_csrf, secure, set_cookie};
use crate::view::internal;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use members::Principal;
use minijinja::context;
use serde::Deserialize;

/// Longest token accepted in the form.
const MAX_TOKEN_BYTES: usize = 8192;
/// How long the login form's CSRF cookie lives.
const LOGIN_FORM_SECS: i64 = 1800;

#[derive(Deserialize, Default)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    expired: Option<String>,
}

/// `GET /ops/login`.
pub(crate) async fn form(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let message = q.expired.map(|_| "工作階段已過期，請重新登入。Your session has ended; log in again.");
    login_page(&console, &headers, StatusCode::OK, message, None)
}

/// The login page (or the link's confirmation when `link` is given), with a fresh form CSRF cookie.
fn login_page(
    console: &Console,
    headers: &HeaderMap,
    status: StatusCode,
    message: Option<&str>,
    link: Option<&str>,
) -> Response {
    let csrf = match crate::session::secret() {
        Ok(csrf) => csrf,
        Err(err) => return internal(&err),
    };
    let mut response = console.view.page(status, "login.html", context! { message, csrf, link });
    let cookie = set_cookie(LOGIN_COOKIE, &csrf, LOGIN_FORM_SECS, secure(console, headers));
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
}

/// Whether the form's CSRF token is the login cookie's.
fn login_csrf_ok(headers: &HeaderMap, form_csrf: &str) -> bool {
    cookie(headers, LOGIN_COOKIE).is_some_and(|c| !c.is_empty() && crate::session::same(c, form_csrf))
}

/// `POST /ops/login`: an admin token opens a session.
pub(crate) async fn submit(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !login_csrf_ok(&headers, &form.csrf) {
        return forbidden_csrf();
    }
    let token = form.token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        let message =
            "請貼上 `platform token --role admin` 的權杖。Paste a token from `platform token --role admin`.";
        return login_page(&console, &headers, StatusCode::BAD_REQUEST, Some(message), None);
    }
    match console.auth.verify(token) {
        Ok(Principal::Admin { subject }) => open_session(&console, &headers, &subject).await,
        Ok(_) => {
            let message = "只有管理者權杖可以登入。Only an admin token logs in to the console.";
            login_page(&console, &headers, StatusCode::FORBIDDEN, Some(message), None)
        }
        Err(err) => {
            let message = format!("權杖無效：{err}。The token was refused: {err}.");
            login_page(&console, &headers, StatusCode::UNAUTHORIZED, Some(&message), None)
        }
    }
}

/// Opens a session of `subject` and sends the browser to the Today page.
async fn open_session(console: &Console, headers: &HeaderMap, subject: &str) -> Response {
    let minutes = i64::try_from(console.jobs.settings.ops.session_minutes).unwrap_or(480);
    let now = console.jobs.clock.now();
    let (key, _) = match crate::session::open(
        &console.jobs.db,
        subject,
        chrono::Duration::minutes(minutes),
        now,
    )
    .await
    {
        Ok(opened) => opened,
        Err(err) => return internal(&err),
    };
    tracing::info!(admin = subject, "console login");
    let secure = secure(console, headers);
    let mut response = Redirect::to("/ops").into_response();
    for cookie in
        [set_cookie(SESSION_COOKIE, &key, minutes * 60, secure), set_cookie(LOGIN_COOKIE, "", 0, secure)]
    {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `GET /ops/link/{key}`: asks to confirm (a link preview or prefetch must not use the link up).
pub(crate) async fn link_form(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    let key: String = key.chars().filter(char::is_ascii_hexdigit).take(64).collect();
    login_page(&console, &headers, StatusCode::OK, None, Some(&key))
}

#[derive(Deserialize)]
pub(crate) struct LinkForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /ops/link`: uses a one-time link.
pub(crate) async fn link_submit(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    if !login_csrf_ok(&headers, &form.csrf) {
        return forbidden_csrf();
    }
    match crate::session::redeem_link(&console.jobs.db, &form.key, console.jobs.clock.now()).await {
        Ok(Some(subject)) => open_session(&console, &headers, &subject).await,
        Ok(None) => {
            let message = "登入連結無效、已使用或已過期。The link is unknown, used or expired: ask for a new one \
                           (`platform ops-link`).";
            login_page(&console, &headers, StatusCode::FORBIDDEN, Some(message), None)
        }
        Err(err) => internal(&err),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /ops/logout`.
pub(crate) async fn logout(
    State(console): State<Console>,
    operator: Operator,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !operator.csrf_ok(&form.csrf) {
        return crate::guard::forbidden_csrf();
    }
    if let Some(key) = cookie(&headers, SESSION_COOKIE)
        && let Err(err) = crate::session::close(&console.jobs.db, key).await
    {
        return internal(&err);
    }
    let mut response = Redirect::to("/ops/login").into_response();
    if let Ok(value) = set_cookie(SESSION_COOKIE, "", 0, secure(&console, &headers)).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
