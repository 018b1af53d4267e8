"""Options shared by several commands of the CLI."""

from __future__ import annotations

from pathlib import Path

import click


def fetch_options(command):
    """--from (a local mirror) and --force, as every fetch command takes them."""
    command = click.option("--force", is_flag=True, help="Fetch again even if verified copies exist.")(
        command
    )
    return click.option(
        "--from", "mirror", type=click.Path(path_type=Path), help="Local mirror (or COUPLET_DATA_MIRROR)."
    )(command)


def search_options(command):
    """-n, the search options and --json, shared by the commands that write lines."""
    options = [
        click.option("-n", "n", default=3, show_default=True, help="How many lines."),
        click.option("--beams", default=5, show_default=True),
        click.option("--sample", is_flag=True, help="Sample instead of beam search (varied output)."),
        click.option("--temperature", default=1.0, show_default=True),
        click.option("--top-k", default=20, show_default=True),
        click.option("--seed", type=int, help="Seed for --sample."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
