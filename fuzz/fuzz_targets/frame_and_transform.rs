//! Any bytes through framing and every profile: never a panic, never a hang.
//!
//! The input's first byte picks the URL host (so each site profile is
//! exercised); the rest is the file. Run with `just fuzz SECONDS`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wirehouse_extract::{frame, InputFile};
use wirehouse_transform::{ProfileSet, Transformer};

const HOSTS: [&str; 10] = [
    "www.rfi.fr",
    "www.dw.com",
    "cn.reuters.com",
    "www.voachinese.com",
    "cn.nytimes.com",
    "www.rfa.org",
    "www.bbc.com",
    "cn.ft.com",
    "chinadigitaltimes.net",
    "news.example.org",
];

fn transformer() -> &'static Transformer {
    static TRANSFORMER: OnceLock<Transformer> = OnceLock::new();
    TRANSFORMER.get_or_init(|| Transformer::new(ProfileSet::builtin().expect("built-in profiles compile")))
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    // Raw bytes as a whole file …
    if let Ok(raw) = frame(InputFile::from_bytes("fuzz.md", rest.to_vec())) {
        let _ = transformer().transform(&raw);
    }
    // … and as the HTML of a well-framed file of one of the sites.
    let host = HOSTS[pick as usize % HOSTS.len()];
    let mut file = format!("<!--1616075711000-->\n[t](https://{host}/a-01022021103000.html)\n---\n\n").into_bytes();
    file.extend_from_slice(rest);
    if let Ok(raw) = frame(InputFile::from_bytes("fuzz.md", file)) {
        let _ = transformer().transform(&raw);
    }
});
