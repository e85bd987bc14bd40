"""Schema management: Alembic revisions are the only way the schema is made."""

from pathlib import Path

from alembic import command
from alembic.config import Config


def project_root() -> Path:
    """Where alembic.ini and migrations/ are: beside the package in a checkout (editable
    install), else the working directory (the container image's WORKDIR)."""
    for candidate in (Path(__file__).resolve().parents[1], Path.cwd()):
        if (candidate / "alembic.ini").is_file():
            return candidate
    raise RuntimeError("alembic.ini not found beside the package or in the working directory")


def alembic_config(url: str | None = None) -> Config:
    root = project_root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    if url:
        cfg.attributes["url"] = url
    return cfg


def upgrade_head(url: str | None = None) -> None:
    command.upgrade(alembic_config(url), "head")
