"""Secret masking: literal secret values and anything token-shaped, in any text."""

from __future__ import annotations

from server.adapters.secrets import redact, remember_secret


def test_redact_masks_token_like_values(monkeypatch):
    monkeypatch.setenv("DATABRICKS_TOKEN", "my-own-secret-value")
    text = (
        "Authorization: Bearer abc.def-ghi token=supersecret dapi0123456789abcdef0123456789abcdef-2 "
        '{"client_secret": "s3cr3t"} eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig my-own-secret-value'
    )
    out = redact(text)
    for secret in ("abc.def-ghi", "supersecret", "dapi0123456789abcdef", "s3cr3t", "eyJhbGci", "my-own-secret-value"):
        assert secret not in out
    assert redact("nothing secret here: /Volumes/main/s/v") == "nothing secret here: /Volumes/main/s/v"
    assert redact(None) == ""


def test_remembered_secrets_and_connection_passwords_are_masked() -> None:
    remember_secret("lakebase-credential-xyz")
    out = redact("password: lakebase-credential-xyz; uri postgresql://me:hunter2secret@db.example.com:5432/x")
    assert "lakebase-credential-xyz" not in out and "hunter2secret" not in out
    assert "postgresql://me:[REDACTED]@db.example.com:5432/x" in out
    remember_secret("short")  # too short to mask without masking ordinary words
    assert redact("a short word") == "a short word"
