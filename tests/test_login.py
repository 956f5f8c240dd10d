"""Staff sign-in: roles land where they work; failures slow down, never lock anyone out."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import LoginThrottle, Role, StaffUser
from app.services import accounts
from app.services.accounts import create_user

from .conftest import STAFF_PASSWORD
from .helpers import form_fields


def account(app, role: str = "organiser", email: str = "marie@mines-ales.fr") -> None:
    """Create a staff account."""
    with app.app_context():
        create_user(email, Role(role), STAFF_PASSWORD)
        db.session.commit()


def attempt(client, email: str, password: str, next_url: str = ""):
    """Post the login form as a browser would."""
    page = client.get("/login", query_string={"next": next_url} if next_url else None)
    fields = form_fields(page.get_data(as_text=True))
    return client.post("/login", data={**fields, "email": email, "password": password})


def from_address(app, address: str):
    """A test client whose requests come from ``address`` (documentation ranges only)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def shown(response, email: str) -> str:
    """The page as a comparison sees it: without the typed address, token and seconds."""
    html = response.get_data(as_text=True).replace(email, "ADDRESS")
    html = re.sub(r"[\w-]{20,}\.[\w-]+\.[\w-]+", "TOKEN", html)  # signed CSRF tokens
    return re.sub(r"\d+(\s|\u00a0|\u202f)secondes?", "N secondes", html)


def waits(response) -> int | None:
    """The seconds a throttled answer asks to wait."""
    found = re.search(r"(\d+)(?:\s|\u00a0|\u202f)secondes?", response.get_data(as_text=True))
    return int(found.group(1)) if found else None


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


def test_a_real_and_an_unknown_address_get_the_same_answers_over_many_failures(app):
    account(app)
    client = from_address(app, "198.51.100.7")
    answers = []
    for _ in range(8):
        real = attempt(client, "marie@mines-ales.fr", "wrong-password")
        unknown = attempt(client, "nobody@mines-ales.fr", "wrong-password")
        assert real.status_code == unknown.status_code, answers
        assert shown(real, "marie@mines-ales.fr") == shown(unknown, "nobody@mines-ales.fr")
        real_wait, unknown_wait = waits(real), waits(unknown)
        assert (real_wait is None) == (unknown_wait is None)
        if real_wait is not None:
            assert abs(real_wait - unknown_wait) <= 1
        assert real.headers.get("Retry-After") is not None or real.status_code == 401
        answers.append(real.status_code)
    assert answers[:3] == [401, 401, 401] and 429 in answers  # the real one is slowed too


def test_a_stranger_failing_for_an_address_does_not_keep_its_owner_out(app):
    account(app, "checkin", "door@mines-ales.fr")
    stranger = from_address(app, "203.0.113.66")
    for _ in range(20):
        assert attempt(stranger, "door@mines-ales.fr", "guess-guess").status_code in (401, 429)
    assert attempt(stranger, "door@mines-ales.fr", STAFF_PASSWORD).status_code == 429
    door = from_address(app, "198.51.100.20")  # the tablet, on the venue's network
    signed_in = attempt(door, "door@mines-ales.fr", STAFF_PASSWORD)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/checkin/"


@pytest.mark.app_config(PROXY_FIX_X_FOR=1)
def test_parallel_wrong_guesses_are_all_counted(app, live_server):
    account(app)
    guesses = 8
    clients = []
    for number in range(guesses):
        http = requests.Session()
        http.headers["X-Forwarded-For"] = f"203.0.113.{10 + number}"
        fields = form_fields(http.get(f"{live_server}/login", timeout=30).text)
        clients.append((http, fields))
    barrier = threading.Barrier(guesses)
    statuses: list[int] = []

    def guess(http: requests.Session, fields: dict[str, str]) -> None:
        """Post a wrong password at the same instant as the others."""
        barrier.wait(timeout=30)
        data = {**fields, "email": "marie@mines-ales.fr", "password": "wrong-password"}
        response = http.post(f"{live_server}/login", data=data, timeout=60)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=client) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [401] * guesses
    with app.app_context():
        assert accounts.failures_recorded("marie@mines-ales.fr") == guesses
        assert accounts.failures_recorded("marie@mines-ales.fr", client="203.0.113.10") == 1


def rewind(app, seconds: float) -> None:
    """Time passes: every counted failure happened ``seconds`` earlier."""
    with app.app_context():
        for row in db.session.scalars(select(LoginThrottle)):
            row.last_failed_at -= timedelta(seconds=seconds)
        db.session.commit()


def test_repeated_failures_are_slowed_down_but_never_locked(app, client):
    account(app)
    for _ in range(3):
        assert attempt(client, "marie@mines-ales.fr", "wrong-password").status_code == 401
    slowed = attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD)  # even the right one must wait
    assert slowed.status_code == 429
    assert "Patientez" in slowed.get_data(as_text=True)
    assert 1 <= int(slowed.headers["Retry-After"]) <= 5

    for _ in range(17):  # 20 failures in all, each after the wait it was asked for
        rewind(app, 61)
        assert attempt(client, "marie@mines-ales.fr", "wrong-password").status_code == 401
    waiting = attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD)
    assert waiting.status_code == 429 and "verrouillé" not in waiting.get_data(as_text=True)
    assert int(waiting.headers["Retry-After"]) <= 60  # at most a minute, however many failures
    rewind(app, 61)
    assert attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD).status_code == 303
    with app.app_context():  # the right password wiped this client's count
        assert accounts.failures_recorded("marie@mines-ales.fr", client="127.0.0.1") == 0
        assert accounts.failures_recorded("marie@mines-ales.fr") == 20


def test_many_clients_failing_for_one_address_slow_down_those_that_failed(app):
    account(app)
    guessers = [from_address(app, f"203.0.113.{number}") for number in range(1, 11)]
    for number, guesser in enumerate(guessers):
        assert attempt(guesser, "marie@mines-ales.fr", "wrong-password").status_code == 401
        if number == 0:
            first_failed = time.monotonic()
    again = attempt(guessers[0], "marie@mines-ales.fr", "wrong-password")
    assert again.status_code == 429  # its second try, which alone would have been free
    # 30 s from its own last failure, however long the other nine took to be refused.
    waited = time.monotonic() - first_failed
    assert 30 - waited - 1 <= int(again.headers["Retry-After"]) <= 30
    owner = from_address(app, "198.51.100.3")  # no failure of its own: not held back
    assert attempt(owner, "marie@mines-ales.fr", STAFF_PASSWORD).status_code == 303
    rewind(app, 31)
    assert attempt(guessers[0], "marie@mines-ales.fr", "wrong-password").status_code == 401


def test_counts_are_forgotten_after_a_quiet_quarter_of_an_hour(app, client):
    account(app)
    for _ in range(3):
        attempt(client, "marie@mines-ales.fr", "wrong-password")
    rewind(app, 15 * 60)
    with app.app_context():
        assert accounts.failures_recorded("marie@mines-ales.fr", client="127.0.0.1") == 0
    for _ in range(3):  # three free attempts again
        assert attempt(client, "marie@mines-ales.fr", "wrong-password").status_code == 401
    with app.app_context():
        assert accounts.failures_recorded("marie@mines-ales.fr", client="127.0.0.1") == 3


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


@pytest.mark.parametrize(
    "target",
    [
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "/%2F%2Fevil.example",
        "/\t/evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_never_leaves_the_site(app, client, target):
    account(app)
    signed_in = attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD, target)
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/admin/", target
    with app.test_request_context():  # the language switch uses the same check
        from flask import url_for

        switch = url_for("public.choose_language", language="en", next=target)
    assert client.get(switch).headers["Location"] == "/", target


def test_next_to_a_staff_page_is_honoured(app, client):
    account(app)
    signed_in = attempt(client, "marie@mines-ales.fr", STAFF_PASSWORD, "/admin/sessions")
    assert signed_in.headers["Location"] == "/admin/sessions"
