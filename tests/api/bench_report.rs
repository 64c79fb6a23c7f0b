//! `scripts/bench-report.sh` on made-up runs: a row whose measurement produced nothing says "no
//! data", counts as not met, and the script fails naming the raw file to read; a run where every
//! row has data is reported in full with each row's answers beside it.

use std::path::Path;

use crate::helpers::unique_name;

/// A wrk run's lines as `scripts/bench.sh` records them.
fn measured(name: &str, rps: f64, p50: f64, p99: f64, requests: u64, statuses: &str) -> String {
    format!(
        "{name}_rps {rps}\n{name}_p50 {p50}\n{name}_p99 {p99}\n{name}_requests {requests}\n\
         {name}_socket_errors 0\n{name}_over_399 0\n{name}_statuses {statuses}\n"
    )
}

/// A whole run in which every figure has data.
fn full_run() -> String {
    let mut text = String::new();
    for (name, rps) in [
        ("plain", 90_000.0),
        ("healthz", 60_000.0),
        ("page", 20_000.0),
    ] {
        text += &measured(name, rps, 0.3, 1.0, (rps * 8.0) as u64, "");
    }
    for name in ["home", "login", "onboarding"] {
        text += &measured(name, 9_000.0, 1.0, 3.0, 72_000, "");
    }
    text += &measured("landing", 2_000.0, 5.0, 20.0, 16_000, "303:16000");
    text += &measured("hint", 4_000.0, 0.2, 0.9, 32_000, "200:32000");
    text += &measured("exchange", 400.0, 2.1, 6.0, 3_200, "200:3200");
    text += &measured("healthz_alone", 10_000.0, 0.1, 0.5, 80_000, "");
    // A login storm's answers are refusals by design: 400 (the password was checked) and 429
    // (the password pool's queue was full).
    text += &measured("storm", 150.0, 90.0, 600.0, 1_240, "400:240,429:1000")
        .replace("storm_over_399 0", "storm_over_399 1240");
    text += &measured("healthz_storm", 5_000.0, 0.2, 9.0, 40_000, "");
    text += "cold_start_ms 240\nrss_idle_kb 51200\nanon_idle_kb 20000\nrss_before_storm_kb 60000\n\
             storm_rss_peak_kb 110000\nrss_after_kb 100000\nrss_quiet_kb 70000\nanon_quiet_kb 40000\n\
             wasm_raw_bytes 1500000\nwasm_gzip_bytes 400000\nwasm_lazy_gzip_bytes 300000\n";
    text
}

/// Runs the report on `results` (with SQLite dashboard timings); its success, output and errors.
fn report(results: &str) -> (bool, String, String) {
    let run = std::env::temp_dir().join(unique_name("pc-bench-run"));
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("results.txt"), results).unwrap();
    for rows in ["1000", "10000"] {
        std::fs::write(
            run.join(format!("dashboard-{rows}.tsv")),
            "sqlite\tbaseline /healthz\t0.5\t0.9\nsqlite\tlist (first page)\t4.0\t6.0\n",
        )
        .unwrap();
    }
    let output = std::process::Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench-report.sh"))
        .arg(&run)
        .arg("10000")
        .output()
        .expect("bash runs");
    let _ = std::fs::remove_dir_all(&run);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn line<'a>(table: &'a str, figure: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.contains(figure))
        .unwrap_or_else(|| panic!("no row for {figure}:\n{table}"))
}

#[test]
fn a_run_with_every_figure_is_reported_with_its_answers() {
    let (ok, table, errors) = report(&full_run());
    assert!(ok, "{table}\n{errors}");
    assert!(!table.contains("no data"), "{table}");
    let exchange = line(&table, "Exchange through the app");
    assert!(exchange.contains("200:3200"), "{exchange}");
    assert!(
        exchange.trim_end().ends_with("NO      |"),
        "2.1 - 0.2 ms is over 1 ms: {exchange}"
    );
    assert!(line(&table, "/healthz vs a bare").contains("480000 answers, 0 >= 400"));
    assert!(line(&table, "32 clients logging in").contains("400:240,429:1000"));
}

#[test]
fn an_exchange_run_that_got_no_answers_is_no_data_not_a_met_goal() {
    // What the issue saw: 20,000 codes minted, not one answer recorded.
    let empty = full_run().replace(
        &measured("exchange", 400.0, 2.1, 6.0, 3_200, "200:3200"),
        &measured("exchange", 0.0, 0.0, 0.0, 0, ""),
    );
    let (ok, table, errors) = report(&empty);
    assert!(!ok, "a run with no data fails");
    let exchange = line(&table, "Exchange through the app");
    assert!(exchange.contains("no data"), "{exchange}");
    assert!(!exchange.contains("yes"), "{exchange}");
    assert!(line(&table, "... and p99").contains("no data"));
    assert!(
        errors.contains("results.txt"),
        "names the raw file: {errors}"
    );
    assert!(errors.contains("Exchange through the app"), "{errors}");
}

#[test]
fn refusals_only_or_too_few_samples_or_a_missing_figure_are_no_data_too() {
    let refused = full_run().replace("exchange_over_399 0", "exchange_over_399 3200");
    let (ok, table, _) = report(&refused);
    assert!(!ok);
    assert!(line(&table, "Exchange through the app").contains("no data"));

    let few = full_run().replace(
        &measured("exchange", 400.0, 2.1, 6.0, 3_200, "200:3200"),
        &measured("exchange", 1.0, 2.1, 6.0, 3, "200:3"),
    );
    let (ok, table, _) = report(&few);
    assert!(!ok);
    assert!(line(&table, "Exchange through the app").contains("no data"));

    // Hint alone ran out of codes: its made-up ones were refused faster than real ones.
    let ran_out = full_run()
        .replace("hint_over_399 0", "hint_over_399 27195")
        .replace(
            "hint_statuses 200:32000",
            "hint_statuses 200:19999,404:27195",
        );
    let (ok, table, _) = report(&ran_out);
    assert!(!ok);
    assert!(line(&table, "Exchange through the app").contains("404:27195"));
    assert!(line(&table, "Exchange through the app").contains("no data"));

    // A storm where every attempt was shed before its password was checked measured nothing.
    let shed = full_run().replace("400:240,429:1000", "429:1240");
    let (ok, table, _) = report(&shed);
    assert!(!ok);
    assert!(line(&table, "32 clients logging in").contains("no data"));

    let unbuilt = full_run().replace("wasm_gzip_bytes 400000\n", "");
    let (ok, table, _) = report(&unbuilt);
    assert!(!ok);
    assert!(line(&table, "WebAssembly").contains("no data"));
}
