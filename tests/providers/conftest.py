import pytest
import trustme

from tests.fakes.vonage import VonageFake


@pytest.fixture(scope="session")
def vonage_ca():
    return trustme.CA()


@pytest.fixture
def vonage_fake(vonage_ca, tmp_path, monkeypatch):
    """A running fake Vonage SMS API that requests trusts (REQUESTS_CA_BUNDLE names its CA)."""
    bundle = tmp_path / "vonage-fake-ca.pem"
    vonage_ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with VonageFake(vonage_ca) as fake:
        yield fake
