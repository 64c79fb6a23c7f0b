//! The `practice-connect` binary: the web app and its maintenance commands.

use std::process::ExitCode;

use clap::Parser;
use practice_connect::server::config::{Cli, Command, KeysCommand, StaffCommand};
use practice_connect::server::db::Db;
use practice_connect::server::{shutdown_signal, telemetry, Application};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth a word.
    if let Err(error) = dotenvy::dotenv() {
        if !error.not_found() {
            eprintln!("could not read .env: {error}");
        }
    }
    let cli = Cli::parse();
    let config = cli
        .config
        .with_hint_aliases(|name| std::env::var(name).ok());
    telemetry::init(config.log_format);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::Sandbox(args) => sandbox(args).await,
        Command::Staff { action } => staff(config, action).await,
        Command::Check => check(&config),
        Command::EnvExample => {
            print!("{}", practice_connect::server::config::env_example());
            Ok(())
        }
        Command::Seed { connections, force } => seed(config, connections, force).await,
        Command::Keys { action } => keys(config, action).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// `practice-connect check`: one line per check; fails when any check does.
fn check(config: &practice_connect::server::config::Config) -> Result<(), String> {
    use practice_connect::domain::status::Verdict;

    let lines = practice_connect::server::setup_check::for_command(config);
    for line in &lines {
        println!("{:<4} {}", line.verdict.as_str(), line.text);
    }
    let failed = lines.iter().filter(|l| l.verdict == Verdict::Fail).count();
    if failed > 0 {
        return Err(format!("{failed} check(s) failed"));
    }
    Ok(())
}

async fn serve(config: practice_connect::server::config::Config) -> Result<(), String> {
    let absolute = |path: &std::path::Path| {
        std::path::absolute(path)
            .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
    };
    tracing::info!(
        data_dir = %absolute(&config.data_dir),
        site_root = %absolute(&config.site_root),
        database = if config.database_url.is_some() { "DATABASE_URL" } else { "app.db in DATA_DIR" },
        "starting"
    );
    let app = Application::build(config)
        .await
        .map_err(|e| format!("could not start: {e}"))?;
    let address = app.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%address, "practice-connect is listening on http://{address}");
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

async fn migrate(config: practice_connect::server::config::Config) -> Result<(), String> {
    let db = Db::connect(&config.database_url(), 1)
        .await
        .map_err(|e| e.to_string())?;
    db.migrate()
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    tracing::info!(backend = db.backend().name(), "migrations applied");
    Ok(())
}

async fn sandbox(args: practice_connect::sandbox::SandboxArgs) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let sandbox = practice_connect::sandbox::start(args, http)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "Hint sandbox listening: API at {0}/api, marketplace at {0}/marketplace",
        sandbox.base_url
    );
    shutdown_signal().await;
    Ok(())
}

async fn open_db(config: &practice_connect::server::config::Config) -> Result<Db, String> {
    let db = Db::connect(&config.database_url(), 2)
        .await
        .map_err(|e| e.to_string())?;
    db.migrate()
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    Ok(db)
}

fn read_password() -> Result<String, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ").map_err(|e| e.to_string())
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn staff(
    config: practice_connect::server::config::Config,
    action: StaffCommand,
) -> Result<(), String> {
    use practice_connect::domain::account::{Email, NewPassword, PersonName};
    use practice_connect::domain::admin::StaffRole;
    use practice_connect::server::auth::staff_links::StaffLink;
    use practice_connect::server::staff;

    let db = open_db(&config).await?;
    match action {
        StaffCommand::Add { email, name, role } => {
            let email = Email::parse(&email)?;
            let name = PersonName::parse(name.as_deref().unwrap_or_else(|| email.as_str()))?;
            let role = StaffRole::parse(&role).ok_or("role must be admin or support")?;
            let password = NewPassword::parse(&read_password()?)?;
            let hasher = practice_connect::server::passwords::Hasher::with_workers(1);
            let member = staff::add(&db, &hasher, &email, &name, role, &password)
                .await
                .map_err(|e| e.to_string())?;
            println!("added {} ({})", member.email, member.role.as_str());
        }
        StaffCommand::Invite { email, name, role } => {
            let email = Email::parse(&email)?;
            let name = PersonName::parse(name.as_deref().unwrap_or_else(|| email.as_str()))?;
            let role = StaffRole::parse(&role).ok_or("role must be admin or support")?;
            let member = staff::invite(&db, &email, &name, role)
                .await
                .map_err(|e| e.to_string())?;
            send_staff_link(&config, &db, &member, StaffLink::Invite).await?;
            println!(
                "invited {} ({}); the invitation link works for {} hours",
                member.email,
                member.role.as_str(),
                config.invite_link_hours
            );
        }
        StaffCommand::List => {
            for listed in staff::roster(&db).await.map_err(|e| e.to_string())? {
                let state = match (listed.disabled, listed.password_pending) {
                    (true, _) => "disabled",
                    (false, true) => "invited",
                    (false, false) => "active",
                };
                println!(
                    "{}\t{}\t{}\t{state}",
                    listed.member.email,
                    listed.member.role.as_str(),
                    listed.member.name
                );
            }
        }
        StaffCommand::Enable { email } => {
            let email = Email::parse(&email)?;
            if staff::enable(&db, &email)
                .await
                .map_err(|e| e.to_string())?
            {
                println!("enabled {}", email.as_str());
            } else {
                println!("{} was not disabled", email.as_str());
            }
        }
        StaffCommand::ResetPassword { email } => {
            let email = Email::parse(&email)?;
            let member = staff::clear_password(&db, &email)
                .await
                .map_err(|e| e.to_string())?;
            send_staff_link(&config, &db, &member, StaffLink::Password).await?;
            println!(
                "{}: password forgotten and sessions ended; a link to choose a new one was emailed",
                member.email
            );
        }
        StaffCommand::SetRole { email, role } => {
            let email = Email::parse(&email)?;
            let role = StaffRole::parse(&role).ok_or("role must be admin or support")?;
            let member = staff::set_role(&db, &email, role)
                .await
                .map_err(|e| e.to_string())?;
            println!("{} is now {}", member.email, member.role.as_str());
        }
        StaffCommand::Disable { email } => {
            let email = Email::parse(&email)?;
            if staff::disable(&db, &email)
                .await
                .map_err(|e| e.to_string())?
            {
                println!("disabled {}", email.as_str());
            } else {
                return Err(format!("no active staff member {}", email.as_str()));
            }
        }
        StaffCommand::ResetSecondFactor { email } => {
            let email = Email::parse(&email)?;
            staff::reset_second_factor(&db, &email)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}: authenticator and recovery codes forgotten, sessions ended; they set up a new authenticator at their next login",
                email.as_str()
            );
        }
    }
    Ok(())
}

/// Queues a staff member's password link; a running server's mail worker sends it (or, in
/// development without SMTP_URL, shows it at /dev/outbox).
async fn send_staff_link(
    config: &practice_connect::server::config::Config,
    db: &Db,
    member: &practice_connect::domain::admin::StaffMember,
    which: practice_connect::server::auth::staff_links::StaffLink,
) -> Result<(), String> {
    let keys = practice_connect::server::crypto::Keyring::load(
        config.encryption_keys.as_ref(),
        &config.data_dir,
        config.is_development(),
    )
    .map_err(|e| e.to_string())?;
    let outbox = practice_connect::server::mail::Outbox {
        db,
        keys: &keys,
        now: practice_connect::server::db::now(),
        sends: config.smtp_url.is_some(),
    };
    practice_connect::server::auth::staff_links::send(
        &outbox,
        &config.public_base_url(),
        member,
        which,
        config.invite_link_hours,
    )
    .await
    .map_err(|e| e.to_string())
}

async fn seed(
    config: practice_connect::server::config::Config,
    connections: usize,
    force: bool,
) -> Result<(), String> {
    if !config.is_development() && !force {
        return Err(
            "seed adds made-up practices: run it with APP_ENV=development (or --force)".into(),
        );
    }
    let db = open_db(&config).await?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connections")
        .fetch_one(db.pool())
        .await
        .map_err(|e| e.to_string())?;
    if existing > 0 && !force {
        return Err(format!(
            "the database has {existing} connections already; seed only an empty one (or pass --force)"
        ));
    }
    let started = std::time::Instant::now();
    let added = practice_connect::server::seed::connections(&db, connections)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "added {added} connections in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn keys(
    config: practice_connect::server::config::Config,
    action: KeysCommand,
) -> Result<(), String> {
    use practice_connect::server::crypto::Keyring;

    match action {
        KeysCommand::Generate { id } => println!("{}", Keyring::generate_spec(&id)),
        KeysCommand::Rotate => {
            let db = open_db(&config).await?;
            let keys = Keyring::load(
                config.encryption_keys.as_ref(),
                &config.data_dir,
                config.is_development(),
            )
            .map_err(|e| e.to_string())?;
            let done = practice_connect::server::connections::keys::rotate(&db, &keys)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "re-encrypted {} practice keys, {} pending codes, {} staff authenticator secrets and {} unsent emails under key {}",
                done.practice_keys,
                done.codes,
                done.staff_factors,
                done.mails,
                keys.active_id()
            );
        }
    }
    Ok(())
}
