//! The wizard's progress indicator.

use leptos::prelude::*;

use crate::domain::onboarding::WizardStep;

/// The steps with the current one marked; earlier ones show as done.
#[component]
pub fn Progress(current: WizardStep) -> impl IntoView {
    let items = WizardStep::SHOWN
        .into_iter()
        .enumerate()
        .map(|(index, step)| {
            let state = if step < current {
                "done"
            } else if step == current {
                "current"
            } else {
                "upcoming"
            };
            let aria_current = (step == current).then_some("step");
            view! {
                <li class=state aria-current=aria_current>
                    <span class="dot" aria-hidden="true">{index + 1}</span>
                    <span class="label">{step.title()}</span>
                    {(step < current).then(|| view! { <span class="visually-hidden">" (done)"</span> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <nav aria-label="Progress">
            <ol class="progress">{items}</ol>
        </nav>
    }
}
