//! A software WebAuthn authenticator for the passkey tests: one ES256
//! (ECDSA P-256) credential, attestation `none`, user presence and user
//! verification always asserted. It builds what a browser would send:
//! `clientDataJSON`, `authenticatorData` (rpIdHash, flags, sign count,
//! attested credential data on registration) as CBOR, and the assertion
//! signature over `authenticatorData || SHA-256(clientDataJSON)`.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use serde_cbor_2::Value as Cbor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

pub struct SoftAuthenticator {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    /// The user handle registration stored (`user.id` of the options).
    pub user_handle: Option<Vec<u8>>,
    pub counter: u32,
    /// What `clientDataJSON.origin` says.
    pub origin: String,
    /// Whose hash `authenticatorData` starts with.
    pub rp_id: String,
}

fn new_key() -> SigningKey {
    loop {
        if let Ok(key) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
            return key;
        }
    }
}

impl SoftAuthenticator {
    /// For the test server's relying party (`AUTH_FRONTEND_URL`
    /// `https://app.example.test`).
    pub fn new() -> Self {
        Self {
            key: new_key(),
            credential_id: rand::random::<[u8; 16]>().to_vec(),
            user_handle: None,
            counter: 0,
            origin: "https://app.example.test".into(),
            rp_id: "app.example.test".into(),
        }
    }

    /// The same credential id and user handle with another private key (a
    /// forged authenticator).
    pub fn impostor(&self) -> Self {
        Self {
            key: new_key(),
            credential_id: self.credential_id.clone(),
            user_handle: self.user_handle.clone(),
            counter: self.counter,
            origin: self.origin.clone(),
            rp_id: self.rp_id.clone(),
        }
    }

    /// A copy of this authenticator as it was before its last uses: the
    /// same key, the sign count of `counter` (a cloned device).
    pub fn clone_at(&self, counter: u32) -> Self {
        Self {
            key: self.key.clone(),
            credential_id: self.credential_id.clone(),
            user_handle: self.user_handle.clone(),
            counter,
            origin: self.origin.clone(),
            rp_id: self.rp_id.clone(),
        }
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"]
            .as_str()
            .expect("options.publicKey.challenge");
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .unwrap()
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        assert_eq!(bytes.len(), 65, "uncompressed P-256 point");
        let map = BTreeMap::from([
            (Cbor::Integer(1), Cbor::Integer(2)),  // kty: EC2
            (Cbor::Integer(3), Cbor::Integer(-7)), // alg: ES256
            (Cbor::Integer(-1), Cbor::Integer(1)), // crv: P-256
            (Cbor::Integer(-2), Cbor::Bytes(bytes[1..33].to_vec())),
            (Cbor::Integer(-3), Cbor::Bytes(bytes[33..65].to_vec())),
        ]);
        serde_cbor_2::to_vec(&Cbor::Map(map)).unwrap()
    }

    /// Answers `navigator.credentials.create()` options.
    pub fn register(&mut self, options: &Value) -> Value {
        let user_id = options["publicKey"]["user"]["id"]
            .as_str()
            .expect("options.publicKey.user.id");
        self.user_handle = Some(URL_SAFE_NO_PAD.decode(user_id).expect("user.id base64url"));
        let client_data = self.client_data("webauthn.create", options);
        let mut auth_data = sha256(self.rp_id.as_bytes());
        auth_data.push(UP | UV | AT);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]); // AAGUID
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_key());
        let attestation = Cbor::Map(BTreeMap::from([
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(BTreeMap::new())),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]));
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&serde_cbor_2::to_vec(&attestation).unwrap()),
                "clientDataJSON": b64(&client_data),
                "transports": ["internal"],
            },
            "extensions": {},
        })
    }

    /// Answers `navigator.credentials.get()` options (the sign count goes
    /// up by one).
    pub fn assert(&mut self, options: &Value) -> Value {
        self.counter += 1;
        let client_data = self.client_data("webauthn.get", options);
        let mut auth_data = sha256(self.rp_id.as_bytes());
        auth_data.push(UP | UV);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&sha256(&client_data));
        let signature: p256::ecdsa::Signature = self.key.sign(&signed);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": self.user_handle.as_deref().map(b64),
            },
            "extensions": {},
        })
    }
}
