//! Product thumbnails change rarely; a warm function keeps them and saves the catalog call.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(3600);
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
pub struct ImageCache {
    entries: Mutex<HashMap<u64, (Option<String>, Instant)>>,
}

impl ImageCache {
    /// The ids not known (or known too long ago).
    pub fn missing(&self, ids: &[u64]) -> Vec<u64> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let mut out: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|id| {
                map.get(id)
                    .is_none_or(|(_, at)| now.duration_since(*at) > TTL)
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Records what the catalog said; ids asked for but not answered are remembered as
    /// image-less (deleted products), so they are not asked for again.
    pub fn record(&self, asked: &[u64], found: impl IntoIterator<Item = (u64, Option<String>)>) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > MAX_ENTRIES {
            map.clear();
        }
        let now = Instant::now();
        for id in asked {
            map.insert(*id, (None, now));
        }
        for (id, url) in found {
            map.insert(id, (url, now));
        }
    }

    pub fn urls(&self, ids: &[u64]) -> HashMap<u64, String> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        ids.iter()
            .filter_map(|id| map.get(id).and_then(|(u, _)| u.clone()).map(|u| (*id, u)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_found_and_missing() {
        let c = ImageCache::default();
        assert_eq!(c.missing(&[3, 1, 1, 2]), vec![1, 2, 3]);
        c.record(&[1, 2], [(1, Some("u1".to_string()))]);
        assert_eq!(c.missing(&[1, 2, 3]), vec![3]);
        assert_eq!(c.urls(&[1, 2]), HashMap::from([(1, "u1".to_string())]));
    }
}
