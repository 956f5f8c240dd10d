"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from .database import commit_now
from .timeutil import paris, utcnow


def register_cli(app: Flask) -> None:
    """Attach the commands to ``app``."""

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the Minér'Alès programme (running it twice duplicates nothing)."""
        from .database import writing
        from .demo import seed_demo

        with writing():
            events, sessions = seed_demo(paris(utcnow()).date())
        commit_now()
        click.echo(f"Demo programme: {events} events and {sessions} sessions created.")

    @app.cli.command("process-waitlist")
    def process_waitlist_command() -> None:
        """Expire lapsed offers and pass their seats on (run it every few minutes)."""
        from .services.mail import send_due
        from .services.waitlist import expire_due

        expired = expire_due()
        commit_now()
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
        """Queue and send the reminders now due (each once per booking), then send them."""
        from .services.mail import send_due
        from .services.reminders import queue_reminders

        queued = queue_reminders()
        commit_now()
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
        commit_now()
        click.echo(f"Account {user.email} ({user.role.value}) saved.")

    @app.cli.command("check-ledger")
    @click.option("--fix", is_flag=True, help="Repair the counters that differ.")
    def check_ledger_command(fix: bool) -> None:
        """Recompute every seat counter from the bookings and report differences."""
        from .services.ledger import check_ledger, repair_ledger

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
            # Counted again under each session's lock: a booking may have committed since.
            repaired = repair_ledger(differences)
            commit_now()
            for repair in repaired:
                click.echo(
                    f"session {repair.session_id}: {repair.counter} set to {repair.expected}"
                )
            click.echo(f"Repaired {len(repaired)} counter(s).")
        else:
            raise SystemExit(1)

    @app.cli.command("purge-personal-data")
    @click.option(
        "--days",
        type=click.IntRange(min=0),
        default=None,
        help="Anonymise sessions that ended this many days ago or more "
        "(default: PERSONAL_DATA_RETENTION_DAYS, 30).",
    )
    def purge_personal_data_command(days: int | None) -> None:
        """Anonymise the people's details of past sessions; the statistics stay (run it daily)."""
        from .services.privacy import purge_personal_data, retention_days

        days = retention_days() if days is None else days
        report = purge_personal_data(days)
        commit_now()
        click.echo(
            f"Sessions ended {days} or more days ago, anonymised: bookings {report.bookings}, "
            f"standby entries {report.standby_entries}, mails {report.outbox_messages}, "
            f"audit entries {report.audit_entries}."
        )

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write a consistent backup of the whole database to PATH (it holds personal data)."""
        from .services.backup import BackupError, backup_database

        try:
            result = backup_database(path)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Backup written to {result.path} ({result.size} bytes, {result.method}).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(path: Path, yes: bool) -> None:
        """Replace the WHOLE database with the backup at PATH, then check the seat ledger."""
        from .services.backup import BackupError, restore_database
        from .services.ledger import check_ledger

        if not yes:
            click.confirm(
                f"Every booking made since {path} was written will be lost. Restore it?",
                abort=True,
            )
        try:
            restore_database(path)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Database restored from {path}.")
        differences = check_ledger()
        if differences:
            click.echo(
                f"{len(differences)} seat counter(s) differ from their bookings: "
                "run 'flask --app wsgi check-ledger --fix'.",
                err=True,
            )
            raise SystemExit(1)
        click.echo("Ledger OK: every counter matches its bookings.")
