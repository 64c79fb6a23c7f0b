//! `service-tokens …` and `event-endpoints …`: the partner's own product's access to the
//! service API, and where connection events go. A new token or signing secret is printed once,
//! alone on the last line of output, so a script can take it with `tail -n 1`.

use clap::Subcommand;
use secrecy::ExposeSecret;

use super::{open_db, Outcome};
use crate::domain::dates::iso_date_time;
use crate::domain::partner::Scope;
use crate::server::audit::Operator;
use crate::server::crypto::Keyring;
use crate::server::events::endpoints;
use crate::server::service_tokens;
use crate::settings::Settings;

/// `service-tokens …` subcommands.
#[derive(Debug, Subcommand)]
pub enum ServiceTokensCommand {
    /// Make a token and print it once (the last line); only its hash is kept.
    Create {
        /// A name for the service that will hold it (letters, digits, `.`, `-`, `_`).
        #[arg(long)]
        name: String,
        /// What it may do, comma-separated: `connections:read`, `keys:read`.
        #[arg(long, default_value = "connections:read")]
        scopes: String,
    },
    /// List the live tokens: name, scopes, created, last used (never the token).
    List,
    /// Revoke a token: its next call answers 401.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

/// `event-endpoints …` subcommands.
#[derive(Debug, Subcommand)]
pub enum EventEndpointsCommand {
    /// Send connection events to a URL (https only in production); prints its signing secret
    /// once (the last line).
    Add {
        #[arg(long)]
        url: String,
    },
    /// List the endpoints.
    List,
    /// Stop sending to a URL; what it had pending is cancelled.
    Remove {
        #[arg(long)]
        url: String,
    },
    /// Give an endpoint a new signing secret (printed once, the last line); the old one keeps
    /// signing beside it for a day.
    RotateSecret {
        #[arg(long)]
        url: String,
    },
}

/// Runs one `service-tokens` action.
pub async fn tokens(settings: Settings, action: ServiceTokensCommand) -> Outcome {
    let db = open_db(&settings).await?;
    match action {
        ServiceTokensCommand::Create { name, scopes } => {
            let scopes = Scope::parse_list(&scopes)?;
            let token = service_tokens::create(&db, &name, &scopes, Operator::CommandLine)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "service token {name:?} with {}: shown once, keep it in your secret store",
                Scope::join(&scopes)
            );
            println!("{}", token.expose_secret());
        }
        ServiceTokensCommand::List => {
            let tokens = service_tokens::list(&db).await.map_err(|e| e.to_string())?;
            if tokens.is_empty() {
                println!("no service tokens");
            }
            for token in tokens {
                let used = token.last_used_at.map_or("never".into(), iso_date_time);
                println!(
                    "{}\t{}\tcreated {}\tlast used {used}",
                    token.name,
                    Scope::join(&token.scopes),
                    iso_date_time(token.created_at)
                );
            }
        }
        ServiceTokensCommand::Revoke { name } => {
            service_tokens::revoke(&db, &name, Operator::CommandLine)
                .await
                .map_err(|e| e.to_string())?;
            println!("revoked {name:?}");
        }
    }
    Ok(())
}

/// Runs one `event-endpoints` action.
pub async fn endpoints(settings: Settings, action: EventEndpointsCommand) -> Outcome {
    let db = open_db(&settings).await?;
    let keys = || {
        Keyring::load(
            settings.security.encryption_keys.as_ref(),
            &settings.data_dir,
            settings.is_development(),
        )
        .map_err(|e| e.to_string())
    };
    let by = Operator::CommandLine;
    match action {
        EventEndpointsCommand::Add { url } => {
            let development = settings.is_development();
            let secret = endpoints::add(&db, &keys()?, &url, development, by)
                .await
                .map_err(|e| e.to_string())?;
            println!("events go to {url}; its signing secret, shown once:");
            println!("{}", secret.expose_secret());
        }
        EventEndpointsCommand::List => {
            let all = endpoints::list(&db).await.map_err(|e| e.to_string())?;
            if all.is_empty() {
                println!("no event endpoints");
            }
            for (url, created_at) in all {
                println!("{url}\tadded {}", iso_date_time(created_at));
            }
        }
        EventEndpointsCommand::Remove { url } => {
            endpoints::remove(&db, &url, by)
                .await
                .map_err(|e| e.to_string())?;
            println!("removed {url}");
        }
        EventEndpointsCommand::RotateSecret { url } => {
            let secret = endpoints::rotate_secret(&db, &keys()?, &url, by)
                .await
                .map_err(|e| e.to_string())?;
            println!("{url} signs with a new secret (and the old one for a day more), shown once:");
            println!("{}", secret.expose_secret());
        }
    }
    Ok(())
}
