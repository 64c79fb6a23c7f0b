//! The practices a fresh sandbox knows: realistic names, addresses and admins, fixed ids.

use super::store::{HintUser, Phone, Practice};

fn practice(
    id: &str,
    name: &str,
    (line1, city, state, zip): (&str, &str, &str, &str),
    phone: &str,
    (admin_id, admin_name, admin_email): (&str, &str, &str),
) -> Practice {
    let slug: String = name
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Practice {
        id: id.to_owned(),
        name: name.to_owned(),
        email: format!("frontdesk@{slug}.example"),
        url: format!("https://{slug}.example"),
        logo_url: None,
        address_line1: line1.to_owned(),
        address_line2: None,
        address_city: city.to_owned(),
        address_state: state.to_owned(),
        address_zip: zip.to_owned(),
        address_country: "US".to_owned(),
        phones: vec![Phone {
            number: phone.to_owned(),
            kind: "office".to_owned(),
        }],
        admin: HintUser {
            id: admin_id.to_owned(),
            name: admin_name.to_owned(),
            email: admin_email.to_owned(),
        },
    }
}

/// Four practices, each with one admin who clicks Connect.
pub fn practices() -> Vec<Practice> {
    vec![
        practice(
            "pra-sbxRvbnd0001",
            "Riverbend Direct Primary Care",
            ("1208 W 6th St", "Austin", "TX", "78703"),
            "512-555-0142",
            (
                "user-sbxAnaR0001",
                "Dr. Ana Ruiz",
                "ana.ruiz@riverbenddpc.example",
            ),
        ),
        practice(
            "pra-sbxMaple0002",
            "Maple Street Family Medicine",
            ("44 Maple St", "Portland", "OR", "97214"),
            "503-555-0178",
            (
                "user-sbxJoeK0002",
                "Dr. Joe Kim",
                "joe.kim@maplestreetfm.example",
            ),
        ),
        practice(
            "pra-sbxHarbr0003",
            "Harbor Light DPC",
            ("9 Tradd St", "Charleston", "SC", "29401"),
            "843-555-0113",
            (
                "user-sbxPriyaS003",
                "Priya Shah, NP",
                "priya.shah@harborlightdpc.example",
            ),
        ),
        practice(
            "pra-sbxSummt0004",
            "Summit Ridge Health",
            ("2150 Larimer St", "Denver", "CO", "80205"),
            "720-555-0190",
            (
                "user-sbxMarcO0004",
                "Dr. Marcus Odum",
                "marcus.odum@summitridge.example",
            ),
        ),
    ]
}
