"""The API's OpenAPI document: valid, and true to what every operation answers.

schemathesis generates requests from the document (valid ones and, where it can, invalid
ones) and checks each answer: no 5xx, a documented status and content type, documented
headers present, and a body that matches its schema. The example counts stay small so
that the whole file runs in well under a minute on both databases.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.generation import GenerationMode

from app.extensions import db
from app.models import EventKind
from app.services import organiser

pytestmark = pytest.mark.app_config(LIVE_COUNTER_CACHE_SECONDS=0)


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any departure from the specification


def test_every_api_route_is_described(app, client):
    document = client.get("/api/openapi.json").get_json()
    described = {path.replace("{", "<").replace("}", ">") for path in document["paths"]}
    routes = {
        rule.rule.replace("<int:", "<")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == described


def test_any_site_may_read_the_api_without_credentials(client, make_session):
    make_session()
    for path in ("/api/openapi.json", "/api/sessions", "/api/events/999999"):
        response = client.get(path, headers={"Origin": "https://www.mines-ales.fr"})
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert "Set-Cookie" not in response.headers
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def test_the_document_answers_304_to_its_own_etag(client):
    first = client.get("/api/openapi.json")
    again = client.get("/api/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/api/sessions", "/api/events", "/api/programme/version"])
def test_lists_answer_304_until_something_changes(client, make_session, book_form, path):
    session_id = make_session(capacity=10)
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, no-cache"
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    unchanged = client.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert unchanged.headers["ETag"] == etag
    party = {"name": "Irène Joliot-Curie", "email": "irene@example.fr", "seats": "2"}
    booked = client.post(f"/sessions/{session_id}", data={**book_form(session_id), **party})
    assert booked.status_code in (200, 303)
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_sessions_filter_by_kind_and_event(client, make_session, app):
    film = make_session(kind=EventKind.FILM, title="Film")
    visit = make_session(kind=EventKind.VISIT, title="Visite")
    assert [s["id"] for s in client.get("/api/sessions?kind=film").get_json()] == [film]
    with app.app_context():
        event_id = db.session.get(organiser.EventSession, visit).event_id
    listed = client.get(f"/api/sessions?event={event_id}").get_json()
    assert [s["id"] for s in listed] == [visit]
    for bad in ("kind=", "kind=opera", "event=abc", "event=0", "event=", "event=1&event=2"):
        answer = client.get(f"/api/sessions?{bad}")
        assert answer.status_code == 400, bad
        assert answer.get_json()["error"]["status"] == 400


def test_events_list_their_sessions_and_feed(client, make_session, app):
    session_id = make_session(kind=EventKind.HIKE, title="Randonnée")
    events = client.get("/api/events").get_json()
    assert len(events) == 1
    assert events[0]["sessions"] == [session_id]
    assert events[0]["calendar_url"].endswith(f"/programme.ics?event={events[0]['slug']}")
    one = client.get(f"/api/events/{events[0]['id']}").get_json()
    assert one == events[0]
    assert client.get("/api/events?kind=film").get_json() == []
    assert client.get("/api/events/999999").status_code == 404


def fuzz(strategy, examples: int) -> None:
    """Run ``examples`` generated cases of ``strategy`` through every check."""

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case):
        # Over WSGI nothing decompresses the answer, as an HTTP client would.
        case.call_and_validate(headers={"Accept-Encoding": "identity"})

    run()


def test_every_operation_keeps_to_the_document(app, make_session):
    """schemathesis from the served document: valid and invalid requests, every operation."""
    make_session(capacity=5, kind=EventKind.FILM, title="Film du midi")
    make_session(capacity=1, starts_in=timedelta(minutes=30), title="Bientôt fermée")
    make_session(capacity=0, starts_in=timedelta(days=-1), title="Passée")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # The document's own address is left out by schemathesis; it is checked above.
    assert {op.label for op in operations} == {
        "GET /api/sessions",
        "GET /api/sessions/{session_id}",
        "GET /api/events",
        "GET /api/events/{event_id}",
        "GET /api/programme/version",
    }
    for operation in operations:
        fuzz(operation.as_strategy(GenerationMode.POSITIVE), 20)
        if operation.path_parameters or operation.query:
            fuzz(operation.as_strategy(GenerationMode.NEGATIVE), 20)
