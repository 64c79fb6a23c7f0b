//! The dashboard's setup panel: what to register with Hint, and whether this setup works with it.

use leptos::prelude::*;

use crate::api::admin::admin_setup_check;

/// What to register with Hint, and whether this setup works with it (as `practice-connect
/// check` prints it). Open when a check fails.
#[component]
pub fn SetupPanel() -> impl IntoView {
    use crate::domain::status::Verdict;

    let lines = Resource::new(|| (), |_| admin_setup_check());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                lines.await.ok().map(|lines| {
                    let failed = lines.iter().filter(|l| l.verdict == Verdict::Fail).count();
                    let summary = if failed == 0 {
                        "Registering with Hint: every check passes".to_owned()
                    } else {
                        format!("Registering with Hint: {failed} check(s) fail")
                    };
                    let items = lines
                        .into_iter()
                        .map(|line| {
                            let (class, word) = match line.verdict {
                                Verdict::Ok => ("check-ok", "OK"),
                                Verdict::Fail => ("check-fail", "Fails"),
                                Verdict::Note => ("check-note", "Note"),
                            };
                            view! { <li class=class><strong>{word}": "</strong>{line.text}</li> }
                        })
                        .collect_view();
                    view! {
                        <details class="card setup-check" open={failed > 0}>
                            <summary>{summary}</summary>
                            <ul>{items}</ul>
                            <p class="help">"The same checks: "<code>"practice-connect check"</code>"."</p>
                        </details>
                    }
                })
            })}
        </Transition>
    }
}
