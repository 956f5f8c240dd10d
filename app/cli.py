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

    @app.cli.command("process-waitlist")
    def process_waitlist_command() -> None:
        """Expire lapsed offers and pass their seats on (run it every few minutes)."""
        from .services.mail import send_due
        from .services.waitlist import expire_due

        expired = expire_due()
        db.session.commit()
        report = send_due()
        click.echo(f"{expired} offer(s) expired; {report.sent} mail(s) sent.")

    @app.cli.command("send-mail")
    def send_mail_command() -> None:
        """Deliver every message of the outbox that is due (run it from cron)."""
        from .services.mail import reset_circuit, send_due

        reset_circuit()
        report = send_due(limit=10_000)
        click.echo(f"{report.sent} sent, {report.retried} to retry, {report.failed} failed.")
        for error in report.errors[:5]:
            click.echo(f"  {error}", err=True)

    @app.cli.command("send-reminders")
    def send_reminders_command() -> None:
        """Queue and send the reminder for tomorrow's sessions (once per booking)."""
        from .services.mail import send_due
        from .services.reminders import queue_reminders

        queued = queue_reminders()
        db.session.commit()
        report = send_due(limit=10_000)
        click.echo(f"{queued} reminder(s) queued; {report.sent} mail(s) sent.")

    @app.cli.command("create-user")
    @click.option("--email", required=True, help="The staff member's e-mail address.")
    @click.option("--role", required=True, type=click.Choice(["admin", "organiser", "checkin"]))
    @click.option("--name", default="", help="Full name, shown in the audit log.")
    @click.option("--password", help="Prompted for (hidden) when not given.")
    def create_user_command(email: str, role: str, name: str, password: str | None) -> None:
        """Create a staff account, or reset its role and password."""
        from .models import Role
        from .services.accounts import create_user
        from .services.errors import DomainError

        if not password:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = create_user(email, Role(role), password, name)
        except DomainError as error:
            raise click.ClickException(error.message()) from None
        db.session.commit()
        click.echo(f"Account {user.email} ({user.role.value}) saved.")

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
                f"session {difference.session_id}: {difference.counter} {difference.stored}, "
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
