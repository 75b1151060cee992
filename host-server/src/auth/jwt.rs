//! Bearer token verification: HS256 with a shared secret, RS256/ES256 with the public keys
//! of a JWKS file. The token's header only chooses among keys configured for exactly one
//! algorithm each, so `alg: none`, an HS256 token when only public keys are configured,
//! or one "signed" with a public key as HMAC secret never verifies. With an audience or
//! issuer configured, a token must also name it (`aud`, `iss`), so a token minted for
//! another service of the same identity provider is refused here.

use std::path::Path;

use anyhow::{bail, Context as _};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;

use super::claims::Claims;

/// Default clock skew allowed on `exp` and `nbf`, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;
/// A shared secret shorter than this is refused at start (RFC 7518 asks for >= 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// A public key from the JWKS, usable with exactly one algorithm.
struct PublicKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// The configured keys. Build with [`Verifier::new`], then add a secret and/or a JWKS.
pub struct Verifier {
    hs256: Option<(DecodingKey, EncodingKey)>,
    public_keys: Vec<PublicKey>,
    leeway_secs: u64,
    /// `aud` (a string, or an array) must contain this.
    audience: Option<String>,
    /// `iss` must be this string (jsonwebtoken also takes an array that contains it).
    issuer: Option<String>,
}

/// Why a token was refused (every variant answers 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT ({0})")]
    Malformed(String),
    #[error("tokens signed with {0:?} are not accepted by this server")]
    AlgorithmNotAccepted(Algorithm),
    #[error("no configured key has the id `{0}`")]
    UnknownKey(String),
    #[error("the token names no key id (kid) and several keys could verify {0:?}")]
    AmbiguousKey(Algorithm),
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf is in the future)")]
    NotYetValid,
    #[error("the token has no {0} claim")]
    MissingClaim(String),
    // Neither message repeats the expected value: the caller learns what was wrong, not
    // what would pass.
    #[error("the token's aud does not name this server")]
    WrongAudience,
    #[error("the token's iss is not the issuer this server trusts")]
    WrongIssuer,
}

impl Verifier {
    pub fn new(leeway_secs: u64) -> Self {
        Verifier {
            hs256: None,
            public_keys: Vec::new(),
            leeway_secs,
            audience: None,
            issuer: None,
        }
    }

    /// Requires `aud` to contain `audience` (and to be present).
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Requires `iss` to be exactly `issuer`.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Accepts HS256 tokens signed with `secret`.
    pub fn with_hs256_secret(mut self, secret: &[u8]) -> anyhow::Result<Self> {
        if secret.len() < MIN_SECRET_BYTES {
            bail!(
                "the HS256 secret has {} bytes; at least {MIN_SECRET_BYTES} are required",
                secret.len()
            );
        }
        let decoding = DecodingKey::from_secret(secret).context("the HS256 secret")?;
        let encoding = EncodingKey::from_secret(secret).context("the HS256 secret")?;
        self.hs256 = Some((decoding, encoding));
        Ok(self)
    }

    /// Accepts RS256/ES256 tokens signed by the keys of a JWKS document.
    pub fn with_jwks(mut self, jwks_json: &str) -> anyhow::Result<Self> {
        let set: JwkSet =
            serde_json::from_str(jwks_json).context("not a JWKS document ({\"keys\":[...]})")?;
        if set.keys.is_empty() {
            bail!("the JWKS holds no keys");
        }
        for (index, jwk) in set.keys.iter().enumerate() {
            let name = jwk
                .common
                .key_id
                .clone()
                .unwrap_or_else(|| format!("#{index}"));
            if jwk.common.public_key_use == Some(PublicKeyUse::Encryption) {
                bail!("JWKS key {name}: its use is enc (encryption), not sig");
            }
            let alg = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                _ => bail!(
                    "JWKS key {name}: only RSA (RS256) and EC P-256 (ES256) public keys are supported"
                ),
            };
            let declared = jwk.common.key_algorithm;
            let matches = match declared {
                None => true,
                Some(KeyAlgorithm::RS256) => alg == Algorithm::RS256,
                Some(KeyAlgorithm::ES256) => alg == Algorithm::ES256,
                Some(_) => false,
            };
            if !matches {
                bail!("JWKS key {name}: its alg {declared:?} does not fit its key type (RS256 or ES256 expected)");
            }
            let key = DecodingKey::from_jwk(jwk).with_context(|| format!("JWKS key {name}"))?;
            self.public_keys.push(PublicKey {
                kid: jwk.common.key_id.clone(),
                alg,
                key,
            });
        }
        Ok(self)
    }

    pub fn with_jwks_file(self, path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the JWKS file {}", path.display()))?;
        self.with_jwks(&text)
            .with_context(|| format!("in the JWKS file {}", path.display()))
    }

    pub fn has_keys(&self) -> bool {
        self.hs256.is_some() || !self.public_keys.is_empty()
    }

    pub fn has_hs256(&self) -> bool {
        self.hs256.is_some()
    }

    /// Checks the signature, `exp` (required), `nbf` (when present) and, when configured,
    /// `aud` and `iss` (then required), then returns the claims. Whether they grant
    /// anything is for [`Claims::identity`] to say.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        let key = self.key_for(&header)?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(claim.clone()),
                ErrorKind::InvalidAlgorithm => TokenError::AlgorithmNotAccepted(header.alg),
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                _ => TokenError::Malformed(e.to_string()),
            })
    }

    fn key_for(&self, header: &Header) -> Result<&DecodingKey, TokenError> {
        match header.alg {
            Algorithm::HS256 => self
                .hs256
                .as_ref()
                .map(|(decoding, _)| decoding)
                .ok_or(TokenError::AlgorithmNotAccepted(Algorithm::HS256)),
            alg @ (Algorithm::RS256 | Algorithm::ES256) => {
                let mut candidates = self.public_keys.iter().filter(|k| k.alg == alg);
                match &header.kid {
                    Some(kid) => candidates
                        .find(|k| k.kid.as_deref() == Some(kid.as_str()))
                        .map(|k| &k.key)
                        .ok_or_else(|| TokenError::UnknownKey(kid.clone())),
                    None => match (candidates.next(), candidates.next()) {
                        (Some(only), None) => Ok(&only.key),
                        (None, _) => Err(TokenError::AlgorithmNotAccepted(alg)),
                        (Some(_), Some(_)) => Err(TokenError::AmbiguousKey(alg)),
                    },
                }
            }
            other => Err(TokenError::AlgorithmNotAccepted(other)),
        }
    }

    /// Signs HS256 claims with the configured secret (the `--dev-auth` token endpoint),
    /// adding the configured `aud` and `iss` so that the token passes [`Self::verify`].
    pub fn sign_hs256(&self, claims: &Claims) -> anyhow::Result<String> {
        #[derive(Serialize)]
        struct Signed<'a> {
            #[serde(flatten)]
            claims: &'a Claims,
            #[serde(skip_serializing_if = "Option::is_none")]
            aud: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            iss: Option<&'a str>,
        }
        let (_, encoding) = self
            .hs256
            .as_ref()
            .context("no HS256 secret is configured")?;
        let signed = Signed {
            claims,
            aud: self.audience.as_deref(),
            iss: self.issuer.as_deref(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &signed,
            encoding,
        )?)
    }
}

/// A fresh random HS256 secret (used by `--dev-auth` when none is configured).
pub fn random_secret() -> anyhow::Result<Vec<u8>> {
    let mut secret = vec![0u8; MIN_SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn claims(exp: u64, nbf: Option<u64>) -> Claims {
        Claims {
            sub: "alice".into(),
            roles: vec!["clerk".into()],
            customer_id: None,
            exp,
            nbf,
            iat: None,
        }
    }

    #[test]
    fn hs256_round_trip_and_time_checks() {
        let verifier = Verifier::new(5).with_hs256_secret(SECRET).unwrap();
        let good = verifier.sign_hs256(&claims(now() + 60, None)).unwrap();
        assert_eq!(verifier.verify(&good).unwrap().sub, "alice");
        // Within the leeway still passes; beyond it fails.
        let just_expired = verifier.sign_hs256(&claims(now() - 2, None)).unwrap();
        assert!(verifier.verify(&just_expired).is_ok());
        let expired = verifier.sign_hs256(&claims(now() - 60, None)).unwrap();
        assert_eq!(verifier.verify(&expired), Err(TokenError::Expired));
        let early = verifier
            .sign_hs256(&claims(now() + 600, Some(now() + 60)))
            .unwrap();
        assert_eq!(verifier.verify(&early), Err(TokenError::NotYetValid));
    }

    #[test]
    fn audience_and_issuer_are_required_only_when_configured() {
        let sign = |extra: serde_json::Value| {
            let mut claims = serde_json::to_value(claims(now() + 60, None)).unwrap();
            claims
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let key = EncodingKey::from_secret(SECRET).unwrap();
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
        };
        let plain = Verifier::new(0).with_hs256_secret(SECRET).unwrap();
        let strict = Verifier::new(0)
            .with_hs256_secret(SECRET)
            .unwrap()
            .with_audience("orders")
            .with_issuer("https://idp.example");
        let good = serde_json::json!({"aud": "orders", "iss": "https://idp.example"});
        let cases = [
            (good.clone(), Ok(())),
            (
                serde_json::json!({"aud": ["billing", "orders"], "iss": "https://idp.example"}),
                Ok(()),
            ),
            (
                serde_json::json!({"aud": "billing", "iss": "https://idp.example"}),
                Err(TokenError::WrongAudience),
            ),
            (
                serde_json::json!({"aud": ["billing"], "iss": "https://idp.example"}),
                Err(TokenError::WrongAudience),
            ),
            (
                serde_json::json!({"iss": "https://idp.example"}),
                Err(TokenError::MissingClaim("aud".into())),
            ),
            (
                serde_json::json!({"aud": "orders", "iss": "https://evil.example"}),
                Err(TokenError::WrongIssuer),
            ),
            (
                serde_json::json!({"aud": "orders"}),
                Err(TokenError::MissingClaim("iss".into())),
            ),
        ];
        for (extra, expected) in cases {
            let token = sign(extra.clone());
            assert_eq!(strict.verify(&token).map(|_| ()), expected, "{extra}");
            // Unconfigured, aud and iss are not looked at (as before the options existed).
            assert!(plain.verify(&token).is_ok(), "{extra}");
        }
        // What the verifier signs (dev tokens) carries the aud and iss it demands.
        let dev = strict.sign_hs256(&claims(now() + 60, None)).unwrap();
        assert_eq!(strict.verify(&dev).unwrap().sub, "alice");
    }

    #[test]
    fn short_secrets_and_symmetric_jwks_keys_are_refused() {
        assert!(Verifier::new(0).with_hs256_secret(b"short").is_err());
        let oct = r#"{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]}"#;
        let err = Verifier::new(0).with_jwks(oct).err().unwrap();
        assert!(err.to_string().contains("only RSA"), "{err}");
    }

    #[test]
    fn hs256_is_refused_without_a_secret() {
        let jwks =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/jwks.json"))
                .unwrap();
        let public_only = Verifier::new(0).with_jwks(&jwks).unwrap();
        let signer = Verifier::new(0).with_hs256_secret(SECRET).unwrap();
        let token = signer.sign_hs256(&claims(now() + 60, None)).unwrap();
        assert_eq!(
            public_only.verify(&token),
            Err(TokenError::AlgorithmNotAccepted(Algorithm::HS256))
        );
    }
}
