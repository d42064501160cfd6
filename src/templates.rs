//! The templates of every file a person reads (`templates/`: the weekly report in HTML and
//! Markdown, the case files, the letters), rendered by minijinja with escaping on by
//! default: every value a template prints is escaped for its format (`.html`: [`esc`];
//! `.md`: [`md`]) unless the template marks it `|safe`, which it does only for logwacht's
//! own words, numbers, ids it validated and pseudonyms. A value from a log can never become
//! markup, a link or a heading.
//!
//! The HTML page and its Markdown twin are rendered from one view model per file, so the
//! two cannot drift apart.
use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;

/// Escapes text for HTML (element content and attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown (a table cell or a line): a value from a log can never become
/// a link, an image (a tracking beacon), a heading, emphasis or HTML, and control characters
/// (ESC, BEL, CR) never reach the reader's terminal or viewer.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '(' | ')' | '!' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The custom auto-escape format of `.md` templates.
const MARKDOWN: &str = "markdown";

/// The templates, compiled in (a workspace cannot change what a report or letter says).
const TEMPLATES: &[(&str, &str)] = &[
    ("report.css", include_str!("../templates/report.css")),
    ("report.html", include_str!("../templates/report.html")),
    ("report.md", include_str!("../templates/report.md")),
    ("letter.md", include_str!("../templates/letter.md")),
    ("notice.md", include_str!("../templates/notice.md")),
    ("group.html", include_str!("../templates/group.html")),
    ("group.md", include_str!("../templates/group.md")),
    ("case_screening.md", include_str!("../templates/case_screening.md")),
    ("case_screen.md", include_str!("../templates/case_screen.md")),
    ("case_report.md", include_str!("../templates/case_report.md")),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| match name.rsplit('.').next() {
        Some("html") => AutoEscape::Html,
        Some("md") => AutoEscape::Custom(MARKDOWN),
        _ => AutoEscape::None,
    });
    env.set_formatter(|out, state, value| {
        // Undefined and none print nothing; a view model has no missing values on purpose.
        if value.is_undefined() || value.is_none() {
            return Ok(());
        }
        let text = match value.as_str() {
            Some(s) => s.to_string(),
            None => value.to_string(),
        };
        let escaped = match state.auto_escape() {
            _ if value.is_safe() => text,
            AutoEscape::Html => esc(&text),
            AutoEscape::Custom(MARKDOWN) => md(&text),
            _ => text,
        };
        out.write_str(&escaped).map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
    });
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    for (name, source) in TEMPLATES {
        // A template that does not parse is a bug the unit test below catches.
        if let Err(e) = env.add_template(name, source) {
            eprintln!("template {name}: {e}");
        }
    }
    env
});

/// Renders template `name` with `view`. An error is logwacht's bug (the templates and
/// their view models are compiled in together), never a value's fault.
pub fn render(name: &str, view: &impl Serialize) -> Result<String, String> {
    let template = ENV.get_template(name).map_err(|e| format!("template {name}: {e}"))?;
    template.render(Value::from_serialize(view)).map_err(|e| format!("template {name}: {e:#}"))
}

/// logwacht's own words for a template (labels of a language): printed as they are.
pub fn words(texts: &impl Serialize) -> Value {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(texts) else {
        return Value::UNDEFINED;
    };
    map.into_iter()
        .map(|(k, v)| (k, Value::from_safe_string(v.as_str().unwrap_or_default().to_string())))
        .collect::<std::collections::BTreeMap<String, Value>>()
        .into()
}

/// A string a view model built from logwacht's own words and validated values (a chart,
/// a count "< 5"): printed as it is.
pub fn safe(s: impl Into<String>) -> Value {
    Value::from_safe_string(s.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            ENV.get_template(name).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn values_are_escaped_for_their_format_unless_marked_safe() {
        let mut env = ENV.clone();
        env.add_template("t.html", "{{ v }}|{{ s }}").unwrap();
        env.add_template("t.md", "{{ v }}|{{ s }}").unwrap();
        let ctx = minijinja::context! { v => "<a href='x'>[l](u)</a>", s => safe("<b>") };
        let html = env.get_template("t.html").unwrap().render(&ctx).unwrap();
        assert_eq!(html, "&lt;a href=&#39;x&#39;&gt;[l](u)&lt;/a&gt;|<b>");
        let md_out = env.get_template("t.md").unwrap().render(&ctx).unwrap();
        assert_eq!(md_out, "&lt;a href='x'&gt;\\[l\\]\\(u\\)&lt;/a&gt;|<b>");
    }
}
