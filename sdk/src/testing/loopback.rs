//! A small HTTP/1.1 server on loopback for test doubles (a fake partner API, a mock Lambda
//! Runtime API): [`serve_loopback`].

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A request left unanswered (its body did not arrive whole, or the handler refused to
/// answer): hyper closes the connection.
#[derive(Debug)]
struct Unanswered(BoxError);

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request left unanswered: {}", self.0)
    }
}

impl StdError for Unanswered {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}

/// Serves HTTP/1.1 on `127.0.0.1:port` (`0`: a free port) with `handler`, until the returned
/// [`LoopbackServer`] is dropped. Call it inside a Tokio runtime.
///
/// The handler gets each request with its whole body read, and answers it. An `Err` closes
/// the connection without an answer, as a crashed or reset server does (a fault injected on
/// purpose, say); such errors, and clients that hang up, are not reported.
///
/// The request and the answer are the `http` crate's [`Request`] and [`Response`], with
/// [`Bytes`] bodies.
///
/// ```
/// use std::convert::Infallible;
///
/// use bytes::Bytes;
/// use http::{Response, StatusCode};
/// use mparticle_firehose::http::PartnerApi;
/// use mparticle_firehose::testing::{InvocationBuilder, context_for, serve_loopback};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A fake partner API that accepts what is posted to /v1/events.
/// let server = serve_loopback(0, |request| async move {
///     let status = if request.uri().path() == "/v1/events" && !request.body().is_empty() {
///         StatusCode::ACCEPTED
///     } else {
///         StatusCode::NOT_FOUND
///     };
///     let mut answer = Response::new(Bytes::from_static(b"{}"));
///     *answer.status_mut() = status;
///     Ok::<_, Infallible>(answer)
/// })
/// .await?;
/// assert!(server.addr().ip().is_loopback());
///
/// // The client under test calls it.
/// let api = PartnerApi::builder(server.url()).build()?;
/// let ctx = context_for(InvocationBuilder::new().build());
/// let answer = api.post("v1/events").json(&[1, 2, 3]).send(&ctx).await?;
/// assert_eq!(answer.status(), StatusCode::ACCEPTED);
/// drop(server); // stops serving
/// # Ok(())
/// # }
/// ```
pub async fn serve_loopback<H, F, E>(port: u16, handler: H) -> std::io::Result<LoopbackServer>
where
    H: Fn(Request<Bytes>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Response<Bytes>, E>> + Send + 'static,
    E: Into<BoxError> + 'static,
{
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    let addr = listener.local_addr()?;
    let handler = Arc::new(handler);
    let task = tokio::spawn(async move {
        // Connections live in the set, so that stopping the server ends them too.
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    if let Ok((stream, _)) = accepted {
                        connections.spawn(serve_connection(stream, Arc::clone(&handler)));
                    }
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    Ok(LoopbackServer { addr, task })
}

async fn serve_connection<H, F, E>(stream: TcpStream, handler: Arc<H>)
where
    H: Fn(Request<Bytes>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Response<Bytes>, E>> + Send + 'static,
    E: Into<BoxError> + 'static,
{
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let handler = Arc::clone(&handler);
        async move {
            let (parts, body) = request.into_parts();
            let body = match body.collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => return Err(Unanswered(e.into())),
            };
            match handler(Request::from_parts(parts, body)).await {
                Ok(answer) => Ok(answer.map(Full::new)),
                Err(e) => Err(Unanswered(e.into())),
            }
        }
    });
    // A connection ends with an error when the handler refuses to answer or the client hangs
    // up: neither is worth reporting.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// A server started by [`serve_loopback`]: it serves until dropped, and its open connections
/// end with it.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl LoopbackServer {
    /// The bound address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
