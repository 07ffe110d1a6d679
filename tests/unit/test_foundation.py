"""Settings, catalogs, callback data, time formatting and log redaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import callbacks
from bot.cli import main
from bot.i18n import LANGUAGES, Html, Translator, catalog, placeholders
from bot.logs import RedactingFormatter
from bot.settings import Settings


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    reference = catalog("id")
    for language in LANGUAGES:
        messages = catalog(language)
        assert set(messages) == set(reference), language
        for key, text in messages.items():
            assert placeholders(text) == placeholders(reference[key]), key


def test_values_are_escaped_unless_marked_safe() -> None:
    tr = Translator("id")
    assert tr("registration.region_chosen", region="<b>&") == "Wilayah: <b>&lt;b&gt;&amp;</b>"
    assert "<i>x</i>" in tr("registration.region_chosen", region=Html("<i>x</i>"))


def test_dates_render_in_the_regions_zone_with_indonesian_names() -> None:
    moment = datetime(2024, 11, 1, 1, 0, tzinfo=UTC)
    assert Translator("id").datetime(moment, "Asia/Makassar") == \
        "Jumat, 1 November 2024 pukul 09.00 WITA"
    assert Translator("en").datetime(moment, "Asia/Jayapura") == \
        "Friday, 1 November 2024 at 10:00 WIT"


def test_callback_data_round_trips_and_refuses_garbage() -> None:
    data = callbacks.pack("appr", 12, "y")
    assert callbacks.parse(data) == callbacks.Callback("appr", ("12", "y"))
    assert callbacks.parse("x" * 65) is None
    assert callbacks.parse("w0:appr:1") is None
    assert callbacks.parse("w1:appr:<script>") is None
    with pytest.raises(ValueError):
        callbacks.pack("appr", "a:b")
    with pytest.raises(callbacks.CallbackTooLong):
        callbacks.pack("reg", *(["a" * 20] * 3))


def test_settings_from_toml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[telegram]\ntoken = "1:file"\n[bot]\nsuperadmins = [42]\n')
    monkeypatch.setenv("WILAYAH_TELEGRAM__TOKEN", "1:env")
    settings = Settings.load(config)
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "1:env"
    assert settings.bot.superadmins == [42]
    monkeypatch.setenv("WILAYAH_DATABASE__URL", "postgresql://u@h/db")
    assert Settings.load(config).database_url == "postgresql+asyncpg://u@h/db"


def test_bad_setting_is_one_line_and_exit_code_2(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[telegram]\nmode = "carrier-pigeon"\n')
    assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "telegram.mode" in err and "Traceback" not in err
    monkeypatch.chdir(tmp_path)
    config.unlink()
    assert main(["run"]) == 2
    assert "telegram.token" in capsys.readouterr().err


def test_logs_never_show_tokens_nik_or_phones() -> None:
    record = logging.makeLogRecord({
        "msg": "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/x "
               "nik 3277031234567890 phone +6281234567890", "levelname": "INFO"})
    text = RedactingFormatter().format(record)
    assert "AAHdq" not in text and "3277031234567890" not in text and "81234567890" not in text
