"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask

from .extensions import db
from .timeutil import paris, utcnow


def register_cli(app: Flask) -> None:
    """Attach the commands to ``app``."""

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the Minér'Alès programme (running it twice duplicates nothing)."""
        from .database import begin_write
        from .demo import seed_demo

        begin_write()
        events, sessions = seed_demo(paris(utcnow()).date())
        db.session.commit()
        click.echo(f"Demo programme: {events} events and {sessions} sessions created.")

    @app.cli.command("check-ledger")
    @click.option("--fix", is_flag=True, help="Repair the counters that differ.")
    def check_ledger_command(fix: bool) -> None:
        """Recompute every seat counter from the bookings and report differences."""
        from .database import begin_write
        from .services.ledger import check_ledger, repair_ledger

        if fix:
            begin_write()
        differences = check_ledger()
        for difference in differences:
            click.echo(
                f"session {difference.session_id}: counter {difference.stored}, "
                f"bookings add up to {difference.expected}"
            )
        if not differences:
            click.echo("Ledger OK: every counter matches its bookings.")
            return
        if fix:
            repair_ledger(differences)
            db.session.commit()
            click.echo(f"Repaired {len(differences)} counter(s).")
        else:
            raise SystemExit(1)
