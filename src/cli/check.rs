//! `check`: the setup against Hint, one line per check.

use super::Outcome;
use crate::domain::status::Verdict;
use crate::settings::Settings;

/// Prints every check; fails when any check does.
pub fn run(settings: &Settings) -> Outcome {
    let lines = crate::server::setup_check::for_command(settings);
    for line in &lines {
        println!("{:<4} {}", line.verdict.as_str(), line.text);
    }
    let failed = lines.iter().filter(|l| l.verdict == Verdict::Fail).count();
    if failed > 0 {
        return Err(format!("{failed} check(s) failed"));
    }
    Ok(())
}
