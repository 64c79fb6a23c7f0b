//! `env-example`: every setting as a commented-out line of an environment file, made from the
//! command line's own help texts so that it cannot drift from the code.

use clap::CommandFactory;

use super::Cli;

/// The example environment file: every setting of `serve` (and of the in-process sandbox) as a
/// commented-out line under its help text, with its default where it has one.
pub fn render() -> String {
    let mut out = String::from(
        "# practice-connect settings. Copy to `.env` (read at start) and uncomment what you set.\n\
         # Made by `practice-connect env-example`; a test keeps this file in step with the code.\n\
         # Production refuses to start without the settings marked *production* in the README.\n",
    );
    let root = Cli::command();
    let sandbox = root
        .find_subcommand("sandbox")
        .expect("the sandbox subcommand")
        .clone();
    for (title, command) in [("The app", &root), ("The built-in Hint sandbox", &sandbox)] {
        out.push_str(&format!("\n## {title}\n"));
        for arg in command.get_arguments() {
            let Some(env) = arg.get_env() else { continue };
            let env = env.to_string_lossy();
            if out.contains(&format!("# {env}=")) {
                continue;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            for line in help.lines() {
                out.push_str(&format!("\n# {line}"));
            }
            let default = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",");
            out.push_str(&format!("\n# {env}={default}\n"));
        }
    }
    for (name, meaning) in [
        (
            "HINT_API_URL",
            "Hint's name for HINT_API_BASE_URL (set by Hint on apps it hosts); ours wins.",
        ),
        (
            "HINT_API_KEY",
            "Hint's name for HINT_PARTNER_API_KEY (set by Hint on apps it hosts); ours wins.",
        ),
        ("RUST_LOG", "Log filter (tracing's EnvFilter syntax)."),
    ] {
        out.push_str(&format!("\n# {meaning}\n# {name}=\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_environment_file_lists_every_setting_as_the_code_has_it() {
        let file = include_str!("../../.env.example");
        assert!(
            file == render(),
            ".env.example is out of date: run `target/debug/practice-connect env-example > .env.example`"
        );
        for name in [
            "APP_ENV",
            "DATABASE_URL",
            "STEP_UP_MINUTES",
            "SANDBOX_APP_URL",
        ] {
            assert!(file.contains(&format!("# {name}=")), "{name}");
        }
    }
}
