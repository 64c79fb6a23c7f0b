//! The sandbox's in-memory Hint: practices, single-use codes, integrations and their keys.
//!
//! Every rule of the contract lives here as plain methods, so it is tested without HTTP. Time comes
//! from a clock tests can move forward, so code expiry is tested without waiting.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::distributions::{Alphanumeric, DistString};

use super::records::CodeGrant;
pub use super::records::{
    ApiKey, Change, CodeError, Exchanged, HintUser, Integration, KeyError, Phone, Practice, Product,
};

/// The sandbox's whole state.
#[derive(Debug)]
pub struct Store {
    practices: Vec<Practice>,
    product: Product,
    codes: HashMap<String, CodeGrant>,
    /// In creation order, so listings are stable.
    integrations: Vec<Integration>,
    keys: HashMap<String, ApiKey>,
    code_ttl: Duration,
    clock_offset: i64,
    /// Lookups that stay quick however many practices a load test adds: practice id → index in
    /// `practices`, integration id and practice id → index in `integrations`, integration id →
    /// the tokens of its keys.
    practice_at: HashMap<String, usize>,
    integration_at: HashMap<String, usize>,
    integration_of_practice: HashMap<String, usize>,
    key_tokens: HashMap<String, Vec<String>>,
}

impl Store {
    /// A store with `practices`, issuing codes that live for `code_ttl`.
    pub fn new(practices: Vec<Practice>, code_ttl: Duration) -> Self {
        let practice_at = practices
            .iter()
            .enumerate()
            .map(|(index, p)| (p.id.clone(), index))
            .collect();
        Self {
            practices,
            practice_at,
            integration_at: HashMap::new(),
            integration_of_practice: HashMap::new(),
            key_tokens: HashMap::new(),
            product: Product {
                id: "ppro-sbxPrCnct0001".into(),
                name: "practice-connect".into(),
                slug: "practice-connect".into(),
            },
            codes: HashMap::new(),
            integrations: Vec::new(),
            keys: HashMap::new(),
            code_ttl,
            clock_offset: 0,
        }
    }

    /// Seconds since the epoch, as the sandbox sees them.
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        real + self.clock_offset
    }

    /// Moves the sandbox's clock forward (tests use it to expire codes).
    pub fn advance_clock(&mut self, seconds: i64) {
        self.clock_offset += seconds.max(0);
    }

    /// The practices, in seed order.
    pub fn practices(&self) -> &[Practice] {
        &self.practices
    }

    /// The product.
    pub fn product(&self) -> &Product {
        &self.product
    }

    /// Adds `count` practices modelled on the first seeded one and returns their ids. Load tests
    /// use them so that each install they drive is a new practice, as real installs are.
    pub fn add_practices(&mut self, count: usize) -> Vec<String> {
        let Some(model) = self.practices.first().cloned() else {
            return Vec::new();
        };
        let first = self.practices.len();
        let added: Vec<Practice> = (first..first + count)
            .map(|n| Practice {
                id: format!("pra-load{n:08}"),
                name: format!("Load Test Practice {n}"),
                ..model.clone()
            })
            .collect();
        let ids = added.iter().map(|p| p.id.clone()).collect();
        for practice in added {
            self.practice_at
                .insert(practice.id.clone(), self.practices.len());
            self.practices.push(practice);
        }
        ids
    }

    /// Issues a fresh single-use code for `practice_id`, as a Connect click does.
    pub fn mint_code(&mut self, practice_id: &str, ttl: Option<Duration>) -> Option<String> {
        let practice = self.practice(practice_id)?.clone();
        let code = Alphanumeric.sample_string(&mut rand::thread_rng(), 22);
        let ttl = ttl.unwrap_or(self.code_ttl).as_secs() as i64;
        let grant = CodeGrant {
            practice_id: practice.id,
            user: practice.admin,
            expires_at: self.now() + ttl,
            used: false,
        };
        self.codes.insert(code.clone(), grant);
        Some(code)
    }

    /// Exchanges a code for the practice's integration and a new key. A code works once: it is
    /// spent even if the caller never reads the answer.
    pub fn exchange(&mut self, code: &str, activate: bool) -> Result<Exchanged, CodeError> {
        let now = self.now();
        let grant = self.codes.get_mut(code).ok_or(CodeError::Unknown)?;
        if grant.used {
            return Err(CodeError::Used);
        }
        if grant.expires_at <= now {
            return Err(CodeError::Expired);
        }
        grant.used = true;
        let grant = grant.clone();
        let practice = self
            .practice(&grant.practice_id)
            .ok_or(CodeError::Unknown)?
            .clone();

        let index = match self.integration_of_practice.get(&practice.id) {
            Some(&index) => index,
            None => {
                let index = self.integrations.len();
                let id = format!(
                    "int-{}",
                    Alphanumeric.sample_string(&mut rand::thread_rng(), 12)
                );
                self.integration_at.insert(id.clone(), index);
                self.integration_of_practice
                    .insert(practice.id.clone(), index);
                self.integrations.push(Integration {
                    id,
                    practice_id: practice.id.clone(),
                    status: "pending".into(),
                    activated_by: None,
                    created_at: now,
                    updated_at: now,
                });
                index
            }
        };
        let integration_id = self.integrations[index].id.clone();
        // A new exchange for the same practice replaces its key.
        self.deactivate_keys(&integration_id, now);
        let key = ApiKey {
            token: Alphanumeric.sample_string(&mut rand::thread_rng(), 35),
            integration_id: integration_id.clone(),
            description: format!("{} via InstantOn", self.product.name),
            created_at: now,
            last_used_at: None,
            deactivated_at: None,
        };
        self.keys.insert(key.token.clone(), key.clone());
        self.key_tokens
            .entry(integration_id.clone())
            .or_default()
            .push(key.token.clone());

        let integration = &mut self.integrations[index];
        let activated = activate && integration.status != "connected";
        integration.status = if activate {
            "connected".into()
        } else {
            "pending".into()
        };
        integration.activated_by = Some(grant.user);
        integration.updated_at = now;
        let integration = integration.clone();
        let mut keys: Vec<ApiKey> = self
            .key_tokens
            .get(&integration_id)
            .into_iter()
            .flatten()
            .filter_map(|token| self.keys.get(token))
            .cloned()
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse((k.deactivated_at.is_none(), k.created_at)));
        Ok(Exchanged {
            integration,
            practice,
            key,
            keys,
            activated,
        })
    }

    /// A page of integrations and the total count.
    pub fn integrations(&self, limit: usize, offset: usize) -> (Vec<Integration>, usize) {
        let page = self
            .integrations
            .iter()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect();
        (page, self.integrations.len())
    }

    /// One integration.
    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integrations.get(*self.integration_at.get(id)?)
    }

    fn integration_mut(&mut self, id: &str) -> Option<&mut Integration> {
        self.integrations.get_mut(*self.integration_at.get(id)?)
    }

    /// Marks every live key of an integration deactivated at `now`.
    fn deactivate_keys(&mut self, integration_id: &str, now: i64) {
        for token in self.key_tokens.get(integration_id).into_iter().flatten() {
            if let Some(key) = self.keys.get_mut(token) {
                key.deactivated_at.get_or_insert(now);
            }
        }
    }

    /// The integration of a practice, if it ever connected.
    pub fn integration_of(&self, practice_id: &str) -> Option<&Integration> {
        self.integrations
            .get(*self.integration_of_practice.get(practice_id)?)
    }

    /// Activates an integration; `None` when unknown. Reports a change only if it was not active.
    pub fn activate(&mut self, id: &str) -> Option<(Integration, Option<Change>)> {
        let now = self.now();
        let integration = self.integration_mut(id)?;
        let change = (integration.status != "connected").then(|| Change::Activated(id.to_owned()));
        integration.status = "connected".into();
        integration.updated_at = now;
        Some((integration.clone(), change))
    }

    /// Deactivates an integration and all its keys; `None` when unknown.
    pub fn deactivate(&mut self, id: &str) -> Option<(Integration, Option<Change>)> {
        let now = self.now();
        let integration = self.integration_mut(id)?;
        let change = (integration.status != "inactive").then(|| Change::Deactivated(id.to_owned()));
        integration.status = "inactive".into();
        integration.updated_at = now;
        let integration = integration.clone();
        self.deactivate_keys(id, now);
        Some((integration, change))
    }

    /// The practice a live practice key belongs to.
    pub fn practice_for_key(&mut self, token: &str) -> Result<(Practice, String), KeyError> {
        let now = self.now();
        let key = self.keys.get_mut(token).ok_or(KeyError::Invalid)?;
        if key.deactivated_at.is_some() {
            return Err(KeyError::Invalid);
        }
        key.last_used_at = Some(now);
        let integration_id = key.integration_id.clone();
        let integration = self.integration(&integration_id).ok_or(KeyError::Invalid)?;
        let practice = self
            .practice(&integration.practice_id)
            .ok_or(KeyError::Invalid)?
            .clone();
        Ok((practice, integration_id))
    }

    /// A practice by id.
    pub fn practice(&self, id: &str) -> Option<&Practice> {
        self.practices.get(*self.practice_at.get(id)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::new(super::super::seed::practices(), Duration::from_secs(600))
    }

    const PRACTICE: &str = "pra-sbxRvbnd0001";

    #[test]
    fn a_code_is_exchanged_once_and_only_once() {
        let mut store = store();
        let code = store.mint_code(PRACTICE, None).unwrap();
        let first = store.exchange(&code, true).unwrap();
        assert_eq!(first.integration.status, "connected");
        assert_eq!(first.practice.id, PRACTICE);
        assert!(first.activated);
        assert_eq!(store.exchange(&code, true).unwrap_err(), CodeError::Used);
    }

    #[test]
    fn an_unknown_code_is_refused() {
        assert_eq!(
            store().exchange("nope", true).unwrap_err(),
            CodeError::Unknown
        );
    }

    #[test]
    fn a_code_expires_after_its_lifetime() {
        let mut store = store();
        let code = store.mint_code(PRACTICE, None).unwrap();
        store.advance_clock(600);
        assert_eq!(store.exchange(&code, true).unwrap_err(), CodeError::Expired);
    }

    #[test]
    fn exchanging_with_activate_false_leaves_the_integration_pending() {
        let mut store = store();
        let code = store.mint_code(PRACTICE, None).unwrap();
        let exchanged = store.exchange(&code, false).unwrap();
        assert_eq!(exchanged.integration.status, "pending");
        assert!(!exchanged.activated);
        let (activated, change) = store.activate(&exchanged.integration.id).unwrap();
        assert_eq!(activated.status, "connected");
        assert_eq!(change, Some(Change::Activated(activated.id.clone())));
    }

    #[test]
    fn a_second_code_for_a_connected_practice_gives_the_same_integration_and_a_new_key() {
        let mut store = store();
        let first_code = store.mint_code(PRACTICE, None).unwrap();
        let first = store.exchange(&first_code, true).unwrap();
        let second_code = store.mint_code(PRACTICE, None).unwrap();
        let second = store.exchange(&second_code, true).unwrap();
        assert_eq!(first.integration.id, second.integration.id);
        assert_ne!(first.key.token, second.key.token);
        assert!(!second.activated, "already connected: no second activation");
        assert_eq!(
            store.practice_for_key(&first.key.token).unwrap_err(),
            KeyError::Invalid
        );
        assert!(store.practice_for_key(&second.key.token).is_ok());
    }

    #[test]
    fn deactivating_kills_the_practice_key() {
        let mut store = store();
        let code = store.mint_code(PRACTICE, None).unwrap();
        let exchanged = store.exchange(&code, true).unwrap();
        let (integration, change) = store.deactivate(&exchanged.integration.id).unwrap();
        assert_eq!(integration.status, "inactive");
        assert!(change.is_some());
        assert_eq!(
            store.practice_for_key(&exchanged.key.token).unwrap_err(),
            KeyError::Invalid
        );
        let (_, again) = store.deactivate(&exchanged.integration.id).unwrap();
        assert_eq!(again, None, "deactivating twice changes nothing");
    }

    #[test]
    fn added_practices_are_new_and_each_takes_a_code() {
        let mut store = store();
        let ids = store.add_practices(3);
        assert_eq!(ids.len(), 3);
        assert_eq!(store.practices().len(), 4 + 3);
        let code = store.mint_code(&ids[2], None).unwrap();
        assert_eq!(store.exchange(&code, true).unwrap().practice.id, ids[2]);
        assert_ne!(store.add_practices(1)[0], ids[2], "ids never repeat");
    }

    #[test]
    fn codes_can_only_be_minted_for_known_practices() {
        assert!(store().mint_code("pra-nope", None).is_none());
    }
}
