"""Staff sign-in: roles land where they work; failures slow down, then lock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Role, StaffUser
from app.services.accounts import create_user
from app.timeutil import utcnow

from .conftest import STAFF_PASSWORD
from .helpers import form_fields


def account(app, role: str = "organiser", email: str = "marie@mines-ales.fr") -> None:
    """Create a staff account."""
    with app.app_context():
        create_user(email, Role(role), STAFF_PASSWORD)
        db.session.commit()


def attempt(client, email: str, password: str, next_url: str = ""):
    """Post the login form as a browser would."""
    fields = form_fields(client.get(f"/login?next={next_url}").get_data(as_text=True))
    return client.post("/login", data={**fields, "email": email, "password": password})


def test_organisers_land_on_the_dashboard_and_door_staff_on_check_in(app, client):
    account(app, "organiser", "orga@mines-ales.fr")
    account(app, "checkin", "door@mines-ales.fr")
    assert attempt(client, "orga@mines-ales.fr", STAFF_PASSWORD).headers["Location"] == "/admin/"
    other = app.test_client()
    assert attempt(other, "Door@Mines-Ales.fr", STAFF_PASSWORD).headers["Location"] == "/checkin/"


def test_wrong_password_and_unknown_address_get_the_same_answer(app, client):
    account(app)
    wrong = attempt(client, "marie@mines-ales.fr", "nope-nope-nope")
    unknown = attempt(client, "nobody@mines-ales.fr", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    message = "Adresse e-mail ou mot de passe incorrect."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_repeated_failures_are_slowed_down_then_locked(app, client):
    account(app)
    for _ in range(3):
        assert attempt(client, "marie@mines-ales.fr", "wrong-password").status_code == 401
    slowed = attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD)  # even the right one must wait
    assert slowed.status_code == 429
    assert "Patientez" in slowed.get_data(as_text=True)

    with app.app_context():  # time passes
        user = db.session.scalar(select(StaffUser))
        user.last_failed_at = utcnow() - timedelta(minutes=5)
        user.failed_logins = 7
        db.session.commit()
    assert attempt(client, "marie@mines-ales.fr", "wrong-password").status_code == 401  # the 8th
    locked = attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD)
    assert locked.status_code == 429
    assert "verrouillé" in locked.get_data(as_text=True)

    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD).status_code == 303


def test_next_only_follows_local_paths(app, client):
    account(app)
    assert (
        attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD, "/admin/events").headers["Location"]
        == "/admin/events"
    )
    other = app.test_client()
    assert (
        attempt(other, "marie@mines-ales.fr", STAFF_PASSWORD, "https://evil.example/").headers[
            "Location"
        ]
        == "/admin/"
    )


def test_logout_is_a_post_and_ends_the_session(app, client, staff_login):
    staff_login(client, "organiser")
    assert client.get("/admin/").status_code == 200
    token = form_fields(client.get("/admin/").get_data(as_text=True))["csrf_token"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/admin/").status_code == 302


def test_create_user_command(app, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Ana@Mines-Ales.fr",
            "--role",
            "checkin",
            "--password",
            "long-enough-1",
        ]
    )
    assert result.exit_code == 0, result.output
    weak = runner.invoke(
        args=["create-user", "--email", "b@mines-ales.fr", "--role", "admin", "--password", "short"]
    )
    assert weak.exit_code != 0 and "10 caractères" in weak.output
    prompted = runner.invoke(
        args=["create-user", "--email", "c@mines-ales.fr", "--role", "organiser"],
        input="long-enough-2\nlong-enough-2\n",
    )
    assert prompted.exit_code == 0, prompted.output
    with app.app_context():
        roles = {u.email: u.role for u in db.session.scalars(select(StaffUser))}
        assert roles == {"ana@mines-ales.fr": Role.CHECKIN, "c@mines-ales.fr": Role.ORGANISER}
        assert all(
            u.password_hash.startswith(("scrypt:", "pbkdf2:"))
            for u in db.session.scalars(select(StaffUser))
        )
