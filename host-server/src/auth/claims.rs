//! What a verified token says about its bearer: the claims we read, and the identity
//! (actor + scope) the rest of the server works with.

use serde::{Deserialize, Serialize};

/// Longest accepted `sub` or `customer_id` (the actor is stored on every event; the
/// same bound as the `X-Actor` header had).
pub const MAX_CLAIM_LEN: usize = 200;

/// The claims this service reads. `exp` (and `nbf` when present) are checked by the
/// verifier before these are looked at; unknown claims are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
}

/// Which orders a caller may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every order (clerk, admin, or a server running without authentication).
    All,
    /// Only orders whose customerId is this one.
    Customer(String),
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `sub`: recorded as the actor of everything this caller does.
    pub subject: String,
    pub scope: Scope,
}

/// Who is calling, as the authentication layer established it (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No authentication is configured (open mode on loopback): every order is in scope
    /// and the actor is whatever the request names, as before authentication existed.
    Anonymous,
    User(Identity),
}

impl Caller {
    pub fn scope(&self) -> &Scope {
        match self {
            Caller::Anonymous => &Scope::All,
            Caller::User(identity) => &identity.scope,
        }
    }

    /// The customer this caller is limited to, if any.
    pub fn customer(&self) -> Option<&str> {
        match self.scope() {
            Scope::All => None,
            Scope::Customer(id) => Some(id),
        }
    }

    /// The actor the token fixes (`None` when unauthenticated).
    pub fn subject(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::User(identity) => Some(&identity.subject),
        }
    }
}

/// Why a verified token still grants nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    #[error("the token's sub must hold 1 to {MAX_CLAIM_LEN} bytes")]
    BadSubject,
    #[error("the token has the role customer but no customer_id (1 to {MAX_CLAIM_LEN} bytes)")]
    CustomerWithoutId,
    #[error("the token grants none of the roles customer, clerk or admin")]
    NoRole,
}

impl Claims {
    /// The identity these claims grant. Clerk or admin wins over customer (their scope is
    /// wider); unknown role names are ignored.
    pub fn identity(&self) -> Result<Identity, ClaimsError> {
        if self.sub.is_empty() || self.sub.len() > MAX_CLAIM_LEN {
            return Err(ClaimsError::BadSubject);
        }
        let has = |role: &str| self.roles.iter().any(|r| r == role);
        let scope = if has("clerk") || has("admin") {
            Scope::All
        } else if has("customer") {
            match &self.customer_id {
                Some(id) if !id.is_empty() && id.len() <= MAX_CLAIM_LEN => {
                    Scope::Customer(id.clone())
                }
                _ => return Err(ClaimsError::CustomerWithoutId),
            }
        } else {
            return Err(ClaimsError::NoRole);
        };
        Ok(Identity {
            subject: self.sub.clone(),
            scope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(roles: &[&str], customer_id: Option<&str>) -> Claims {
        Claims {
            sub: "u-1".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            customer_id: customer_id.map(String::from),
            exp: 0,
            nbf: None,
            iat: None,
        }
    }

    #[test]
    fn roles_map_to_scopes() {
        let customer = claims(&["customer"], Some("c-1")).identity().unwrap();
        assert_eq!(customer.scope, Scope::Customer("c-1".into()));
        assert_eq!(
            claims(&["customer", "clerk"], Some("c-1"))
                .identity()
                .unwrap()
                .scope,
            Scope::All
        );
        assert_eq!(
            claims(&["admin"], None).identity().unwrap().scope,
            Scope::All
        );
    }

    #[test]
    fn tokens_granting_nothing_are_refused() {
        assert_eq!(
            claims(&["customer"], None).identity(),
            Err(ClaimsError::CustomerWithoutId)
        );
        assert_eq!(claims(&["root"], None).identity(), Err(ClaimsError::NoRole));
        let mut empty_sub = claims(&["admin"], None);
        empty_sub.sub.clear();
        assert_eq!(empty_sub.identity(), Err(ClaimsError::BadSubject));
    }
}
