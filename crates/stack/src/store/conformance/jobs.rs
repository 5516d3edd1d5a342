//! [`JobQueue`]'s cases.

use serde_json::json;
use stackport_model::api::{JobMode, JobStatus, TokenRef};
use stackport_model::{ComponentId, JobId, ProjectId, TokenId};

use super::{new_project, read, write, NewStore};
use crate::store::{Claim, JobQueue, JobRecord, JobScan, MetaTx, MetadataStore, NewJobRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_jobs_read_back(new_store);
    scans_filter_newest_first_and_stop_when_told(new_store);
    a_run_is_matched_as_text(new_store);
    claims_take_the_oldest_waiting_job_once(new_store);
    the_per_project_cap_holds_and_spares_the_uncapped(new_store);
    concurrent_claimers_never_share_a_job(new_store);
    concurrent_claimers_keep_the_cap(new_store);
    only_processing_jobs_finish_or_requeue(new_store);
    waiting_jobs_are_cancelled_and_running_ones_asked_to_stop(new_store);
    an_uncommitted_job_or_claim_is_rolled_back(new_store);
    deleting_the_project_removes_its_jobs(new_store);
}

const T0: i64 = 1_700_000_000_000_000;
const ORCHESTRATOR: &str = "orchestrator";

fn token(id: u64) -> TokenRef {
    TokenRef {
        id: TokenId(id),
        description: format!("token {id}"),
    }
}

fn component(name: &str) -> ComponentId {
    name.parse().expect("a valid component id")
}

/// Queues a job of `component` in `project` by token 1, with its own run id.
fn queue(tx: &mut dyn MetaTx, project: ProjectId, component_name: &str, config: &str) -> JobId {
    queue_as(tx, project, component_name, config, &token(1), None)
}

fn queue_as(
    tx: &mut dyn MetaTx,
    project: ProjectId,
    component_name: &str,
    config: &str,
    by: &TokenRef,
    parent_run_id: Option<&str>,
) -> JobId {
    let c = component(component_name);
    let id = tx
        .jobs()
        .insert_job(&NewJobRecord {
            project,
            parent_run_id,
            component: &c,
            config,
            config_row_ids: &[],
            mode: JobMode::Run,
            token: by,
            triggered_by: "manual",
            created_micros: T0,
        })
        .expect("a job is queued");
    let run_id = match parent_run_id {
        Some(parent) => format!("{parent}.{id}"),
        None => id.to_string(),
    };
    tx.jobs().set_run_id(id, &run_id).expect("its run is named");
    id
}

fn get(store: &dyn MetadataStore, id: JobId) -> JobRecord {
    read(store, |tx| tx.jobs().get_job(id).unwrap()).expect("the job exists")
}

fn claim_in(tx: &mut dyn MetaTx, per_project: usize) -> Option<JobRecord> {
    tx.jobs()
        .claim_job(&Claim {
            started_micros: T0 + 5,
            per_project,
            uncapped_component: ORCHESTRATOR,
        })
        .expect("claiming works")
}

fn claim(store: &dyn MetadataStore, per_project: usize) -> Option<JobRecord> {
    write(store, |tx| claim_in(tx, per_project))
}

fn scan(store: &dyn MetadataStore, project: ProjectId, scan: &JobScan<'_>) -> Vec<JobId> {
    read(store, |tx| {
        let mut out = Vec::new();
        tx.jobs()
            .scan_jobs(project, scan, &mut |j| {
                out.push(j.id);
                true
            })
            .unwrap();
        out
    })
}

fn inserted_jobs_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, id) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "jobs");
        let c = component("keboola.sqlite-transformation");
        let rows = vec!["r1".to_string(), "r2".to_string()];
        let id = tx
            .jobs()
            .insert_job(&NewJobRecord {
                project,
                parent_run_id: Some("41"),
                component: &c,
                config: "123",
                config_row_ids: &rows,
                mode: JobMode::DryRun,
                token: &token(7),
                triggered_by: "schedule",
                created_micros: T0 + 1,
            })
            .unwrap();
        let before = tx
            .jobs()
            .get_job(id)
            .unwrap()
            .expect("seen in its own transaction");
        assert_eq!(before.run_id, "", "no run id until it is set");
        tx.jobs().set_run_id(id, &format!("41.{id}")).unwrap();
        (project, id)
    });
    let job = get(store.as_ref(), id);
    assert_eq!(
        job,
        JobRecord {
            id,
            project,
            run_id: format!("41.{id}"),
            parent_run_id: Some("41".into()),
            component: component("keboola.sqlite-transformation"),
            config: "123".into(),
            config_row_ids: vec!["r1".into(), "r2".into()],
            mode: JobMode::DryRun,
            status: JobStatus::Waiting,
            desired_status: "processing".into(),
            created: T0 + 1,
            started: None,
            ended: None,
            result: json!({}),
            token: token(7),
            triggered_by: "schedule".into(),
        }
    );
    let next = write(store.as_ref(), |tx| queue(tx, project, "a.b", "1"));
    assert!(next.0 > id.0, "ids grow: {next} after {id}");
    assert!(read(store.as_ref(), |tx| tx
        .jobs()
        .get_job(JobId(next.0 + 100))
        .unwrap())
    .is_none());
}

fn scans_filter_newest_first_and_stop_when_told(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, other, ids) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        let other = new_project(tx, "other");
        let a = queue(tx, p, "comp.a", "1");
        let b = queue(tx, p, "comp.b", "1");
        let c = queue_as(tx, p, "comp.a", "2", &token(2), None);
        queue(tx, other, "comp.a", "1");
        (p, other, [a, b, c])
    });
    let [a, b, c] = ids;
    assert_eq!(scan(store.as_ref(), p, &JobScan::default()), vec![c, b, a]);
    let only = |f: JobScan<'static>| scan(store.as_ref(), p, &f);
    assert_eq!(
        only(JobScan {
            component: Some("comp.a"),
            ..Default::default()
        }),
        vec![c, a]
    );
    assert_eq!(
        only(JobScan {
            config: Some("1"),
            ..Default::default()
        }),
        vec![b, a]
    );
    assert_eq!(
        only(JobScan {
            token: Some(TokenId(2)),
            ..Default::default()
        }),
        vec![c]
    );
    assert_eq!(
        only(JobScan {
            component: Some("comp.a"),
            config: Some("1"),
            ..Default::default()
        }),
        vec![a]
    );
    claim(store.as_ref(), 10).expect("a is taken");
    assert_eq!(
        only(JobScan {
            status: Some(JobStatus::Processing),
            ..Default::default()
        }),
        vec![a]
    );
    assert_eq!(
        only(JobScan {
            status: Some(JobStatus::Waiting),
            ..Default::default()
        }),
        vec![c, b]
    );
    assert_eq!(scan(store.as_ref(), other, &JobScan::default()).len(), 1);
    let visited = read(store.as_ref(), |tx| {
        let mut n = 0;
        tx.jobs()
            .scan_jobs(p, &JobScan::default(), &mut |_| {
                n += 1;
                n < 2
            })
            .unwrap();
        n
    });
    assert_eq!(visited, 2, "the scan stops when the visitor says so");
}

fn a_run_is_matched_as_text(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, [parent, child, grandchild, lookalike, wild]) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "runs");
        let parent = queue(tx, p, "orchestrator", "1");
        let run = parent.to_string();
        let child = queue_as(tx, p, "comp.a", "1", &token(1), Some(&run));
        let child_run = format!("{run}.{child}");
        let grandchild = queue_as(tx, p, "comp.a", "1", &token(1), Some(&child_run));
        // A run id that starts with the parent's digits but is not under it.
        let lookalike = queue(tx, p, "comp.a", "1");
        tx.jobs().set_run_id(lookalike, &format!("{run}0")).unwrap();
        let wild = queue(tx, p, "comp.a", "1");
        tx.jobs().set_run_id(wild, "9_.1").unwrap();
        let plain = queue(tx, p, "comp.a", "1");
        tx.jobs().set_run_id(plain, "9x.1").unwrap();
        (p, [parent, child, grandchild, lookalike, wild])
    });
    let run = parent.to_string();
    assert_eq!(
        scan(
            store.as_ref(),
            p,
            &JobScan {
                run: Some(&run),
                ..Default::default()
            }
        ),
        vec![grandchild, child, parent]
    );
    let child_run = format!("{parent}.{child}");
    assert_eq!(
        scan(
            store.as_ref(),
            p,
            &JobScan {
                run: Some(&child_run),
                ..Default::default()
            }
        ),
        vec![grandchild, child]
    );
    assert!(!scan(
        store.as_ref(),
        p,
        &JobScan {
            run: Some(&run),
            ..Default::default()
        }
    )
    .contains(&lookalike));
    assert!(
        scan(
            store.as_ref(),
            p,
            &JobScan {
                run: Some("9%"),
                ..Default::default()
            }
        )
        .is_empty(),
        "% is no wildcard"
    );
    assert_eq!(
        scan(
            store.as_ref(),
            p,
            &JobScan {
                run: Some("9_"),
                ..Default::default()
            }
        ),
        vec![wild],
        "_ is no wildcard: 9x.1 is not under 9_"
    );
}

fn claims_take_the_oldest_waiting_job_once(new_store: NewStore<'_>) {
    let store = new_store();
    let (first, second) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        (queue(tx, p, "comp.a", "1"), queue(tx, p, "comp.a", "2"))
    });
    let taken = claim(store.as_ref(), 10).expect("a waiting job is taken");
    assert_eq!(taken.id, first, "the oldest first");
    assert_eq!(taken.status, JobStatus::Processing);
    assert_eq!(taken.started, Some(T0 + 5));
    assert_eq!(get(store.as_ref(), first).status, JobStatus::Processing);
    assert_eq!(claim(store.as_ref(), 10).map(|j| j.id), Some(second));
    assert!(
        claim(store.as_ref(), 10).is_none(),
        "nothing waits any more"
    );
}

fn the_per_project_cap_holds_and_spares_the_uncapped(new_store: NewStore<'_>) {
    let store = new_store();
    let (a1, a2, b1, orchestration) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        let a1 = queue(tx, a, "comp.a", "1");
        let a2 = queue(tx, a, "comp.a", "2");
        let b1 = queue(tx, b, "comp.a", "1");
        let orchestration = queue(tx, a, ORCHESTRATOR, "9");
        (a1, a2, b1, orchestration)
    });
    assert_eq!(claim(store.as_ref(), 1).map(|j| j.id), Some(a1));
    assert_eq!(
        claim(store.as_ref(), 1).map(|j| j.id),
        Some(b1),
        "a is at its cap of 1"
    );
    assert_eq!(
        claim(store.as_ref(), 1).map(|j| j.id),
        Some(orchestration),
        "an orchestration does not wait for the cap"
    );
    assert!(
        claim(store.as_ref(), 1).is_none(),
        "a2 waits: a runs one job"
    );
    assert_eq!(
        claim(store.as_ref(), 2).map(|j| j.id),
        Some(a2),
        "the running orchestration does not count"
    );
    assert_eq!(claim(store.as_ref(), 0), None);
    let finished = write(store.as_ref(), |tx| {
        tx.jobs()
            .finish_job(a1, JobStatus::Success, &json!({}), T0 + 9)
            .unwrap()
    });
    assert!(finished);
    assert_eq!(get(store.as_ref(), a2).status, JobStatus::Processing);
}

/// Two threads claiming from one store until nothing waits; returns what each took.
fn claim_from_two_threads(store: &dyn MetadataStore, per_project: usize) -> [Vec<JobId>; 2] {
    std::thread::scope(|s| {
        let worker = || {
            s.spawn(move || {
                let mut taken = Vec::new();
                loop {
                    let mut tx = store.begin_write().expect("a write transaction begins");
                    let job = claim_in(tx.as_mut(), per_project);
                    tx.commit().expect("the claim commits");
                    match job {
                        Some(job) => taken.push(job.id),
                        None => return taken,
                    }
                }
            })
        };
        let (one, two) = (worker(), worker());
        [one.join().unwrap(), two.join().unwrap()]
    })
}

fn concurrent_claimers_never_share_a_job(new_store: NewStore<'_>) {
    let store = new_store();
    let mut queued = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        let q = new_project(tx, "q");
        (0..40)
            .map(|i| queue(tx, if i % 2 == 0 { p } else { q }, "comp.a", "1"))
            .collect::<Vec<_>>()
    });
    let [one, two] = claim_from_two_threads(store.as_ref(), 1000);
    assert!(
        one.iter().all(|id| !two.contains(id)),
        "a job was taken twice"
    );
    let mut all: Vec<JobId> = one.into_iter().chain(two).collect();
    all.sort();
    queued.sort();
    assert_eq!(all, queued, "every job was taken once");
}

fn concurrent_claimers_keep_the_cap(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, q) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        let q = new_project(tx, "q");
        for _ in 0..10 {
            queue(tx, p, "comp.a", "1");
            queue(tx, q, "comp.a", "1");
        }
        (p, q)
    });
    let [one, two] = claim_from_two_threads(store.as_ref(), 3);
    assert_eq!(
        one.len() + two.len(),
        6,
        "three per project, whoever claims"
    );
    for project in [p, q] {
        let running = scan(
            store.as_ref(),
            project,
            &JobScan {
                status: Some(JobStatus::Processing),
                ..Default::default()
            },
        );
        assert_eq!(running.len(), 3, "project {project} runs its cap");
    }
}

fn only_processing_jobs_finish_or_requeue(new_store: NewStore<'_>) {
    let store = new_store();
    let id = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        queue(tx, p, "comp.a", "1")
    });
    let result = json!({"message": "done", "rows": 3});
    assert!(
        !write(store.as_ref(), |tx| {
            tx.jobs()
                .finish_job(id, JobStatus::Success, &result, T0 + 9)
                .unwrap()
        }),
        "a waiting job does not finish"
    );
    assert!(!write(store.as_ref(), |tx| tx
        .jobs()
        .requeue_job(id)
        .unwrap()));
    assert_eq!(get(store.as_ref(), id).status, JobStatus::Waiting);

    claim(store.as_ref(), 10).expect("taken");
    assert!(write(store.as_ref(), |tx| tx
        .jobs()
        .requeue_job(id)
        .unwrap()));
    let back = get(store.as_ref(), id);
    assert_eq!((back.status, back.started), (JobStatus::Waiting, None));

    claim(store.as_ref(), 10).expect("taken again");
    assert!(write(store.as_ref(), |tx| {
        tx.jobs()
            .finish_job(id, JobStatus::Success, &result, T0 + 9)
            .unwrap()
    }));
    assert!(
        !write(store.as_ref(), |tx| {
            tx.jobs()
                .finish_job(id, JobStatus::Error, &json!({"message": "late"}), T0 + 10)
                .unwrap()
        }),
        "an ended job does not end again"
    );
    let done = get(store.as_ref(), id);
    assert_eq!(done.status, JobStatus::Success);
    assert_eq!(done.ended, Some(T0 + 9));
    assert_eq!(done.result, result);
    assert!(read(store.as_ref(), |tx| tx.jobs().processing_jobs().unwrap()).is_empty());
}

fn waiting_jobs_are_cancelled_and_running_ones_asked_to_stop(new_store: NewStore<'_>) {
    let store = new_store();
    let (parent, waiting_child, other_child, plain) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        let q = new_project(tx, "q");
        let parent = queue(tx, q, ORCHESTRATOR, "1");
        let run = parent.to_string();
        let waiting_child = queue_as(tx, q, "comp.a", "1", &token(1), Some(&run));
        let other_child = queue_as(tx, q, "comp.a", "1", &token(1), Some("999"));
        let plain = queue(tx, p, "comp.a", "1");
        (parent, waiting_child, other_child, plain)
    });
    assert_eq!(claim(store.as_ref(), 10).map(|j| j.id), Some(parent));
    let processing = read(store.as_ref(), |tx| tx.jobs().processing_jobs().unwrap());
    assert_eq!(
        processing.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![parent]
    );

    assert!(
        !write(store.as_ref(), |tx| {
            tx.jobs()
                .cancel_waiting_job(parent, &json!({}), T0 + 9)
                .unwrap()
        }),
        "a running job is not cancelled as waiting"
    );
    assert!(write(store.as_ref(), |tx| tx
        .jobs()
        .request_stop(parent)
        .unwrap()));
    let stopping = get(store.as_ref(), parent);
    assert_eq!(
        (stopping.status, stopping.desired_status.as_str()),
        (JobStatus::Processing, "terminating")
    );

    let killed = json!({"message": "killed before it started"});
    assert!(write(store.as_ref(), |tx| tx
        .jobs()
        .cancel_waiting_job(plain, &killed, T0 + 9)
        .unwrap()));
    let cancelled = get(store.as_ref(), plain);
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_eq!(cancelled.desired_status, "terminating");
    assert_eq!(cancelled.ended, Some(T0 + 9));
    assert_eq!(cancelled.result, killed);

    let orphaned = json!({"message": "not run"});
    let n = write(store.as_ref(), |tx| {
        tx.jobs()
            .cancel_waiting_children(&parent.to_string(), &orphaned, T0 + 10)
            .unwrap()
    });
    assert_eq!(n, 1);
    let child = get(store.as_ref(), waiting_child);
    assert_eq!(
        (child.status, child.ended, child.result),
        (JobStatus::Cancelled, Some(T0 + 10), orphaned)
    );
    assert_eq!(get(store.as_ref(), other_child).status, JobStatus::Waiting);
}

fn an_uncommitted_job_or_claim_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, kept) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        (p, queue(tx, p, "comp.a", "1"))
    });
    let dropped = {
        let mut tx = store.begin_write().unwrap();
        let id = queue(tx.as_mut(), p, "comp.a", "2");
        assert_eq!(claim_in(tx.as_mut(), 10).map(|j| j.id), Some(kept));
        drop(tx); // without a commit
        id
    };
    assert!(read(store.as_ref(), |tx| tx.jobs().get_job(dropped).unwrap()).is_none());
    assert_eq!(
        get(store.as_ref(), kept).status,
        JobStatus::Waiting,
        "the claim is undone"
    );
    assert_eq!(claim(store.as_ref(), 10).map(|j| j.id), Some(kept));
}

fn deleting_the_project_removes_its_jobs(new_store: NewStore<'_>) {
    let store = new_store();
    let (gone, kept_project, gone_job, kept_job) = write(store.as_ref(), |tx| {
        let gone = new_project(tx, "gone");
        let kept = new_project(tx, "kept");
        (
            gone,
            kept,
            queue(tx, gone, "comp.a", "1"),
            queue(tx, kept, "comp.a", "1"),
        )
    });
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(gone)
        .unwrap()));
    assert!(read(store.as_ref(), |tx| tx.jobs().get_job(gone_job).unwrap()).is_none());
    assert!(scan(store.as_ref(), gone, &JobScan::default()).is_empty());
    assert_eq!(
        scan(store.as_ref(), kept_project, &JobScan::default()),
        vec![kept_job]
    );
    assert_eq!(
        claim(store.as_ref(), 10).map(|j| j.id),
        Some(kept_job),
        "nothing of gone is claimed"
    );
}

// The trait is used through `dyn`: keep it object safe.
const _: Option<&dyn JobQueue> = None;
