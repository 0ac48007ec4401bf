//! Fuzzes the SigV4 header and query parsers and the canonicalisation behind them: any bytes,
//! split into a request by `sigv4::fuzz_parse`, must neither panic nor take long.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sigv4::fuzz_parse(data);
});
