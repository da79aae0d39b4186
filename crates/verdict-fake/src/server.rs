//! The HTTP side: the accept loop (one hyper connection task per socket, so `reset` can drop
//! a connection), the two routes, and the per-request flow: log, latency, checks, fault,
//! answer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Extension, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use tokio::sync::{watch, Notify};

use crate::answer::{answer_body, plan};
use crate::check::{check_anthropic, check_headers, check_openai, last_user_text, Conversation};
use crate::fault::{fault_error, restyle_headers};
use crate::response::{api_error, error_response, invalid, json_response};
use crate::state::{InFlight, InFlightGuard, Shared};
use crate::{FakeConfig, Fault, LoggedRequest, Provider};

/// The routes over shared state.
pub(crate) fn router(
    config: FakeConfig,
    log: Arc<Mutex<Vec<LoggedRequest>>>,
    in_flight: Arc<InFlight>,
    shutdown: watch::Receiver<bool>,
) -> Router {
    let state = Arc::new(Shared {
        in_flight,
        script: Mutex::new(config.script.iter().cloned().collect()),
        models: config.models.clone().unwrap_or_else(crate::default_models),
        config,
        log,
        counter: AtomicU64::new(0),
        fired: Mutex::new(HashMap::new()),
        shutdown,
    });
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/chat/completions", post(chat_completions))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .with_state(state)
}

/// Dropping the connection is how `reset` works: the handler notifies, the connection task
/// drops the connection (and its socket) without answering.
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or similar: back off a little and go on.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let kill = Arc::new(Notify::new());
        let svc = router.clone().layer(Extension(ConnKill(kill.clone())));
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let svc = hyper_util::service::TowerToHyperService::new(svc);
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

type St = State<Arc<Shared>>;
async fn not_found(State(st): St, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    route_error(&st, method, uri, headers, 404, "Not found")
}

async fn method_not_allowed(
    State(st): St,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    route_error(&st, method, uri, headers, 405, "Method not allowed")
}

fn route_error(
    st: &Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    status: u16,
    what: &str,
) -> Response {
    let n = st.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let request_id = format!("req_{n}");
    let provider = if uri.path().contains("chat") {
        Provider::OpenAi
    } else {
        Provider::Anthropic
    };
    let e = api_error(
        status,
        if status == 404 {
            "not_found_error"
        } else {
            "invalid_request_error"
        },
        format!("{what}: {method} {}", uri.path()),
    );
    st.push_log(LoggedRequest {
        n,
        request_id: request_id.clone(),
        method: method.to_string(),
        path: uri.path().to_string(),
        headers: log_headers(&headers),
        body: None,
        ticket: None,
        gold: None,
        status,
        fault: None,
        error: Some(e.message.clone()),
    });
    error_response(provider, &request_id, &e)
}

async fn messages(
    State(st): St,
    Extension(kill): Extension<ConnKill>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(st, kill, Provider::Anthropic, headers, body).await
}

async fn chat_completions(
    State(st): St,
    Extension(kill): Extension<ConnKill>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(st, kill, Provider::OpenAi, headers, body).await
}

fn log_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_ascii_lowercase();
            let value = if matches!(name.as_str(), "x-api-key" | "authorization") {
                "[redacted]".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

async fn handle(
    st: Arc<Shared>,
    kill: ConnKill,
    provider: Provider,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let n = st.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let request_id = format!("req_{n}");
    let path = match provider {
        Provider::OpenAi => "/v1/chat/completions",
        _ => "/v1/messages",
    };
    let parsed: Option<Value> = body
        .as_ref()
        .ok()
        .and_then(|b| serde_json::from_slice(b).ok());
    let ticket = parsed.as_ref().and_then(last_user_text);
    let mut entry = LoggedRequest {
        n,
        request_id: request_id.clone(),
        method: "POST".into(),
        path: path.into(),
        headers: log_headers(&headers),
        body: parsed.clone(),
        ticket: ticket.clone(),
        gold: None,
        status: 0,
        fault: None,
        error: None,
    };
    {
        let _wait = InFlightGuard::enter(&st.in_flight);
        st.sleep(st.config.latency).await;
    }

    let checked = check_headers(st.config.api_key.as_deref(), provider, &headers)
        .and_then(|()| match &body {
            Ok(b) => Ok(b),
            Err(_) => Err(api_error(
                413,
                "request_too_large",
                "Request exceeds the maximum allowed number of bytes.",
            )),
        })
        .and_then(|_| {
            parsed
                .as_ref()
                .ok_or_else(|| invalid("There was an error parsing the body: not valid JSON"))
        })
        .and_then(|b| match provider {
            Provider::OpenAi => check_openai(&st.models, b),
            _ => check_anthropic(&st.models, b),
        });
    let mut req = match checked {
        Ok(req) => req,
        Err(e) => {
            entry.status = e.status;
            entry.error = Some(e.message.clone());
            st.push_log(entry);
            return error_response(provider, &request_id, &e);
        }
    };
    let ticket = ticket.unwrap_or_default();
    if let Some(b) = &parsed {
        req.conversation = Conversation::of(provider, b);
    }
    let fault = st.pick_fault(&ticket);
    entry.fault = fault.as_ref().map(Fault::name);
    let planned = plan(&st, &req, &ticket);
    entry.gold = planned.gold.clone();
    if let Some(e) = fault.as_ref().and_then(|f| fault_error(provider, f)) {
        entry.status = e.status;
        entry.error = Some(e.message.clone());
        st.push_log(entry);
        let mut resp = error_response(provider, &request_id, &e);
        if let Some(f) = &fault {
            restyle_headers(f, &request_id, n, resp.headers_mut());
        }
        return resp;
    }
    match fault {
        Some(Fault::Reset) => {
            st.push_log(entry);
            kill.0.notify_one();
            // The connection task drops this future with the connection.
            std::future::pending::<()>().await;
            unreachable!()
        }
        Some(Fault::Hang) => {
            entry.status = 200;
            st.push_log(entry);
            st.sleep(st.config.hang).await;
            let body = answer_body(provider, &req, planned, None, n);
            json_response(provider, &request_id, 200, body.to_string().into())
        }
        Some(Fault::Malformed) => {
            entry.status = 200;
            st.push_log(entry);
            let full = answer_body(provider, &req, planned, None, n).to_string();
            let cut = &full[..full.len() / 2];
            json_response(provider, &request_id, 200, cut.to_string().into())
        }
        Some(Fault::CutBody) => {
            entry.status = 200;
            st.push_log(entry);
            let full = answer_body(provider, &req, planned, None, n).to_string();
            let half = Bytes::from(full.as_bytes()[..full.len() / 2].to_vec());
            let stream = futures_stream(half);
            let mut resp = json_response(provider, &request_id, 200, Body::from_stream(stream));
            resp.headers_mut()
                .insert("content-length", HeaderValue::from(full.len()));
            resp
        }
        other => {
            entry.status = 200;
            st.push_log(entry);
            let body = answer_body(provider, &req, planned, other.as_ref(), n);
            let mut resp = json_response(provider, &request_id, 200, body.to_string().into());
            add_rate_limit_headers(provider, resp.headers_mut());
            if let Some(f) = &other {
                restyle_headers(f, &request_id, n, resp.headers_mut());
            }
            resp
        }
    }
}

/// A body stream that yields `first` and then fails, so hyper aborts the connection
/// mid-body.
fn futures_stream(
    first: Bytes,
) -> impl futures_core_stream::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_core_stream::TwoStep::new(first)
}

/// A minimal two-item stream (bytes, then an error) without a futures dependency.
mod futures_core_stream {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use axum::body::Bytes;
    pub use futures_core::Stream;

    /// Yields `first`, waits 50 ms (so hyper flushes the headers and the first bytes), then
    /// fails.
    pub struct TwoStep {
        step: u8,
        first: Option<Bytes>,
        pause: Pin<Box<tokio::time::Sleep>>,
    }

    impl TwoStep {
        pub fn new(first: Bytes) -> Self {
            TwoStep {
                step: 0,
                first: Some(first),
                pause: Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50))),
            }
        }
    }

    impl Stream for TwoStep {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            match self.step {
                0 => {
                    self.step = 1;
                    Poll::Ready(self.first.take().map(Ok))
                }
                1 => match self.pause.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => {
                        self.step = 2;
                        Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "fake: body cut off",
                        ))))
                    }
                },
                _ => Poll::Ready(None),
            }
        }
    }
}

fn add_rate_limit_headers(provider: Provider, h: &mut HeaderMap) {
    let reset = time::OffsetDateTime::now_utc() + time::Duration::seconds(60);
    let reset = reset
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    match provider {
        Provider::OpenAi => {
            set("x-ratelimit-limit-requests", "10000".into());
            set("x-ratelimit-remaining-requests", "9999".into());
            set("x-ratelimit-reset-requests", "6ms".into());
            set("x-ratelimit-limit-tokens", "2000000".into());
            set("x-ratelimit-remaining-tokens", "1999000".into());
            set("x-ratelimit-reset-tokens", "1s".into());
        }
        _ => {
            set("anthropic-ratelimit-requests-limit", "4000".into());
            set("anthropic-ratelimit-requests-remaining", "3999".into());
            set("anthropic-ratelimit-requests-reset", reset.clone());
            set("anthropic-ratelimit-tokens-limit", "400000".into());
            set("anthropic-ratelimit-tokens-remaining", "399000".into());
            set("anthropic-ratelimit-tokens-reset", reset);
        }
    }
}
