"""Server settings from flags and environment variables: defaults, precedence, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import KNOWN_TOOLSETS, Settings, SettingsError, parse_toolsets


def test_defaults_use_home_data_root() -> None:
    settings_ = Settings.from_sources([], {})
    assert settings_.data_root == Path("~/retail-datagen").expanduser().resolve()
    assert settings_.read_only is False
    assert settings_.toolsets == KNOWN_TOOLSETS


def test_environment_is_read(tmp_path: Path) -> None:
    env = {
        "RETAIL_DATAGEN_ROOT": str(tmp_path / "data"),
        "RETAIL_DATAGEN_READ_ONLY": "1",
        "RETAIL_DATAGEN_TOOLSETS": "local",
        "RETAIL_DATAGEN_LOG_LEVEL": "warning",
    }
    settings_ = Settings.from_sources([], env)
    assert settings_.data_root == (tmp_path / "data").resolve()
    assert settings_.read_only is True
    assert settings_.toolsets == ("local",)
    assert settings_.log_level == "WARNING"


def test_flags_win_over_environment(tmp_path: Path) -> None:
    env = {"RETAIL_DATAGEN_ROOT": str(tmp_path / "env"), "RETAIL_DATAGEN_TOOLSETS": "local"}
    settings_ = Settings.from_sources(
        ["--root", str(tmp_path / "flag"), "--read-only", "--toolsets", "databricks"], env
    )
    assert settings_.data_root == (tmp_path / "flag").resolve()
    assert settings_.read_only is True
    assert settings_.toolsets == ("databricks",)


def test_relative_and_tilde_roots_become_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_sources(["--root", "rel"], {}).data_root == tmp_path.resolve() / "rel"
    assert Settings.from_sources(["--root", "~/x"], {}).data_root == Path.home().resolve() / "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", KNOWN_TOOLSETS),
        ("all", KNOWN_TOOLSETS),
        ("databricks, local", ("local", "databricks")),
        ("LOCAL", ("local",)),
    ],
)
def test_parse_toolsets(text: str, expected: tuple[str, ...]) -> None:
    assert parse_toolsets(text) == expected


@pytest.mark.parametrize(
    "env",
    [
        {"RETAIL_DATAGEN_TOOLSETS": "local,nope"},
        {"RETAIL_DATAGEN_READ_ONLY": "maybe"},
        {"RETAIL_DATAGEN_LOG_LEVEL": "loud"},
    ],
)
def test_bad_settings_are_refused_with_the_accepted_values(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_sources([], env)
    message = str(info.value)
    assert any(word in message for word in ("local", "true/false", "INFO"))
