//! Test keys, made once with `openssl genpkey` (RSA 2048, EC P-256) and
//! never used outside tests. `JWKS` holds the public halves and the HMAC
//! secret as JWKs with kids `rsa-1`, `ec-1` and `hmac-1`.

pub const HMAC_SECRET: &[u8] = b"scimitar-test-hmac-secret-32byte";

pub const RSA_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCa4zKruL50rB2g\n\
h8D4Gb3KTypjFuiYyz216OzN9jysvCFIOjP80CRL0S8CaUqFRfKsGJQC9SwsIEvV\n\
bAe3mq2mN3ILlsLFJUNLW9UdrirZOG0SSSZWs5AoWm9iuAsqnqFgv+NRQlMpx6mm\n\
TbMxbcBpPWMpIOCPPGNDITiBJn5cPZPO1H+EgNZ7I0+bvNL/7mFLOMjmNrT2Ss68\n\
bYrQfHQ8mYVDz0tsEEUTVIE0Zt590Y/3WdTtLh6MsnqGboAYcY0k3W2GSjv3Bwng\n\
YpWaB8pGHYky616QZgqBjltHcl/NNK8R84Zomsr0lOiQHrBsSnNh4htP+aF7bD0m\n\
U+tp3ptzAgMBAAECggEAJDvdWT3VVE8FeU34zzGabC8b7+VmkYQOUjWE3GPr6s7y\n\
DEcNbWm17ASqNiqyk7362NbBHXYEmOgPRYTJw2KMmBNlex+QPfWLKiB4GULq5Dkm\n\
jv4M2YCVS1NotlPuzNAiWZNaVuKouN/sKKsJrhkKR7RkM7VswyVx5Tzqzo/WRLaH\n\
3lJyX7QdO3L05p6s5egsfAr2L8YOgHcszDY/ZKBnUWJW+95xPgSB1aMjXWp9ACUa\n\
sFuROUeUsRXVnbhKo5b1trNG3oeflmoum2+NX7XQk8OLzYMF+ZhfNbbd4svGK9wz\n\
RgnH0LrkeQEYxUTPREpvqqqDLllsmBut6RZyUFfvBQKBgQDM8GA2TyzNhpVQa8oo\n\
YQmWWdRa2CtxdyO9r/V9EQBCBDY8dDtVugxS5fRnEsM7hlcBG3vWtybM3qVcf23L\n\
PexqqQcgm/pjATjVK9WLe/sbgNnd0rfYbh/Fh7LQ1kNUF1hgT/RqoMm4pFKYtyWn\n\
okIPJ9/UiRfwVcXISWALACHqRwKBgQDBemNo47xDRVFrlk/DkMqWbNsJrm3gGGAo\n\
6VphVqkjiclGnrap+OJpR3dHQ6V7qqSMC8KVHDnDXPElNvwooPQJETblKuxvo517\n\
VZjbNZTsH/BY2MC6VClJG3O0bPcGktkGOkKrbiN0UFD56DD80LeAHkmtnJWvaxdX\n\
NCAG3wivdQKBgDmVxYMdJjqt+WC6mPhVo+sCXMAWA8cDMiDHw5Qb5dWm91JvWojR\n\
GUtl4BHiXMdqDSJ7hYWkuxtP6GkgSUqVoMurqRwJmAafvkdv5LYn5TwqLY29+viu\n\
oPDRG3bA7fRABw4xCT245lWinq7Yr5T169f0XVmMGBTpFQUdUQZmSCFbAoGBAKEc\n\
Nh2IziNCXKt3TlJuhpQ+byMfsfUStzg6IP2/OTcTrJx222qsinTagvO/29Qf48eO\n\
n2ilSWBqS5AOumlmpe/K+uhYFuxb1W53d8LKWolJi02gqNQ/8uUiy/WpawZ5T+kE\n\
qLGyFCnuG5AOjoRnlPZFwlqkcmzRg20lRaoTHVtlAoGAROn3JGMbZBEHXsFSJgGY\n\
bV6lmyRqgiHSPHN51tADpCUG5u+blb3UMVhDl+XJIH7iJwzspioRwunGqd2Dj7Xo\n\
vQHPkTLIYrzS+Gh5N+93jhLN/1tgYPTyYiK6aB9ehsMtdtdCaIfC70iT6T4fuNDx\n\
dTgLrn8/VIOMS0yWLiIh/gg=\n\
-----END PRIVATE KEY-----\n\
";

pub const RSA_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmuMyq7i+dKwdoIfA+Bm9\n\
yk8qYxbomMs9tejszfY8rLwhSDoz/NAkS9EvAmlKhUXyrBiUAvUsLCBL1WwHt5qt\n\
pjdyC5bCxSVDS1vVHa4q2ThtEkkmVrOQKFpvYrgLKp6hYL/jUUJTKceppk2zMW3A\n\
aT1jKSDgjzxjQyE4gSZ+XD2TztR/hIDWeyNPm7zS/+5hSzjI5ja09krOvG2K0Hx0\n\
PJmFQ89LbBBFE1SBNGbefdGP91nU7S4ejLJ6hm6AGHGNJN1thko79wcJ4GKVmgfK\n\
Rh2JMutekGYKgY5bR3JfzTSvEfOGaJrK9JTokB6wbEpzYeIbT/mhe2w9JlPrad6b\n\
cwIDAQAB\n\
-----END PUBLIC KEY-----\n\
";

pub const EC_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgV/kpX4i8BQ1AZ+9C\n\
9iSblarPlttFh4SCaGheUluVnfWhRANCAARy7JBlPmeaqbv1WkN3fGeuvlY10xoL\n\
B+4FznhCuXp6n/HTqeaICPrj1H153dzSwsG+VhtA6X+zb/HvhRnGMYGG\n\
-----END PRIVATE KEY-----\n\
";

pub const EC_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcuyQZT5nmqm79VpDd3xnrr5WNdMa\n\
CwfuBc54Qrl6ep/x06nmiAj649R9ed3c0sLBvlYbQOl/s2/x74UZxjGBhg==\n\
-----END PUBLIC KEY-----\n\
";

pub const JWKS: &str = r#"{
 "keys": [
  {
   "kty": "RSA",
   "kid": "rsa-1",
   "use": "sig",
   "alg": "RS256",
   "n": "muMyq7i-dKwdoIfA-Bm9yk8qYxbomMs9tejszfY8rLwhSDoz_NAkS9EvAmlKhUXyrBiUAvUsLCBL1WwHt5qtpjdyC5bCxSVDS1vVHa4q2ThtEkkmVrOQKFpvYrgLKp6hYL_jUUJTKceppk2zMW3AaT1jKSDgjzxjQyE4gSZ-XD2TztR_hIDWeyNPm7zS_-5hSzjI5ja09krOvG2K0Hx0PJmFQ89LbBBFE1SBNGbefdGP91nU7S4ejLJ6hm6AGHGNJN1thko79wcJ4GKVmgfKRh2JMutekGYKgY5bR3JfzTSvEfOGaJrK9JTokB6wbEpzYeIbT_mhe2w9JlPrad6bcw",
   "e": "AQAB"
  },
  {
   "kty": "EC",
   "kid": "ec-1",
   "crv": "P-256",
   "x": "cuyQZT5nmqm79VpDd3xnrr5WNdMaCwfuBc54Qrl6ep8",
   "y": "8dOp5ogI-uPUfXnd3NLCwb5WG0Dpf7Nv8e-FGcYxgYY"
  },
  {
   "kty": "oct",
   "kid": "hmac-1",
   "k": "c2NpbWl0YXItdGVzdC1obWFjLXNlY3JldC0zMmJ5dGU"
  }
 ]
}"#;
