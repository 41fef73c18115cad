//! Alert episodes (R16): a rule that fires is raised once (an `ops.alert_raised` event, which Slack
//! posts, and an ALERT follow-up), stays quiet while it lasts, and is resolved once when a check that
//! evaluates it finds it clear (`ops.alert_resolved`). Each check's changes are one transaction.

use crate::entity::alert;
use crate::rules::{Alert, episodes};
use chrono::{DateTime, Utc};
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use serde_json::json;

/// An alert whose episode lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenAlert {
    /// The rule.
    pub rule: String,
    /// Its priority.
    pub priority: String,
    /// What it said when raised.
    pub message: String,
    /// When.
    pub raised_at: DateTime<Utc>,
    /// Its follow-up.
    pub follow_up_id: Option<i64>,
}

/// What a check changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Rules raised now.
    pub raised: Vec<String>,
    /// Rules resolved now.
    pub resolved: Vec<String>,
}

/// The open episodes, oldest first.
pub async fn open(db: &impl ConnectionTrait) -> Result<Vec<OpenAlert>, DbErr> {
    Ok(alert::Entity::find()
        .filter(alert::Column::OpenKey.is_not_null())
        .order_by_asc(alert::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|a| OpenAlert {
            rule: a.rule,
            priority: a.priority,
            message: a.message,
            raised_at: a.raised_at,
            follow_up_id: a.follow_up_id,
        })
        .collect())
}

/// Raises the `fired` alerts that have no open episode and resolves the open episodes of `evaluated`
/// rules that no longer fire, with their events and follow-ups, in one transaction. `slack` says whether
/// the Slack endpoint should be in step first (so it sees the events).
pub async fn apply(
    db: &DatabaseConnection,
    evaluated: &[String],
    fired: &[Alert],
    at: DateTime<Utc>,
) -> anyhow::Result<Applied> {
    let txn = begin_write(db).await?;
    let open_rules: Vec<String> = open(&txn).await?.into_iter().map(|a| a.rule).collect();
    let (raise, resolve) = episodes(&open_rules, evaluated, fired);
    let mut applied = Applied::default();
    for alert in raise {
        let message: String = alert.title.chars().take(1000).collect();
        let row = alert::ActiveModel {
            rule: Set(alert.rule.clone()),
            priority: Set(alert.priority.as_str().to_owned()),
            status: Set("RAISED".to_owned()),
            message: Set(message.clone()),
            open_key: Set(Some(alert.rule.clone())),
            raised_at: Set(at),
            resolved_at: Set(None),
            follow_up_id: Set(None),
            ..Default::default()
        };
        // Another instance's check raised it first: nothing more.
        let inserted = alert::Entity::insert(row)
            .on_conflict(OnConflict::column(alert::Column::OpenKey).do_nothing().to_owned())
            .exec_with_returning(&txn)
            .await;
        let row = match inserted {
            Ok(row) => row,
            Err(DbErr::RecordNotInserted) => continue,
            Err(err) => return Err(err.into()),
        };
        let follow_up = followups::open(
            &txn,
            followups::NewFollowUp {
                priority: Some(alert.priority),
                ..followups::NewFollowUp::new(
                    followups::Kind::Alert,
                    format!("alert:{}", alert.rule),
                    message.clone(),
                    json!({ "rule": alert.rule, "lines": alert.lines }),
                )
            },
            at,
        )
        .await?;
        if let Some(follow_up) = &follow_up {
            alert::Entity::update_many()
                .col_expr(alert::Column::FollowUpId, Expr::value(follow_up.id))
                .filter(alert::Column::Id.eq(row.id))
                .exec(&txn)
                .await?;
        }
        events::append(&txn, event("ops.alert_raised", alert, follow_up.map(|f| f.id)), at).await?;
        applied.raised.push(alert.rule.clone());
    }
    for rule in resolve {
        let done = alert::Entity::update_many()
            .col_expr(alert::Column::Status, Expr::value("RESOLVED"))
            .col_expr(alert::Column::OpenKey, Expr::value(Option::<String>::None))
            .col_expr(alert::Column::ResolvedAt, Expr::value(at))
            .filter(alert::Column::OpenKey.eq(rule.as_str()))
            .exec(&txn)
            .await?;
        if done.rows_affected == 1 {
            let resolved = Alert {
                rule: rule.clone(),
                priority: followups::Priority::Low,
                title: format!("{rule} has cleared"),
                lines: vec![],
            };
            events::append(&txn, event("ops.alert_resolved", &resolved, None), at).await?;
            applied.resolved.push(rule);
        }
    }
    txn.commit().await?;
    Ok(applied)
}

fn event(event_type: &'static str, alert: &Alert, follow_up: Option<i64>) -> NewEvent {
    NewEvent {
        event_type,
        subject: format!("alert:{}", alert.rule),
        payload: json!({
            "rule": alert.rule,
            "priority": alert.priority.as_str(),
            "title": alert.title,
            "lines": alert.lines,
            "followUpId": follow_up,
        }),
    }
}
