//! Set-based bulk writes on the members domain's tables, for the importer's staged batches (the contract
//! is [`platform_core::bulk`]): member profiles, ERP customers, member–customer links; and the masks of
//! an anonymized copy. The importer parses and stages; these statements are the only ones that write
//! `members`, `customers` and `member_customers` in bulk.

use platform_core::bulk::{Mask, StageType, StagedMerge};

/// `member-profiles`: members by account, inserted or updated where the export differs (an empty e-mail
/// keeps the stored one; the UUID never changes, and one already another member's is refused).
pub const PROFILES: StagedMerge<'static> = StagedMerge {
    columns: &[
        ("account", StageType::Text),
        ("uuid", StageType::Uuid),
        ("email", StageType::Text),
        ("marketing", StageType::Bool),
        ("content", StageType::Bool),
        ("verified", StageType::Bool),
        ("info", StageType::Text),
    ],
    checks: &["UPDATE import_stage SET reject = 'UUID: already the UUID of another member' \
     WHERE reject IS NULL AND EXISTS (SELECT 1 FROM members m WHERE m.uuid = import_stage.uuid \
     AND m.account <> import_stage.account)"],
    existing: Some(
        "SELECT COUNT(*) FROM import_stage s JOIN members m ON m.account = s.account WHERE s.reject IS NULL",
    ),
    upserts: &["INSERT INTO members (account, uuid, email, marketing_opt_in, content_opt_in, verified, \
     trade_van_member_info, created_at, updated_at) \
     SELECT s.account, s.uuid, s.email, s.marketing, s.content, s.verified, s.info, $1, $1 \
     FROM import_stage s WHERE s.reject IS NULL \
     ON CONFLICT (account) DO UPDATE SET email = COALESCE(excluded.email, members.email), \
     marketing_opt_in = excluded.marketing_opt_in, content_opt_in = excluded.content_opt_in, \
     verified = excluded.verified, trade_van_member_info = excluded.trade_van_member_info, \
     updated_at = excluded.updated_at \
     WHERE COALESCE(excluded.email, members.email) IS DISTINCT FROM members.email \
     OR excluded.marketing_opt_in IS DISTINCT FROM members.marketing_opt_in \
     OR excluded.content_opt_in IS DISTINCT FROM members.content_opt_in \
     OR excluded.verified IS DISTINCT FROM members.verified \
     OR excluded.trade_van_member_info IS DISTINCT FROM members.trade_van_member_info"],
    after: &[],
};

/// Where `parent` sits in a [`CUSTOMERS`] row's cells.
pub const CUSTOMER_PARENT: usize = 6;

/// `customers`: the ERP customers not there yet are inserted (an existing one is left as it is); a parent
/// must exist, earlier in the batch or stored. Parents are set once the batch's own customers exist, only
/// for the customers this batch inserted, driven from the staged rows that name one (never by scanning
/// `customers`).
pub const CUSTOMERS: StagedMerge<'static> = StagedMerge {
    columns: &[
        ("customer_no", StageType::Text),
        ("customer_id", StageType::Text),
        ("name", StageType::Text),
        ("email", StageType::Text),
        ("phone", StageType::Text),
        ("street", StageType::Text),
        ("parent", StageType::Text),
    ],
    checks: &["UPDATE import_stage SET reject = 'parent: no customer ' || parent || ' (import it first)' \
     WHERE reject IS NULL AND parent IS NOT NULL \
     AND NOT EXISTS (SELECT 1 FROM customers p WHERE p.customer_no = import_stage.parent) \
     AND NOT EXISTS (SELECT 1 FROM import_stage p WHERE p.customer_no = import_stage.parent AND p.reject IS NULL)"],
    existing: None,
    upserts: &["INSERT INTO customers (customer_no, customer_id, name, email, phone, street, \
     created_at, updated_at) \
     SELECT s.customer_no, s.customer_id, s.name, s.email, s.phone, s.street, \
     $1, $1 FROM import_stage s WHERE s.reject IS NULL ON CONFLICT (customer_no) DO NOTHING"],
    after: &["UPDATE customers SET parent_id = p.id FROM import_stage s \
     JOIN customers p ON p.customer_no = s.parent \
     WHERE s.parent IS NOT NULL AND s.reject IS NULL AND customers.customer_no = s.customer_no \
     AND customers.created_at = $1 AND customers.parent_id IS NULL"],
};

/// The columns of a member–customer link batch.
const LINK_COLUMNS: &[(&str, StageType)] =
    &[("account", StageType::Text), ("customer_no", StageType::Text), ("linked_at", StageType::Text)];

/// `member-customers` on SQLite: anti-joins on the unique indexes mark the refused rows (only those are
/// written to), then the links of the rows left.
pub const LINKS_SQLITE: StagedMerge<'static> = StagedMerge {
    columns: LINK_COLUMNS,
    checks: &[
        "UPDATE import_stage SET reject = 'USERID: no member ' || account || ' (import member-profiles first)' \
     WHERE reject IS NULL AND NOT EXISTS (SELECT 1 FROM members m WHERE m.account = import_stage.account)",
        "UPDATE import_stage SET reject = 'SUBNO: no customer ' || customer_no || ' (import customers first)' \
     WHERE reject IS NULL \
     AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_no = import_stage.customer_no)",
    ],
    existing: None,
    upserts: &["INSERT INTO member_customers (member_id, customer_id, linked_at) \
     SELECT m.id, c.id, COALESCE(s.linked_at, $1) FROM import_stage s \
     JOIN members m ON m.account = s.account JOIN customers c ON c.customer_no = s.customer_no \
     WHERE s.reject IS NULL ON CONFLICT (member_id, customer_id) DO NOTHING"],
    after: &[],
};

/// `member-customers` on PostgreSQL: one statement resolves both references once per row, marks the rows
/// that fail and inserts the others (the checks and the insert would otherwise look every row up twice).
/// Links are a set: the halves of a batch may merge at once.
pub const LINKS_POSTGRES: StagedMerge<'static> = StagedMerge {
    columns: LINK_COLUMNS,
    checks: &[],
    existing: None,
    upserts: &["WITH resolved AS MATERIALIZED (SELECT s.line, m.id AS member_id, \
     c.id AS customer_id, s.linked_at FROM import_stage s LEFT JOIN members m ON m.account = s.account \
     LEFT JOIN customers c ON c.customer_no = s.customer_no WHERE s.reject IS NULL), \
     marked AS (UPDATE import_stage SET reject = CASE WHEN r.member_id IS NULL \
     THEN 'USERID: no member ' || import_stage.account || ' (import member-profiles first)' \
     ELSE 'SUBNO: no customer ' || import_stage.customer_no || ' (import customers first)' END \
     FROM resolved r WHERE r.line = import_stage.line AND (r.member_id IS NULL OR r.customer_id IS NULL)) \
     INSERT INTO member_customers (member_id, customer_id, linked_at) \
     SELECT member_id, customer_id, COALESCE(linked_at::timestamptz, $1) FROM resolved \
     WHERE member_id IS NOT NULL AND customer_id IS NOT NULL ON CONFLICT (member_id, customer_id) DO NOTHING"],
    after: &[],
};

/// The masks of an anonymized copy: names, e-mails, phones and streets of members, customers and the ERP
/// master's contacts go (the contacts masked as their customer is); ids and numbers stay.
pub const MASKS: [Mask; 4] = [
    Mask {
        table: "members",
        sql: "UPDATE members SET account = 'dev+' || id || '@example.invalid', \
         email = 'dev+' || id || '@example.invalid', \
         name = CASE WHEN name IS NULL THEN NULL ELSE id || ' テスト' END, \
         phone = NULL, nine_one_member_info = NULL, trade_van_member_info = NULL",
    },
    Mask {
        table: "customers",
        sql: "UPDATE customers SET name = id || ' テスト', \
         email = CASE WHEN email IS NULL THEN NULL ELSE 'dev+customer-' || id || '@example.invalid' END, \
         phone = NULL, mobile = NULL, street = NULL",
    },
    Mask {
        table: "customer_contacts",
        sql: "UPDATE customer_contacts SET name = CASE WHEN name IS NULL THEN NULL ELSE id || ' テスト' END",
    },
    Mask {
        table: "customer_contact_points",
        sql: "UPDATE customer_contact_points SET street = NULL, \
         value = CASE WHEN kind = 'EMAIL' THEN 'dev+contact-' || id || '@example.invalid' ELSE NULL END",
    },
];
