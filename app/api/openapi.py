"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Written by hand next to the routes it describes (app/api/routes.py); tests/test_openapi.py
checks it against the specification and lets schemathesis try every operation against
the app, so a route and its description cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

from ..models import EventKind
from ..security import LARGEST_ID

KINDS = [kind.value for kind in EventKind]

SESSION_EXAMPLE = {
    "id": 12,
    "event_id": 3,
    "event": "Les minéraux fluorescents",
    "kind": "visit",
    "starts_at": "2026-10-13T14:00:00+02:00",
    "ends_at": "2026-10-13T15:00:00+02:00",
    "venue": "Musée minéralogique",
    "capacity": 25,
    "seats_left": 7,
    "waitlist": 0,
    "booking_open": True,
    "cancelled": False,
    "url": "https://minerales.mines-ales.fr/sessions/12",
}

EVENT_EXAMPLE = {
    "id": 3,
    "slug": "les-mineraux-fluorescents",
    "kind": "visit",
    "title": "Les minéraux fluorescents",
    "summary": "La collection sous lumière ultraviolette.",
    "venue": {
        "name": "Musée minéralogique",
        "address": "6 avenue de Clavières",
        "city": "30100 Alès",
        "step_free": True,
    },
    "sessions": [12, 14],
    "calendar_url": "https://minerales.mines-ales.fr/programme.ics?event=les-mineraux-fluorescents",
}

ERROR_EXAMPLE = {
    "error": {
        "status": 404,
        "title": "Page introuvable",
        "message": "Cette séance n’existe pas.",
    }
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], example: Any = None) -> dict[str, Any]:
    """A JSON body with its schema (and example)."""
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json(_ref("Error"), ERROR_EXAMPLE)}


LIST_HEADERS = {
    "ETag": {
        "description": "Weak validator of this answer; send it back in `If-None-Match`.",
        "required": True,
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`public, no-cache`: keep the answer, but revalidate it before use.",
        "required": True,
        "schema": {"type": "string"},
    },
}

NOT_MODIFIED = {
    "description": "Unchanged since the version named in `If-None-Match` (no body).",
    "headers": LIST_HEADERS,
}
TOO_MANY = {
    **_error("Too many requests from this address; `Retry-After` says when to come back."),
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}},
}
COMMON_ERRORS = {"429": TOO_MANY}

KIND_PARAMETER = {
    "name": "kind",
    "in": "query",
    "required": False,
    "description": "Only the events of this kind.",
    "schema": {"type": "string", "enum": KINDS},
    "example": "film",
}


def _id_parameter(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID},
        "example": 12,
    }


def _list_operation(
    operation_id: str, summary: str, item: str, example: Any, parameters: list[Any]
) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["programme"],
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "The list (possibly empty).",
                "headers": LIST_HEADERS,
                "content": _json({"type": "array", "items": _ref(item)}, [example]),
            },
            "304": NOT_MODIFIED,
            "400": _error("A filter with a value no row can have."),
            **COMMON_ERRORS,
        },
    }


def _one_operation(operation_id: str, summary: str, item: str, example: Any) -> dict[str, Any]:
    what = item.lower()
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["programme"],
        "parameters": [_id_parameter(f"{what}_id", what)],
        "responses": {
            "200": {"description": f"The {what}.", "content": _json(_ref(item), example)},
            "404": _error(f"No {what} has this id."),
            **COMMON_ERRORS,
        },
    }


def _schemas() -> dict[str, Any]:
    date_time = {"type": "string", "format": "date-time"}
    count = {"type": "integer", "minimum": 0}
    return {
        "Session": {
            "type": "object",
            "description": "A dated occurrence of an event, with its seats as of now.",
            "required": [
                "id",
                "event_id",
                "event",
                "kind",
                "starts_at",
                "ends_at",
                "venue",
                "capacity",
                "seats_left",
                "waitlist",
                "booking_open",
                "cancelled",
                "url",
            ],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "event_id": {"type": "integer", "minimum": 1},
                "event": {"type": "string", "description": "The event's title."},
                "kind": {"type": "string", "enum": KINDS},
                "starts_at": {**date_time, "description": "Europe/Paris time, with its offset."},
                "ends_at": date_time,
                "venue": {"type": "string", "description": "The venue's name."},
                "capacity": count,
                "seats_left": {
                    **count,
                    "description": "Seats bookable now; 0 while anybody waits for seats.",
                },
                "waitlist": {**count, "description": "Seats asked for on the waiting list."},
                "booking_open": {"type": "boolean", "description": "Whether it can be booked now."},
                "cancelled": {"type": "boolean"},
                "url": {"type": "string", "format": "uri", "description": "Its booking page."},
            },
            "example": SESSION_EXAMPLE,
        },
        "Venue": {
            "type": "object",
            "required": ["name", "address", "city", "step_free"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "address": {"type": "string"},
                "city": {"type": "string"},
                "step_free": {"type": "boolean", "description": "Reachable without steps."},
            },
        },
        "Event": {
            "type": "object",
            "description": "A programme item (a visit, a film, a talk, a hike…) and its sessions.",
            "required": [
                "id",
                "slug",
                "kind",
                "title",
                "summary",
                "venue",
                "sessions",
                "calendar_url",
            ],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                "kind": {"type": "string", "enum": KINDS},
                "title": {"type": "string"},
                "summary": {"type": "string"},
                "venue": _ref("Venue"),
                "sessions": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1},
                    "description": "Ids of its sessions, in date order.",
                },
                "calendar_url": {
                    "type": "string",
                    "format": "uri",
                    "description": "Its sessions as an iCalendar feed.",
                },
            },
            "example": EVENT_EXAMPLE,
        },
        "Version": {
            "type": "object",
            "required": ["version", "poll_seconds"],
            "additionalProperties": False,
            "properties": {
                "version": {
                    "type": "string",
                    "description": "Opaque; changes when anything the programme shows changes.",
                },
                "poll_seconds": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "How often the site's own pages ask.",
                },
            },
            "example": {"version": "api-1042-all-29616042", "poll_seconds": 4},
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "title", "message"],
                    "additionalProperties": False,
                    "properties": {
                        "status": {"type": "integer", "minimum": 400, "maximum": 599},
                        "title": {"type": "string"},
                        "message": {"type": "string"},
                    },
                }
            },
        },
    }


DESCRIPTION = """\
Read-only, public: the programme of the Minér'Alès week and its live seat counts.
No key and no cookie are needed. Times are Europe/Paris, ISO 8601 with their offset.

The lists answer with a weak `ETag` and `Cache-Control: public, no-cache`: send the
ETag back in `If-None-Match` and an unchanged list costs a bodiless 304.
`/api/programme/version` changes whenever any list would, so a client can poll it alone.
Every address is rate-limited (a 429 says when to come back in `Retry-After`).
"""


def openapi_document(base_url: str) -> dict[str, Any]:
    """The whole document; ``base_url`` is the site's public address."""
    event_filter = {
        "name": "event",
        "in": "query",
        "required": False,
        "description": "Only the sessions of this event (its id).",
        "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID},
        "example": 3,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Minér’Alès programme API",
            "version": "1.0.0",
            "description": DESCRIPTION,
            "contact": {"name": "IMT Mines Alès", "email": "minerales@mines-ales.fr"},
        },
        "servers": [{"url": base_url.rstrip("/") or "/"}],
        "tags": [{"name": "programme"}, {"name": "meta"}],
        "paths": {
            "/api/sessions": {
                "get": _list_operation(
                    "listSessions",
                    "Every session in date order, with its seats as of now.",
                    "Session",
                    SESSION_EXAMPLE,
                    [KIND_PARAMETER, event_filter],
                )
            },
            "/api/sessions/{session_id}": {
                "get": _one_operation("getSession", "One session.", "Session", SESSION_EXAMPLE)
            },
            "/api/events": {
                "get": _list_operation(
                    "listEvents", "Every event, by title.", "Event", EVENT_EXAMPLE, [KIND_PARAMETER]
                )
            },
            "/api/events/{event_id}": {
                "get": _one_operation("getEvent", "One event.", "Event", EVENT_EXAMPLE)
            },
            "/api/programme/version": {
                "get": {
                    "operationId": "getProgrammeVersion",
                    "summary": "The programme's live version: what to poll.",
                    "tags": ["programme"],
                    "responses": {
                        "200": {
                            "description": "The current version.",
                            "headers": LIST_HEADERS,
                            "content": _json(_ref("Version")),
                        },
                        "304": NOT_MODIFIED,
                        **COMMON_ERRORS,
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document.",
                    "tags": ["meta"],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": _json({"type": "object"}),
                        },
                        "304": {"description": "Unchanged (no body)."},
                    },
                }
            },
        },
        "components": {"schemas": _schemas()},
    }
