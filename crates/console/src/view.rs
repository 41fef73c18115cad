//! The console's templates (`templates/console/`, compiled into the binary) and the filters they format
//! with: amounts as TWD with thousands separators, instants in the business time zone, percentages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::DateTime;
use minijinja::{Environment, Value};
use platform_core::BusinessCalendar;

/// The templates, by name.
const TEMPLATES: [(&str, &str); 11] = [
    ("layout.html", include_str!("../../../templates/console/layout.html")),
    ("login.html", include_str!("../../../templates/console/login.html")),
    ("message.html", include_str!("../../../templates/console/message.html")),
    ("today.html", include_str!("../../../templates/console/today.html")),
    ("trends.html", include_str!("../../../templates/console/trends.html")),
    ("forecast.html", include_str!("../../../templates/console/forecast.html")),
    ("followups.html", include_str!("../../../templates/console/followups.html")),
    ("followup.html", include_str!("../../../templates/console/followup.html")),
    ("jobs.html", include_str!("../../../templates/console/jobs.html")),
    ("subject.html", include_str!("../../../templates/console/subject.html")),
    ("timeline.html", include_str!("../../../templates/console/timeline.html")),
];

/// The compiled templates.
pub(crate) struct View {
    env: Environment<'static>,
}

impl View {
    /// Compiles the templates, with the filters of `calendar`'s time zone.
    pub(crate) fn new(calendar: BusinessCalendar) -> anyhow::Result<View> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| anyhow::anyhow!("console template {name}: {e}"))?;
        }
        env.add_filter("twd", |n: i64| format!("NT${}", thousands(n)));
        env.add_filter("num", |n: i64| thousands(n));
        env.add_filter("pct", |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}%")));
        env.add_filter("at", move |raw: String| {
            DateTime::parse_from_rfc3339(&raw)
                .map_or(raw, |t| t.with_timezone(&calendar.zone()).format("%Y-%m-%d %H:%M").to_string())
        });
        env.add_global("css", crate::assets::CONSOLE_CSS_URL.as_str());
        Ok(View { env })
    }

    /// Renders page `name` with `context`, answered with `status`.
    pub(crate) fn page(&self, status: StatusCode, name: &str, context: Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(context)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(err) => internal(&anyhow::anyhow!("rendering {name}: {err:#}")),
        }
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An unexpected failure: logged with its cause, answered 500 with a generic message.
pub(crate) fn internal(err: &anyhow::Error) -> Response {
    tracing::error!(error = format!("{err:#}"), "console request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error; the server log has the cause").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-45000), "-45,000");
    }
}
