"""`python -m vismasync` is the `vismasync` command."""

from vismasync.deployments.cli import main

main()
