//! Checks on user-supplied text that is shown to people: names and emails
//! must not hide characters that change how they read. Display names are
//! parsed here.

use icu_properties::CodePointMapData;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};

/// Control characters, format characters (zero-width spaces and joiners,
/// bidi overrides such as U+202E, soft hyphens, tags) and line or paragraph
/// separators: nothing a person can see, everything that can make two
/// strings look alike or make text read backwards.
pub fn is_invisible(c: char) -> bool {
    let category = CodePointMapData::<GeneralCategory>::new().get(c);
    GeneralCategoryGroup::Control.contains(category)
        || GeneralCategoryGroup::Format.contains(category)
        || GeneralCategoryGroup::LineSeparator.contains(category)
        || GeneralCategoryGroup::ParagraphSeparator.contains(category)
}

pub fn has_invisible(text: &str) -> bool {
    text.chars().any(is_invisible)
}

pub const DISPLAY_NAME_MAX: usize = 100;

/// Validates a display name: trimmed, 1–100 characters, nothing invisible.
pub fn parse_display_name(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    raw.map_or(Ok(None), |raw| {
        visible_label(raw, DISPLAY_NAME_MAX, "must be at most 100 characters long")
    })
}

pub const FACTOR_NAME_MAX: usize = 64;

/// Validates the label of a second factor ("Work laptop"): trimmed, 1–64
/// characters, nothing invisible. Blank is `Ok(None)`: the caller decides
/// whether a factor may go unnamed.
pub fn parse_factor_name(raw: &str) -> Result<Option<String>, &'static str> {
    visible_label(raw, FACTOR_NAME_MAX, "must be at most 64 characters long")
}

/// A label people read: trimmed (blank is None), at most `max` characters,
/// nothing invisible.
fn visible_label(
    raw: &str,
    max: usize,
    too_long: &'static str,
) -> Result<Option<String>, &'static str> {
    let label = raw.trim();
    if label.is_empty() {
        return Ok(None);
    }
    if label.chars().count() > max {
        return Err(too_long);
    }
    if has_invisible(label) {
        // Bidi overrides (U+202E) and zero-width characters would let a
        // label read differently from what it is.
        return Err("must not contain control, format or other invisible characters");
    }
    Ok(Some(label.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::has_invisible;

    #[test]
    fn format_and_control_characters_are_invisible() {
        for bad in [
            "a\u{200B}b",
            "evil\u{202E}gnp.exe",
            "x\u{0007}",
            "a\u{2028}b",
            "\u{FEFF}a",
        ] {
            assert!(has_invisible(bad), "{bad:?}");
        }
        for good in ["Ada Lovelace", "Zoë", "李小龙", "عربي", "🙂"] {
            assert!(!has_invisible(good), "{good:?}");
        }
    }
}
