//! `/v1/connections`: the list, one item, and a connected practice's key.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Authorized, Problem};
use crate::domain::connection::ConnectionStatus;
use crate::domain::dates::rfc3339;
use crate::domain::partner::Scope;
use crate::server::connections::service_api::{self, Filter, Item, KeyRefusal};
use crate::server::state::AppState;

/// The page size when `limit` is not given.
const DEFAULT_PAGE: i64 = 50;

/// A connection. Never its key.
#[derive(Debug, Serialize, ToSchema)]
pub struct Connection {
    /// Our id for the connection (`con_…`).
    id: String,
    /// Hint's id for the practice (`pra-…`).
    practice_id: Option<String>,
    practice_name: Option<String>,
    /// Hint's id for the integration (`int-…`).
    integration_id: Option<String>,
    /// `connected`, `awaiting_activation`, `needs_reconnect` or `disconnected`.
    #[schema(examples("connected"))]
    status: String,
    /// When the key was stored (RFC 3339).
    connected_at: Option<String>,
    /// When anything about the connection last changed (RFC 3339): the list's order.
    updated_at: String,
}

impl From<Item> for Connection {
    fn from(item: Item) -> Self {
        Self {
            id: item.id,
            practice_id: item.practice_id,
            practice_name: item.practice_name,
            integration_id: item.integration_id,
            status: item.status,
            connected_at: item.connected_at.map(rfc3339),
            updated_at: rfc3339(item.updated_at),
        }
    }
}

/// One page of connections.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionList {
    data: Vec<Connection>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    next_cursor: Option<String>,
}

/// A connected practice's key, to call Hint's API on its behalf.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeKey {
    api_key: String,
    practice_id: Option<String>,
    integration_id: Option<String>,
}

/// The list's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only connections in this status.
    status: Option<String>,
    /// Only the connection of this Hint practice.
    practice_id: Option<String>,
    /// Only connections changed at or after this time (RFC 3339).
    updated_since: Option<String>,
    /// Items per page, 1 to 200 (50 when not given).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

fn encode_cursor(item: &Item) -> String {
    let raw = format!("{}.{}", item.updated_at, item.id);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (at, id) = raw.split_once('.')?;
    Some((at.parse().ok()?, id.to_owned()))
}

fn filter(params: ListParams) -> Result<Filter, Problem> {
    let status = match params.status.as_deref() {
        None | Some("") => None,
        Some(word) => Some(ConnectionStatus::parse(word).ok_or_else(|| {
            Problem::bad_request(format!("status {word:?} is not a connection status"))
        })?),
    };
    let updated_since = match params.updated_since.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    Problem::bad_request(
                        "updated_since must be an RFC 3339 time, e.g. 2026-12-01T00:00:00Z",
                    )
                })?
                .unix_timestamp(),
        ),
    };
    let after = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
            Problem::bad_request("cursor is not one this API gave: start again without it")
        })?),
    };
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=service_api::MAX_PAGE).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit must be from 1 to {}",
            service_api::MAX_PAGE
        )));
    }
    Ok(Filter {
        status,
        practice_id: params.practice_id.filter(|id| !id.is_empty()),
        updated_since,
        after,
        limit,
    })
}

/// Connections in the order they changed, oldest change first.
#[utoipa::path(
    get,
    path = "/v1/connections",
    tag = "connections",
    params(ListParams),
    security(("service_token" = [])),
    responses(
        (status = 200, description = "One page of connections", body = ConnectionList),
        (status = 400, description = "A filter or the cursor is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No token, or not a live one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks connections:read", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over the token's limit (see Retry-After)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Authorized,
    Query(params): Query<ListParams>,
) -> Result<Json<ConnectionList>, Problem> {
    caller.with(Scope::ConnectionsRead)?;
    let filter = filter(params)?;
    let (items, more) = service_api::list(&state, &filter).await.map_err(|error| {
        tracing::error!(%error, "could not list connections for the service API");
        Problem::failed()
    })?;
    let next_cursor = more.then(|| items.last().map(encode_cursor)).flatten();
    Ok(Json(ConnectionList {
        data: items.into_iter().map(Connection::from).collect(),
        next_cursor,
    }))
}

/// One connection.
#[utoipa::path(
    get,
    path = "/v1/connections/{id}",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id (`con_…`)")),
    security(("service_token" = [])),
    responses(
        (status = 200, description = "The connection", body = Connection),
        (status = 401, description = "No token, or not a live one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks connections:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No connection has this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    caller: Authorized,
    Path(id): Path<String>,
) -> Result<Json<Connection>, Problem> {
    caller.with(Scope::ConnectionsRead)?;
    let item = service_api::get(&state, &id).await.map_err(|error| {
        tracing::error!(%error, "could not read a connection for the service API");
        Problem::failed()
    })?;
    item.map(|item| Json(item.into()))
        .ok_or_else(Problem::not_found)
}

/// A connected practice's API key. Every read is in the audit log under the token's name.
#[utoipa::path(
    get,
    path = "/v1/connections/{id}/key",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id (`con_…`)")),
    security(("service_token" = [])),
    responses(
        (status = 200, description = "The key (answered with Cache-Control: no-store)", body = PracticeKey),
        (status = 401, description = "No token, or not a live one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks keys:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No connection has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The connection is not connected: `connection_status` says which status it is in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn key(
    State(state): State<AppState>,
    caller: Authorized,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let caller = caller.with(Scope::KeysRead)?;
    let (item, key) =
        service_api::key(&state, &caller, &id)
            .await
            .map_err(|refusal| match refusal {
                KeyRefusal::Unknown => Problem::not_found(),
                KeyRefusal::NotConnected(status) => Problem::not_connected(status.as_str()),
                KeyRefusal::Failed => Problem::failed(),
            })?;
    let body = PracticeKey {
        api_key: key.expose_secret().to_owned(),
        practice_id: item.practice_id,
        integration_id: item.integration_id,
    };
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_a_forged_one_is_refused() {
        let item = Item {
            id: "con_abc".into(),
            practice_id: None,
            practice_name: None,
            integration_id: None,
            status: "connected".into(),
            connected_at: None,
            updated_at: 1_795_910_400,
        };
        let cursor = encode_cursor(&item);
        assert_eq!(
            decode_cursor(&cursor),
            Some((1_795_910_400, "con_abc".into()))
        );
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor("bm8tZG90"), None, "no dot");
    }
}
