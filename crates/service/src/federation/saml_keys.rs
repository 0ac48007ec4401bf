//! A SAML provider's private keys for encrypted assertions (reading 75): opened from their
//! sealed PEM only when an encrypted assertion arrives, and the cryptography of XML
//! Encryption on aws-lc-rs: RSA-OAEP for the content key (ring cannot decrypt with RSA),
//! then AES-GCM or AES-CBC for the assertion. Every failure is one `None`; no key, plaintext
//! or reason is logged.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    OaepAlgorithm, OaepPrivateDecryptingKey, PrivateDecryptingKey,
};
use store::SamlPrivateKeyRecord;
use zeroize::Zeroizing;

use super::xmlenc::{ContentCipher, Decrypter, Encrypted, OaepHash};
use crate::seal::Sealer;

const GCM_IV: usize = 12;
const GCM_TAG: usize = 16;
const CBC_IV: usize = 16;

/// A provider's sealed private keys, with what opens them.
#[derive(Clone)]
pub(crate) struct SealedKeys {
    sealer: Sealer,
    provider_uuid: String,
    records: Vec<SamlPrivateKeyRecord>,
}

impl std::fmt::Debug for SealedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedKeys")
            .field("provider_uuid", &self.provider_uuid)
            .field("keys", &self.records.len())
            .finish_non_exhaustive()
    }
}

impl SealedKeys {
    pub(crate) fn new(
        sealer: Sealer,
        provider_uuid: String,
        records: Vec<SamlPrivateKeyRecord>,
    ) -> SealedKeys {
        SealedKeys {
            sealer,
            provider_uuid,
            records,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The RSA keys, opened under the binding they were sealed with (reading 64). An EC key,
    /// or one that no longer opens or parses, is left out: it can decrypt nothing.
    fn open(&self) -> Vec<OaepPrivateDecryptingKey> {
        let mut keys = Vec::new();
        for record in &self.records {
            let binding = format!("saml-provider:{}:{}", self.provider_uuid, record.key_id);
            let Ok(pem) = self
                .sealer
                .open(&record.private_key_ciphertext, binding.as_bytes())
            else {
                tracing::warn!(
                    key_id = %record.key_id,
                    "a SAML provider's private key does not open with the master key"
                );
                continue;
            };
            let Some(key) = std::str::from_utf8(&pem)
                .ok()
                .and_then(crate::certificate::rsa_private_key)
                .and_then(|pkcs1| rsa_key(&pkcs1))
            else {
                continue;
            };
            keys.push(key);
        }
        keys
    }
}

impl Decrypter for SealedKeys {
    fn decrypt(&self, encrypted: &Encrypted) -> Option<Vec<u8>> {
        decrypt_with(&self.open(), encrypted)
    }
}

/// A DER length.
fn der_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
        out.extend_from_slice(significant);
    }
}

/// A PKCS#1 `RSAPrivateKey` inside the PKCS#8 `PrivateKeyInfo` aws-lc-rs reads.
fn pkcs8_of_rsa(pkcs1: &[u8]) -> Zeroizing<Vec<u8>> {
    // version 0, AlgorithmIdentifier { rsaEncryption, NULL }
    const HEAD: [u8; 18] = [
        0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
        0x01, 0x05, 0x00,
    ];
    let mut octets = Zeroizing::new(vec![0x04]);
    der_length(pkcs1.len(), &mut octets);
    octets.extend_from_slice(pkcs1);
    let mut body = Zeroizing::new(HEAD.to_vec());
    body.extend_from_slice(&octets);
    let mut der = Zeroizing::new(vec![0x30]);
    der_length(body.len(), &mut der);
    der.extend_from_slice(&body);
    der
}

/// An RSA decryption key from PKCS#1 DER (2048 to 8192 bits: what aws-lc-rs takes).
fn rsa_key(pkcs1: &[u8]) -> Option<OaepPrivateDecryptingKey> {
    let key = PrivateDecryptingKey::from_pkcs8(&pkcs8_of_rsa(pkcs1)).ok()?;
    OaepPrivateDecryptingKey::new(key).ok()
}

/// The RSA-OAEP variants aws-lc-rs offers: the digest and the mask function's hash alike.
fn oaep(digest: OaepHash, mgf: OaepHash) -> Option<&'static OaepAlgorithm> {
    match (digest, mgf) {
        (OaepHash::Sha1, OaepHash::Sha1) => Some(&OAEP_SHA1_MGF1SHA1),
        (OaepHash::Sha256, OaepHash::Sha256) => Some(&OAEP_SHA256_MGF1SHA256),
        (OaepHash::Sha384, OaepHash::Sha384) => Some(&OAEP_SHA384_MGF1SHA384),
        (OaepHash::Sha512, OaepHash::Sha512) => Some(&OAEP_SHA512_MGF1SHA512),
        _ => None,
    }
}

/// The plaintext of `encrypted`: each `EncryptedKey` tried with each private key, the first
/// content key of the right length that decrypts the content wins.
pub(crate) fn decrypt_with(
    keys: &[OaepPrivateDecryptingKey],
    encrypted: &Encrypted,
) -> Option<Vec<u8>> {
    for wrapped in &encrypted.keys {
        let Some(algorithm) = oaep(wrapped.digest, wrapped.mgf) else {
            continue;
        };
        for key in keys {
            let mut out = Zeroizing::new(vec![0_u8; key.min_output_size()]);
            let Ok(content_key) = key.decrypt(algorithm, &wrapped.cipher, &mut out, None) else {
                continue;
            };
            if content_key.len() != encrypted.cipher.key_len() {
                continue;
            }
            if let Some(plaintext) = content(encrypted.cipher, content_key, &encrypted.data) {
                return Some(plaintext);
            }
        }
    }
    None
}

/// AES-GCM (IV, ciphertext, tag) or AES-CBC (IV, ciphertext with ISO 10126 padding, of
/// which only the last byte, the pad length, can be checked).
fn content(cipher: ContentCipher, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    match cipher {
        ContentCipher::Gcm(len) => {
            let algorithm = match len {
                16 => &aead::AES_128_GCM,
                24 => &aead::AES_192_GCM,
                _ => &aead::AES_256_GCM,
            };
            let (iv, sealed) = data.split_at_checked(GCM_IV)?;
            if sealed.len() < GCM_TAG {
                return None;
            }
            let key = LessSafeKey::new(UnboundKey::new(algorithm, key).ok()?);
            let nonce = Nonce::try_assume_unique_for_key(iv).ok()?;
            let mut in_out = sealed.to_vec();
            let plain = key.open_in_place(nonce, Aad::empty(), &mut in_out).ok()?;
            let len = plain.len();
            in_out.truncate(len);
            Some(in_out)
        }
        ContentCipher::Cbc(len) => {
            let algorithm = match len {
                16 => &AES_128,
                24 => &AES_192,
                _ => &AES_256,
            };
            let (iv, body) = data.split_at_checked(CBC_IV)?;
            if body.is_empty() || body.len() % CBC_IV != 0 {
                return None;
            }
            let iv: [u8; CBC_IV] = iv.try_into().ok()?;
            let key =
                PaddedBlockDecryptingKey::cbc_iso10126(UnboundCipherKey::new(algorithm, key).ok()?)
                    .ok()?;
            let mut in_out = body.to_vec();
            let context = DecryptionContext::Iv128(FixedLength::from(iv));
            let plain = key.decrypt(&mut in_out, context).ok()?;
            let len = plain.len();
            in_out.truncate(len);
            Some(in_out)
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext};
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeySize, OaepPublicEncryptingKey};

    use super::super::xmlenc::EncryptedKey;
    use super::*;

    const PLAIN: &[u8] =
        b"<saml:Assertion ID=\"a\">a SAML assertion, longer than a block</saml:Assertion>";

    fn generated() -> PrivateDecryptingKey {
        PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// The PKCS#1 body of a PKCS#8 document (what the store's PEM reader hands over).
    fn pkcs1_of(key: &PrivateDecryptingKey) -> Vec<u8> {
        let pkcs8 = key.as_der().unwrap_or_else(|e| panic!("{e:?}"));
        let der = pkcs8.as_ref();
        // SEQUENCE, version, algorithm, then the OCTET STRING holding the RSAPrivateKey.
        let (_, object) =
            x509_parser::der_parser::der::parse_der(der).unwrap_or_else(|e| panic!("{e:?}"));
        let items = object.as_sequence().unwrap_or_else(|e| panic!("{e:?}"));
        items
            .get(2)
            .and_then(|o| o.as_slice().ok())
            .unwrap_or_else(|| panic!("octets"))
            .to_vec()
    }

    fn wrap_key(
        key: &PrivateDecryptingKey,
        content_key: &[u8],
        algorithm: &'static OaepAlgorithm,
    ) -> Vec<u8> {
        let public =
            OaepPublicEncryptingKey::new(key.public_key()).unwrap_or_else(|e| panic!("{e:?}"));
        let mut out = vec![0_u8; public.ciphertext_size()];
        public
            .encrypt(algorithm, content_key, &mut out, None)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .to_vec()
    }

    fn gcm(key: &[u8], algorithm: &'static aead::Algorithm) -> Vec<u8> {
        let iv = [7_u8; GCM_IV];
        let sealing =
            LessSafeKey::new(UnboundKey::new(algorithm, key).unwrap_or_else(|e| panic!("{e:?}")));
        let mut in_out = PLAIN.to_vec();
        sealing
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut in_out)
            .unwrap_or_else(|e| panic!("{e:?}"));
        [iv.to_vec(), in_out].concat()
    }

    /// AES-CBC with ISO 10126 padding as an IdP writes it: random pad bytes, the count last.
    fn cbc(key: &[u8], algorithm: &'static aws_lc_rs::cipher::Algorithm) -> Vec<u8> {
        let mut in_out = PLAIN.to_vec();
        let pad = 16 - in_out.len() % 16;
        in_out.extend(std::iter::repeat_n(0xa5_u8, pad - 1));
        in_out.push(u8::try_from(pad).unwrap_or(0));
        let iv = [9_u8; CBC_IV];
        let encrypting = EncryptingKey::cbc(
            UnboundCipherKey::new(algorithm, key).unwrap_or_else(|e| panic!("{e:?}")),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        encrypting
            .less_safe_encrypt(&mut in_out, EncryptionContext::Iv128(FixedLength::from(iv)))
            .unwrap_or_else(|e| panic!("{e:?}"));
        [iv.to_vec(), in_out].concat()
    }

    fn encrypted(
        cipher: ContentCipher,
        data: Vec<u8>,
        wrapped: Vec<u8>,
        hash: OaepHash,
    ) -> Encrypted {
        Encrypted {
            cipher,
            data,
            keys: vec![EncryptedKey {
                digest: hash,
                mgf: hash,
                cipher: wrapped,
            }],
        }
    }

    #[test]
    fn every_content_cipher_decrypts_with_the_right_key_only() {
        let right = generated();
        let wrong = generated();
        let keys = [
            rsa_key(&pkcs1_of(&wrong)).unwrap_or_else(|| panic!("wrong")),
            rsa_key(&pkcs1_of(&right)).unwrap_or_else(|| panic!("right")),
        ];
        for (cipher, len) in [
            (ContentCipher::Gcm(16), 16),
            (ContentCipher::Gcm(24), 24),
            (ContentCipher::Gcm(32), 32),
            (ContentCipher::Cbc(16), 16),
            (ContentCipher::Cbc(24), 24),
            (ContentCipher::Cbc(32), 32),
        ] {
            let content_key: Vec<u8> = (0..len).map(|i| u8::try_from(i).unwrap_or(0)).collect();
            let data = match cipher {
                ContentCipher::Gcm(_) => gcm(
                    &content_key,
                    match len {
                        16 => &aead::AES_128_GCM,
                        24 => &aead::AES_192_GCM,
                        _ => &aead::AES_256_GCM,
                    },
                ),
                ContentCipher::Cbc(_) => cbc(
                    &content_key,
                    match len {
                        16 => &AES_128,
                        24 => &AES_192,
                        _ => &AES_256,
                    },
                ),
            };
            for (algorithm, hash) in [
                (&OAEP_SHA1_MGF1SHA1, OaepHash::Sha1),
                (&OAEP_SHA256_MGF1SHA256, OaepHash::Sha256),
            ] {
                let e = encrypted(
                    cipher,
                    data.clone(),
                    wrap_key(&right, &content_key, algorithm),
                    hash,
                );
                assert_eq!(
                    decrypt_with(&keys, &e).as_deref(),
                    Some(PLAIN),
                    "{cipher:?} {hash:?}"
                );
                // The wrong key alone decrypts nothing.
                assert_eq!(decrypt_with(keys.get(..1).unwrap_or_default(), &e), None);
            }
            // A content key of another length than the cipher's is refused.
            let short = encrypted(
                cipher,
                data.clone(),
                wrap_key(&right, &content_key[..8], &OAEP_SHA1_MGF1SHA1),
                OaepHash::Sha1,
            );
            assert_eq!(decrypt_with(&keys, &short), None);
            // Any changed byte of the ciphertext: GCM's tag fails; CBC either fails its pad
            // byte or yields other bytes, which the signature check then refuses.
            let mut tampered = data.clone();
            if let Some(last) = tampered.last_mut() {
                *last ^= 1;
            }
            let e = encrypted(
                cipher,
                tampered,
                wrap_key(&right, &content_key, &OAEP_SHA1_MGF1SHA1),
                OaepHash::Sha1,
            );
            assert_ne!(decrypt_with(&keys, &e).as_deref(), Some(PLAIN));
            // Truncated: nothing.
            let e = encrypted(
                cipher,
                data.get(..data.len() - 5).unwrap_or_default().to_vec(),
                wrap_key(&right, &content_key, &OAEP_SHA1_MGF1SHA1),
                OaepHash::Sha1,
            );
            assert_eq!(decrypt_with(&keys, &e), None);
        }
    }

    #[test]
    fn the_oaep_hashes_must_match_what_was_used_and_each_other() {
        let key = generated();
        let keys = [rsa_key(&pkcs1_of(&key)).unwrap_or_else(|| panic!("key"))];
        let content_key = [3_u8; 16];
        let data = gcm(&content_key, &aead::AES_128_GCM);
        let wrapped = wrap_key(&key, &content_key, &OAEP_SHA256_MGF1SHA256);
        assert_eq!(
            decrypt_with(
                &keys,
                &encrypted(
                    ContentCipher::Gcm(16),
                    data.clone(),
                    wrapped.clone(),
                    OaepHash::Sha1
                )
            ),
            None
        );
        let mixed = Encrypted {
            cipher: ContentCipher::Gcm(16),
            data,
            keys: vec![EncryptedKey {
                digest: OaepHash::Sha256,
                mgf: OaepHash::Sha1,
                cipher: wrapped,
            }],
        };
        assert_eq!(decrypt_with(&keys, &mixed), None);
    }

    #[test]
    fn cbc_checks_only_the_pad_length() {
        let key = [5_u8; 16];
        let good = cbc(&key, &AES_128);
        assert_eq!(
            content(ContentCipher::Cbc(16), &key, &good).as_deref(),
            Some(PLAIN)
        );
        // A last byte of 0 or above the block size is no ISO 10126 padding.
        for last in [0_u8, 17, 255] {
            let mut block = vec![0x11_u8; 15];
            block.push(last);
            let iv = [1_u8; 16];
            let raw = EncryptingKey::cbc(
                UnboundCipherKey::new(&AES_128, &key).unwrap_or_else(|e| panic!("{e:?}")),
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
            raw.less_safe_encrypt(&mut block, EncryptionContext::Iv128(FixedLength::from(iv)))
                .unwrap_or_else(|e| panic!("{e:?}"));
            let data = [iv.to_vec(), block].concat();
            assert_eq!(content(ContentCipher::Cbc(16), &key, &data), None, "{last}");
        }
        assert_eq!(content(ContentCipher::Cbc(16), &key, &good[..16]), None);
        assert_eq!(
            content(ContentCipher::Cbc(16), &key, &good[..good.len() - 1]),
            None
        );
    }

    #[test]
    fn pkcs8_wrapping_handles_long_lengths() {
        let mut out = Vec::new();
        der_length(0x7f, &mut out);
        der_length(0x80, &mut out);
        der_length(0x1234, &mut out);
        assert_eq!(out, vec![0x7f, 0x81, 0x80, 0x82, 0x12, 0x34]);
        assert!(rsa_key(b"not a key").is_none());
    }
}
