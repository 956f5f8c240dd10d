"""The refusals of a series (services/series.py): each names the field it belongs next to."""

from __future__ import annotations

from ..i18n import full_date
from .errors import N_, DomainError


class SeriesInvalid(DomainError):
    """What was typed does not make a series; ``problems`` holds one refusal per field."""

    code, status, positional = "series_invalid", 422, ("problems",)
    text = N_("Vérifiez les champs signalés ci-dessous.")


class BadFirstDay(DomainError):
    """The first day is not a date."""

    code, status, field = "bad_first_day", 422, "first_day"
    text = N_("Indiquez le premier jour, par exemple 2027-05-04.")


class BadLastDay(DomainError):
    """The last day is not a date."""

    code, status, field = "bad_last_day", 422, "last_day"
    text = N_("Indiquez le dernier jour, par exemple 2027-05-07.")


class LastDayBeforeFirst(DomainError):
    """The last day comes before the first."""

    code, status, field = "last_day_before_first", 422, "last_day"
    text = N_("Le dernier jour doit être le premier jour ou un jour après.")


class SeriesTooLong(DomainError):
    """A series spans a year at most, and a few hundred sessions."""

    code, status, field = "series_too_long", 422, "last_day"
    text = N_("Une série tient en une année au plus et %(num)d séances au plus.")


class NoWeekday(DomainError):
    """At least one weekday is needed."""

    code, status, field = "no_weekday", 422, "weekdays"
    text = N_("Choisissez au moins un jour de la semaine.")


class BadWeekday(DomainError):
    """A weekday name nobody knows."""

    code, status, field, positional = "bad_weekday", 422, "weekdays", ("value",)
    text = N_("Jour inconnu : « %(value)s ». Écrivez par exemple mar,mer,jeu ou tue,wed,thu.")


class NoDayMatches(DomainError):
    """None of the weekdays falls between the first and the last day."""

    code, status, field = "no_day_matches", 422, "weekdays"
    text = N_("Aucun des jours choisis ne tombe entre le premier et le dernier jour.")


class NoTimes(DomainError):
    """At least one start time is needed."""

    code, status, field = "no_times", 422, "times"
    text = N_("Indiquez au moins une heure de début, par exemple 14:00 15:00 16:00.")


class BadTime(DomainError):
    """A start time that cannot be read."""

    code, status, field, positional = "bad_time", 422, "times", ("value",)
    text = N_("Heure illisible : « %(value)s ». Écrivez par exemple 14:00 15:00 16:00.")


class BadMinutes(DomainError):
    """A session lasts between a minute and a day."""

    code, status, field = "bad_minutes", 422, "minutes"
    text = N_("Indiquez une durée entre 1 et 1 440 minutes.")


class BadCapacity(DomainError):
    """A capacity is a number of seats."""

    code, status, field = "bad_capacity", 422, "capacity"
    text = N_("Indiquez une capacité entre 0 et 5 000 places.")


class BadOpening(DomainError):
    """The opening time cannot be read."""

    code, status, field = "bad_opening", 422, "booking_opens_at"
    text = N_("Date et heure illisibles : écrivez par exemple 2027-05-02 09:00.")


class BadCloseMinutes(DomainError):
    """Booking closes between 0 minutes and a week before each start."""

    code, status, field = "bad_close_minutes", 422, "close_minutes"
    text = N_("Indiquez un nombre de minutes entre 0 et 10 080, ou laissez vide.")


class RowBeforeOpening(DomainError):
    """A session of the series would start before booking for it opens."""

    code, status, field, positional = "row_before_opening", 422, "booking_opens_at", ("when",)
    text = N_("La séance du %(when)s commencerait avant l’ouverture des réservations.")

    def text_values(self) -> dict[str, object]:
        """The session's start, as people read it."""
        return {"when": full_date(self.values["when"])}


class RowInPast(DomainError):
    """A session of the series would already have started."""

    code, status, field, positional = "row_in_past", 422, "first_day", ("when",)
    text = N_("La séance du %(when)s serait déjà passée.")

    def text_values(self) -> dict[str, object]:
        """The session's start, as people read it."""
        return {"when": full_date(self.values["when"])}


class EventMissing(DomainError):
    """The event of the series does not exist."""

    code, status, positional = "event_missing", 404, ("event_id",)
    text = N_("Cet événement n’existe pas.")
