"""`vismasync emulator ...`: start an offline emulator of one of the Visma APIs.

This is the only production module that imports ``vismasync.emulators``; the sync code never does.
"""

import typer

emulator_app = typer.Typer(
    help="Run an offline emulator of a Visma API: a real HTTP server built from the spec.",
    no_args_is_help=True,
)

from vismasync.emulators.eaccounting.cli import run_eaccounting  # noqa: E402
from vismasync.emulators.vismanet.cli import run_vismanet  # noqa: E402

emulator_app.command("eaccounting")(run_eaccounting)
emulator_app.command("vismanet")(run_vismanet)
