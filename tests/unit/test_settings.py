from __future__ import annotations

from pathlib import Path

import pytest

from jinbao.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_serve_an_embedded_database_on_loopback() -> None:
    s = Settings.from_env({})
    assert (s.database_url, s.host, s.port) == (DEFAULT_DATABASE_URL, "127.0.0.1", 8000)


def test_postgresql_is_chosen_by_url() -> None:
    url = "postgresql+psycopg://jinbao@localhost/jinbao"
    assert Settings.from_env({"JINBAO_DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JINBAO_DATABSE_URL": "sqlite://"}, "unknown setting"),
        ({"JINBAO_PORT": "eighty"}, "JINBAO_PORT"),
        ({"JINBAO_PORT": "70000"}, "JINBAO_PORT"),
        ({"JINBAO_DATABASE_URL": "mysql://x@y/z"}, "supported"),
        ({"JINBAO_DATABASE_URL": "not a url"}, "not a database URL"),
        ({"JINBAO_LOG_LEVEL": "loud"}, "JINBAO_LOG_LEVEL"),
        ({"JINBAO_WORKERS": "0"}, "JINBAO_WORKERS"),
        ({"JINBAO_WORKERS": "two"}, "JINBAO_WORKERS"),
    ],
)
def test_malformed_settings_stop_start_up_with_the_variable_named(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_other_environment_variables_are_ignored() -> None:
    assert Settings.from_env({"PATH": "/bin", "JINBAOX": "1"}).port == 8000


def test_the_parameters_folder_must_exist(tmp_path: object) -> None:
    with pytest.raises(SettingsError, match="JINBAO_PARAMETERS_DIR"):
        Settings.from_env({"JINBAO_PARAMETERS_DIR": "/nonexistent/params"})
    assert Settings.from_env({"JINBAO_PARAMETERS_DIR": str(tmp_path)}).parameters_dir == str(
        tmp_path
    )


def test_the_cjk_font_must_be_a_file_with_an_optional_numeric_face(tmp_path: Path) -> None:
    font = tmp_path / "font.ttc"
    font.write_bytes(b"not really a font, but a file")
    assert Settings.from_env({"JINBAO_CJK_FONT": f"{font}#2"}).cjk_font == f"{font}#2"
    with pytest.raises(SettingsError, match="not a font file"):
        Settings.from_env({"JINBAO_CJK_FONT": "/nonexistent/font.ttc"})
    with pytest.raises(SettingsError, match="face after #"):
        Settings.from_env({"JINBAO_CJK_FONT": f"{font}#SC"})
