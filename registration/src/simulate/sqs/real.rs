//! A queue and its dead-letter queue on a real SQS API (`--sqs-endpoint`).

use std::sync::Arc;
use std::time::Duration;

use mparticle_firehose::async_trait;
use mparticle_firehose::queue::aws_sdk_sqs::error::DisplayErrorContext;
use mparticle_firehose::queue::aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use mparticle_firehose::queue::{QueueApi, SqsClient};

use super::*;

/// A queue and its dead-letter queue created on a real SQS API.
pub struct RealQueue {
    client: SqsClient,
    endpoint: String,
    url: String,
    arn: String,
    dead_url: String,
}

fn sdk_error<E: std::error::Error>(what: &str, e: E) -> String {
    format!("{what}: {}", DisplayErrorContext(e))
}

impl RealQueue {
    /// Creates the dead-letter queue, then the queue with a redrive policy to it, on the SQS
    /// API at `endpoint` (credentials and region from the environment, or moto's dummies).
    pub async fn create(endpoint: &str, spec: &QueueSpec) -> Result<Self, String> {
        let env = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let client = SqsClient::for_endpoint(
            endpoint,
            &env("AWS_REGION", REGION),
            &env("AWS_ACCESS_KEY_ID", "testing"),
            &env("AWS_SECRET_ACCESS_KEY", "testing"),
        );
        let sqs = client.client();
        let create = |name: String, redrive: Option<String>| {
            let mut request = sqs.create_queue().queue_name(name).attributes(
                QueueAttributeName::VisibilityTimeout,
                spec.visibility_timeout.as_secs().max(1).to_string(),
            );
            if spec.fifo {
                request = request.attributes(QueueAttributeName::FifoQueue, "true");
            }
            if let Some(policy) = redrive {
                request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
            }
            request.send()
        };
        let arn_of = |url: String| async move {
            let attributes = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .map_err(|e| sdk_error("GetQueueAttributes", e))?;
            attributes
                .attributes()
                .and_then(|a| a.get(&QueueAttributeName::QueueArn))
                .cloned()
                .ok_or_else(|| format!("{url} has no QueueArn"))
        };
        let dead_url = create(spec.queue_name("-dlq"), None)
            .await
            .map_err(|e| sdk_error("CreateQueue (dead-letter queue)", e))?
            .queue_url
            .ok_or("CreateQueue returned no QueueUrl")?;
        let dead_arn = arn_of(dead_url.clone()).await?;
        let policy = serde_json::json!({
            "deadLetterTargetArn": dead_arn,
            "maxReceiveCount": spec.max_receive_count.to_string(),
        })
        .to_string();
        let url = create(spec.queue_name(""), Some(policy))
            .await
            .map_err(|e| sdk_error("CreateQueue", e))?
            .queue_url
            .ok_or("CreateQueue returned no QueueUrl")?;
        let arn = arn_of(url.clone()).await?;
        Ok(Self {
            client,
            endpoint: endpoint.to_owned(),
            url,
            arn,
            dead_url,
        })
    }

    async fn count(&self, url: &str) -> Result<(u64, u64), String> {
        let output = self
            .client
            .client()
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| sdk_error("GetQueueAttributes", e))?;
        let number = |name: &QueueAttributeName| {
            output
                .attributes()
                .and_then(|a| a.get(name))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok((
            number(&QueueAttributeName::ApproximateNumberOfMessages),
            number(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        ))
    }
}

#[async_trait]
impl SimQueue for RealQueue {
    fn api(&self) -> Arc<dyn QueueApi> {
        Arc::new(self.client.clone())
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn arn(&self) -> &str {
        &self.arn
    }

    fn describe(&self) -> String {
        format!("SQS API at {} ({})", self.endpoint, self.url)
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, String> {
        let max = i32::try_from(max.clamp(1, 10)).unwrap_or(10);
        let wait = i32::try_from(wait.as_secs().min(20)).unwrap_or(20);
        let output = self
            .client
            .client()
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| sdk_error("ReceiveMessage", e))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let attributes = m
                    .attributes
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v))
                    .collect();
                Some(Received {
                    message_id: m.message_id?,
                    receipt_handle: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                    attributes,
                })
            })
            .collect())
    }

    async fn delete(&self, receipt_handles: Vec<String>) -> Result<(), String> {
        for chunk in receipt_handles.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, handle)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .build()
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .client()
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| sdk_error("DeleteMessageBatch", e))?;
            if let Some(failed) = output.failed().first() {
                return Err(format!(
                    "DeleteMessageBatch: {} entries failed, first: {}",
                    output.failed().len(),
                    failed.code()
                ));
            }
        }
        Ok(())
    }

    async fn counts(&self) -> Result<Counts, String> {
        let (visible, hidden) = self.count(&self.url).await?;
        let (dead_visible, dead_hidden) = self.count(&self.dead_url).await?;
        Ok(Counts {
            visible,
            hidden,
            dead: dead_visible + dead_hidden,
        })
    }

    fn visible_now(&self) -> Option<u64> {
        None
    }
}
