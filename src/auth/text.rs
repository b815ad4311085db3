//! Checks on user-supplied text that is shown to people: names and emails
//! must not hide characters that change how they read.

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
