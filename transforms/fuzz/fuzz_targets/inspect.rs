//! Client request bodies, checked against serde_json as the upstream's parser (tests/agree):
//! inspect never panics and refuses whatever serde_json refuses; what it accepts it reads as
//! serde_json does (keys unescaped, the last of repeated keys wins); and the spliced body
//! reads as the input with only `model` (and a forced `include_usage`) changed.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/agree/mod.rs"]
mod agree;

fuzz_target!(|data: &[u8]| {
    agree::check(data);
});
