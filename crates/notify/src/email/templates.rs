//! E-mail templates: one editable text file per kind (`<kind>.txt`), its first line `Subject: …`, rendered
//! with minijinja. The built-in ones (the repository's `templates/email/`) are compiled in; a configured
//! folder overrides any of them. Every template is checked when loaded, so a broken edit stops the start-up
//! instead of an e-mail.

use super::EmailKind;
use crate::NotifyError;
use minijinja::Environment;
use std::path::Path;

const BUILT_IN: [(EmailKind, &str); 9] = [
    (EmailKind::RenewalNotice, include_str!("../../../../templates/email/renewal_notice.txt")),
    (EmailKind::ChargeFailed, include_str!("../../../../templates/email/charge_failed.txt")),
    (EmailKind::ChargeSucceeded, include_str!("../../../../templates/email/charge_succeeded.txt")),
    (EmailKind::FailedChargesList, include_str!("../../../../templates/email/failed_charges_list.txt")),
    (EmailKind::PriceChangeNotice, include_str!("../../../../templates/email/price_change_notice.txt")),
    (EmailKind::SubscriptionChanged, include_str!("../../../../templates/email/subscription_changed.txt")),
    (EmailKind::OrderRefunded, include_str!("../../../../templates/email/order_refunded.txt")),
    (EmailKind::DeliveryChanged, include_str!("../../../../templates/email/delivery_changed.txt")),
    (EmailKind::ShippingNotice, include_str!("../../../../templates/email/shipping_notice.txt")),
];

/// The loaded templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

impl Templates {
    /// The built-in templates, overridden by `<dir>/<kind>.txt` files when `dir` is given.
    pub fn load(dir: Option<&Path>) -> Result<Templates, NotifyError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (kind, built_in) in BUILT_IN {
            let source = match dir.map(|d| d.join(format!("{}.txt", kind.as_str()))) {
                Some(path) if path.exists() => std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("reading the e-mail template {}: {e}", path.display()))?,
                _ => built_in.to_owned(),
            };
            if !source.starts_with("Subject:") {
                return Err(anyhow::anyhow!(
                    "e-mail template {}: the first line must be `Subject: …`",
                    kind.as_str()
                )
                .into());
            }
            env.add_template_owned(kind.as_str(), source)
                .map_err(|e| anyhow::anyhow!("e-mail template {}: {e}", kind.as_str()))?;
        }
        let templates = Templates { env };
        for kind in EmailKind::ALL {
            templates.render(kind, &serde_json::json!({}))?;
        }
        Ok(templates)
    }

    /// Renders `kind` with `data`.
    pub fn render(&self, kind: EmailKind, data: &serde_json::Value) -> Result<Rendered, NotifyError> {
        let text = self
            .env
            .get_template(kind.as_str())
            .and_then(|t| t.render(data))
            .map_err(|e| anyhow::anyhow!("rendering the e-mail template {}: {e}", kind.as_str()))?;
        let (first, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        Ok(Rendered {
            subject: first.trim_start_matches("Subject:").trim().to_owned(),
            body: body.trim_start_matches('\n').to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_render_their_data() {
        let templates = Templates::load(None).unwrap();
        let data = serde_json::json!({ "customerName": "王小明", "productName": "天下雜誌一年", "deductDate": "2027-01-09",
                                       "deductPrice": 2280, "cardLast4": "4242", "cardUpdateUrl": "https://x/renewals/7/card" });
        let notice = templates.render(EmailKind::RenewalNotice, &data).unwrap();
        assert_eq!(notice.subject, "天下雜誌一年: your subscription renews on 2027-01-09");
        assert!(
            notice.body.contains("王小明") && notice.body.contains("NT$2280") && notice.body.contains("4242")
        );
        assert!(notice.body.contains("https://x/renewals/7/card"));
    }

    #[test]
    fn a_folder_overrides_a_template_and_a_broken_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("charge_failed.txt"), "Subject: 扣款失敗 {{ orderNo }}\nbody")
            .unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let failed =
            templates.render(EmailKind::ChargeFailed, &serde_json::json!({ "orderNo": "O1" })).unwrap();
        assert_eq!(failed, Rendered { subject: "扣款失敗 O1".into(), body: "body".into() });

        std::fs::write(dir.path().join("charge_failed.txt"), "Subject: {{ broken\n").unwrap();
        assert!(Templates::load(Some(dir.path())).unwrap_err().to_string().contains("charge_failed"));
        std::fs::write(dir.path().join("charge_failed.txt"), "no subject line\n").unwrap();
        assert!(Templates::load(Some(dir.path())).unwrap_err().to_string().contains("Subject"));
    }
}
