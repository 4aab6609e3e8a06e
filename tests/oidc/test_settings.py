"""The upstream provider's settings refuse half or unsafe configurations at start."""

from __future__ import annotations

import pytest

from polybox.config import ConfigError, load_settings

ISSUER = "https://login.example.com/realms/team"


def test_an_issuer_without_client_id_and_allowed_domains_names_both() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(oidc_issuer_url=ISSUER)

    assert "POLYBOX_OIDC_CLIENT_ID: required" in str(refused.value)
    assert "POLYBOX_OIDC_ALLOWED_EMAIL_DOMAINS: required" in str(refused.value)


def test_an_issuer_over_plain_http_is_refused_unless_loopback() -> None:
    with pytest.raises(ConfigError, match="POLYBOX_OIDC_ISSUER_URL: must be an https URL"):
        load_settings(
            oidc_issuer_url="http://login.example.com",
            oidc_client_id="polybox",
            oidc_allowed_email_domains=["example.com"],
        )

    local = load_settings(
        oidc_issuer_url="http://127.0.0.1:8080/",
        oidc_client_id="polybox",
        oidc_allowed_email_domains=["*"],
    )
    assert local.oidc_issuer_url == "http://127.0.0.1:8080"


def test_allowed_domains_are_normalised() -> None:
    settings = load_settings(
        oidc_issuer_url=ISSUER,
        oidc_client_id="polybox",
        oidc_allowed_email_domains=["@Example.COM"],
    )

    assert settings.oidc_allowed_email_domains == ["example.com"]


def test_the_client_secret_is_hidden_in_the_settings_repr_and_dump() -> None:
    settings = load_settings(
        oidc_issuer_url=ISSUER,
        oidc_client_id="polybox",
        oidc_client_secret="s3cr3t-value",
        oidc_allowed_email_domains=["example.com"],
    )

    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in str(settings.model_dump())
    assert settings.oidc_client_secret is not None
    assert settings.oidc_client_secret.get_secret_value() == "s3cr3t-value"
