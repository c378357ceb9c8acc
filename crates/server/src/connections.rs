//! The server's HTTP/1 connections (queue-api.md §5.5): at most `--max-connections` open at once
//! (the next ones wait in the listen backlog), and each closed when it sits idle between requests
//! for `--idle-timeout`, or takes more than `--header-read-timeout` to send a request's head.
//! Neither timeout runs while a request is being handled, so a claimWork long poll is never cut.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};

use super::error::ApiError;
use super::{State, routes};

/// How long connections may wait, and how many may be open.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl ConnectionLimits {
    /// `tc queue serve`'s defaults.
    pub const DEFAULT: ConnectionLimits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(30),
        max_connections: 512,
    };
}

/// Serves connections from `listener` until `stop` completes, then lets every open connection
/// finish its request and returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closing_rx) = watch::channel(false);
    let full_reported = AtomicBool::new(false);
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            () = &mut stop => break,
            slot = take_slot(&slots, limits.max_connections, &full_reported) => slot,
        };
        let socket = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => socket,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // pause rather than spin.
                    eprintln!("tc queue: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let conn = serve_connection(
            socket,
            state.clone(),
            limits.clone(),
            closing_rx.clone(),
            slot,
        );
        tokio::spawn(conn);
    }
    drop(listener);
    let _ = closing.send(true);
    // Every connection holds a slot until it closes: having them all means all are closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// A free connection slot; says once, each time the cap is reached, that new connections wait.
async fn take_slot(
    slots: &Arc<Semaphore>,
    max: usize,
    full_reported: &AtomicBool,
) -> OwnedSemaphorePermit {
    if let Ok(slot) = slots.clone().try_acquire_owned() {
        full_reported.store(false, Ordering::Relaxed);
        return slot;
    }
    if !full_reported.swap(true, Ordering::Relaxed) {
        eprintln!(
            "tc queue: {max} connections are open (--max-connections); new ones wait until one closes"
        );
    }
    match slots.clone().acquire_owned().await {
        Ok(slot) => slot,
        // The semaphore is never closed.
        Err(_) => std::future::pending().await,
    }
}

async fn serve_connection(
    socket: TcpStream,
    state: Arc<State>,
    limits: ConnectionLimits,
    mut closing: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = socket.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched::new(socket, activity.clone(), limits));
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let state = state.clone();
        let handling = activity.handling();
        async move {
            let response = handle_or_500(state, req).await;
            drop(handling);
            Ok::<_, Infallible>(response)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        // The timeouts are `Watched`'s, which knows when a request is being handled.
        .header_read_timeout(None)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let closing = async move {
        // The watch's guard is dropped here, before the connection is awaited.
        let _ = closing.wait_for(|c| *c).await.map(|_| ());
    };
    tokio::select! {
        _ = conn.as_mut() => {}
        () = closing => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// The route's answer; a handler that panics (a bug) answers 500 instead of dropping the
/// connection without a word.
async fn handle_or_500(state: Arc<State>, req: hyper::Request<Incoming>) -> Response {
    let handled = AssertUnwindSafe(routes::handle(state, req.map(Body::new)));
    match handled.catch_unwind().await {
        Ok(response) => response,
        Err(_) => ApiError::internal("a request handler panicked").reply(
            "unknown",
            &json!({}),
            &json!({}),
        ),
    }
}

/// What a connection is doing, shared by its socket and its requests.
struct Activity(Mutex<ActivityState>);

struct ActivityState {
    /// Requests being handled (an HTTP/1 connection has one at a time).
    handling: usize,
    /// The last byte read or written, or the end of the last request's handling.
    last: Instant,
    /// The first byte of a request head not yet handled.
    head_started: Option<Instant>,
    /// The socket's reader while a request is handled (no deadline then): woken when the
    /// handling ends, so the idle deadline starts counting.
    reader: Option<Waker>,
}

impl Activity {
    fn new() -> Activity {
        Activity(Mutex::new(ActivityState {
            handling: 0,
            last: Instant::now(),
            head_started: None,
            reader: None,
        }))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        // The state stays consistent even if a holder panicked: every update is one assignment.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks a request as being handled until the guard is dropped.
    fn handling(self: &Arc<Self>) -> Handling {
        let mut s = self.state();
        s.handling += 1;
        s.head_started = None;
        Handling(self.clone())
    }

    fn bytes_read(&self) {
        let mut s = self.state();
        let now = Instant::now();
        s.last = now;
        if s.handling == 0 && s.head_started.is_none() {
            s.head_started = Some(now);
        }
    }

    fn bytes_written(&self) {
        self.state().last = Instant::now();
    }

    /// When the connection times out, with the reason; none while a request is handled (then
    /// `reader` is woken when it ends).
    fn deadline(
        &self,
        limits: &ConnectionLimits,
        reader: &Waker,
    ) -> Option<(Instant, &'static str)> {
        let mut s = self.state();
        match (s.handling, s.head_started) {
            (0, Some(start)) => Some((
                start + limits.header_read_timeout,
                "the request head took longer than --header-read-timeout",
            )),
            (0, None) => Some((
                s.last + limits.idle_timeout,
                "the connection was idle for --idle-timeout",
            )),
            _ => {
                s.reader = Some(reader.clone());
                None
            }
        }
    }
}

/// A request being handled.
struct Handling(Arc<Activity>);

impl Drop for Handling {
    fn drop(&mut self) {
        let reader = {
            let mut s = self.0.state();
            s.handling -= 1;
            s.last = Instant::now();
            s.reader.take()
        };
        if let Some(r) = reader {
            r.wake();
        }
    }
}

/// A socket that fails its reads once the connection has been idle, or sending a request head,
/// for too long: hyper then closes it.
struct Watched {
    socket: TcpStream,
    activity: Arc<Activity>,
    limits: ConnectionLimits,
    timer: Pin<Box<Sleep>>,
}

impl Watched {
    fn new(socket: TcpStream, activity: Arc<Activity>, limits: ConnectionLimits) -> Watched {
        Watched {
            socket,
            activity,
            limits,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }

    /// Pending until the connection's deadline, then the timeout error.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some((deadline, why)) = self.activity.deadline(&self.limits, cx.waker()) else {
            return Poll::Pending;
        };
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, why)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.socket).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.bytes_read();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.socket).poll_write(cx, data);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.bytes_written();
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.socket).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.bytes_written();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_shutdown(cx)
    }
}
