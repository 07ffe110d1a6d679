"""`python -m bench.bot_process run`: exactly `python -m bot.cli run`, with two bench switches.

* BENCH_RATE_LIMITER=off builds the application without PTB's AIORateLimiter, so figure 1
  measures what the bot can process rather than Telegram's 30 messages/s (which the limiter
  enforces inside the bot). Everything else — migrations, handlers, persistence, the update
  processor — is the code `wilayah-bot run` executes.
* If the application comes up without the reminder/broadcast scheduler (while that wiring is
  unfinished), it is installed here with its defaults, so figures 2 and 3 exercise the real
  dispatcher and broadcast worker inside the bot process. When the bot installs it itself,
  nothing is added.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _patched_builder(build: Any) -> Any:
    def build_application(settings: Any, **kwargs: Any) -> Any:
        if os.environ.get("BENCH_RATE_LIMITER") == "off":
            kwargs["rate_limiter"] = False
        app = build(settings, **kwargs)
        _install_scheduler_if_missing(app)
        return app

    return build_application


def _install_scheduler_if_missing(app: Any) -> None:
    post_init = app.post_init

    async def with_scheduler(application: Any) -> None:
        if post_init is not None:
            await post_init(application)
        from bot.context import SERVICES_KEY
        from scheduler.alarm import install, scheduler_of

        if scheduler_of(application) is None:
            services = application.bot_data[SERVICES_KEY]
            install(application, database=services.db, settings=services.settings,
                    clock=services.clock)
            print("bench: scheduler installed by bench.bot_process", file=sys.stderr)

    app.post_init = with_scheduler


def main() -> int:
    import bot.runner
    from bot import cli

    bot.runner.build_application = _patched_builder(bot.runner.build_application)
    return cli.main(sys.argv[1:] or ["run"])


if __name__ == "__main__":
    sys.exit(main())
