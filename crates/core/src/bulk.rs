//! The contract between the importer and the domains for set-based bulk writes.
//!
//! The importer parses a file and loads a batch into the temporary table `import_stage` (columns `line`,
//! `reject`, and a merge's own [`StagedMerge::columns`]); the domain that owns the target tables owns the
//! statements that check the staged rows and merge them ([`StagedMerge`]), and the statements that mask
//! its tables in an anonymized copy ([`Mask`]). So a statement on `members` lives in `members`, beside its
//! entity, and the importer keeps parsing, staging, rejects and orchestration.

/// The temporary table a batch is staged into.
pub const STAGE: &str = "import_stage";

/// The type of a staged column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageType {
    /// Text.
    Text,
    /// A 64-bit integer.
    Int,
    /// A calendar date.
    Date,
    /// A boolean.
    Bool,
    /// A UUID.
    Uuid,
}

impl StageType {
    /// The PostgreSQL type of the staged column.
    pub const fn postgres(self) -> &'static str {
        match self {
            StageType::Text => "text",
            StageType::Int => "bigint",
            StageType::Date => "date",
            StageType::Bool => "boolean",
            StageType::Uuid => "uuid",
        }
    }
}

/// A set-based merge of one staged batch into a domain's tables. Every statement is the same SQL on both
/// backends unless its owner says otherwise; `$1` is the write time where a statement binds one.
#[derive(Debug, Clone, Copy)]
pub struct StagedMerge<'a> {
    /// The staged columns (besides `line` and `reject`), in the order of a row's cells.
    pub columns: &'a [(&'a str, StageType)],
    /// Statements that resolve references and mark refused rows:
    /// `UPDATE import_stage SET … / reject = '…' WHERE reject IS NULL AND …`, run in order.
    pub checks: &'a [&'a str],
    /// `SELECT COUNT(*)` of the valid staged rows whose record exists already; `None` for insert-only
    /// merges (`ON CONFLICT DO NOTHING`), where every valid row not inserted existed.
    pub existing: Option<&'a str>,
    /// The upserts of the valid rows: `INSERT … SELECT … FROM import_stage WHERE reject IS NULL ON CONFLICT …`
    /// changing only what differs.
    pub upserts: &'a [&'a str],
    /// Statements after the upserts (ledger rows, parents).
    pub after: &'a [&'a str],
}

/// One statement that masks whatever names, reaches or charges a person in one table of a development
/// copy; identities (ids, numbers, UUIDs) stay so the copy behaves as production did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mask {
    /// The table, for the report.
    pub table: &'static str,
    /// The statement (no parameters).
    pub sql: &'static str,
}
