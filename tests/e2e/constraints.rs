//! Each domain turns violations of some unique constraints into its own outcomes (a replayed order, an
//! account taken, a grant already made) by the constraint's name. A migration that renamed one would turn
//! that outcome into `INTERNAL` without any test of the race noticing on every backend; this one does.

use platform_core::db::UniqueKey;

#[tokio::test]
async fn every_unique_key_a_domain_maps_exists_under_the_name_it_expects() {
    let keys: Vec<UniqueKey> = [
        members::UNIQUE_KEYS.as_slice(),
        orders::UNIQUE_KEYS.as_slice(),
        entitlements::UNIQUE_KEYS.as_slice(),
        renewals::UNIQUE_KEYS.as_slice(),
    ]
    .concat();
    assert_eq!(keys.len(), 9);
    for db in test_support::databases().await {
        for key in &keys {
            assert!(key.exists(&db.conn).await.unwrap(), "{}: {key:?} is not in the schema", db.label());
        }
        let renamed =
            UniqueKey { name: "orders_idempotency_key", columns: "orders.idempotency_key, orders.id" };
        assert!(!renamed.exists(&db.conn).await.unwrap(), "{}: a wrong name must not be found", db.label());
    }
}
