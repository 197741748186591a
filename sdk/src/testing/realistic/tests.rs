use super::*;
use crate::Message;

#[test]
fn realistic_batches_decode_and_roundtrip_as_values() {
    for storefront in [Storefront::IosApp, Storefront::WebShop] {
        for seed in 0..20 {
            let bytes = RealisticBatch::new(seed, storefront).event_batch(120);
            let message = Message::decode(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{storefront:?} seed {seed}: {e}\n{}",
                    String::from_utf8_lossy(&bytes)
                )
            });
            let encoded = message.encode().unwrap();
            let sent: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let back: serde_json::Value = serde_json::from_slice(&encoded).unwrap();
            assert_eq!(sent, back, "{storefront:?} seed {seed}");
        }
    }
}

#[test]
fn same_seed_same_bytes() {
    let a = RealisticBatch::new(3, Storefront::WebShop).event_batch(50);
    let b = RealisticBatch::new(3, Storefront::WebShop).event_batch(50);
    assert_eq!(a, b);
}
