//! `keys …`: the keys that encrypt secrets at rest.

use clap::Subcommand;

use super::{open_db, Outcome};
use crate::server::crypto::Keyring;
use crate::settings::Settings;

/// `keys …` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key as `id:base64key`, to put first in ENCRYPTION_KEYS.
    Generate {
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Re-encrypt every stored secret under the first key of ENCRYPTION_KEYS; afterwards the
    /// older keys can be removed.
    Rotate,
}

/// Runs one `keys` action.
pub async fn run(settings: Settings, action: KeysCommand) -> Outcome {
    match action {
        KeysCommand::Generate { id } => println!("{}", Keyring::generate_spec(&id)),
        KeysCommand::Rotate => {
            let db = open_db(&settings).await?;
            let keys = Keyring::load(
                settings.security.encryption_keys.as_ref(),
                &settings.data_dir,
                settings.is_development(),
            )
            .map_err(|e| e.to_string())?;
            let done = crate::server::connections::keys::rotate(&db, &keys)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "re-encrypted {} practice keys, {} pending codes, {} staff authenticator secrets, {} unsent emails and {} event signing secrets under key {}",
                done.practice_keys,
                done.codes,
                done.staff_factors,
                done.mails,
                done.event_secrets,
                keys.active_id()
            );
        }
    }
    Ok(())
}
