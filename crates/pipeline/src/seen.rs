//! The content keys of the records a run has written, for the duplicate
//! check, in memory that does not grow with the archive.
//!
//! Keys are the first 128 bits of a record's SHA-256, so they are uniformly
//! spread. The newest [`SeenKeys::limit`] keys are kept in a hash set; when
//! it is full they are sorted into a run file (16 bytes a key, an unnamed
//! temporary file in the generation's scratch folder) and the set starts
//! again. A fixed-size Bloom filter over the keys in run files answers most
//! "is it there?" questions without reading them; the rest are a binary
//! search of each run. Before: one hash set of every key, ~30 B a record,
//! which would have taken a run past 300 MB near 6 million files.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Keys held in memory before they are written to a run: a 2²¹-bucket
/// table, ~34 MB.
pub const IN_MEMORY_KEYS: usize = 1 << 20;

/// Bits in the Bloom filter over keys in runs (16 MiB, allocated at the
/// first run). With four probes it answers wrongly for ~0.5% of new keys
/// at 10 million keys, ~5% at 30 million; each wrong answer costs a binary
/// search of the runs, not a wrong result.
const BLOOM_BITS_LOG2: u32 = 27;
const BLOOM_PROBES: u32 = 4;

/// The keys seen so far.
pub struct SeenKeys {
    limit: usize,
    recent: HashSet<u128>,
    bloom: Vec<u64>,
    runs: Vec<(File, u64)>,
}

impl Default for SeenKeys {
    fn default() -> SeenKeys {
        SeenKeys::new(IN_MEMORY_KEYS)
    }
}

impl SeenKeys {
    /// An empty set that keeps up to `limit` keys in memory.
    pub fn new(limit: usize) -> SeenKeys {
        SeenKeys {
            limit: limit.max(1),
            recent: HashSet::new(),
            bloom: Vec::new(),
            runs: Vec::new(),
        }
    }

    /// Adds `key`; returns whether it was new. Run files go to the folder
    /// `scratch` gives, created if needed.
    pub fn insert(
        &mut self,
        key: u128,
        scratch: impl FnOnce() -> std::path::PathBuf,
    ) -> std::io::Result<bool> {
        if self.recent.contains(&key) || self.in_runs(key)? {
            return Ok(false);
        }
        self.recent.insert(key);
        if self.recent.len() >= self.limit {
            self.write_run(&scratch())?;
        }
        Ok(true)
    }

    fn probes(key: u128) -> impl Iterator<Item = usize> {
        // The key is a hash already: its bits are the probes.
        (0..BLOOM_PROBES)
            .map(move |i| ((key >> (i * BLOOM_BITS_LOG2)) as usize) & ((1 << BLOOM_BITS_LOG2) - 1))
    }

    fn in_runs(&self, key: u128) -> std::io::Result<bool> {
        if self.runs.is_empty()
            || !Self::probes(key).all(|bit| self.bloom[bit / 64] & (1 << (bit % 64)) != 0)
        {
            return Ok(false);
        }
        for (file, len) in &self.runs {
            let (mut low, mut high) = (0, *len);
            while low < high {
                let middle = low + (high - low) / 2;
                let mut bytes = [0u8; 16];
                file.read_exact_at(&mut bytes, middle * 16)?;
                match u128::from_be_bytes(bytes).cmp(&key) {
                    std::cmp::Ordering::Less => low = middle + 1,
                    std::cmp::Ordering::Greater => high = middle,
                    std::cmp::Ordering::Equal => return Ok(true),
                }
            }
        }
        Ok(false)
    }

    fn write_run(&mut self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        if self.bloom.is_empty() {
            self.bloom = vec![0; (1 << BLOOM_BITS_LOG2) / 64];
        }
        let mut keys: Vec<u128> = self.recent.drain().collect();
        keys.sort_unstable();
        let mut out = BufWriter::new(tempfile::tempfile_in(dir)?);
        for &key in &keys {
            out.write_all(&key.to_be_bytes())?;
            for bit in Self::probes(key) {
                self.bloom[bit / 64] |= 1 << (bit % 64);
            }
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        self.runs.push((file, keys.len() as u64));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_new_exactly_when_a_plain_set_says_so_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        // A tiny limit, so most keys are in runs; keys drawn from a small
        // range, so many repeat, some from long before.
        let mut seen = SeenKeys::new(64);
        let mut plain = HashSet::new();
        let mut state = 0x5eed_u64;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Spread over all 128 bits, as SHA-256 prefixes are.
            let small = (state >> 52) as u128;
            let key = small.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
            let new = seen.insert(key, || dir.path().to_path_buf()).unwrap();
            assert_eq!(new, plain.insert(key), "{key:x}");
        }
        assert!(seen.runs.len() > 10, "{} runs", seen.runs.len());
        assert!(seen.recent.len() < 64);
        // The run files have no names: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
