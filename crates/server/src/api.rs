//! The route table: every route is registered together with its description, so the OpenAPI
//! document is generated from the same calls that build the router and cannot drift from it.

use axum::handler::Handler;
use axum::routing::{self, MethodRouter};
use axum::Router;
use stackport_model::api::query::{Query, QueryParam};

use crate::AppState;

/// Which token a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// None.
    Public,
    /// `X-StorageApi-Token`.
    Storage,
    /// `X-KBC-ManageApiToken`.
    Manage,
}

/// A request or response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// No body.
    Empty,
    /// A JSON object, named after its model type.
    Json(&'static str),
    /// A JSON array of the named model type.
    JsonList(&'static str),
    /// CSV (gzip allowed).
    Csv,
    /// Any bytes.
    Binary,
}

/// What the OpenAPI document says about one route.
#[derive(Debug, Clone)]
pub struct Doc {
    pub summary: &'static str,
    pub auth: AuthKind,
    pub body: Content,
    pub response: Content,
    pub status: u16,
    pub query: &'static [QueryParam],
}

impl Doc {
    /// A route needing a Storage token, answering 200 with no body until set.
    pub const fn storage(summary: &'static str) -> Self {
        Doc {
            summary,
            auth: AuthKind::Storage,
            body: Content::Empty,
            response: Content::Empty,
            status: 200,
            query: &[],
        }
    }

    /// A route needing the manage token.
    pub const fn manage(summary: &'static str) -> Self {
        Doc {
            auth: AuthKind::Manage,
            ..Doc::storage(summary)
        }
    }

    /// A route needing no token.
    pub const fn public(summary: &'static str) -> Self {
        Doc {
            auth: AuthKind::Public,
            ..Doc::storage(summary)
        }
    }

    /// The request body.
    pub const fn body(self, body: Content) -> Self {
        Doc { body, ..self }
    }

    /// A 200 response.
    pub const fn ok(self, response: Content) -> Self {
        Doc {
            response,
            status: 200,
            ..self
        }
    }

    /// A 201 response with the created object.
    pub const fn created(self, name: &'static str) -> Self {
        Doc {
            response: Content::Json(name),
            status: 201,
            ..self
        }
    }

    /// A 202 response with the accepted job.
    pub const fn accepted(self, name: &'static str) -> Self {
        Doc {
            response: Content::Json(name),
            status: 202,
            ..self
        }
    }

    /// A 204 response.
    pub const fn no_content(self) -> Self {
        Doc {
            response: Content::Empty,
            status: 204,
            ..self
        }
    }

    /// The query the handler reads (its `ApiQuery<T>`): the document lists `T`'s parameters.
    pub const fn query<T: Query>(self) -> Self {
        Doc {
            query: T::PARAMS,
            ..self
        }
    }
}

pub(crate) struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub doc: Doc,
}

/// The router under construction and the description of every route in it.
pub struct Api {
    router: Router<AppState>,
    pub(crate) operations: Vec<Operation>,
}

macro_rules! method {
    ($($name:ident),*) => {$(
        /// Adds a route for this method.
        pub fn $name<H, T>(self, path: &'static str, handler: H, doc: Doc) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.add(stringify!($name), path, routing::$name(handler), doc)
        }
    )*};
}

impl Api {
    /// An empty table.
    pub fn new() -> Self {
        Api {
            router: Router::new(),
            operations: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        route: MethodRouter<AppState>,
        doc: Doc,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.operations.push(Operation { method, path, doc });
        self
    }

    method!(get, post, put, delete);

    /// The router, with `/v2/openapi.json` describing it.
    pub fn into_router(self, state: AppState) -> Router {
        let document = std::sync::Arc::new(crate::openapi::document(&self.operations));
        self.router
            .route(
                "/v2/openapi.json",
                routing::get(move || {
                    let document = document.clone();
                    async move { axum::Json((*document).clone()) }
                }),
            )
            .fallback(|| async {
                crate::ApiError::from(stackport_stack::Error::not_found(
                    "notFound",
                    "no such endpoint; see /v2/openapi.json for the API",
                ))
            })
            .method_not_allowed_fallback(
                |method: axum::http::Method, uri: axum::http::Uri| async move {
                    let body = stackport_model::api::ErrorBody {
                        error: format!(
                            "{} does not take {method}; see /v2/openapi.json for the API",
                            uri.path()
                        ),
                        code: "methodNotAllowed".into(),
                        status: 405,
                        exception_id: None,
                    };
                    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body))
                },
            )
            .layer(axum::extract::DefaultBodyLimit::max(
                crate::body::JSON_BODY_LIMIT,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::body::idle_timeout,
            ))
            .layer(axum::middleware::from_fn(crate::routes::log_request))
            .with_state(state)
    }
}
