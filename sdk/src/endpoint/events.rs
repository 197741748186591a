//! HTTP events as Lambda delivers them, built around a body, for tests of the HTTP mode
//! (cargo feature `testing`).
//!
//! ```
//! use mparticle_firehose::endpoint::events::HttpEvent;
//! use mparticle_firehose::endpoint::Origin;
//!
//! let event = HttpEvent::function_url(r#"{"type":"module_registration_request"}"#)
//!     .token("t0ken")
//!     .gzip()
//!     .to_json();
//! assert!(event.starts_with(br#"{"version":"2.0","#), "the service's key order");
//! assert_eq!(Origin::of(&event), Some(Origin::FunctionUrl));
//! let value: serde_json::Value = serde_json::from_slice(&event).unwrap();
//! assert_eq!(value["headers"]["authorization"], "Token t0ken");
//! assert_eq!(value["headers"]["content-encoding"], "gzip");
//! assert_eq!(value["isBase64Encoded"], true);
//! ```

use std::io::Write;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::Origin;

/// One HTTP request, rendered as the event of a function URL, API Gateway REST API or ALB.
#[derive(Debug, Clone)]
pub struct HttpEvent {
    origin: Origin,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    base64: bool,
}

impl HttpEvent {
    fn new(origin: Origin, body: impl AsRef<[u8]>) -> Self {
        Self {
            origin,
            method: "POST".to_owned(),
            path: "/".to_owned(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.as_ref().to_vec(),
            base64: false,
        }
    }

    /// A POST of `body` to a function URL (API Gateway HTTP API payload format 2.0).
    pub fn function_url(body: impl AsRef<[u8]>) -> Self {
        Self::new(Origin::FunctionUrl, body)
    }

    /// A POST of `body` through an API Gateway REST API (payload format 1.0).
    pub fn api_gateway_v1(body: impl AsRef<[u8]>) -> Self {
        Self::new(Origin::ApiGatewayV1, body)
    }

    /// A POST of `body` through an Application Load Balancer (multi-value headers off).
    pub fn alb(body: impl AsRef<[u8]>) -> Self {
        Self::new(Origin::Alb, body)
    }

    /// Another method.
    pub fn method(mut self, method: &str) -> Self {
        method.clone_into(&mut self.method);
        self
    }

    /// Another path.
    pub fn path(mut self, path: &str) -> Self {
        path.clone_into(&mut self.path);
        self
    }

    /// Adds a header (names are lowercased, as function URLs deliver them).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// `Authorization: Token <token>`, as mParticle sends it.
    pub fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Token {token}"))
    }

    /// Delivers the body base64-encoded (`isBase64Encoded: true`), as Lambda does for binary
    /// content types.
    pub fn base64(mut self) -> Self {
        self.base64 = true;
        self
    }

    /// Compresses the body with gzip, with `Content-Encoding: gzip`, delivered base64-encoded.
    pub fn gzip(mut self) -> Self {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(&self.body);
        self.body = encoder.finish().unwrap_or_default();
        self.header("content-encoding", "gzip").base64()
    }

    /// The event's JSON, its keys in the order the service sends them (a function URL event
    /// begins with `version`, its body near the end).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = String::from("{");
        for (i, (key, value)) in self.fields().into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&Value::from(key).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push('}');
        out.into_bytes()
    }

    /// The event as a JSON value (to change it in a test; its keys are then sorted).
    pub fn to_value(&self) -> Value {
        Value::Object(
            self.fields()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    /// The event's top-level fields, in the service's order.
    fn fields(&self) -> Vec<(&'static str, Value)> {
        let body = if self.base64 {
            base64::engine::general_purpose::STANDARD.encode(&self.body)
        } else {
            String::from_utf8_lossy(&self.body).into_owned()
        };
        let single: Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        let mut multi = Map::new();
        for (name, value) in &self.headers {
            let values = multi.entry(name.clone()).or_insert_with(|| json!([]));
            if let Value::Array(values) = values {
                values.push(json!(value));
            }
        }
        match self.origin {
            Origin::FunctionUrl => vec![
                ("version", json!("2.0")),
                ("routeKey", json!("$default")),
                ("rawPath", json!(self.path)),
                ("rawQueryString", json!("")),
                ("headers", Value::Object(single)),
                (
                    "requestContext",
                    json!({
                        "accountId": "anonymous",
                        "apiId": "abcdefghijklmnopqrstuvwxyz012345",
                        "domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
                        "domainPrefix": "abcdefghijklmnopqrstuvwxyz012345",
                        "http": {
                            "method": self.method,
                            "path": self.path,
                            "protocol": "HTTP/1.1",
                            "sourceIp": "198.51.100.7",
                            "userAgent": "mParticle"
                        },
                        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                        "routeKey": "$default",
                        "stage": "$default",
                        "time": "30/Nov/2026:08:00:00 +0000",
                        "timeEpoch": 1_795_939_200_000_i64
                    }),
                ),
                ("body", json!(body)),
                ("isBase64Encoded", json!(self.base64)),
            ],
            Origin::ApiGatewayV1 => vec![
                ("resource", json!("/")),
                ("path", json!(self.path)),
                ("httpMethod", json!(self.method)),
                ("headers", Value::Object(single)),
                ("multiValueHeaders", Value::Object(multi)),
                ("queryStringParameters", Value::Null),
                ("multiValueQueryStringParameters", Value::Null),
                ("pathParameters", Value::Null),
                ("stageVariables", Value::Null),
                (
                    "requestContext",
                    json!({
                        "accountId": "123456789012",
                        "apiId": "a1b2c3d4e5",
                        "httpMethod": self.method,
                        "identity": { "sourceIp": "198.51.100.7", "userAgent": "mParticle" },
                        "path": format!("/prod{}", self.path),
                        "protocol": "HTTP/1.1",
                        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                        "requestTimeEpoch": 1_795_939_200_000_i64,
                        "resourceId": "r3s0rc",
                        "resourcePath": "/",
                        "stage": "prod"
                    }),
                ),
                ("body", json!(body)),
                ("isBase64Encoded", json!(self.base64)),
            ],
            Origin::Alb => vec![
                (
                    "requestContext",
                    json!({
                        "elb": {
                            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/firehose/0123456789abcdef"
                        }
                    }),
                ),
                ("httpMethod", json!(self.method)),
                ("path", json!(self.path)),
                ("queryStringParameters", json!({})),
                ("headers", Value::Object(single)),
                ("body", json!(body)),
                ("isBase64Encoded", json!(self.base64)),
            ],
        }
    }
}
