//! The embedded reference server (`scimitar serve`): an in-memory SCIM 2.0
//! service provider on axum, under `/scim/v2`, with injectable bugs, and
//! optionally a SCIM event publisher and receiver ([`events`], RFC 9967).

pub mod bugs;
mod bulk;
mod discovery;
pub mod events;
pub mod faults;
mod listing;
mod oauth;
mod paging;
pub use paging::{Method, Pagination};
mod patch;
mod project;
mod query;
mod resources;
mod respond;
mod robustness;
mod root;
mod rules;
pub mod shape;
mod store;
mod validate;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio::sync::oneshot;

pub use bugs::{Bug, Bugs};
pub use events::{EventsConfig, PushTarget, ReceiverConfig};
pub use shape::{Shape, Shapes};
use store::Store;

/// The path under which the SCIM API is served.
pub const BASE_PATH: &str = "/scim/v2";

/// How to start a reference server.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    pub bugs: Bugs,
    /// The legal shape the server takes (fewer attributes, other endpoint
    /// forms, optional features off).
    pub shapes: Shapes,
    /// The bearer token every non-discovery request must carry; none means open.
    pub token: Option<String>,
    /// HTTP basic credentials accepted besides the token.
    pub basic: Option<(String, String)>,
    /// OAuth 2.0 client (id, secret) that `POST /oauth/token` issues the token to.
    pub oauth_client: Option<(String, String)>,
    /// Answer each create this long after performing it (for tests of lost answers).
    pub create_delay: Option<std::time::Duration>,
    /// The most resources on one page of a list, whatever `count` asks for
    /// (RFC 7644 §3.4.2.4 lets a server return fewer); clients must walk.
    pub page_size: Option<usize>,
    /// The paging methods offered (RFC 9865).
    pub pagination: paging::Pagination,
    /// With both methods, the one a request naming neither gets.
    pub default_pagination: paging::Method,
    /// Seconds a cursor stays valid (RFC 9865 §4 cursorTimeout); 10 when unset.
    pub cursor_timeout: Option<u64>,
    /// SCIM events (RFC 9967): SETs for every change, poll and push
    /// delivery, asynchronous requests, a receiver endpoint. None: off.
    pub events: Option<EventsConfig>,
    /// Hostile behaviours ([`faults`]): the harness must survive them.
    pub faults: faults::Faults,
}

/// Shared server state.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

struct AppInner {
    config: ServerConfig,
    model: shape::Model,
    store: Mutex<Store>,
    /// Requests being answered (for the busy-503 bug).
    in_flight: AtomicUsize,
    /// Requests a fault applied to (rate-limit faults refuse every tenth).
    fault_count: AtomicUsize,
    events: Option<events::Events>,
}

impl App {
    /// Starts the event push task when one is configured (which needs a
    /// Tokio runtime).
    pub fn new(config: ServerConfig) -> Self {
        let events = config
            .events
            .as_ref()
            .map(|e| events::Events::new(e, &config.bugs));
        App {
            inner: Arc::new(AppInner {
                model: shape::Model::new(&config.shapes),
                in_flight: AtomicUsize::new(0),
                fault_count: AtomicUsize::new(0),
                config,
                store: Mutex::new(Store::default()),
                events,
            }),
        }
    }

    /// The events state, when events are on.
    pub fn events(&self) -> Option<&events::Events> {
        self.inner.events.as_ref()
    }

    pub fn create_delay(&self) -> Option<std::time::Duration> {
        self.inner.config.create_delay
    }

    pub fn pagination(&self) -> paging::Pagination {
        if self.shape(Shape::CursorOnly) {
            paging::Pagination::Cursor
        } else {
            self.inner.config.pagination
        }
    }

    /// The method a request naming none gets.
    pub fn default_pagination(&self) -> paging::Method {
        match self.pagination() {
            paging::Pagination::Index => paging::Method::Index,
            paging::Pagination::Cursor => paging::Method::Cursor,
            paging::Pagination::Both => self.inner.config.default_pagination,
        }
    }

    pub fn cursor_timeout(&self) -> u64 {
        self.inner.config.cursor_timeout.unwrap_or(10)
    }

    /// The most resources one page holds.
    pub fn page_size(&self) -> usize {
        self.inner
            .config
            .page_size
            .unwrap_or(listing::MAX_RESULTS)
            .max(1)
    }

    pub fn bug(&self, bug: Bug) -> bool {
        self.inner.config.bugs.has(bug)
    }

    pub fn shape(&self, shape: Shape) -> bool {
        self.inner.config.shapes.has(shape)
    }

    /// Whether filters work (RFC 7644 §3.4.2.2).
    pub fn filters(&self) -> bool {
        !self.shape(Shape::FilterRefused)
    }

    /// What /ServiceProviderConfig says of filters.
    pub fn filters_advertised(&self) -> bool {
        self.filters()
            && !self.shape(Shape::FilterUnderAdvertised)
            && !self.bug(Bug::SpcFilterUnderAdvertised)
            && !self.bug(Bug::SpcFilterFalseIgnored)
    }

    /// Whether the server supports ETags (RFC 7644 §3.14).
    pub fn etags(&self) -> bool {
        !self.shape(Shape::NoEtag)
    }

    /// What the server declares: schemas and extensions.
    pub fn model(&self) -> &shape::Model {
        &self.inner.model
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many Users and Groups the server holds.
    pub fn resource_count(&self) -> usize {
        let store = self.store();
        store.list(store::Kind::User).count() + store.list(store::Kind::Group).count()
    }
}

/// Whether resources of `kind` carry meta.resourceType and lastModified
/// (the meta bugs take them away).
fn meta_complete(app: &App, kind: store::Kind) -> bool {
    let group_bug = kind == store::Kind::Group && app.bug(Bug::GroupMetaIncomplete);
    !(app.bug(Bug::MetaIncomplete) || group_bug)
}

/// The absolute base URL the client used, from its Host header.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{BASE_PATH}")
}

/// The router of a server.
pub fn router(config: ServerConfig) -> Router {
    router_of(App::new(config))
}

/// The router serving `app`.
fn router_of(app: App) -> Router {
    let api = Router::new()
        .merge(discovery::routes())
        .merge(resources::routes(store::Kind::User))
        .merge(resources::routes(store::Kind::Group))
        .merge(resources::unsupported_routes())
        .merge(bulk::routes())
        .merge(root::routes())
        .fallback(resources::not_found)
        .layer(middleware::from_fn_with_state(
            app.clone(),
            events::respond_async,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), authenticate))
        .layer(middleware::from_fn_with_state(app.clone(), busy))
        .layer(middleware::from_fn_with_state(app.clone(), faults::inject))
        .with_state(app.clone());
    let mut root = Router::new()
        .nest(BASE_PATH, api)
        .route("/oauth/token", axum::routing::post(oauth::token));
    if app.events().is_some() {
        root = root.merge(events::routes(&app));
    }
    root.fallback(resources::not_found).with_state(app)
}

/// Under the busy-503 bug, a request that arrives while another is being
/// answered gets 503, as servers that break under concurrency do.
async fn busy(State(app): State<App>, req: Request, next: Next) -> Response {
    if !app.bug(Bug::Busy503) {
        return next.run(req).await;
    }
    let before = app.inner.in_flight.fetch_add(1, Ordering::SeqCst);
    let resp = if before > 0 {
        respond::error(&app, StatusCode::SERVICE_UNAVAILABLE, None, "busy")
    } else {
        // Long enough that requests sent at once overlap.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        next.run(req).await
    };
    app.inner.in_flight.fetch_sub(1, Ordering::SeqCst);
    resp
}

/// Refuses requests without the configured bearer token (RFC 7644 §2);
/// discovery GETs stay public (RFC 7643 §5 recommends it).
async fn authenticate(State(app): State<App>, req: Request, next: Next) -> Response {
    let Some(token) = app.inner.config.token.as_deref() else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    let delivery = path.starts_with("/events/");
    let public = req.method() == axum::http::Method::GET
        && !app.bug(Bug::DiscoveryRequiresAuth)
        && ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"]
            .iter()
            .any(|p| path.starts_with(p) || path.starts_with(&format!("{BASE_PATH}{p}")));
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let bearer = given.and_then(|v| v.strip_prefix("Bearer "));
    let basic_ok = match (
        &app.inner.config.basic,
        given.and_then(|v| v.strip_prefix("Basic ")),
    ) {
        (Some((user, password)), Some(b64)) => oauth::basic_matches(b64, user, password),
        _ => false,
    };
    let ok = public
        || app.bug(Bug::AuthNotRequired)
        || basic_ok
        || (app.bug(Bug::MalformedAuthAccepted) && robustness::malformed_bearer(given))
        || match bearer {
            Some(g) => g == token || (app.bug(Bug::AnyTokenAccepted) && !g.is_empty()),
            None => false,
        };
    if ok {
        return next.run(req).await;
    }
    let resp = if app.bug(Bug::UnauthorizedPlainText) {
        let mut r =
            axum::response::IntoResponse::into_response((StatusCode::UNAUTHORIZED, "Unauthorized"));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain"),
        );
        r
    } else {
        respond::error(
            &app,
            StatusCode::UNAUTHORIZED,
            None,
            "authentication required",
        )
    };
    let challenge = if app.bug(Bug::WwwAuthenticateWrongScheme) {
        "Basic realm=\"scimitar\""
    } else {
        "Bearer realm=\"scimitar\""
    };
    if app.bug(Bug::NoWwwAuthenticate) || (delivery && app.bug(Bug::PollNoChallenge)) {
        resp
    } else {
        respond::with_header(resp, header::WWW_AUTHENTICATE, challenge)
    }
}

/// A server running in this process.
pub struct Running {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT/scim/v2`
    pub base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    app: App,
}

impl Running {
    /// How many Users and Groups the server holds now.
    pub fn resource_count(&self) -> usize {
        self.app.resource_count()
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Starts a server on `addr` (port 0 picks a free port).
pub async fn start(config: ServerConfig, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let state = App::new(config);
    let app = router_of(state.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(Running {
        addr,
        base_url: format!("http://{addr}{BASE_PATH}"),
        shutdown: Some(tx),
        task,
        app: state,
    })
}
