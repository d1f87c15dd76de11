//! Unified diffs of file contents, in the form Salt prints them: empty file
//! names, three lines of context, no "No newline at end of file" marker.

use similar::TextDiff;

/// The diff from `old` to `new`, or Salt's words for binary content.
pub fn unified(old: &[u8], new: &[u8]) -> String {
    match (std::str::from_utf8(old), std::str::from_utf8(new)) {
        (Ok(o), Ok(n)) => TextDiff::from_lines(o, n)
            .unified_diff()
            .context_radius(3)
            .missing_newline_hint(false)
            .header("", "")
            .to_string(),
        _ => "Replace binary file".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_salts_diff() {
        assert_eq!(
            unified(b"hello\n", b"line1\nhello3\n"),
            "--- \n+++ \n@@ -1 +1,2 @@\n-hello\n+line1\n+hello3\n"
        );
    }

    #[test]
    fn context_is_three_lines() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified(old.as_bytes(), new.as_bytes()),
            "--- \n+++ \n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn binary_content_is_not_diffed() {
        assert_eq!(unified(b"\xff\xfe", b"x"), "Replace binary file");
    }
}
