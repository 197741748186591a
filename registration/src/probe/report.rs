//! The probe's report: for people, or one JSON object.

use std::fmt::Write;

use serde_json::{Map, Value, json};

use super::checks::{Probe, Status};

/// Pretty JSON (two-space indent).
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Re-indents JSON text (already known to be valid) as serde_json's pretty printer would, but
/// keeping the text itself: key order, number spelling and escapes stay as the function wrote
/// them.
pub fn reindent(json: &str) -> String {
    // Drop the insignificant whitespace first, so that each structural character's neighbour
    // is the next character.
    let mut compact = Vec::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c.is_ascii_whitespace() {
            continue;
        } else if c == '"' {
            in_string = true;
        }
        compact.push(c);
    }

    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < compact.len() {
        let c = compact[i];
        i += 1;
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if compact.get(i) == Some(&close) {
                    out.push(close);
                    i += 1;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// One line per check, a summary, then the registration as the function serves it.
pub fn human(probe: &Probe) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "firehose probe: {}", probe.target);
    let width = probe
        .checks
        .iter()
        .map(|c| c.label.len())
        .max()
        .unwrap_or_default();
    for check in &probe.checks {
        let tag = match check.status {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skipped => "skip",
        };
        let mut lines = check.detail.lines();
        let first = lines.next().unwrap_or_default();
        let _ = writeln!(out, "  {tag:<4}  {:<width$}  {first}", check.label);
        // Multi-line details (an init error lists every violation) stay under their check.
        let indent = " ".repeat(2 + 4 + 2 + width + 2);
        for line in lines {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    let count = |status| probe.checks.iter().filter(|c| c.status == status).count();
    let (failed, warned, total) = (count(Status::Fail), count(Status::Warn), probe.checks.len());
    let warnings = match warned {
        0 => String::new(),
        1 => ", 1 warning".to_owned(),
        n => format!(", {n} warnings"),
    };
    if failed == 0 {
        let _ = writeln!(out, "passed: {total} checks{warnings}");
    } else {
        let _ = writeln!(out, "FAILED: {failed} of {total} checks failed{warnings}");
    }
    if let Some(registration) = &probe.registration_text {
        let _ = writeln!(out);
        if probe.valid_registration().is_some() {
            let _ = writeln!(out, "Registration to hand to mParticle:");
        } else {
            let _ = writeln!(
                out,
                "Registration as the function serves it (NOT ready for mParticle: see the failed checks):"
            );
        }
        let _ = writeln!(out, "{}", reindent(registration));
    }
    out
}

/// One JSON object: `target`, `passed`, `checks`, `latency_ms` and `registration` (the
/// function's answer, or `null`), followed by a newline.
pub fn json(probe: &Probe) -> String {
    let latency: Map<String, Value> = probe
        .latencies
        .iter()
        .map(|(call, elapsed)| {
            let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            (call.key().to_owned(), json!(ms))
        })
        .collect();
    let report = json!({
        "target": probe.target,
        "passed": probe.passed(),
        "checks": probe.checks,
        "latency_ms": latency,
        "registration": probe.registration,
        "registration_valid": probe.valid_registration().is_some(),
    });
    format!("{}\n", pretty(&report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindent_keeps_the_text_and_matches_serde_jsons_layout() {
        let raw =
            r#"{"type":"x","b":[],"a":{},"s":"a, \"b\": {c} [d]\\","n":[1.50,2e3,{"k":null}]}"#;
        let pretty = reindent(raw);
        let value: Value = serde_json::from_str(raw).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&pretty).unwrap(), value);
        assert!(pretty.starts_with("{\n  \"type\": \"x\",\n  \"b\": [],\n  \"a\": {},"));
        assert!(pretty.contains("1.50"));
        // Without reordering keys or respelling numbers, the layout is serde_json's.
        let ordered = r#" { "a" : [ 1 , { "b" : true } ] , "c" : "d" } "#;
        let expected =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(ordered).unwrap()).unwrap();
        assert_eq!(reindent(ordered), expected);
    }
}
