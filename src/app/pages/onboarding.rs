//! The onboarding wizard: account, confirming the practice Hint named, practice, profile and
//! preferences, review and connect. Every step is a plain form (it works without JavaScript);
//! the state lives on the server.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::account::{LogIn, SignUp};
use crate::api::onboarding::{
    get_onboarding, ConfirmPractice, ConnectPractice, DiscardConnection, SavePracticeStep,
    SaveProfileStep, StepBack,
};
use crate::app::components::account_forms::{LogInForm, SignUpForm};
use crate::app::components::form_error::ActionError;
use crate::app::components::progress::Progress;
use crate::app::pages::account::AccountNotice;
use crate::domain::connection::ConnectionStatus;
use crate::domain::onboarding::{Onboarding, WizardStep, ROLES};

#[derive(Clone, Copy)]
struct Actions {
    sign_up: ServerAction<SignUp>,
    log_in: ServerAction<LogIn>,
    confirm: ServerAction<ConfirmPractice>,
    practice: ServerAction<SavePracticeStep>,
    profile: ServerAction<SaveProfileStep>,
    back: ServerAction<StepBack>,
    connect: ServerAction<ConnectPractice>,
}

/// `/onboarding`, where Hint's redirect lands (after the code is put away).
#[component]
pub fn OnboardingPage() -> impl IntoView {
    let actions = Actions {
        sign_up: ServerAction::new(),
        log_in: ServerAction::new(),
        confirm: ServerAction::new(),
        practice: ServerAction::new(),
        profile: ServerAction::new(),
        back: ServerAction::new(),
        connect: ServerAction::new(),
    };
    let onboarding = Resource::new(
        move || {
            (
                actions.sign_up.version().get(),
                actions.log_in.version().get(),
                actions.confirm.version().get(),
                actions.practice.version().get(),
                actions.profile.version().get(),
                actions.back.version().get(),
                actions.connect.version().get(),
            )
        },
        |_| get_onboarding(),
    );
    let query = use_query_map();
    let link_problem = move || {
        query.read().get("link").map(|problem| {
            let message = match problem.as_str() {
                "invalid" => "That connection link is not valid. Go back to Hint, open our integration and click Connect again.",
                "used" => "That connection link was already opened in another browser, or it has expired. Go back to Hint, open our integration and click Connect again.",
                "second" => "You already have a connection in progress in this browser. Finish it, or tell us it is not your practice, before using another link from Hint.",
                _ => "We could not record your connection link. Please go back to Hint and click Connect again.",
            };
            view! { <p class="error" role="alert">{message}</p> }
        })
    };
    view! {
        <Title text="Connect your practice" />
        <h1>"Connect your practice"</h1>
        {link_problem}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match onboarding.await {
                    Ok(state) => view! { <Wizard state actions /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Wizard(state: Onboarding, actions: Actions) -> impl IntoView {
    let no_connection = state.connection.is_none();
    let current = state.step;
    let step_view = match state.step {
        WizardStep::Account => view! { <AccountStep actions no_connection /> }.into_any(),
        _ if no_connection => view! { <NothingInProgress /> }.into_any(),
        WizardStep::Confirm => view! { <ConfirmStep state actions /> }.into_any(),
        WizardStep::Practice => view! { <PracticeStep state actions /> }.into_any(),
        WizardStep::Profile => view! { <ProfileStep state actions /> }.into_any(),
        WizardStep::Review => view! { <ReviewStep state actions /> }.into_any(),
        WizardStep::Done => view! { <DoneStep state /> }.into_any(),
    };
    // After a step's form is sent (not on the first load), focus goes to the new step's heading,
    // so a screen reader announces where the provider is now.
    let heading = NodeRef::<leptos::html::H2>::new();
    let acted = [
        actions.sign_up.version(),
        actions.log_in.version(),
        actions.confirm.version(),
        actions.practice.version(),
        actions.profile.version(),
        actions.back.version(),
        actions.connect.version(),
    ]
    .iter()
    .any(|version| version.get_untracked() > 0);
    Effect::new(move |_| {
        if let (true, Some(heading)) = (acted, heading.get()) {
            let _ = heading.focus();
        }
    });
    view! {
        {(current != WizardStep::Done).then(|| view! { <Progress current /> })}
        <section class="card wizard" aria-labelledby="step-heading">
            <h2 id="step-heading" tabindex="-1" node_ref=heading>{current.title()}</h2>
            {step_view}
        </section>
    }
}

#[component]
fn NothingInProgress() -> impl IntoView {
    view! {
        <p class="notice">
            "There is no connection in progress. To connect a practice, start from Hint: open our integration "
            "in Hint's marketplace and click Connect."
        </p>
        <p><a href="/practices">"See your practices"</a></p>
    }
}

#[component]
fn AccountStep(actions: Actions, no_connection: bool) -> impl IntoView {
    view! {
        <AccountNotice />
        {no_connection.then(|| view! {
            <p class="notice">
                "You can create an account now; to connect a practice, start from Hint and click Connect on our integration."
            </p>
        })}
        {(!no_connection).then(|| view! {
            <p>"Hint sent you here to connect your practice. Create an account, or log in if you have one."</p>
        })}
        <div class="columns">
            <div>
                <h3>"New here? Create your account"</h3>
                <SignUpForm action=actions.sign_up />
            </div>
            <div>
                <h3>"Already have an account?"</h3>
                <LogInForm action=actions.log_in />
            </div>
        </div>
    }
}

/// The provider's explicit yes: the page names the practice Hint told us about and the account
/// it will belong to, and nothing is bound until the button is pressed.
#[component]
fn ConfirmStep(state: Onboarding, actions: Actions) -> impl IntoView {
    let connection = state.connection.clone();
    let email = state.user.map(|user| user.email).unwrap_or_default();
    let landed_id = state.landed_id.unwrap_or_default();
    let status = connection.as_ref().map(|c| c.status);
    let problem = connection.as_ref().and_then(|c| c.problem);
    let name = connection
        .and_then(|c| c.practice_name)
        .unwrap_or_else(|| "(name not given by Hint)".into());
    let pending = actions.confirm.pending();
    let discard = ServerAction::<DiscardConnection>::new();
    let body = match status {
        Some(ConnectionStatus::Connected | ConnectionStatus::AwaitingActivation) => view! {
            <p class="confirm-statement">
                "Hint practice "<strong>{name}</strong>" will be connected to "<strong>{email}</strong>"."
            </p>
            <p>"Only say yes if you work at this practice and this is your account. Nothing is connected until you do."</p>
            <ActionError action=actions.confirm />
            <ActionForm action=actions.confirm attr:class="inline">
                <input type="hidden" name="landed_id" value=landed_id />
                <button type="submit" class="primary" disabled=move || pending.get()>"Yes, connect it to my account"</button>
            </ActionForm>
        }
        .into_any(),
        Some(ConnectionStatus::Exchanging) => view! {
            <p role="status">"Hint is telling us which practice this is…"</p>
            <p><a class="button" href="/onboarding" rel="external">"Check again"</a></p>
        }
        .into_any(),
        _ => {
            // No problem recorded: Hint was not asked yet (the link may have expired meanwhile).
            let retryable = problem.is_none_or(|p| p.retryable());
            view! {
                <p class="error" role="alert">
                    {problem.map_or(
                        "Hint has not told us which practice this is yet. Try again; if this stays, the link has \
                         expired: start again from Hint, open our integration there and click Connect.",
                        |p| p.message(),
                    )}
                </p>
                // A full load: it asks Hint again (the router would keep the page as it is).
                {retryable.then(|| view! { <p><a class="button" href="/onboarding" rel="external">"Try again"</a></p> })}
            }
            .into_any()
        }
    };
    view! {
        {body}
        <div class="actions">
            <ActionForm action=discard attr:class="inline">
                <button type="submit" class="secondary">"This is not my practice"</button>
            </ActionForm>
        </div>
    }
}

#[component]
fn BackButton(actions: Actions) -> impl IntoView {
    let pending = actions.back.pending();
    view! {
        <ActionForm action=actions.back attr:class="inline">
            <button type="submit" class="secondary" disabled=move || pending.get()>"Back"</button>
        </ActionForm>
    }
}

#[component]
fn PracticeStep(state: Onboarding, actions: Actions) -> impl IntoView {
    let hint_name = state
        .connection
        .as_ref()
        .and_then(|c| c.practice_name.clone())
        .unwrap_or_default();
    let mut answers = state.answers.practice.unwrap_or_default();
    if answers.name.is_empty() {
        answers.name = hint_name.clone();
    }
    let clinicians = if answers.clinicians == 0 {
        String::new()
    } else {
        answers.clinicians.to_string()
    };
    let pending = actions.practice.pending();
    view! {
        <p>{format!("Tell us about {}, the practice you are connecting.", if hint_name.is_empty() { "the practice".to_owned() } else { hint_name })}</p>
        <ActionForm action=actions.practice attr:class="form">
            <label for="practice-name">"Practice name"</label>
            <input id="practice-name" name="name" type="text" required maxlength="200" value=answers.name autocomplete="organization" />
            <label for="practice-phone">"Practice phone"</label>
            <input id="practice-phone" name="phone" type="tel" required value=answers.phone autocomplete="tel" />
            <label for="practice-clinicians">"Clinicians seeing patients"</label>
            <input id="practice-clinicians" name="clinicians" type="number" min="1" max="500" required value=clinicians />
            <ActionError action=actions.practice />
            <div class="actions">
                <button type="submit" disabled=move || pending.get()>"Continue"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn ProfileStep(state: Onboarding, actions: Actions) -> impl IntoView {
    let answers = state.answers.profile.unwrap_or_default();
    let pending = actions.profile.pending();
    let options = ROLES
        .iter()
        .map(|(key, label)| {
            let selected = answers.role == *key;
            view! { <option value=*key selected=selected>{*label}</option> }
        })
        .collect_view();
    view! {
        <p>"How should we reach you about this practice's connection?"</p>
        <ActionForm action=actions.profile attr:class="form">
            <label for="profile-role">"Your role"</label>
            <select id="profile-role" name="role" required>
                <option value="" selected=answers.role.is_empty()>"Choose your role"</option>
                {options}
            </select>
            <label for="profile-phone">"Your phone"</label>
            <input id="profile-phone" name="contact_phone" type="tel" required value=answers.contact_phone autocomplete="tel" />
            <fieldset>
                <legend>"Preferences"</legend>
                <label class="check">
                    <input type="checkbox" name="alerts_by_email" checked=answers.alerts_by_email />
                    "Email me if the connection needs attention"
                </label>
                <label class="check">
                    <input type="checkbox" name="weekly_summary" checked=answers.weekly_summary />
                    "Send me a weekly summary"
                </label>
            </fieldset>
            <ActionError action=actions.profile />
            <div class="actions">
                <button type="submit" disabled=move || pending.get()>"Continue"</button>
            </div>
        </ActionForm>
        <BackButton actions />
    }
}

#[component]
fn ReviewStep(state: Onboarding, actions: Actions) -> impl IntoView {
    let practice = state.answers.practice.unwrap_or_default();
    let profile = state.answers.profile.unwrap_or_default();
    let role = ROLES
        .iter()
        .find(|(key, _)| *key == profile.role)
        .map_or("", |(_, label)| *label);
    let yes_no = |on: bool| if on { "Yes" } else { "No" };
    let connection = state.connection;
    let problem = connection.as_ref().and_then(|c| c.problem);
    let code_refused = connection
        .as_ref()
        .is_some_and(|c| c.status == ConnectionStatus::Failed);
    let pending = actions.connect.pending();
    let button_label = move || match (pending.get(), problem.is_some()) {
        (true, _) => "Connecting…",
        (false, true) => "Try again",
        (false, false) => "Connect to Hint",
    };
    view! {
        <p>"Check your answers, then connect. Connecting turns our integration on for your practice in Hint."</p>
        <dl class="facts">
            <dt>"Practice"</dt><dd>{practice.name}</dd>
            <dt>"Practice phone"</dt><dd>{practice.phone}</dd>
            <dt>"Clinicians"</dt><dd>{practice.clinicians}</dd>
            <dt>"Your role"</dt><dd>{role}</dd>
            <dt>"Your phone"</dt><dd>{profile.contact_phone}</dd>
            <dt>"Alerts by email"</dt><dd>{yes_no(profile.alerts_by_email)}</dd>
            <dt>"Weekly summary"</dt><dd>{yes_no(profile.weekly_summary)}</dd>
        </dl>
        {problem.map(|problem| view! { <p class="error" role="alert">{problem.message()}</p> })}
        <ActionError action=actions.connect />
        {(!code_refused).then(|| view! {
            <ActionForm action=actions.connect attr:class="inline">
                <button type="submit" class="primary" disabled=move || pending.get()>{button_label}</button>
            </ActionForm>
        })}
        {(!code_refused).then(|| view! { <BackButton actions /> })}
    }
}

#[component]
fn DoneStep(state: Onboarding) -> impl IntoView {
    let connection = state.connection;
    let name = connection
        .as_ref()
        .and_then(|c| c.practice_name.clone())
        .unwrap_or_else(|| "Your practice".into());
    let awaiting = connection
        .as_ref()
        .is_some_and(|c| c.status == ConnectionStatus::AwaitingActivation);
    view! {
        <p class="success" role="status">
            {if awaiting {
                format!("{name} is linked and waiting for activation in Hint.")
            } else {
                format!("{name} is connected.")
            }}
        </p>
        <p>"You can close this page. Your practice appears on your practices page, where you can check its status any time."</p>
        <p><a class="button" href="/practices">"See your practices"</a></p>
    }
}
