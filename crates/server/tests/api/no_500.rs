//! kbcstorage retries every 5xx but 501 for about 17 minutes, so no request it can make may
//! answer one: odd but possible requests to every endpoint it reaches (wrong ids, wrong types,
//! missing bodies, features the stack has not) answer a 4xx, or 501 for a missing feature.

use serde_json::json;

use crate::helpers::*;
use crate::raw::{form, load_form, post_done, post_ok, send, wait_job, Body, BROKEN};

use reqwest::Method;

/// One request: method, path (with query), body.
type Case = (Method, String, Body);

fn get(path: &str) -> Case {
    (Method::GET, path.to_string(), Body::None)
}

fn post(path: &str, body: Body) -> Case {
    (Method::POST, path.to_string(), body)
}

fn put(path: &str, body: Body) -> Case {
    (Method::PUT, path.to_string(), body)
}

fn delete(path: &str) -> Case {
    (Method::DELETE, path.to_string(), Body::None)
}

/// The requests, against a project with table `in.c-main.t` and workspace `ws`.
fn cases(ws: u64) -> Vec<Case> {
    let mysql = "/v2/storage/branch/default/components/keboola.ex-db-mysql";
    vec![
        // Buckets, with kbcstorage's link/share/unshare and other backends.
        get("/v2/storage/buckets/in.c-nope"),
        get("/v2/storage/buckets/nonsense"),
        get("/v2/storage/buckets/in.c-main/tables?include=columns,nonsense"),
        post(
            "/v2/storage/buckets",
            form(&[("name", "x"), ("stage", "bogus")]),
        ),
        post(
            "/v2/storage/buckets",
            form(&[("name", "x"), ("stage", "in"), ("backend", "snowflake")]),
        ),
        post("/v2/storage/buckets", Body::None),
        post("/v2/storage/buckets", Body::Raw("text/plain", "name=x")),
        post("/v2/storage/buckets", Body::Raw("application/json", "[1,2")),
        post(
            "/v2/storage/buckets",
            form(&[
                ("name", "linked"),
                ("stage", "in"),
                ("sourceProjectId", "9"),
                ("sourceBucketId", "in.c-shared"),
            ]),
        ),
        post(
            "/v2/storage/buckets/in.c-main/share-organization",
            Body::None,
        ),
        post(
            "/v2/storage/buckets/in.c-main/share-to-projects",
            form(&[("targetProjectIds[]", "9")]),
        ),
        post(
            "/v2/storage/buckets/in.c-main/share",
            form(&[("sharing", "organization")]),
        ),
        delete("/v2/storage/buckets/in.c-main/share"),
        get("/v2/storage/shared-buckets"),
        delete("/v2/storage/buckets/in.c-nope?force=true&async=true"),
        delete("/v2/storage/buckets/in.c-main?force=maybe"),
        // Tables and their asynchronous flows.
        get("/v2/storage/tables/in.c-main.nope"),
        get("/v2/storage/tables/abc"),
        get("/v2/storage/tables?include=buckets,columns,metadata,nonsense"),
        post(
            "/v2/storage/buckets/in.c-main/tables-async",
            form(&[("name", "u"), ("dataFileId", "999999")]),
        ),
        post(
            "/v2/storage/buckets/in.c-main/tables-async",
            form(&[("name", "u"), ("dataFileId", "abc")]),
        ),
        post(
            "/v2/storage/buckets/in.c-main/tables-async",
            form(&[("name", "u"), ("dataUrl", "http://10.0.0.1/x.csv")]),
        ),
        post(
            "/v2/storage/tables/in.c-main.t/import-async",
            form(&[("dataFileId", "999999"), ("incremental", "1")]),
        ),
        post("/v2/storage/tables/in.c-main.t/import-async", Body::None),
        post(
            "/v2/storage/tables/in.c-main.t/export-async",
            form(&[("limit", "abc")]),
        ),
        post(
            "/v2/storage/tables/in.c-main.t/export-async",
            form(&[("format", "parquet")]),
        ),
        post("/v2/storage/tables/in.c-main.t/optimize", Body::None),
        get("/v2/storage/tables/in.c-main.t/data-preview?limit=-1"),
        get("/v2/storage/tables/in.c-main.t/data-preview?whereColumn=nope&whereValues[]=1"),
        get("/v2/storage/tables/in.c-main.t/data-preview?changedSince=yesterday"),
        get("/v2/storage/tables/in.c-main.t/data-preview?format=parquet"),
        delete("/v2/storage/tables/in.c-main.nope"),
        // Ids and numbers past what a database column (i64) holds, though a u64 holds them.
        get("/v2/storage/workspaces/18446744073709551615"),
        delete("/v2/storage/workspaces/9223372036854775808"),
        post("/v2/storage/workspaces/18446744073709551615/password", Body::None),
        post("/v2/storage/workspaces/18446744073709551615/load", load_form(&[("in.c-main.t", "t")], true)),
        get("/v2/storage/files/18446744073709551615"),
        delete("/v2/storage/files/18446744073709551615"),
        get("/v2/storage/jobs/18446744073709551615"),
        get("/v2/storage/tokens/18446744073709551615"),
        delete("/v2/storage/tokens/18446744073709551615"),
        delete("/v2/storage/tables/in.c-main.t/metadata/18446744073709551615"),
        delete("/v2/storage/buckets/in.c-main/metadata/18446744073709551615"),
        delete("/v2/storage/branch/default/metadata/18446744073709551615"),
        get("/v2/storage/dev-branches/18446744073709551615"),
        get("/v2/storage/events?sinceId=9223372036854775808&limit=1"),
        get("/v2/storage/files?sinceId=18446744073709551615"),
        get("/v2/storage/files?limit=18446744073709551615&offset=9223372036854775808"),
        get("/v2/storage/branch/default/components/keboola.ex-db-mysql/configs/18446744073709551615"),
        get("/v2/storage/branch/default/components/keboola.ex-db-mysql/configs/c/versions/18446744073709551615"),
        // Numbers past what a database column holds.
        get("/v2/storage/tables/in.c-main.t/export?limit=18446744073709551615"),
        get("/v2/storage/tables/in.c-main.t/export?limit=9223372036854775808"),
        get("/v2/storage/files?limit=18446744073709551615&offset=18446744073709551615"),
        get("/v2/storage/events?sinceId=18446744073709551615"),
        get("/v2/storage/events?objectType=table&objectId=in.c-main.t&limit=1000"),
        post("/v2/storage/tokens", Body::Json(json!({"description": "t", "expiresIn": 18446744073709551615u64}))),
        post("/v2/storage/tokens", form(&[("description", "t"), ("expiresIn", "-1")])),
        post("/v2/storage/tokens", form(&[("description", "t"), ("bucketPermissions[in.c-nope]", "read")])),
        post("/v2/storage/tokens", form(&[("description", "t"), ("bucketPermissions[in.c-main]", "admin")])),
        post("/v2/storage/tables/in.c-main.t/import?idempotencyKey=%01", Body::Raw("text/csv", "id,v\n2,b\n")),
        post("/v2/storage/tables/in.c-main.t/import", Body::Raw("text/csv", "id,nope\n2,b\n")),
        post("/v2/storage/tables/in.c-main.t/import", Body::Raw("text/csv", "")),
        post("/v2/storage/tables/in.c-main.t/import", Body::Raw("text/csv", "id,v\n\"2,b\n")),
        // Table metadata.
        post(
            "/v2/storage/tables/in.c-main.t/metadata",
            Body::Raw(
                "application/json",
                r#"{"provider": "user", "metadata": "x"}"#,
            ),
        ),
        post(
            "/v2/storage/tables/in.c-main.t/metadata",
            Body::Json(
                json!({"provider": "user", "columnsMetadata": {"nope": [{"key": "k", "value": "v"}]}}),
            ),
        ),
        delete("/v2/storage/tables/in.c-main.t/metadata/abc"),
        delete("/v2/storage/tables/in.c-main.t/metadata/99999999999999999999"),
        // Files.
        get("/v2/storage/files/abc"),
        get("/v2/storage/files/99999999999999999999?federationToken=1"),
        get("/v2/storage/files?limit=-1&offset=x"),
        get("/v2/storage/files?q=tags:%22a%22%20AND%20tags:%22b%22"),
        post(
            "/v2/storage/files/prepare",
            form(&[("name", "f.csv"), ("sizeBytes", "-5")]),
        ),
        post(
            "/v2/storage/files/prepare",
            form(&[("name", ""), ("federationToken", "1")]),
        ),
        post(
            "/v2/storage/files/prepare",
            form(&[
                ("name", "f.csv"),
                ("isSliced", "true"),
                ("isEncrypted", "1"),
            ]),
        ),
        delete("/v2/storage/files/abc"),
        // Storage jobs.
        get("/v2/storage/jobs/abc"),
        get("/v2/storage/jobs/99999999999999999999"),
        get("/v2/storage/jobs?limit=-1"),
        // Tokens and events.
        get("/v2/storage/tokens/verify?x=1"),
        get("/v2/storage/events?limit=0"),
        get("/v2/storage/events?sinceId=abc"),
        post("/v2/storage/events", Body::None),
        post(
            "/v2/storage/events",
            Body::Json(json!({"component": 5, "message": []})),
        ),
        // Components, configurations and their metadata.
        get("/v2/storage/branch/default/components?include=nonsense"),
        get(&format!("{mysql}/configs/nope")),
        get(&format!("{mysql}/configs/nope/workspaces")),
        get("/v2/storage/branch/default/components/not%20a%20component/configs"),
        post(
            &format!("{mysql}/configs"),
            form(&[("name", "c"), ("configuration", "{not json")]),
        ),
        post(
            &format!("{mysql}/configs"),
            form(&[("name", "c"), ("state", "[1]")]),
        ),
        post(
            &format!("{mysql}/configs/nope/metadata"),
            Body::Json(json!({"provider": "user", "metadata": [{"key": "k"}]})),
        ),
        delete(&format!("{mysql}/configs/nope/metadata/1")),
        post(
            &format!("{mysql}/configs/nope/workspaces"),
            Body::Json(json!({})),
        ),
        post(&format!("{mysql}/configs/nope/workspaces"), Body::None),
        // Branches.
        get("/v2/storage/dev-branches/feature"),
        get("/v2/storage/dev-branches/99999999999999999999"),
        get("/v2/storage/branch/12345/metadata"),
        get("/v2/storage/branch/default/metadata?x=1"),
        // Triggers.
        get("/v2/storage/triggers/abc"),
        post(
            "/v2/storage/triggers",
            Body::Json(
                json!({"runWithTokenId": "x", "component": 5, "configurationId": null, "coolDownPeriodMinutes": -1, "tableIds": "t"}),
            ),
        ),
        put(
            "/v2/storage/triggers/abc",
            form(&[("coolDownPeriodMinutes", "x")]),
        ),
        delete("/v2/storage/triggers/99999999999999999999"),
        // Workspaces.
        get("/v2/storage/workspaces/abc"),
        get("/v2/storage/workspaces/0"),
        get("/v2/storage/workspaces/99999999999999999999"),
        post("/v2/storage/workspaces", Body::None),
        post(
            "/v2/storage/workspaces",
            form(&[
                ("backend", "snowflake"),
                ("loginType", "snowflake-service-keypair"),
                ("publicKey", "x"),
            ]),
        ),
        post("/v2/storage/workspaces", form(&[("backend", "redshift")])),
        post(
            "/v2/storage/workspaces",
            form(&[("statementTimeoutSeconds", "-1")]),
        ),
        post(
            "/v2/storage/workspaces",
            form(&[("statementTimeoutSeconds", "18446744073709551615")]),
        ),
        post(
            "/v2/storage/workspaces",
            Body::Json(json!({"readOnlyStorageAccess": 3})),
        ),
        post(&format!("/v2/storage/workspaces/{ws}/load"), Body::None),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            form(&[("preserve", "maybe")]),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            form(&[("input[0]", "x")]),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            form(&[("input[x][source]", "in.c-main.t")]),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            load_form(&[("in.c-main.t", "")], true),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            Body::Json(
                json!({"input": [{"source": "in.c-main.t", "destination": "t", "columns": ["nope"]}]}),
            ),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            Body::Json(
                json!({"input": [{"source": "in.c-main.t", "destination": "t", "rows": -1}]}),
            ),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            Body::Json(
                json!({"input": [{"source": "in.c-main.t", "destination": "t", "changedSince": "never"}]}),
            ),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            Body::Json(
                json!({"input": [{"source": "in.c-main.t", "destination": "t", "incremental": true, "columns": ["id"]}]}),
            ),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            Body::Json(
                json!({"input": [{"source": "in.c-main.t", "destination": "a".repeat(300)}]}),
            ),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            Body::Json(
                json!({"input": [{"source": "in.c-main.t", "destination": "t", "whereColumn": "id"}]}),
            ),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load"),
            form(&[
                ("input[0][dataFileId]", "1"),
                ("input[0][destination]", "d/f"),
                ("preserve", "1"),
            ]),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/load-clone"),
            load_form(&[("in.c-nope.t", "t")], false),
        ),
        post(
            "/v2/storage/workspaces/999/load-clone",
            load_form(&[("in.c-main.t", "t")], true),
        ),
        post("/v2/storage/workspaces/abc/password", Body::None),
        post(
            &format!("/v2/storage/workspaces/{ws}/public-key"),
            Body::Json(json!({"publicKey": 5})),
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/public-key"),
            Body::None,
        ),
        post(
            &format!("/v2/storage/workspaces/{ws}/public-key"),
            Body::Json(
                json!({"publicKey": "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----"}),
            ),
        ),
        delete("/v2/storage/workspaces/abc"),
        delete("/v2/storage/workspaces/999"),
    ]
}

both_backends!(no_request_kbcstorage_can_make_answers_a_5xx_it_would_wait_out);
async fn no_request_kbcstorage_can_make_answers_a_5xx_it_would_wait_out(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("p").await;
    let table = bucket_with_table(&client, "main", "t", &["id", "v"], &["id"]).await;
    import_csv(&client, &table, "id,v\n1,a\n").await;
    let ws = post_ok(
        &app,
        &created.token,
        "/v2/storage/workspaces",
        form(&[("readOnlyStorageAccess", "false")]),
    )
    .await;
    let ws = ws["id"].as_u64().unwrap();
    // A table already in the workspace with other columns, for the incremental case.
    post_done(
        &app,
        &created.token,
        &format!("/v2/storage/workspaces/{ws}/load"),
        load_form(&[("in.c-main.t", "t")], true),
    )
    .await;

    let mut waited_out = Vec::new();
    let cases = cases(ws);
    let count = cases.len();
    for (method, path, body) in cases {
        let (status, answer) = send(&app, &created.token, method.clone(), &path, body).await;
        let broken = answer.as_str().is_some_and(|a| a.starts_with(BROKEN));
        if (status >= 500 && status != 501) || broken {
            waited_out.push(format!("{method} {path}: {status} {answer}"));
        }
        // An accepted storage job must not end in a fault either: the client would see an
        // error it cannot act on.
        if status == 202 && answer["operationName"].is_string() {
            let job = wait_job(&app, &created.token, &answer).await;
            if job["error"]["code"] == "internal" {
                waited_out.push(format!("{method} {path}: job ended in a fault: {job}"));
            }
        }
        if status >= 400 && status != 404 && status != 405 {
            assert!(
                answer["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{method} {path}: {status} without a message: {answer}"
            );
        }
    }
    assert!(
        waited_out.is_empty(),
        "{} of {count} requests answered a 5xx kbcstorage retries (or broke off):\n{}",
        waited_out.len(),
        waited_out.join("\n")
    );
}
