//! Turning "which key is wrong" into "which line and column is wrong".
//!
//! serde tells us byte spans for syntax errors, but `validate()` runs on typed values that have
//! forgotten where they came from. Rather than carry spans through every field, validation names
//! the dotted key (`locks.drift_factor`) and this module finds where that key is set in the
//! source text, so every error an operator sees has the same `FILE:LINE:COL:` shape that editors
//! and CI annotators jump to.

/// 1-based line and column (counted in characters, not bytes) of byte offset `at` in `text`.
pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(text, at.min(text.len()));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Byte offset where dotted `key` is assigned in TOML `text` (`[locks]` + `servers = …`, or a
/// dotted `locks.servers = …`). With `item`, the offset of that quoted string inside the value,
/// so a bad array element is pointed at directly. `None` when the key is not in the file (the
/// value came from a default).
pub(crate) fn find_toml_key(text: &str, key: &str, item: Option<&str>) -> Option<usize> {
    let mut table = String::new();
    let mut offset = 0;
    let mut found = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with('[') {
            let inner = trimmed.trim_start_matches('[');
            if let Some(end) = inner.find(']') {
                table = normalize_key(&inner[..end]);
            }
        } else if let Some(eq) = trimmed.find('=') {
            let line_key = normalize_key(&trimmed[..eq]);
            let full = if table.is_empty() {
                line_key
            } else {
                format!("{table}.{line_key}")
            };
            if full == key {
                found = Some(offset + indent);
                break;
            }
        }
        offset += line.len();
    }
    let key_at = found?;
    match item {
        None => Some(key_at),
        Some(item) => {
            let rest = &text[key_at..];
            let quoted = [format!("\"{item}\""), format!("'{item}'")];
            let hit = quoted.iter().filter_map(|q| rest.find(q.as_str())).min();
            Some(key_at + hit.unwrap_or(0))
        }
    }
}

/// `locks . "servers"` → `locks.servers`: the forms TOML allows for one dotted key.
fn normalize_key(raw: &str) -> String {
    raw.split('.')
        .map(|part| part.trim().trim_matches('"').trim_matches('\''))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_chars() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 4), (1, 5));
        assert_eq!(line_col(text, 6), (2, 1));
        // "é" is two bytes but one column.
        assert_eq!(line_col(text, 9), (2, 3));
        assert_eq!(line_col(text, 100), (3, 1));
    }

    #[test]
    fn finds_keys_in_tables_and_dotted_form() {
        let text = "listen = \"x\"\n\n[locks]\n  servers = [\n  \"a:1:1\",\n  \"b:2:1\"]\n";
        assert_eq!(
            line_col(text, find_toml_key(text, "listen", None).unwrap()),
            (1, 1)
        );
        let at = find_toml_key(text, "locks.servers", None).unwrap();
        assert_eq!(line_col(text, at), (4, 3));
        let at = find_toml_key(text, "locks.servers", Some("b:2:1")).unwrap();
        assert_eq!(line_col(text, at), (6, 3));
        assert_eq!(find_toml_key(text, "servers", None), None);

        let dotted = "locks . \"drift_factor\" = 0.7\n";
        assert_eq!(find_toml_key(dotted, "locks.drift_factor", None), Some(0));
    }
}
