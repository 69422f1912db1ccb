"""Settings come in layers: the file, then the environment, section by section."""

from __future__ import annotations

from pathlib import Path

import pytest

from concord.settings import ConfigError, load_settings


def test_an_environment_secret_completes_its_connector_section_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "concord.toml"
    config.write_text(
        """
[concord]
[concord.connectors.kantata]
kind = "kantata"
base_url = "https://api.mavenlink.com"
auth = { kind = "client_credentials", client_id = "firm-app" }
[concord.connectors.test]
kind = "test"
"""
    )
    monkeypatch.setenv("CONCORD_CONNECTORS__KANTATA__AUTH__CLIENT_SECRET", "from-the-vault")
    settings = load_settings(config)
    kantata = settings.connectors["kantata"]
    assert kantata["auth"] == {
        "kind": "client_credentials",
        "client_id": "firm-app",
        "client_secret": "from-the-vault",
    }
    assert kantata["base_url"] == "https://api.mavenlink.com"
    assert settings.connectors["test"] == {"kind": "test"}


def test_a_bad_file_names_itself(tmp_path: Path) -> None:
    config = tmp_path / "concord.toml"
    config.write_text("[concord]\npartitions = 'many'\n")
    with pytest.raises(ConfigError, match=r"concord\.toml: invalid settings: partitions"):
        load_settings(config)
