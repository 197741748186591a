//! What kind of payload an invocation carries: the binary serves mParticle's direct invocations,
//! HTTP events (function URLs, API Gateway, ALB) and SQS events alike, and the payload's shape
//! says which.

use std::cell::Cell;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

/// The shape of an invocation's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// A Firehose message, invoked directly by mParticle (or anything that is not one of the
    /// shapes below: the codec then says what is wrong with it).
    Firehose,
    /// An HTTP request event: a function URL or API Gateway HTTP API (payload 2.0), API Gateway
    /// REST API (1.0) or an Application Load Balancer.
    Http,
    /// An SQS event from an event source mapping.
    Sqs,
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Shape::Firehose => "Firehose",
            Shape::Http => "HTTP event",
            Shape::Sqs => "SQS event",
        })
    }
}

impl Shape {
    /// Tells the shape from the payload's top-level keys, reading no further than the first key
    /// that decides (`type` for a Firehose message, usually the first key).
    ///
    /// ```
    /// use mparticle_firehose::lambda::Shape;
    ///
    /// assert_eq!(Shape::of(br#"{"type":"event_processing_request","events":[]}"#), Shape::Firehose);
    /// assert_eq!(Shape::of(br#"{"Records":[{"eventSource":"aws:sqs","body":"{}"}]}"#), Shape::Sqs);
    /// assert_eq!(Shape::of(br#"{"version":"2.0","rawPath":"/","requestContext":{}}"#), Shape::Http);
    /// assert_eq!(Shape::of(b"{not json"), Shape::Firehose);
    /// ```
    pub fn of(payload: &[u8]) -> Shape {
        let found = Cell::new(None);
        // The visitor stops the parse with an error as soon as it has decided, so that a large
        // Firehose message is not scanned twice; the outcome is in `found`, not in the result.
        let _ = serde_json::Deserializer::from_slice(payload).deserialize_map(Keys(&found));
        found.get().unwrap_or(Shape::Firehose)
    }
}

/// Reads top-level keys until one decides the shape.
struct Keys<'a>(&'a Cell<Option<Shape>>);

impl<'de> Visitor<'de> for Keys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<KeyName>()? {
            let shape = match key {
                // A null `type` decides nothing: `cargo lambda watch` sends function URL events
                // that begin with `"type":null`.
                KeyName::Type => match map.next_value::<Option<IgnoredAny>>()? {
                    None => continue,
                    Some(_) => Shape::Firehose,
                },
                KeyName::Records => Shape::Sqs,
                KeyName::Http => Shape::Http,
                KeyName::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            self.0.set(Some(shape));
            return Err(de::Error::custom("decided"));
        }
        Ok(())
    }
}

/// A top-level key, classified without allocating.
enum KeyName {
    Type,
    Records,
    Http,
    Other,
}

impl<'de> serde::Deserialize<'de> for KeyName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<KeyName, E> {
                Ok(match key {
                    "type" => KeyName::Type,
                    "Records" => KeyName::Records,
                    // Function URL and HTTP API (2.0), REST API (1.0) and ALB events.
                    "requestContext" | "rawPath" | "routeKey" | "httpMethod" => KeyName::Http,
                    _ => KeyName::Other,
                })
            }
        }
        d.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::Shape;

    #[test]
    fn shapes_of_real_payloads() {
        let alb = br#"{"requestContext":{"elb":{"targetGroupArn":"arn"}},"httpMethod":"POST","path":"/","body":"{}"}"#;
        let rest = br#"{"resource":"/","path":"/","httpMethod":"POST","headers":{},"body":null}"#;
        // A Firehose message whose first key is not `type` still reads as Firehose.
        let late_type = br#"{"id":"5b5e8e7c-6a27-4f0a-9b3d-0f1d2c3b4a59","events":[{"type":"x","requestContext":1}],"type":"event_processing_request"}"#;
        assert_eq!(Shape::of(alb), Shape::Http);
        assert_eq!(Shape::of(rest), Shape::Http);
        assert_eq!(Shape::of(late_type), Shape::Firehose);
        // `cargo lambda watch`'s function URL events serialize unused fields as null.
        let emulator = br#"{"type":null,"methodArn":null,"httpMethod":"GET","resource":null,"version":"2.0","requestContext":{"http":{"method":"POST"}}}"#;
        assert_eq!(Shape::of(emulator), Shape::Http);
        assert_eq!(Shape::of(br#"{"type":null,"events":[]}"#), Shape::Firehose);
        for not_an_object in [&b"[1,2]"[..], b"null", b"", b"\"Records\"", b"{\"Records\""] {
            let expected = if not_an_object.starts_with(b"{") {
                Shape::Sqs
            } else {
                Shape::Firehose
            };
            assert_eq!(
                Shape::of(not_an_object),
                expected,
                "{:?}",
                String::from_utf8_lossy(not_an_object)
            );
        }
    }
}
