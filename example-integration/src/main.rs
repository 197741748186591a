//! The Lambda entry point: configuration from the environment, then the SDK's runtime loop.

use example_integration::{Config, ExampleIntegration};

#[tokio::main]
async fn main() -> Result<(), mparticle_firehose::lambda::Error> {
    let config = Config::from_env()?;
    let integration = ExampleIntegration::new(config)?;
    mparticle_firehose::lambda::run(integration).await
}
