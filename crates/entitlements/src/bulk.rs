//! Set-based bulk writes on the entitlements domain's tables, for the importer's staged batches (the
//! contract is [`platform_core::bulk`]): the ERP's entitlement terms (`entitlements-erp`), merged into
//! `entitlements` with their IMPORT ledger rows. The importer parses the ERP's columns into terms and
//! stages them; these statements are the only ones that write entitlements in bulk from a stage.

use platform_core::bulk::{StageType, StagedMerge};
use std::sync::LazyLock;

/// The staged columns of an ERP term, in the order of a row's cells: the ERP customer id, the customer
/// number (or null), the product, whether the member holds it (else the customer), the term (end volume
/// and its date, right due date, seniority in thousandths, status code, estimated), and two references
/// the checks resolve (staged null).
pub const ERP_TERM_COLUMNS: &[(&str, StageType)] = &[
    ("erp_id", StageType::Text),
    ("customer_no", StageType::Text),
    ("product_code", StageType::Text),
    ("member_holder", StageType::Bool),
    ("end_volume", StageType::Int),
    ("end_volume_date", StageType::Date),
    ("right_due_date", StageType::Date),
    ("seniority", StageType::Int),
    ("status", StageType::Int),
    ("estimated", StageType::Bool),
    ("customer_ref", StageType::Int),
    ("member_ref", StageType::Int),
];

const ERP_CHECKS: &[&str] = &[
    "UPDATE import_stage SET customer_ref = CASE WHEN customer_no IS NOT NULL \
     THEN (SELECT c.id FROM customers c WHERE c.customer_no = import_stage.customer_no) \
     ELSE (SELECT MIN(c.id) FROM customers c WHERE c.customer_id = import_stage.erp_id) END",
    "UPDATE import_stage SET reject = 'CUSTOMER_ID: ' || erp_id || ' is the ERP id of several customers; \
     add a CUSTOMER_NO column' WHERE reject IS NULL AND customer_no IS NULL \
     AND (SELECT COUNT(*) FROM customers c WHERE c.customer_id = import_stage.erp_id) > 1",
    "UPDATE import_stage SET reject = 'no customer ' || COALESCE('CUSTOMER_NO ' || customer_no, \
     'with CUSTOMER_ID ' || erp_id) || ' (import customers first)' \
     WHERE reject IS NULL AND customer_ref IS NULL",
    "UPDATE import_stage SET member_ref = (SELECT MIN(l.member_id) FROM member_customers l \
     WHERE l.customer_id = import_stage.customer_ref) WHERE reject IS NULL AND member_holder",
    "UPDATE import_stage SET reject = product_code || ': no member is linked to the customer \
     (import member-customers first)' WHERE reject IS NULL AND member_holder AND member_ref IS NULL",
];

const ERP_EXISTING: &str = "SELECT (SELECT COUNT(*) FROM import_stage s JOIN entitlements e \
     ON e.holder_customer_id = s.customer_ref AND e.product_code = s.product_code \
     WHERE s.reject IS NULL AND NOT s.member_holder) + (SELECT COUNT(*) FROM import_stage s JOIN entitlements e \
     ON e.holder_member_id = s.member_ref AND e.product_code = s.product_code \
     WHERE s.reject IS NULL AND s.member_holder)";

/// The upsert for one kind of holder; `{holder}` is the column, `{reference}` the staged id, `{filter}`
/// which staged rows, `{reaches}` the "at least as far" test that keeps a stored term reaching further.
const ERP_UPSERT: &str = "INSERT INTO entitlements ({holder}, product_code, end_volume, end_volume_date, \
     right_due_date, seniority_thousandths, subscribe_status, estimated, created_at, updated_at) \
     SELECT s.{reference}, s.product_code, s.end_volume, s.end_volume_date, s.right_due_date, s.seniority, \
     s.status, s.estimated, $1, $1 FROM import_stage s WHERE s.reject IS NULL AND {filter} \
     ON CONFLICT ({holder}, product_code) DO UPDATE SET end_volume = excluded.end_volume, \
     end_volume_date = excluded.end_volume_date, right_due_date = excluded.right_due_date, \
     seniority_thousandths = excluded.seniority_thousandths, subscribe_status = excluded.subscribe_status, \
     estimated = excluded.estimated, updated_at = excluded.updated_at \
     WHERE ({reaches}) AND (entitlements.end_volume IS DISTINCT FROM excluded.end_volume \
     OR entitlements.end_volume_date IS DISTINCT FROM excluded.end_volume_date \
     OR entitlements.right_due_date IS DISTINCT FROM excluded.right_due_date \
     OR entitlements.seniority_thousandths IS DISTINCT FROM excluded.seniority_thousandths \
     OR entitlements.subscribe_status IS DISTINCT FROM excluded.subscribe_status \
     OR entitlements.estimated IS DISTINCT FROM excluded.estimated)";

/// One append-only ledger row (kind IMPORT) per entitlement this batch inserted or changed: those whose
/// `updated_at` is this import's write time. An unchanged row (a re-run) writes none.
const ERP_LEDGER: &str = "INSERT INTO entitlement_grants (entitlement_id, kind, outcome, reason, start_volume, \
     end_volume, right_due_date, seniority_thousandths, granted_at) \
     SELECT e.id, 'IMPORT', 'GRANTED', 'entitlements-erp line ' || s.line, e.start_volume, e.end_volume, \
     e.right_due_date, e.seniority_thousandths, $1 FROM import_stage s JOIN entitlements e \
     ON e.product_code = s.product_code AND ((NOT s.member_holder AND e.holder_customer_id = s.customer_ref) \
     OR (s.member_holder AND e.holder_member_id = s.member_ref)) \
     WHERE s.reject IS NULL AND e.updated_at = $1";

/// The two upserts (customer holders, member holders), built once.
static ERP_UPSERTS: LazyLock<[String; 2]> = LazyLock::new(|| {
    let upsert = |holder: &str, reference: &str, filter: &str, reaches: &str| {
        ERP_UPSERT
            .replace("{holder}", holder)
            .replace("{reference}", reference)
            .replace("{filter}", filter)
            .replace("{reaches}", reaches)
    };
    [
        upsert(
            "holder_customer_id",
            "customer_ref",
            "NOT s.member_holder",
            "entitlements.end_volume IS NULL OR excluded.end_volume >= entitlements.end_volume",
        ),
        upsert(
            "holder_member_id",
            "member_ref",
            "s.member_holder",
            "entitlements.right_due_date IS NULL OR excluded.right_due_date >= entitlements.right_due_date",
        ),
    ]
});

static ERP_UPSERT_REFS: LazyLock<[&'static str; 2]> =
    LazyLock::new(|| [ERP_UPSERTS[0].as_str(), ERP_UPSERTS[1].as_str()]);

/// The merge of a batch of ERP terms: holders resolved (by customer number, else by the ERP id when it is
/// one customer's; a member holder through the customer's lowest linked member), rows refused that name no
/// one, then an upsert per kind of holder that never shortens a stored term reaching further and changes
/// only what differs, and a ledger row per entitlement inserted or changed.
pub fn erp_terms() -> StagedMerge<'static> {
    StagedMerge {
        columns: ERP_TERM_COLUMNS,
        checks: ERP_CHECKS,
        existing: Some(ERP_EXISTING),
        upserts: ERP_UPSERT_REFS.as_slice(),
        after: &[ERP_LEDGER],
    }
}
