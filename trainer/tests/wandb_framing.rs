//! Property tests of the `.wandb` parsers: framing and protobuf decoding never
//! panic on any input, and framing round-trips any record sequence, including
//! every prefix a killed writer can leave.

use ffn_trainer::wandb::framing::{self, FrameError};
use ffn_trainer::wandb::proto::{self, Msg};
use proptest::prelude::*;

fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    // Lengths around the block size hit the padding and empty-FIRST cases often.
    let len = prop_oneof![0usize..64, 32_700usize..32_800, 0usize..100_000];
    prop::collection::vec(len.prop_flat_map(|n| prop::collection::vec(any::<u8>(), n)), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn framing_round_trips(records in payloads()) {
        let log = framing::encode_log(records.iter().map(Vec::as_slice));
        let d = framing::decode_log(&log);
        prop_assert_eq!(d.error, None);
        prop_assert_eq!(d.valid_len, log.len() as u64);
        prop_assert_eq!(d.records, records);
    }

    #[test]
    fn any_prefix_reads_as_the_complete_records_before_it(records in payloads(), cut in any::<prop::sample::Index>()) {
        let log = framing::encode_log(records.iter().map(Vec::as_slice));
        let n = 7 + cut.index(log.len() - 6);
        let d = framing::decode_log(&log[..n]);
        prop_assert!(matches!(d.error, None | Some(FrameError::Truncated(_))), "{:?}", d.error);
        prop_assert!(d.valid_len <= n as u64);
        prop_assert_eq!(&d.records[..], &records[..d.records.len()]);
        let again = framing::decode_log(&log[..d.valid_len as usize]);
        prop_assert_eq!((again.error, again.records), (None, d.records));
    }

    #[test]
    fn decoders_never_panic_on_garbage(mut bytes in prop::collection::vec(any::<u8>(), 0..2000), header in any::<bool>()) {
        if header {
            bytes.splice(0..0, framing::FILE_HEADER);
        }
        let _ = framing::decode_log(&bytes);
        for field in proto::fields(&bytes) {
            if field.is_err() {
                break;
            }
        }
    }

    #[test]
    fn protobuf_strings_round_trip(key in ".{0,40}", value in ".{0,200}", n in any::<i64>()) {
        let m = Msg::new().int(1, n).message(2, Msg::new().string(1, &key).string(16, &value)).into_bytes();
        let fields: Vec<_> = proto::fields(&m).collect::<Result<_, _>>().expect("valid");
        let expect_int = usize::from(n != 0);
        prop_assert_eq!(fields.len(), expect_int + 1);
        let inner: Vec<_> = proto::fields(fields[expect_int].1.as_bytes().expect("bytes"))
            .collect::<Result<_, _>>()
            .expect("valid");
        let text: Vec<&str> = inner.iter().map(|(_, v)| v.as_str().expect("utf-8")).collect();
        let want: Vec<&str> = [key.as_str(), value.as_str()].into_iter().filter(|s| !s.is_empty()).collect();
        prop_assert_eq!(text, want);
    }
}
