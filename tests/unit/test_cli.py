"""The wilayah-bot command line: regions import, admin add, db upgrade."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "config.toml"
    url = database_url.replace("sqlite+aiosqlite", "sqlite").replace("postgresql+asyncpg",
                                                                       "postgresql")
    path.write_text(f'[database]\nurl = "{url}"\n[bot]\ndata_dir = "{tmp_path / "data"}"\n')
    return path


def test_regions_import_is_idempotent_and_reports_bad_lines(
        config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "bandung.csv"
    good.write_text("kode,nama\n32.73,Kota Bandung\n32.73.01,Sukasari\n32.73.01.1001,Sukarasa\n")
    assert main(["--config", str(config), "regions", "import", str(good)]) == 0
    assert "3 added" in capsys.readouterr().out
    assert main(["--config", str(config), "regions", "import", str(good)]) == 0
    assert "0 added, 0 renamed, 3 unchanged" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("kode,nama\n32.74,Kota Banjar\n32.74.1,Banjar\n")
    assert main(["--config", str(config), "regions", "import", str(bad)]) == 1
    assert "line 3" in capsys.readouterr().err


def test_admin_add_creates_an_active_admin(config: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "admin", "add", "--telegram-id", "77",
                 "--name", "Admin Tapem", "--region", "32.77"]) == 0
    assert "active" in capsys.readouterr().out
    assert main(["--config", str(config), "admin", "add", "--telegram-id", "78",
                 "--name", "Admin", "--region", "32.77.03"]) == 1
    assert main(["--config", str(config), "admin", "add", "--telegram-id", "79",
                 "--name", "Root", "--role", "superadmin"]) == 0
