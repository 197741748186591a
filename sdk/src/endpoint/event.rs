//! HTTP events in and proxy responses out, for each service that delivers HTTP requests to a
//! function: function URLs and API Gateway HTTP APIs (payload format 2.0), API Gateway REST APIs
//! (format 1.0) and Application Load Balancers. The event and response types are
//! `aws_lambda_events`' (the ones `lambda_http` is built on).

use std::borrow::Cow;
use std::fmt;

use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupResponse};
use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, Method, StatusCode};
use serde::Deserializer as _;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};

/// The service an HTTP event came from, which decides the shape of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A Lambda function URL, or an API Gateway HTTP API with payload format 2.0.
    FunctionUrl,
    /// An API Gateway REST API, or an HTTP API with payload format 1.0.
    ApiGatewayV1,
    /// An Application Load Balancer target group.
    Alb,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::FunctionUrl => "function URL (payload 2.0)",
            Origin::ApiGatewayV1 => "API Gateway (payload 1.0)",
            Origin::Alb => "ALB",
        })
    }
}

impl Origin {
    /// Tells the origin from the event's top-level keys, stopping at the first key that
    /// decides (`version` or `requestContext`, the first key of real events), so that the body
    /// is not scanned twice. `None` when the payload is no HTTP event of a known service.
    ///
    /// ```
    /// use mparticle_firehose::endpoint::Origin;
    ///
    /// let url = br#"{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"POST"}}}"#;
    /// let alb = br#"{"requestContext":{"elb":{"targetGroupArn":"arn"}},"httpMethod":"POST"}"#;
    /// let rest = br#"{"resource":"/","path":"/","httpMethod":"POST","requestContext":{}}"#;
    /// assert_eq!(Origin::of(url), Some(Origin::FunctionUrl));
    /// assert_eq!(Origin::of(alb), Some(Origin::Alb));
    /// assert_eq!(Origin::of(rest), Some(Origin::ApiGatewayV1));
    /// assert_eq!(Origin::of(br#"{"type":"event_processing_request"}"#), None);
    /// ```
    pub fn of(event: &[u8]) -> Option<Origin> {
        let mut keys = OriginKeys { fallback: None };
        scan_keys(event, &mut keys).or(keys.fallback)
    }
}

/// Decides something from the top-level keys of a JSON object, reading no more of it than it
/// must.
pub(crate) trait KeyScan<'de> {
    /// What the keys decide.
    type Decision;
    /// Reads (or skips) the value of `key`; `Some` decides, and ends the scan.
    fn key<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Step<'de, Self::Decision, A>;
}

/// What [`KeyScan::key`] returns: a decision, none yet, or the JSON reader's error.
pub(crate) type Step<'de, D, A> = Result<Option<D>, <A as MapAccess<'de>>::Error>;

/// Scans the top-level keys of `json` until `scan` decides; `None` when no key decides or the
/// text is no JSON object.
pub(crate) fn scan_keys<'de, S: KeyScan<'de>>(
    json: &'de [u8],
    scan: &mut S,
) -> Option<S::Decision> {
    let mut decision = None;
    // The visitor ends the parse with an error once it has decided (what follows is not the
    // scan's to judge); the outcome is in `decision`, not in the result.
    let _ = serde_json::Deserializer::from_slice(json).deserialize_map(Scanner {
        scan,
        decision: &mut decision,
    });
    decision
}

/// The visitor of [`scan_keys`].
struct Scanner<'a, 'de, S: KeyScan<'de>> {
    scan: &'a mut S,
    decision: &'a mut Option<S::Decision>,
}

impl<'de, S: KeyScan<'de>> Visitor<'de> for Scanner<'_, 'de, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if let Some(decision) = self.scan.key(&key, &mut map)? {
                *self.decision = Some(decision);
                return Err(de::Error::custom("decided"));
            }
        }
        Ok(())
    }
}

/// Reads top-level keys until one decides the origin.
struct OriginKeys {
    /// What the keys seen so far suggest, if nothing decides.
    fallback: Option<Origin>,
}

impl<'de> KeyScan<'de> for OriginKeys {
    type Decision = Origin;

    fn key<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Step<'de, Origin, A> {
        // A null decides nothing: `cargo lambda watch` serializes every field of its function
        // URL events, unused ones (`"resource":null`, ...) included.
        Ok(match key {
            "version" => match map.next_value::<Option<Cow<'de, str>>>()? {
                None => None,
                Some(v) if v == "2.0" => Some(Origin::FunctionUrl),
                Some(_) => Some(Origin::ApiGatewayV1),
            },
            "requestContext" => match map.next_value::<Option<ContextKeys>>()? {
                None => None,
                Some(ContextKeys { elb: true, .. }) => Some(Origin::Alb),
                Some(ContextKeys { http: true, .. }) => Some(Origin::FunctionUrl),
                Some(_) => Some(Origin::ApiGatewayV1),
            },
            "rawPath" | "routeKey" | "rawQueryString" => map
                .next_value::<Option<IgnoredAny>>()?
                .map(|_| Origin::FunctionUrl),
            "resource" | "multiValueQueryStringParameters" | "pathParameters" => map
                .next_value::<Option<IgnoredAny>>()?
                .map(|_| Origin::ApiGatewayV1),
            "httpMethod" => {
                // REST APIs and ALBs both have it (and the emulator's 2.0 events):
                // `requestContext` or `version` tell them apart.
                self.fallback = Some(Origin::ApiGatewayV1);
                map.next_value::<IgnoredAny>()?;
                None
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
                None
            }
        })
    }
}

/// Which of the keys that tell the services apart a `requestContext` has.
#[derive(Default)]
struct ContextKeys {
    elb: bool,
    http: bool,
}

impl<'de> serde::Deserialize<'de> for ContextKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Scan;
        impl<'de> Visitor<'de> for Scan {
            type Value = ContextKeys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a request context")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ContextKeys, A::Error> {
                let mut keys = ContextKeys::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "elb" => keys.elb = true,
                        "http" => keys.http = true,
                        _ => {}
                    }
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(keys)
            }
        }
        d.deserialize_map(Scan)
    }
}

/// An HTTP event that does not parse as its service's event type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a malformed {origin} event at {path}: {reason}")]
pub struct EventError {
    /// The service the event claims to come from.
    pub origin: Origin,
    /// The JSON path of the offending value.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// What the endpoint needs of an HTTP request, whichever service delivered it.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<String>,
    pub(crate) base64_encoded: bool,
}

impl Request {
    /// Parses the event of `origin`.
    pub(crate) fn parse(origin: Origin, event: &[u8]) -> Result<Self, EventError> {
        Ok(match origin {
            Origin::FunctionUrl => {
                let e: ApiGatewayV2httpRequest = typed(origin, event)?;
                Self {
                    method: e.request_context.http.method,
                    headers: e.headers,
                    body: e.body,
                    base64_encoded: e.is_base64_encoded,
                }
            }
            Origin::ApiGatewayV1 => {
                let e: ApiGatewayProxyRequest = typed(origin, event)?;
                Self {
                    method: e.http_method,
                    headers: merged(e.headers, e.multi_value_headers),
                    body: e.body,
                    base64_encoded: e.is_base64_encoded,
                }
            }
            Origin::Alb => {
                let e: AlbTargetGroupRequest = typed(origin, event)?;
                Self {
                    method: e.http_method,
                    headers: merged(e.headers, e.multi_value_headers),
                    body: e.body,
                    base64_encoded: e.is_base64_encoded,
                }
            }
        })
    }

    /// Every value of the header `name`, in order.
    pub(crate) fn header(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.headers
            .get_all(name)
            .iter()
            .map(http::HeaderValue::as_bytes)
    }
}

/// REST APIs send every header in both maps (ALBs in one of them, depending on the target
/// group): the multi-value map is complete when present.
fn merged(single: HeaderMap, multi: HeaderMap) -> HeaderMap {
    if multi.is_empty() { single } else { multi }
}

/// Parses the event as `T`; tracking the JSON path costs an allocation per key, so only a
/// failing event is parsed again, with tracking, to say where it fails.
fn typed<T: DeserializeOwned>(origin: Origin, event: &[u8]) -> Result<T, EventError> {
    if let Ok(parsed) = serde_json::from_slice(event) {
        return Ok(parsed);
    }
    let error = |path: String, reason: String| EventError {
        origin,
        path,
        reason,
    };
    let mut de = serde_json::Deserializer::from_slice(event);
    let parsed: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = match e.path().to_string() {
            p if p == "." => "$".to_owned(),
            p => format!("$.{p}"),
        };
        error(path, e.into_inner().to_string())
    })?;
    de.end()
        .map(|()| parsed)
        .map_err(|e| error("$".to_owned(), e.to_string()))
}

/// Serializes a response of `$ty` with the fields given set and the others at their defaults.
/// Field by field because the response types are `#[non_exhaustive]`: no struct literal can
/// build them outside their crate.
macro_rules! response_json {
    // A field given as in a struct literal: `name: value`, or `name` for a variable of its name.
    (@value $field:ident) => {
        $field
    };
    (@value $field:ident $value:expr) => {
        $value
    };
    ($ty:ty { $($field:ident $(: $value:expr)?),* $(,)? }) => {{
        let mut r = <$ty>::default();
        $(r.$field = response_json!(@value $field $($value)?);)*
        serde_json::to_vec(&r)
    }};
}

/// Renders an answer in the response shape `origin` expects. Serializing these types only
/// fails for header values that are not UTF-8, which the endpoint never sets.
pub(crate) fn render(
    origin: Origin,
    status: StatusCode,
    headers: HeaderMap,
    body: String,
) -> Result<Vec<u8>, serde_json::Error> {
    let code = i64::from(status.as_u16());
    let body = Some(Body::Text(body));
    match origin {
        Origin::FunctionUrl => response_json!(ApiGatewayV2httpResponse {
            status_code: code,
            headers,
            body,
        }),
        // Headers only in the multi-value map: API Gateway merges both maps, and the same
        // header in both would be sent twice.
        Origin::ApiGatewayV1 => response_json!(ApiGatewayProxyResponse {
            status_code: code,
            multi_value_headers: headers,
            body,
        }),
        // Both maps: a target group reads one or the other depending on its multi-value headers
        // setting.
        Origin::Alb => response_json!(AlbTargetGroupResponse {
            status_code: code,
            status_description: Some(format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or_default()
            )),
            multi_value_headers: headers.clone(),
            headers,
            body,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_events_with_keys_in_any_order() {
        let cases: [(&[u8], Option<Origin>); 11] = [
            (br#"{"rawPath":"/","body":"{}"}"#, Some(Origin::FunctionUrl)),
            (
                br#"{"headers":{},"requestContext":{"http":{"method":"POST"}}}"#,
                Some(Origin::FunctionUrl),
            ),
            (
                br#"{"version":"1.0","httpMethod":"POST"}"#,
                Some(Origin::ApiGatewayV1),
            ),
            (
                br#"{"httpMethod":"POST","body":"{}"}"#,
                Some(Origin::ApiGatewayV1),
            ),
            (
                br#"{"httpMethod":"POST","requestContext":{"elb":{}}}"#,
                Some(Origin::Alb),
            ),
            (
                br#"{"httpMethod":"POST","requestContext":null}"#,
                Some(Origin::ApiGatewayV1),
            ),
            // `cargo lambda watch`'s function URL event, as it serializes it.
            (
                br#"{"type":null,"methodArn":null,"httpMethod":"GET","identitySource":null,"resource":null,"version":"2.0","rawPath":"/"}"#,
                Some(Origin::FunctionUrl),
            ),
            (
                br#"{"resource":null,"pathParameters":null,"rawPath":null,"requestContext":{"http":{}}}"#,
                Some(Origin::FunctionUrl),
            ),
            (br#"{"type":"x"}"#, None),
            (b"[1]", None),
            (b"{not json", None),
        ];
        for (event, origin) in cases {
            assert_eq!(
                Origin::of(event),
                origin,
                "{}",
                String::from_utf8_lossy(event)
            );
        }
    }

    #[test]
    fn malformed_events_name_the_path() {
        let e = Request::parse(
            Origin::Alb,
            br#"{"httpMethod":"POST","requestContext":{"elb":{}},"headers":{"x":1}}"#,
        )
        .err()
        .unwrap();
        assert_eq!((e.origin, e.path.as_str()), (Origin::Alb, "$.headers.x"));
        let e = Request::parse(Origin::FunctionUrl, b"{}").err().unwrap();
        assert_eq!(e.path, "$");
        assert!(e.reason.contains("requestContext"), "{e}");
    }
}
