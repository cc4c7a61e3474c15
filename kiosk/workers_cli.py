"""``flask --app kiosk workers …``: community workers' accounts (a thin layer over :mod:`core.workers`).

A new password is made up and printed once (``add``, ``reset``), or read from standard input with
``--password-stdin`` (for scripts). Every change is in the audit log, as ``cli``.
"""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from core import workers
from core.actions import admin

from .db import get_db

workers_cli = AppGroup("workers", help="Community workers' accounts: add, disable, enable, reset, list.")


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, shown): read from standard input, or made up (and then printed)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return workers.generate_password(), True


@workers_cli.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(workers.ROLES), default="worker", show_default=True,
              help="admin: may also read and export the audit log.")
@click.option("--display-name", default="", help="The name shown on the worker's pages (default: NAME).")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from standard input instead of making one up.")
@click.option("--reset", is_flag=True, help="If NAME exists: give it a new password and enable it (idempotent set-up, as `make run` does).")
def add_command(name: str, role: str, display_name: str, from_stdin: bool, reset: bool) -> None:
    """Add a worker who may log in at /worker/login; prints the new password once."""
    password, shown = _password(from_stdin)
    try:
        worker, done = admin.add_worker(get_db(), name, password, role=role, display_name=display_name, reset=reset)
        name = worker.login if done == "added" else name
    except workers.WorkerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"worker {workers.normalise_login(name)!r} {done}" + (f"; password: {password}" if shown else ""))


@workers_cli.command("reset")
@click.argument("name")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from standard input instead of making one up.")
def reset_command(name: str, from_stdin: bool) -> None:
    """Give a worker a new password (printed once); their open sessions end."""
    password, shown = _password(from_stdin)
    try:
        admin.reset_password(get_db(), name, password)
    except workers.WorkerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"worker {workers.normalise_login(name)!r}: new password" + (f": {password}" if shown else " set"))


@workers_cli.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Stop a worker from logging in; their open sessions end at their next page."""
    try:
        admin.disable_worker(get_db(), name)
    except workers.WorkerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"worker {workers.normalise_login(name)!r} disabled")


@workers_cli.command("enable")
@click.argument("name")
def enable_command(name: str) -> None:
    """Let a disabled worker log in again."""
    try:
        admin.enable_worker(get_db(), name)
    except workers.WorkerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"worker {workers.normalise_login(name)!r} enabled")


@workers_cli.command("list")
def list_command() -> None:
    """List the workers: login, role, enabled or disabled, display name, created, last changed."""
    for worker in workers.all_workers(get_db()):
        click.echo("\t".join([worker.login, worker.role, "disabled" if worker.disabled else "enabled",
                              worker.display_name, worker.created_at, worker.changed_at]))


def init_app(app: Flask) -> None:
    app.cli.add_command(workers_cli)
