//! Client request bodies: inspect must never panic, and splicing an accepted body must give a
//! body inspect accepts again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut scratch = Vec::new();
    if let Ok(fields) = corelane_transforms::inspect(data, &mut scratch) {
        let mut out = Vec::new();
        corelane_transforms::splice(data, &fields, "fuzz/model", true, &mut out);
        let again = corelane_transforms::inspect(&out, &mut scratch);
        assert_eq!(again.map(|f| f.model), Ok(Some("fuzz/model".to_owned())));
    }
});
