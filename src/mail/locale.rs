//! Language tags (BCP 47) and `Accept-Language` (RFC 9110 §12.5.4): what a
//! user's `locale` may hold, and how a request names its language.

/// The longest tag kept: more than any real language tag needs.
const MAX_TAG_LEN: usize = 35;

/// A well-formed language tag in its canonical case (`de-AT`, `zh-Hant-TW`,
/// `es-419`), or None. Checks the shape RFC 5646 gives (a 2–3 or 5–8
/// letter language, then subtags of 1–8 letters or digits), not the
/// registry: `xx-YY` passes and falls back like any tag authd has no
/// mail for.
pub fn normalize(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_TAG_LEN {
        return None;
    }
    let mut out = Vec::new();
    for (i, part) in raw.split('-').enumerate() {
        let alnum = part.chars().all(|c| c.is_ascii_alphanumeric());
        if part.is_empty() || part.len() > 8 || !alnum {
            return None;
        }
        let alpha = part.chars().all(|c| c.is_ascii_alphabetic());
        if i == 0 {
            if !alpha || !matches!(part.len(), 2 | 3 | 5..=8) {
                return None;
            }
            out.push(part.to_ascii_lowercase());
        } else if alpha && part.len() == 2 {
            out.push(part.to_ascii_uppercase());
        } else if alpha && part.len() == 4 {
            let lower = part.to_ascii_lowercase();
            out.push(lower[..1].to_ascii_uppercase() + &lower[1..]);
        } else {
            out.push(part.to_ascii_lowercase());
        }
    }
    Some(out.join("-"))
}

/// The tags that `tag` falls back to, most specific first: `de-AT-x` →
/// `de-AT-x`, `de-AT`, `de`.
pub fn fallbacks(tag: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(tag);
    std::iter::from_fn(move || {
        let current = next?;
        next = current.rsplit_once('-').map(|(head, _)| head);
        Some(current)
    })
}

/// The languages of an `Accept-Language` header, by preference (highest
/// `q` first, header order among equals); `*`, `q=0` and malformed items
/// are left out.
pub fn accept_language(header: &str) -> Vec<String> {
    let mut ranked: Vec<(u16, String)> = header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = normalize(parts.next()?)?;
            let mut weight = 1000;
            for param in parts {
                if let Some(q) = param.trim().strip_prefix("q=") {
                    let q: f32 = q.trim().parse().ok()?;
                    weight = (q.clamp(0.0, 1.0) * 1000.0).round() as u16;
                }
            }
            (weight > 0).then_some((weight, tag))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    ranked.sort_by_key(|(weight, _)| std::cmp::Reverse(*weight));
    ranked.into_iter().map(|(_, tag)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_checked_and_put_in_canonical_case() {
        assert_eq!(normalize("de-at").as_deref(), Some("de-AT"));
        assert_eq!(normalize("ZH-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(normalize("es-419").as_deref(), Some("es-419"));
        assert_eq!(normalize(" fr ").as_deref(), Some("fr"));
        for bad in [
            "",
            "d",
            "de_AT",
            "de-",
            "-de",
            "1de",
            "de-toolongsubtag",
            "de AT",
            "é",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_tag_falls_back_subtag_by_subtag() {
        let chain: Vec<&str> = fallbacks("de-AT-1996").collect();
        assert_eq!(chain, ["de-AT-1996", "de-AT", "de"]);
    }

    #[test]
    fn accept_language_is_ranked_by_weight_then_order() {
        assert_eq!(
            accept_language("fr;q=0.5, de-AT, *;q=0.1, en;q=0.8, es;q=0, x_y"),
            ["de-AT", "en", "fr"]
        );
        assert!(accept_language("").is_empty());
    }
}
