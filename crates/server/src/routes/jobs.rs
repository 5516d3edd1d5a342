use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::query::NoQuery;
use stackport_model::api::{Job, JobStatus, NewJob};
use stackport_model::JobId;
use stackport_stack::JobFilter;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::JobListQuery;

pub fn routes(api: Api) -> Api {
    api.post(
        "/v2/queue/jobs",
        create,
        Doc::storage(
            "Queue a job: a configuration of a component the stack can run, or an orchestration \
             (component `orchestrator`, config the orchestration's id)",
        )
        .body(Content::Json("NewJob"))
        .created("Job"),
    )
    .get(
        "/v2/queue/jobs",
        list,
        Doc::storage("Jobs of the project, newest first")
            .ok(Content::JsonList("Job"))
            .query::<JobListQuery>(),
    )
    .get(
        "/v2/queue/jobs/{id}",
        get,
        Doc::storage("One job; its log is the events with objectType job and objectId its id")
            .ok(Content::Json("Job")),
    )
    .post(
        "/v2/queue/jobs/{id}/kill",
        kill,
        Doc::storage("Stop a job: a waiting one is cancelled at once, a running one is stopped")
            .ok(Content::Json("Job")),
    )
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewJob>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let job = state.run(move |s| s.create_job(&auth, &new)).await?;
    Ok((StatusCode::CREATED, Json(job)))
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    ApiQuery(query): ApiQuery<JobListQuery>,
) -> Result<Json<Vec<Job>>, ApiError> {
    let status = match query.status {
        None => None,
        Some(s) => Some(JobStatus::parse(&s).ok_or_else(|| {
            ApiError::bad_request(
                "invalidQuery",
                format!("status '{s}' is not waiting, processing, success, error or cancelled"),
            )
        })?),
    };
    let filter = JobFilter {
        component: query.component,
        config: query.config,
        status,
        run_id: query.run_id,
        limit: query.limit,
    };
    state
        .run(move |s| s.list_jobs(&auth, &filter))
        .await
        .map(Json)
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<JobId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Job>, ApiError> {
    state.run(move |s| s.get_job(&auth, id)).await.map(Json)
}

async fn kill(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<JobId>,
) -> Result<Json<Job>, ApiError> {
    state.run(move |s| s.kill_job(&auth, id)).await.map(Json)
}
