//! The OpenAPI document at `/v1/openapi.json` against the API's real answers: every status a
//! test provokes is documented for its route and content type, and each body matches the
//! documented schema exactly (no property missing that it requires, none it does not list, every
//! value of the documented type). `scripts/test.sh` also validates the document itself against
//! the OpenAPI 3.1 specification (openapi-spec-validator).

use serde_json::Value;

use crate::helpers::{TestApp, TestDb, RIVERBEND};

/// Checks `value` against `schema` (the subset of JSON Schema the document uses), resolving
/// `$ref`s in `document`. Returns every mismatch, with where it is.
fn mismatches(document: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &document["components"]["schemas"][name];
        assert!(!target.is_null(), "{reference} is not in the document");
        return mismatches(document, target, value, at);
    }
    if let Some(options) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let fits = options
            .iter()
            .any(|option| mismatches(document, option, value, at).is_empty());
        return if fits {
            vec![]
        } else {
            vec![format!("{at}: fits no option")]
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let type_fits = types.is_empty()
        || types.contains(&kind)
        || (kind == "integer" && types.contains(&"number"));
    if !type_fits {
        return vec![format!("{at}: {kind} where the document says {types:?}")];
    }
    let mut found = Vec::new();
    match value {
        Value::Object(fields) => {
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !fields.contains_key(name) {
                    found.push(format!("{at}.{name}: required, missing"));
                }
            }
            for (name, field) in fields {
                match properties.get(name) {
                    Some(property) => found.extend(mismatches(
                        document,
                        property,
                        field,
                        &format!("{at}.{name}"),
                    )),
                    None => found.push(format!("{at}.{name}: not in the document")),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                found.extend(mismatches(
                    document,
                    &schema["items"],
                    item,
                    &format!("{at}[{i}]"),
                ));
            }
        }
        _ => {}
    }
    found
}

/// Requests `path` as the API's client would, then checks the answer against the document's
/// entry for `route` (the path's template) and the answer's status and content type.
async fn answer_matches(
    app: &TestApp,
    document: &Value,
    route: &str,
    path: &str,
    token: Option<&str>,
) -> u16 {
    let (status, content_type, body) = app.v1(path, token).await;
    let response = &document["paths"][route]["get"]["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{path}: status {status} is not documented for {route}"
    );
    let schema = &response["content"][content_type.as_str()]["schema"];
    assert!(
        !schema.is_null(),
        "{path}: {status} as {content_type} is not documented"
    );
    let found = mismatches(document, schema, &body, "body");
    assert!(found.is_empty(), "{path} ({status}): {found:#?}\n{body}");
    status
}

#[tokio::test]
async fn the_document_describes_every_real_answer() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let response = reqwest::get(format!("{}/v1/openapi.json", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document["components"]["securitySchemes"]["service_token"]["scheme"],
        "bearer"
    );

    let browser = app.another_browser();
    browser.ready_to_connect(RIVERBEND).await;
    let id = browser.connect().await["id"].as_str().unwrap().to_owned();
    let read = app.service_token("reader", "connections:read").await;
    let keys = app.service_token("keys", "keys:read").await;
    let list = "/v1/connections";
    let one = "/v1/connections/{id}";
    let key = "/v1/connections/{id}/key";
    let mut statuses = vec![
        answer_matches(&app, &document, list, "/v1/connections", Some(&read)).await,
        answer_matches(
            &app,
            &document,
            list,
            "/v1/connections?limit=1&status=connected",
            Some(&read),
        )
        .await,
        answer_matches(
            &app,
            &document,
            list,
            "/v1/connections?status=asleep",
            Some(&read),
        )
        .await,
        answer_matches(&app, &document, list, "/v1/connections", None).await,
        answer_matches(&app, &document, list, "/v1/connections", Some(&keys)).await,
        answer_matches(
            &app,
            &document,
            one,
            &format!("/v1/connections/{id}"),
            Some(&read),
        )
        .await,
        answer_matches(
            &app,
            &document,
            one,
            "/v1/connections/con_unknown",
            Some(&read),
        )
        .await,
        answer_matches(
            &app,
            &document,
            key,
            &format!("/v1/connections/{id}/key"),
            Some(&keys),
        )
        .await,
        answer_matches(
            &app,
            &document,
            key,
            &format!("/v1/connections/{id}/key"),
            Some(&read),
        )
        .await,
    ];
    sqlx::query("UPDATE connections SET status = 'disconnected' WHERE id = $1")
        .bind(&id)
        .execute(app.db.pool())
        .await
        .unwrap();
    statuses.push(
        answer_matches(
            &app,
            &document,
            key,
            &format!("/v1/connections/{id}/key"),
            Some(&keys),
        )
        .await,
    );
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(
        statuses,
        [200, 400, 401, 403, 404, 409],
        "every documented kind of answer was seen"
    );
}

#[test]
fn the_checker_finds_what_does_not_match() {
    let document = serde_json::json!({ "components": { "schemas": { "Item": {
        "type": "object",
        "required": ["id"],
        "properties": { "id": { "type": "string" }, "at": { "type": ["string", "null"] } }
    } } } });
    let item = serde_json::json!({ "$ref": "#/components/schemas/Item" });
    let check = |value: Value| mismatches(&document, &item, &value, "body");
    assert!(check(serde_json::json!({ "id": "a", "at": null })).is_empty());
    assert_eq!(
        check(serde_json::json!({ "at": "x" })).len(),
        1,
        "missing id"
    );
    assert_eq!(check(serde_json::json!({ "id": 1 })).len(), 1, "wrong type");
    assert_eq!(
        check(serde_json::json!({ "id": "a", "key": "secret" })).len(),
        1,
        "undocumented"
    );
}
