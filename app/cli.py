"""Command-line tasks: ``flask --app wsgi <command>``.

Cron runs the periodic commands on every host at the same minute (deploy/crontab), so each
one must be right when two run at once; docs/deployment.md says how each one is, and why:

* ``send-mail`` and ``process-waitlist`` share the work row by row: every message is
  claimed before it is sent (services/mail/claims.py), and an offer is expired under its
  session's lock after being read again (services/waitlist.py), so a second run finds it
  done.
* ``send-reminders`` and ``purge-personal-data`` are one batch over many rows: the first
  host to start takes a PostgreSQL advisory lock for its transaction, and a host that finds
  it taken has nothing to do (``only_one_host``). Without it the second batch would queue
  behind the first's row locks and, for the purge, could deadlock with it.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import text

from .database import commit_now
from .extensions import db
from .timeutil import paris, utcnow


def advisory_key(name: str) -> int:
    """A stable 64-bit key for the advisory lock of command ``name`` (signed, as PostgreSQL's)."""
    digest = hashlib.sha256(f"minerales:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def only_one_host(name: str) -> bool:
    """Take command ``name``'s lock for the open writer's transaction; False if another has it.

    PostgreSQL releases a transaction's advisory lock at its commit or rollback, so a host
    that crashed holds nothing. SQLite is one file on one host, where BEGIN IMMEDIATE
    already puts writers one after the other: nothing to take.
    """
    if db.engine.dialect.name != "postgresql":
        return True
    taken = db.session.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": advisory_key(name)}
    ).scalar_one()
    return bool(taken)


def skipped(name: str) -> None:
    """Say that another host is running ``name`` right now."""
    click.echo(f"{name}: another host is running it right now; nothing done here.")


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
        """Release due group holds, expire lapsed offers, pass their seats on (every few minutes).

        Then the wishes of parties that are in, or whose session has started, end.
        """
        from .services.group_holds import release_due
        from .services.mail import send_due
        from .services.waitlist import end_spent_wishes, expire_due

        # Group holds first: the seats they give back go to the list's next offers.
        released = release_due()
        commit_now()
        expired = expire_due()
        commit_now()
        spent = end_spent_wishes()
        commit_now()
        report = send_due()
        click.echo(
            f"{released} group hold(s) released; {expired} offer(s) expired; "
            f"{spent} wish(es) ended; {report.sent} mail(s) sent."
        )

    @app.cli.command("send-mail")
    @click.option(
        "--every",
        type=click.FloatRange(min=0.1),
        default=None,
        help="Keep running: a pass every this many seconds (deploy/systemd/minerales-mailer).",
    )
    def send_mail_command(every: float | None) -> None:
        """Deliver every message of the outbox that is due (run it from cron, or --every)."""
        from .services.mail import reset_circuit, send_due

        while True:
            reset_circuit()
            report = send_due(limit=10_000)
            if every is None or report.sent or report.retried or report.failed:
                click.echo(
                    f"{report.sent} sent, {report.retried} to retry, {report.failed} failed."
                )
            for error in report.errors[:5]:
                click.echo(f"  {error}", err=True)
            if every is None:
                return
            db.session.remove()  # no connection held between passes
            time.sleep(every)

    @app.cli.command("send-reminders")
    def send_reminders_command() -> None:
        """Queue and send the reminders now due (each once per booking), then send them."""
        from .database import writing
        from .services.mail import send_due
        from .services.reminders import queue_reminders

        with writing():
            ours = only_one_host("send-reminders")
            queued = queue_reminders() if ours else 0
        commit_now()
        if not ours:
            skipped("send-reminders")
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
        from .database import writing
        from .services.privacy import purge_personal_data, retention_days

        days = retention_days() if days is None else days
        with writing():
            ours = only_one_host("purge-personal-data")
            report = purge_personal_data(days) if ours else None
        commit_now()
        if report is None:
            skipped("purge-personal-data")
            return
        click.echo(
            f"Sessions ended {days} or more days ago, anonymised: bookings {report.bookings}, "
            f"standby entries {report.standby_entries}, mails {report.outbox_messages}, "
            f"audit entries {report.audit_entries}, answers {report.answers}."
        )

    @app.cli.command("collect-assets")
    @click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
    def collect_assets_command(folder: Path) -> None:
        """Copy the static files to FOLDER/assets/<digest>/<path>, for nginx (deploy/nginx/)."""
        from .assets import collect_assets

        written = collect_assets(folder)
        click.echo(f"{written} file(s) collected under {folder / 'assets'}.")

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

    @app.cli.command("add-series")
    @click.option("--event", "event_id", type=int, required=True, help="The event's id.")
    @click.option("--from", "first_day", required=True, help="First day, YYYY-MM-DD.")
    @click.option("--to", "last_day", required=True, help="Last day, YYYY-MM-DD.")
    @click.option("--weekdays", required=True, help="e.g. tue,wed,thu,fri (or mar,mer,jeu,ven).")
    @click.option("--times", required=True, help="Start times, Paris time, e.g. 14:00,15:00.")
    @click.option("--minutes", required=True, help="How long each session lasts.")
    @click.option("--capacity", required=True, help="Seats of each session.")
    @click.option("--opens", default="", help="When booking opens, Paris time (YYYY-MM-DDTHH:MM).")
    @click.option(
        "--closes-minutes", default="", help="Booking closes this long before each start."
    )
    @click.option("--dry-run", is_flag=True, help="Show what would be created; create nothing.")
    def add_series_command(
        event_id: int,
        first_day: str,
        last_day: str,
        weekdays: str,
        times: str,
        minutes: str,
        capacity: str,
        opens: str,
        closes_minutes: str,
        dry_run: bool,
    ) -> None:
        """Create the sessions of a rule for an event, all in one transaction (or none)."""
        from .services import series
        from .services.errors import DomainError
        from .services.series_errors import SeriesInvalid

        raw = series.SeriesInput(
            first_day, last_day, weekdays, times, minutes, capacity, opens, closes_minutes
        )
        try:
            rule = series.parse_rule(raw)
            plan = series.plan_series(event_id, rule)
            for row in plan.rows:
                mark = "skip (exists)" if row.exists else "create"
                problem = f"  ! {row.problem.message()}" if row.problem else ""
                click.echo(f"{mark:14} {paris(row.starts_at):%a %Y-%m-%d %H:%M}{problem}")
            if dry_run:
                click.echo(f"Dry run: {len(plan.new)} to create, {len(plan.skipped)} skipped.")
                return
            result = series.create_series(event_id, rule, actor="cli")
        except SeriesInvalid as error:
            for problem in error.problems:
                click.echo(f"{problem.field}: {problem.message()}", err=True)
            raise click.ClickException(error.message()) from None
        except DomainError as error:
            raise click.ClickException(error.message()) from None
        commit_now()
        click.echo(f"{len(result.created)} session(s) created, {result.skipped} skipped.")

    @app.cli.command("hold-seats")
    @click.option("--session", "session_id", type=int, required=True, help="The session's id.")
    @click.option("--seats", type=int, required=True, help="How many seats to hold.")
    @click.option("--label", required=True, help="The group: a class, an association.")
    @click.option(
        "--until", "until", required=True, help="Release time, ISO (Paris time if no offset)."
    )
    def hold_seats_command(session_id: int, seats: int, label: str, until: str) -> None:
        """Hold seats of a session for a group until a time; print the group's code."""
        from datetime import datetime

        from .services import group_holds
        from .services.errors import DomainError
        from .timeutil import PARIS

        try:
            release_at = datetime.fromisoformat(until)
        except ValueError:
            raise click.BadParameter(
                "an ISO date and time, e.g. 2027-05-04T12:00", param_hint="--until"
            ) from None
        if release_at.tzinfo is None:
            release_at = release_at.replace(tzinfo=PARIS)
        try:
            hold = group_holds.hold_seats(session_id, seats, label, release_at, actor="cli")
        except DomainError as error:
            raise click.ClickException(error.message()) from None
        commit_now()
        click.echo(hold.code)

    @app.cli.command("new-edition")
    @click.option("--from", "from_year", required=True, help="The edition (year) to copy.")
    @click.option("--week", required=True, help="A day of the new edition's week, YYYY-MM-DD.")
    @click.option("--dry-run", is_flag=True, help="Show what would be copied; copy nothing.")
    def new_edition_command(from_year: str, week: str, dry_run: bool) -> None:
        """Copy an edition's events, specimens and sessions onto a week, booking closed."""
        from .services import editions
        from .services.errors import DomainError

        try:
            year, day = editions.parse_copy(from_year, week)
            plan = editions.new_edition(year, day, actor="cli", dry_run=dry_run)
        except DomainError as error:
            raise click.ClickException(error.message()) from None
        commit_now()
        verb = "would be" if dry_run else "were"
        click.echo(
            f"Edition {plan.target_year} (week of {plan.week}) from {plan.source_year}: "
            f"{plan.new_events} event(s) and {plan.new_sessions} session(s) {verb} copied, "
            f"{plan.skipped_sessions} already there, {len(plan.specimens)} specimen(s) moved. "
            "Booking stays closed until opened."
        )
