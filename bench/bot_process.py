"""`python -m bench.bot_process run`: exactly `python -m bot.cli run`, with one bench switch.

BENCH_RATE_LIMITER=off builds the application without PTB's AIORateLimiter, so figure 1
measures what the bot can process rather than Telegram's 30 messages/s (which the limiter
enforces inside the bot). Everything else — migrations, handlers, persistence, the update
processor, the scheduler — is the code `wilayah-bot run` executes.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _patched_builder(build: Any) -> Any:
    def build_application(settings: Any, **kwargs: Any) -> Any:
        if os.environ.get("BENCH_RATE_LIMITER") == "off":
            kwargs["rate_limiter"] = False
        return build(settings, **kwargs)

    return build_application


def main() -> int:
    import bot.runner
    from bot import cli

    bot.runner.build_application = _patched_builder(bot.runner.build_application)
    return cli.main(sys.argv[1:] or ["run"])


if __name__ == "__main__":
    sys.exit(main())
