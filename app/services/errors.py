"""Domain errors: what a rule says when it says no.

This module holds the base class; each domain declares its own errors beside its rules
(``booking_errors``, ``accounts``, ``images``, ``organiser``, ``gallery.rules``,
``checkin.errors``).

Each error declares, in a few lines, everything a view, the API and the logs need:

* ``code``: stable, for the API and the logs;
* ``status``: the HTTP status of the answer;
* ``text``: what a person is told, a French msgid with named values (``%(num)d``);
  ``NP_(singular, plural)`` for a text whose form follows the value ``num``;
* ``field``: the form field the message belongs next to (None: the form as a whole);
* ``positional``: the names of the values a caller may pass without naming them
  (``SessionFull(3, 4)``); the values are readable as attributes (``error.seats_left``).

A text with cases (a reason, a count of zero) overrides ``message()``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..i18n import gettext, ngettext


def N_(text: str) -> str:
    """Mark a text for translation where it is declared; it is translated when shown."""
    return text


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a text with a plural form, chosen by the value ``num`` when shown."""
    return singular, plural


class DomainError(Exception):
    """A rule said no."""

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 409
    text: ClassVar[str | tuple[str, str]] = N_("Cette action n’est pas possible.")
    field: ClassVar[str | None] = None
    positional: ClassVar[tuple[str, ...]] = ()
    # A refusal that is itself a record (a failed sign-in is counted): the unit of work
    # keeps what it wrote instead of rolling it back (``database.writing``).
    keeps_what_it_wrote: ClassVar[bool] = False
    # A refusal for lack of room only: the visitor may wait for it, keeping what they hold.
    may_wait: ClassVar[bool] = False

    def __init__(self, *args: Any, **values: Any) -> None:
        values = {**dict(zip(self.positional, args, strict=False)), **values}
        super().__init__(self.code, values)
        self.values = values

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def text_values(self) -> dict[str, Any]:
        """The named values of the text, as shown (dates formatted, for instance)."""
        return dict(self.values)

    def message(self) -> str:
        """What a person is told, in the current language."""
        values = self.text_values()
        if isinstance(self.text, tuple):
            singular, plural = self.text
            num = values.pop("num")
            return ngettext(singular, plural, num, **values)
        return gettext(self.text, **values)
