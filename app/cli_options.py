"""Options shared by several commands of the CLI."""

from __future__ import annotations

from pathlib import Path

import click


def fetch_options(command):
    """--from (a local mirror) and --force, as every fetch command takes them."""
    command = click.option("--force", is_flag=True, help="Fetch again even if verified copies exist.")(command)
    return click.option("--from", "mirror", type=click.Path(path_type=Path),
                        help="Local mirror (or COUPLET_DATA_MIRROR).")(command)
