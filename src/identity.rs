//! The one rule for comparing identities (logins, names): Unicode NFC, then lowercase.
//! `Dana`, `dana` and `Dana` written with a decomposed letter are one person. The checker folds
//! manifest values of type `identity` with it, `identity(text)` folds a string, and `facts` keys
//! people by it.

use unicode_normalization::UnicodeNormalization;

/// The folded form of a login or name: NFC, then Unicode lowercase.
pub fn fold(s: &str) -> String {
    // ASCII text is in NFC already, and its Unicode lowercase is its ASCII lowercase.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let nfc: String = s.nfc().collect();
    nfc.to_lowercase()
}

/// Whether two logins or names are the same identity by `fold`.
pub fn same(a: &str, b: &str) -> bool {
    a == b || fold(a) == fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_normal_form_fold_together() {
        assert_eq!(fold("Dana"), "dana");
        assert_eq!(fold("Ren\u{65}\u{301}e"), fold("Ren\u{e9}e"));
        assert_eq!(fold("REN\u{c9}E"), "ren\u{e9}e");
        assert!(same("Dana", "dana"));
        assert!(!same("dana", "dan"));
    }
}
