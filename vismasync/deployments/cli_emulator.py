"""`vismasync emulator ...`: start an offline emulator of one of the Visma APIs.

This is the only production module that imports ``vismasync.emulators``; the sync code never does.
"""

import typer

emulator_app = typer.Typer(
    help="Run an offline emulator of a Visma API: a real HTTP server built from the spec.",
    no_args_is_help=True,
)
