//! How the adapter serves Firehose messages and SQS events: directly, or in queue mode (cargo
//! feature `queue`, see [`crate::queue`]).

use bytes::Bytes;

use crate::dispatch::Dispatcher;
use crate::error::FunctionError;
use crate::partner::{Invocation, Partner};

#[cfg(feature = "queue")]
pub(super) use with_queue::Modes;
#[cfg(not(feature = "queue"))]
pub(super) use without_queue::Modes;

#[cfg(not(feature = "queue"))]
mod without_queue {
    use super::*;
    use crate::error::ErrorType;

    /// Direct mode only.
    pub(crate) struct Modes<P: Partner> {
        dispatcher: Dispatcher<P>,
    }

    impl<P: Partner> Modes<P> {
        pub(crate) async fn from_env(
            dispatcher: &Dispatcher<P>,
        ) -> Result<Self, super::super::Error> {
            Ok(Self {
                dispatcher: dispatcher.clone(),
            })
        }

        pub(crate) async fn firehose(
            &self,
            payload: Bytes,
            invocation: Invocation,
        ) -> Result<Vec<u8>, FunctionError> {
            self.dispatcher.handle_payload(payload, invocation).await
        }

        pub(crate) async fn sqs(
            &self,
            _payload: &[u8],
            _invocation: Invocation,
        ) -> Result<Vec<u8>, FunctionError> {
            Err(FunctionError::new(
                ErrorType::InvalidMessage,
                "this function does not serve SQS events: build it with the SDK's `queue` feature",
            ))
        }
    }
}

#[cfg(feature = "queue")]
mod with_queue {
    use std::sync::Arc;

    use async_trait::async_trait;
    use tokio::sync::OnceCell;

    use super::*;
    use crate::queue::{
        Consumer, OutgoingMessage, Producer, QueueApi, QueueConfig, QueueError, SqsClient,
        VisibilityChange,
    };

    /// The SQS client, built on first use (a direct-mode function that never sees an SQS event
    /// never builds it).
    #[derive(Default)]
    struct LazySqs(OnceCell<SqsClient>);

    impl LazySqs {
        async fn client(&self) -> &SqsClient {
            self.0.get_or_init(SqsClient::from_env).await
        }
    }

    #[async_trait]
    impl QueueApi for LazySqs {
        async fn send(&self, queue_url: &str, message: OutgoingMessage) -> Result<(), QueueError> {
            self.client().await.send(queue_url, message).await
        }

        async fn change_visibility(
            &self,
            queue_url: &str,
            changes: Vec<VisibilityChange>,
        ) -> Result<(), QueueError> {
            self.client()
                .await
                .change_visibility(queue_url, changes)
                .await
        }
    }

    /// Direct or producer for Firehose messages, and the consumer for SQS events.
    pub(crate) struct Modes<P: Partner> {
        dispatcher: Dispatcher<P>,
        producer: Option<Producer<P>>,
        consumer: Consumer<P>,
    }

    impl<P: Partner> Modes<P> {
        /// Reads the queue configuration; with a queue URL, builds the SQS client now, while the
        /// function initializes, rather than on mParticle's first call.
        pub(crate) async fn from_env(
            dispatcher: &Dispatcher<P>,
        ) -> Result<Self, super::super::Error> {
            let config = QueueConfig::from_env()?;
            let sqs = Arc::new(LazySqs::default());
            let producer = match &config.queue_url {
                Some(url) => {
                    sqs.client().await;
                    tracing::info!(queue_url = %url, "queue mode: mParticle's messages go to the queue");
                    Some(
                        Producer::new(dispatcher.clone(), sqs.clone(), url.clone())
                            .with_max_message_bytes(config.max_message_bytes),
                    )
                }
                None => None,
            };
            let mut consumer = Consumer::new(dispatcher.clone())
                .with_queue(sqs)
                .with_config(config.consumer.clone());
            if let Some(url) = &config.queue_url {
                consumer = consumer.with_queue_url(url.clone());
            }
            if let Some(endpoint) = &config.endpoint_url {
                consumer = consumer.with_endpoint(endpoint.clone());
            }
            Ok(Self {
                dispatcher: dispatcher.clone(),
                producer,
                consumer,
            })
        }

        pub(crate) async fn firehose(
            &self,
            payload: Bytes,
            invocation: Invocation,
        ) -> Result<Vec<u8>, FunctionError> {
            match &self.producer {
                Some(producer) => producer.handle(payload, invocation).await,
                None => self.dispatcher.handle_payload(payload, invocation).await,
            }
        }

        pub(crate) async fn sqs(
            &self,
            payload: &[u8],
            invocation: Invocation,
        ) -> Result<Vec<u8>, FunctionError> {
            self.consumer.handle(payload, invocation).await
        }
    }
}
