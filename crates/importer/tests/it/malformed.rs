//! Malformed files stop with the line named; Big5 exports are read with `--encoding big5`.

use crate::{import_with, options};
use importer::{Encoding, ImportError, Kind};
use test_support::{count, databases};

fn malformed(result: Result<importer::Summary, ImportError>) -> (u64, String) {
    match result {
        Err(ImportError::Malformed { line, message } | ImportError::Stopped { line, message, .. }) => {
            (line, message)
        }
        other => panic!("expected a malformed-file error, got {other:?}"),
    }
}

#[tokio::test]
async fn r14_a_wrong_header_stops_before_anything_is_written() {
    for db in databases().await {
        let (result, _) = import_with(&db, Kind::Customers, b"customerNo,nmae\nCW1,x\n", &options()).await;
        let (line, message) = malformed(result);
        assert_eq!(line, 1);
        assert!(message.contains("unknown column \"nmae\""), "{message}");
        let (result, _) =
            import_with(&db, Kind::MemberCustomers, b"USERID,SERNO\na@b.tw,1\n", &options()).await;
        assert!(malformed(result).1.contains("lacks the required column(s) SUBNO"));
        let (result, _) = import_with(&db, Kind::Issues, b"", &options()).await;
        assert_eq!(malformed(result).0, 1);
        assert_eq!(count(&db.conn, "customers").await, 0);
    }
}

#[tokio::test]
async fn r14_a_truncated_line_stops_naming_it_and_a_rerun_after_the_fix_completes() {
    for db in databases().await {
        let broken = "customerNo,name,email\nCW1,a,\nCW2,b,\nCW3,c,\nCW4,d,\nCW5,e\n";
        let (result, _) = import_with(&db, Kind::Customers, broken.as_bytes(), &options()).await;
        let (line, message) = malformed(result);
        assert_eq!(line, 6, "{message}");
        assert!(message.contains("2 field(s) where the header has 3"), "{message}");
        // Every line before the broken one is committed, the pending batch too (issue #14: it was lost);
        // the error says what was, and the fixed file completes the import.
        assert_eq!(count(&db.conn, "customers").await, 4, "{}", db.label());
        let (result, _) = import_with(&db, Kind::Customers, broken.as_bytes(), &options()).await;
        match result {
            Err(ImportError::Stopped { line: 6, committed, .. }) => {
                assert_eq!((committed.read, committed.unchanged), (4, 4), "{committed:?}");
            }
            other => panic!("{other:?}"),
        }
        let fixed = broken.replace("CW5,e\n", "CW5,e,\n");
        let (result, _) = import_with(&db, Kind::Customers, fixed.as_bytes(), &options()).await;
        let summary = result.unwrap();
        assert_eq!((summary.inserted, summary.unchanged), (1, 4));
    }
}

#[tokio::test]
async fn r14_big5_exports_are_decoded_and_misdeclared_encodings_are_refused() {
    for db in databases().await {
        let text = "customerNo,name,address\nCW0000001,陳志明,臺北市中正區忠孝東路1號\nCW0000002,林春嬌,新北市板橋區\n";
        let (big5, _, unmappable) = encoding_rs::BIG5.encode(text);
        assert!(!unmappable);
        let (as_utf8, _) = import_with(&db, Kind::Customers, &big5, &options()).await;
        let (line, message) = malformed(as_utf8);
        assert_eq!(line, 2);
        assert!(message.contains("--encoding big5"), "{message}");
        let big5_options = importer::Options { encoding: Encoding::Big5, ..options() };
        let (result, _) = import_with(&db, Kind::Customers, &big5, &big5_options).await;
        assert_eq!(result.unwrap().inserted, 2, "{}", db.label());
        assert_eq!(
            count(&db.conn, "customers WHERE name = '陳志明' AND street = '臺北市中正區忠孝東路1號'").await,
            1
        );
        // A UTF-8 BOM (Excel's) is not part of the first column's name.
        let with_bom = format!("\u{feff}{text}");
        let (result, _) = import_with(&db, Kind::Customers, with_bom.as_bytes(), &options()).await;
        assert_eq!(result.unwrap().unchanged, 2);
    }
}

/// Issue #14: with `--batch 1`, the valid line just before bad bytes was silently not committed; now it is,
/// and the error carries the summary of what was.
#[tokio::test]
async fn a_stop_half_way_commits_every_line_before_it_even_with_batches_of_one() {
    for db in databases().await {
        let mut bytes = b"customerNo,name\nCW1,a\nCW2,b\n".to_vec();
        bytes.extend_from_slice(b"CW3,\xff\xfe\n");
        let one = importer::Options { batch: 1, ..options() };
        let (result, _) = import_with(&db, Kind::Customers, &bytes, &one).await;
        match result {
            Err(ImportError::Stopped { line, committed, .. }) => {
                assert_eq!(line, 4, "{}", db.label());
                assert_eq!((committed.read, committed.inserted), (2, 2), "{committed:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(count(&db.conn, "customers").await, 2, "{}: CW2 is committed too", db.label());
    }
}
