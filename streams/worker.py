"""Running the Faust worker programmatically with cloudpulse settings.

Usage::

    run_worker(settings)   # blocks; SIGTERM/SIGINT stop it gracefully
"""

from __future__ import annotations

import faust

from streams.app import build_app
from streams.settings import Settings


def run_worker(settings: Settings, **components: object) -> None:
    app = build_app(settings, **components)
    # The programmatic Worker honours conf.web_enabled (the `faust worker` command would turn
    # the web server on, bound to 0.0.0.0, unless told otherwise).
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        quiet=True,
        redirect_stdouts=False,
        override_logging=True,
    )
    worker.execute_from_commandline()
