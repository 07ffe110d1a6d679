"""The `wilayah-bot` command: run, demo, db upgrade, regions import, admin add."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.clock import SystemClock
from bot.db import Database
from bot.errors import DomainError
from bot.i18n import Translator
from bot.logs import configure_logging
from bot.settings import Settings

log = logging.getLogger("wilayah")
EXIT_CONFIG = 2


class ConfigProblem(Exception):
    """A missing or invalid setting: one line naming the key and the fix."""


def load_settings(config: str | None) -> Settings:
    try:
        return Settings.load(config)
    except FileNotFoundError as error:
        raise ConfigProblem(f"{error}. Copy config.example.toml to config.toml or set "
                            "WILAYAH_CONFIG to an existing file.") from None
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        env = "WILAYAH_" + "__".join(str(part).upper() for part in first["loc"])
        raise ConfigProblem(f"invalid setting {key}: {first['msg']}. Fix it in config.toml "
                            f"or set {env}.") from None
    except ValueError as error:
        raise ConfigProblem(f"invalid configuration: {error}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wilayah-bot", description=(
        "Wilayah: Telegram bot for regional government field officials."))
    parser.add_argument("--config", help="path of config.toml (default: $WILAYAH_CONFIG, "
                                         "else ./config.toml if present)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="run the bot (polling or webhook, per settings); "
                                    "applies pending database migrations first")
    demo = commands.add_parser("demo", help="try the bot in a browser with a built-in Telegram "
                                            "simulator; no token, no internet")
    demo.add_argument("--reset", action="store_true", help="start from clean demo data")
    demo.add_argument("--port", type=int, help="web page port (default 8080)")
    demo.add_argument("--data-dir", help="where the demo keeps its database (default "
                                         "./demo-data)")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply pending migrations")
    db_commands.add_parser("backup", help="copy the database to FILE (safe while the bot "
                                          "runs)").add_argument("file", type=Path)
    db_commands.add_parser("restore", help="replace the database with FILE (stop the bot "
                                           "first)").add_argument("file", type=Path)

    regions = commands.add_parser("regions", help="region data")
    region_commands = regions.add_subparsers(dest="regions_command", required=True,
                                             metavar="ACTION")
    region_import = region_commands.add_parser(
        "import", help="import regions from a CSV file with the header kode,nama "
                       "(Kemendagri codes); importing twice changes nothing")
    region_import.add_argument("file", type=Path)

    admin = commands.add_parser("admin", help="officials with admin rights")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    add = admin_commands.add_parser("add", help="create or promote an admin or superadmin")
    add.add_argument("--telegram-id", type=int, required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["admin", "superadmin"], default="admin")
    add.add_argument("--region", help="kab/kota code for an admin, e.g. 32.77")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        configure_logging(settings.logging.level, json_format=settings.logging.json_format)
        return _dispatch(args, settings)
    except ConfigProblem as problem:
        print(f"wilayah-bot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        from bot.runner import run

        if settings.telegram.token is None:
            raise ConfigProblem("missing setting telegram.token: put token = \"…\" under "
                                "[telegram] in config.toml, or set WILAYAH_TELEGRAM__TOKEN. "
                                "To try the bot without a token, run: wilayah-bot demo")
        if settings.telegram.mode == "webhook" and not settings.telegram.webhook_url:
            raise ConfigProblem("missing setting telegram.webhook_url (required when "
                                "telegram.mode = \"webhook\"); or set "
                                "WILAYAH_TELEGRAM__WEBHOOK_URL")
        return run(settings)
    if args.command == "demo":
        from demo.runner import run_demo

        return run_demo(settings, reset=args.reset, port=args.port,
                        data_dir=Path(args.data_dir) if args.data_dir else None)
    if args.command == "db":
        if args.db_command in ("backup", "restore"):
            from bot.backup import main as backup_main

            return backup_main(args.db_command, settings.database_url, args.file)
        from bot.migrate import upgrade

        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "regions":
        return asyncio.run(_import_regions(settings, args.file))
    if args.command == "admin":
        return asyncio.run(_add_admin(settings, args))
    return 1


async def _with_db(settings: Settings, work: Any) -> Any:
    from bot.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            return await work(session)
    finally:
        await database.dispose()


async def _import_regions(settings: Settings, path: Path) -> int:
    from bot.services.regions import RegionFileError, import_regions, parse_regions_csv

    try:
        rows = parse_regions_csv(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        print(f"wilayah-bot: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1
    except RegionFileError as error:
        print(f"wilayah-bot: {path}: {error}; nothing was imported", file=sys.stderr)
        return 1
    try:
        added, updated = await _with_db(settings, lambda s: import_regions(s, rows))
    except RegionFileError as error:
        print(f"wilayah-bot: {path}: {error.reason}; nothing was imported", file=sys.stderr)
        return 1
    print(f"{len(rows)} regions read: {added} added, {updated} renamed, "
          f"{len(rows) - added - updated} unchanged")
    return 0


async def _add_admin(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.officials import add_admin
    from bot.services.regions import ensure_pilot_regions
    from models.officials import Role

    async def work(session: Any) -> Any:
        await ensure_pilot_regions(session)
        return await add_admin(session, SystemClock(), telegram_id=args.telegram_id,
                               full_name=args.name, role=Role(args.role), region_code=args.region)

    try:
        official = await _with_db(settings, work)
    except DomainError as error:
        print(f"wilayah-bot: {Translator('en')(error.key)}", file=sys.stderr)
        return 1
    print(f"{official.role} {official.full_name} (Telegram id {official.telegram_id}) is active")
    return 0


if __name__ == "__main__":
    sys.exit(main())
