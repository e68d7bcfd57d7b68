//! Property tests of the checkpoint file (`train --resume` reads it back from
//! disk, where it may be damaged): arbitrary bytes, and arbitrary payloads
//! behind a valid magic and CRC, are an error or a checkpoint, never a panic;
//! what `save` writes, `load` returns unchanged.

use ffn_trainer::run::checkpoint::{Checkpoint, FILE_NAME};
use ffn_trainer::run::metrics::EpochMetrics;
use proptest::prelude::*;

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(payload);
    let mut bytes = b"FFNCKPT1".to_vec();
    bytes.extend_from_slice(&crc.sum().to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

fn metrics() -> impl Strategy<Value = EpochMetrics> {
    (1usize..100, any::<f64>(), any::<f64>(), any::<f64>(), any::<f64>(), any::<f64>(), any::<f64>()).prop_map(
        |(epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds)| EpochMetrics {
            epoch,
            loss,
            accuracy,
            val_loss,
            val_accuracy,
            learning_rate,
            seconds,
        },
    )
}

fn checkpoint() -> impl Strategy<Value = Checkpoint> {
    (
        0usize..50,
        proptest::collection::vec(any::<f32>(), 0..64),
        proptest::collection::vec(any::<f32>(), 0..64),
        any::<[f64; 4]>(),
        any::<u64>(),
        proptest::collection::vec(metrics(), 0..5),
        proptest::option::of("\\PC{0,20}"),
        any::<f64>(),
    )
        .prop_map(
            |(
                epochs_done,
                params,
                optimizer_state,
                optimizer_scalars,
                optimizer_step,
                history,
                wandb_dir,
                wall_seconds,
            )| {
                Checkpoint {
                    epochs_done,
                    params,
                    optimizer_state,
                    optimizer_scalars,
                    optimizer_step,
                    history,
                    wandb_dir,
                    wall_seconds,
                }
            },
        )
}

/// NaN != NaN: compare the bits.
fn bits(c: &Checkpoint) -> String {
    format!("{c:?}")
        + &c.params.iter().chain(&c.optimizer_state).map(|x| x.to_bits().to_string()).collect::<Vec<_>>().join(",")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Checkpoint::decode(&bytes);
    }

    #[test]
    fn arbitrary_payloads_with_a_valid_crc_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Checkpoint::decode(&framed(&payload));
    }

    #[test]
    fn damaged_checkpoints_are_refused(c in checkpoint(), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let dir = tempfile::tempdir().expect("tempdir");
        c.save(dir.path()).expect("save");
        let mut bytes = std::fs::read(dir.path().join(FILE_NAME)).expect("read");
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        prop_assert!(Checkpoint::decode(&bytes).is_err(), "a flipped byte at {} went unnoticed", i);
        prop_assert!(Checkpoint::decode(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn save_then_load_round_trips(c in checkpoint()) {
        let dir = tempfile::tempdir().expect("tempdir");
        c.save(dir.path()).expect("save");
        let back = Checkpoint::load(dir.path()).expect("load");
        prop_assert_eq!(bits(&back), bits(&c));
    }
}
