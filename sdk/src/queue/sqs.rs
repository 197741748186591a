//! The real queue: Amazon SQS through `aws-sdk-sqs`, over rustls with ring.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::ChangeMessageVisibilityBatchRequestEntry;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use super::{OutgoingMessage, QueueApi, QueueError, VisibilityChange};

/// The HTTPS client every SQS call goes through: hyper with rustls and the ring provider (no
/// aws-lc, no OpenSSL). Plain `http://` endpoints (a local SQS) work too.
pub fn https_client() -> aws_sdk_sqs::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// An SQS client for the producer and the consumer. Build it once per execution environment
/// and keep it (clones share the connection pool).
///
/// ```no_run
/// # async fn doc() {
/// use mparticle_firehose::queue::SqsClient;
///
/// // Region and credentials from the Lambda environment; AWS_ENDPOINT_URL_SQS for a local SQS.
/// let sqs = SqsClient::from_env().await;
/// # drop(sqs);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SqsClient {
    client: aws_sdk_sqs::Client,
}

impl SqsClient {
    /// Region, credentials and endpoint from the environment, as every AWS SDK reads them
    /// (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, ..., `AWS_ENDPOINT_URL_SQS`), with [`https_client`].
    pub async fn from_env() -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(https_client())
            .load()
            .await;
        Self::from_sdk_config(&config)
    }

    /// From a loaded AWS configuration (which should use [`https_client`]).
    pub fn from_sdk_config(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(config),
        }
    }

    /// A client of the SQS API at `endpoint` (a local one: moto's server, ...), in `region`,
    /// with fixed credentials.
    pub fn for_endpoint(endpoint: &str, region: &str, access_key: &str, secret_key: &str) -> Self {
        let credentials = aws_sdk_sqs::config::Credentials::new(
            access_key,
            secret_key,
            None,
            None,
            "mparticle-firehose",
        );
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .http_client(https_client())
            .region(aws_sdk_sqs::config::Region::new(region.to_owned()))
            .credentials_provider(credentials)
            .endpoint_url(endpoint)
            .build();
        Self {
            client: aws_sdk_sqs::Client::from_conf(config),
        }
    }

    /// The `aws-sdk-sqs` client, for other operations.
    pub fn client(&self) -> &aws_sdk_sqs::Client {
        &self.client
    }
}

#[async_trait]
impl QueueApi for SqsClient {
    async fn send(&self, queue_url: &str, message: OutgoingMessage) -> Result<(), QueueError> {
        self.client
            .send_message()
            .queue_url(queue_url)
            .message_body(message.body)
            .set_message_group_id(message.group_id)
            .set_message_deduplication_id(message.deduplication_id)
            .send()
            .await
            .map_err(|e| {
                QueueError::new("SendMessage", queue_url, DisplayErrorContext(e).to_string())
            })?;
        Ok(())
    }

    async fn change_visibility(
        &self,
        queue_url: &str,
        changes: Vec<VisibilityChange>,
    ) -> Result<(), QueueError> {
        const OPERATION: &str = "ChangeMessageVisibilityBatch";
        let mut failures = Vec::new();
        for chunk in changes.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, change)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(&change.receipt_handle)
                        .visibility_timeout(seconds(change.timeout))
                        .build()
                        .map_err(|e| QueueError::new(OPERATION, queue_url, e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .change_message_visibility_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    QueueError::new(OPERATION, queue_url, DisplayErrorContext(e).to_string())
                })?;
            failures.extend(
                output
                    .failed()
                    .iter()
                    .map(|f| format!("{}: {}", f.code(), f.message().unwrap_or_default())),
            );
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(QueueError::new(
                OPERATION,
                queue_url,
                format!("{} entries failed: {}", failures.len(), failures.join("; ")),
            ))
        }
    }
}

fn seconds(timeout: Duration) -> i32 {
    i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX)
}

/// An SQS queue ARN that does not say which queue it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{arn:?} is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)")]
pub struct InvalidArn {
    /// The ARN.
    pub arn: String,
}

/// The URL of the queue an `eventSourceARN` names: on `endpoint` (a local SQS) when given,
/// else on the region's public SQS endpoint.
///
/// ```
/// use mparticle_firehose::queue::queue_url_from_arn;
///
/// let arn = "arn:aws:sqs:eu-west-1:123456789012:acme-events";
/// assert_eq!(queue_url_from_arn(arn, None)?, "https://sqs.eu-west-1.amazonaws.com/123456789012/acme-events");
/// assert_eq!(queue_url_from_arn(arn, Some("http://127.0.0.1:5000/"))?, "http://127.0.0.1:5000/123456789012/acme-events");
/// assert!(queue_url_from_arn("arn:aws:sns:eu-west-1:123456789012:topic", None).is_err());
/// # Ok::<(), mparticle_firehose::queue::InvalidArn>(())
/// ```
pub fn queue_url_from_arn(arn: &str, endpoint: Option<&str>) -> Result<String, InvalidArn> {
    let invalid = || InvalidArn {
        arn: arn.to_owned(),
    };
    let parts: Vec<&str> = arn.split(':').collect();
    let [prefix, partition, service, region, account, name] = parts[..] else {
        return Err(invalid());
    };
    let valid = prefix == "arn"
        && partition.starts_with("aws")
        && service == "sqs"
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if !valid {
        return Err(invalid());
    }
    Ok(match endpoint {
        Some(endpoint) => format!("{}/{account}/{name}", endpoint.trim_end_matches('/')),
        None => {
            let domain = if partition == "aws-cn" {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://sqs.{region}.{domain}/{account}/{name}")
        }
    })
}
