"""Settings from ``JINBAO_*`` environment variables, parsed strictly at start-up.

An unknown ``JINBAO_`` variable, a malformed value or an unsupported database is an error that
names the variable, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///var/jinbao.db"
SUPPORTED_DRIVERS = ("sqlite", "postgresql+psycopg")


class SettingsError(ValueError):
    """A setting is unknown or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL  # JINBAO_DATABASE_URL
    host: str = "127.0.0.1"  # JINBAO_HOST
    port: int = 8000  # JINBAO_PORT
    log_level: str = "info"  # JINBAO_LOG_LEVEL
    workers: int = 1  # JINBAO_WORKERS: server processes (one per core serves the most)
    parameters_dir: str = ""  # JINBAO_PARAMETERS_DIR: operator's parameter files over the shipped
    cjk_font: str = ""  # JINBAO_CJK_FONT: path[#face] of the Chinese font for paper forms

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        known = {f"JINBAO_{f.name.upper()}": f.name for f in fields(cls)}
        unknown = sorted(k for k in env if k.startswith("JINBAO_") and k not in known)
        if unknown:
            raise SettingsError(
                f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values: dict[str, str] = {known[k]: v for k, v in env.items() if k in known}
        defaults = cls()
        port = values.get("port", str(defaults.port))
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise SettingsError(f"JINBAO_PORT must be a number from 1 to 65535, not {port!r}")
        log_level = values.get("log_level", defaults.log_level).lower()
        if log_level not in ("critical", "error", "warning", "info", "debug"):
            raise SettingsError(
                f"JINBAO_LOG_LEVEL must be one of critical, error, warning, info, debug, "
                f"not {log_level!r}"
            )
        workers = values.get("workers", str(defaults.workers))
        if not workers.isdigit() or not 1 <= int(workers) <= 64:
            raise SettingsError(f"JINBAO_WORKERS must be a number from 1 to 64, not {workers!r}")
        parameters_dir = values.get("parameters_dir", "")
        if parameters_dir and not os.path.isdir(parameters_dir):
            raise SettingsError(f"JINBAO_PARAMETERS_DIR {parameters_dir!r} is not a folder")
        cjk_font = values.get("cjk_font", "")
        if cjk_font and not os.path.isfile(cjk_font.partition("#")[0]):
            raise SettingsError(f"JINBAO_CJK_FONT {cjk_font!r} is not a font file (path[#face])")
        if cjk_font and not (cjk_font.partition("#")[2] or "0").isdigit():
            raise SettingsError(f"JINBAO_CJK_FONT {cjk_font!r}: the face after # is a number")
        url = values.get("database_url", defaults.database_url)
        check_database_url(url)
        return cls(
            database_url=url,
            host=values.get("host", defaults.host),
            port=int(port),
            log_level=log_level,
            workers=int(workers),
            parameters_dir=parameters_dir,
            cjk_font=cjk_font,
        )


def check_database_url(url: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SettingsError(f"JINBAO_DATABASE_URL is not a database URL: {url!r}") from exc
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise SettingsError(
            f"JINBAO_DATABASE_URL uses {parsed.drivername!r}; supported: "
            "sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname"
        )
