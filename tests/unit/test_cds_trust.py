"""The EHR's JWT, checked by risk.cds.trust without the service around it: each refusal for its own reason, the
jti store shared across processes, and a fetched JWKS refreshed on key rotation but never on demand."""

from __future__ import annotations

import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from risk.cds import trust
from risk.cds.config import CdsConfig, Issuer, load_config
from risk.cds.trust import JtiStore, TrustError, Verifier
from tests.cds_fixtures import ISS, JKU, SERVICE_PATH, mint, new_keys, write_trust_file

BASE = "https://cds.example.org"
AUD = BASE + SERVICE_PATH


@pytest.fixture(scope="module")
def keys():
    return new_keys()


@pytest.fixture
def verifier(tmp_path, keys) -> Verifier:
    return Verifier(load_config(write_trust_file(tmp_path / "cds", keys, public_url=BASE)))


def bearer(token: str) -> str:
    return f"Bearer {token}"


def signed(keys, claims: dict, header: dict | None = None) -> str:
    """An ES384 token with exactly these claims (mint always writes them all)."""
    key = ECKey.import_key(keys.ec)
    return jwt.encode({"alg": "ES384", "kid": "es-1", "jku": JKU, **(header or {})}, claims, key,
                      algorithms=["ES384"])


def claims(**changes) -> dict:
    now = int(time.time())
    base = {"iss": ISS, "sub": "ehr-client", "aud": AUD, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def test_a_valid_token_names_its_caller_for_the_audit(verifier, keys):
    who = verifier.verify(bearer(mint(keys, AUD)), AUD)
    assert (who.iss, who.sub, who.tenant) == (ISS, "ehr-client", "chu-exemple")
    assert who.source == f"iss={ISS} tenant=chu-exemple client=ehr-client"


@pytest.mark.parametrize(("token", "reason"), [
    (lambda k: mint(k, AUD, alg="RS384", kid="es-1"), "unknown kid"),  # the EC key is published for ES384 only
    (lambda k: mint(k, AUD, iat_shift=90, exp_in=400), "(iat)"),
    (lambda k: mint(k, AUD, exp_in=-90, iat_shift=-400), "(exp)"),
    (lambda k: signed(k, claims(aud=[AUD])), "aud is not this endpoint"),  # a list naming us among others
    (lambda k: signed(k, claims(aud=[AUD, "https://other.example.org"])), "aud is not this endpoint"),
    (lambda k: signed(k, claims(exp=None)), "missing_claim (exp)"),
    (lambda k: signed(k, claims(iat=None)), "missing_claim (iat)"),
    (lambda k: signed(k, claims(jti=None)), "missing_claim (jti)"),
    (lambda k: signed(k, claims(aud=None)), "missing_claim (aud)"),
    (lambda k: signed(k, claims(exp="never")), "(exp)"),
    (lambda k: signed(k, claims(jti=7)), "(jti)"),
    (lambda k: signed(k, claims(nbf=int(time.time()) + 600)), "(nbf)"),
    (lambda k: signed(k, claims(), {"kid": ""}), "no kid"),
    (lambda k: mint(k, AUD).rsplit(".", 1)[0] + ".AAAA", "token rejected"),
])
def test_each_untrusted_token_is_refused_for_its_own_reason(verifier, keys, token, reason):
    with pytest.raises(TrustError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        verifier.verify(bearer(token(keys)), AUD)


def test_sixty_seconds_of_clock_skew_are_tolerated_each_way(verifier, keys):
    verifier.verify(bearer(mint(keys, AUD, iat_shift=50, exp_in=400)), AUD)
    verifier.verify(bearer(mint(keys, AUD, exp_in=-50, iat_shift=-400)), AUD)


def test_a_jti_is_accepted_once_across_verifiers_sharing_the_store(tmp_path, keys):
    """Two workers are two processes, each with its own Verifier over the one SQLite file."""
    config = load_config(write_trust_file(tmp_path / "cds", keys, public_url=BASE))
    first, second = Verifier(config), Verifier(config, jti_store=JtiStore(config.jti_db))
    token = mint(keys, AUD)
    first.verify(bearer(token), AUD)
    with pytest.raises(TrustError, match="replayed"):
        second.verify(bearer(token), AUD)


def test_the_same_jti_from_two_issuers_is_two_tokens(tmp_path):
    store = JtiStore(tmp_path / "jti.sqlite")
    exp = int(time.time()) + 300
    assert store.first_use("https://a", "j-1", exp) and store.first_use("https://b", "j-1", exp)
    assert not store.first_use("https://a", "j-1", exp)


def test_a_fetched_jwks_is_cached_and_refetched_on_an_unknown_kid_at_most_every_30_s(tmp_path, keys, monkeypatch):
    fetched: list[str] = []
    published = {"keys": [keys.jwks()["keys"][1]]}  # at first the EHR publishes only its RSA key

    def fetch(url: str) -> KeySet:
        fetched.append(url)
        return KeySet.import_key_set(published)

    monkeypatch.setattr(trust, "_fetch_jwks", fetch)
    config = CdsConfig(public_url=BASE, jti_db=tmp_path / "jti.sqlite", issuers={ISS: Issuer(iss=ISS, jku=(JKU,))})
    verifier = Verifier(config)
    verifier.verify(bearer(mint(keys, AUD, alg="RS384", kid="rs-1")), AUD)
    verifier.verify(bearer(mint(keys, AUD, alg="RS384", kid="rs-1")), AUD)
    assert fetched == [JKU]  # cached
    with pytest.raises(TrustError, match="unknown kid"):
        verifier.verify(bearer(mint(keys, AUD, kid="es-1")), AUD)
    assert fetched == [JKU]  # fetched moments ago: an unknown kid does not make us fetch again
    published = keys.jwks()  # the EHR rotates in its EC key
    monkeypatch.setattr(trust, "JWKS_REFRESH_S", 0.0)
    verifier.verify(bearer(mint(keys, AUD, kid="es-1")), AUD)
    assert fetched == [JKU, JKU]


def test_an_issuer_without_any_jwks_is_refused(tmp_path, keys):
    config = CdsConfig(public_url=BASE, jti_db=tmp_path / "jti.sqlite", issuers={ISS: Issuer(iss=ISS)})
    with pytest.raises(TrustError, match="no JWKS"):
        Verifier(config).verify(bearer(mint(keys, AUD, jku=None)), AUD)
