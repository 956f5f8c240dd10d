"""Every word the door tablet's script shows, from the catalogue, in the page's language.

The script has no text of its own: the page hands it this table (a data-* attribute), in
which a text with a plural has its two forms, chosen by the script with the language's
plural rules. Placeholders stay as they are (``%(num)d``, ``%(name)s``) and the script
fills them in.
"""

from __future__ import annotations

import json

from flask_babel import get_translations

from ..services.errors import N_, NP_

DOOR_TEXTS: dict[str, str | tuple[str, str]] = {
    # The banner and the counters while the tablet works on its own.
    "offline": NP_(
        "Hors ligne — %(num)d enregistrement en attente",
        "Hors ligne — %(num)d enregistrements en attente",
    ),
    "pending": NP_(
        "%(num)d enregistrement en attente d’envoi : nouvel essai automatique.",
        "%(num)d enregistrements en attente d’envoi : nouvel essai automatique.",
    ),
    "local_counters": N_("Compteurs de cette tablette, tant que le réseau manque"),
    "lapsed_counters": N_("Compteurs de cette tablette, jusqu’à la prochaine connexion"),
    "queued": N_("Enregistré sur la tablette : envoi au retour du réseau."),
    # Online but signed out: the actions wait for a sign-in, not for the network.
    "queued_signed_out": N_("Enregistré sur la tablette : envoi après la prochaine connexion."),
    "pending_row": N_("en attente d’envoi"),
    "lapsed": NP_(
        "Connexion expirée — %(num)d enregistrement en attente d’envoi après la prochaine "
        "connexion",
        "Connexion expirée — %(num)d enregistrements en attente d’envoi après la prochaine "
        "connexion",
    ),
    "lapsed_none": N_("Connexion expirée : connectez-vous à nouveau."),
    "sign_in": N_("Se connecter"),
    "signed_out": N_(
        "Connectez-vous à nouveau pour afficher la liste : les actions en attente seront "
        "envoyées ensuite."
    ),
    # What the tablet says by itself, the same words as the server's.
    "welcome": NP_(
        "Entrée enregistrée : %(name)s, %(num)d place.",
        "Entrée enregistrée : %(name)s, %(num)d places.",
    ),
    "enter_code": N_("Saisissez ou scannez un code de billet."),
    "unknown": N_("Billet inconnu : vérifiez le code."),
    "unknown_here": N_("Billet inconnu de cette tablette : il sera vérifié au retour du réseau."),
    "unknown_signed_out": N_(
        "Billet inconnu de cette tablette : il sera vérifié après la prochaine connexion."
    ),
    "wrong_session": N_("Ce billet est pour une autre séance : « %(title)s », %(when)s."),
    "already": NP_(
        "Déjà entré : %(num)d place à %(time)s (par %(by)s).",
        "Déjà entrés : %(num)d places à %(time)s (par %(by)s).",
    ),
    "waiting": N_("Cette personne est sur la liste d’attente, sans place confirmée."),
    "expired": N_("La proposition de places de ce billet a expiré."),
    "cancelled": N_("Ce billet a été annulé."),
    "session_cancelled": N_("Cette séance est annulée : personne ne peut entrer."),
    "no_seat": N_("Plus aucune place libre."),
    "few_seats": NP_("Il ne reste qu’une place libre.", "Il ne reste que %(num)d places libres."),
    "bad_seats": N_("Choisissez entre 1 et %(num)d places."),
    "standby_first": NP_(
        "%(num)d place est déjà demandée dans la file d’attente de la porte : ajoutez ce groupe à "
        "la file, il entrera à son tour.",
        "%(num)d places sont déjà demandées dans la file d’attente de la porte : ajoutez ce "
        "groupe à la file, il entrera à son tour.",
    ),
    "waiting_list_first": N_(
        "Des personnes attendent sur la liste d’attente en ligne : les places libres leur sont "
        "proposées d’abord, jusqu’à la clôture des réservations. Ajoutez ce groupe à la file de la "
        "porte."
    ),
    "on_waiting_list": N_(
        "Sur la liste d’attente (rang %(num)d), sans place confirmée : ajoutez ce groupe à "
        "l’attente à l’entrée, il y passe avant les personnes sans réservation."
    ),
    "waiting_until": N_(
        "Cette personne est sur la liste d’attente, sans place confirmée. À la clôture "
        "des réservations (%(time)s), elle pourra attendre à l’entrée à son rang."
    ),
    "already_on_standby": N_("Ce groupe attend déjà à l’entrée : n° %(num)d de la file."),
    "joined": N_("Ajouté à l’attente à l’entrée : n° %(num)d de la file."),
    "undone": N_("Entrée annulée : %(name)s."),
    "nothing_to_undo": N_("Cette entrée a déjà été annulée."),
    "standby_added": N_("Ajouté à la file d’attente de la porte."),
    "standby_admitted": N_("Des places étaient libres : entrée enregistrée."),
    "left": N_("Retiré de la file de la porte."),
    # The list, as the board shows it.
    "seats": NP_("%(num)d place", "%(num)d places"),
    "enter": NP_("Entrée (%(num)d)", "Entrée (%(num)d)"),
    "partial": N_("Entrée partielle"),
    "seats_label": N_("places"),
    "undo": N_("Annuler l’entrée"),
    "released": N_("places libérées"),
    "entered": NP_(
        "%(num)d entré à %(time)s (%(by)s)", "%(num)d entrés, dernier à %(time)s (%(by)s)"
    ),
    "no_match": N_("Aucune réservation ne correspond."),
    "no_booking": N_("Aucune réservation pour cette séance."),
    "no_name": N_("Sans nom"),
    "walk_in_name": N_("Sans réservation"),
    "gone": N_("Parti"),
    "waiting_rank": N_("liste d’attente, rang %(num)d"),
    "at_the_door": N_("attend à l’entrée"),
    "join": N_("Ajouter à l’attente à l’entrée (rang %(num)d sur la liste d’attente)"),
    "standby_number": N_("n° %(num)d"),
    "held": N_("Places retenues : personne derrière ce groupe n’entre avant lui."),
    "nobody_waits": N_("Personne n’attend à la porte."),
    # What the server said no to, once back online.
    "conflicts": N_("À vérifier : réponses du serveur aux actions faites hors ligne"),
    "conflict": N_("%(what)s — %(message)s"),
    "dismiss": N_("Compris"),
    "to_standby": N_("Ajouter à la file"),
}


def door_texts() -> str:
    """The table as JSON, translated into the request's language."""
    translations = get_translations()
    table: dict[str, str | list[str]] = {}
    for key, text in DOOR_TEXTS.items():
        if isinstance(text, tuple):
            table[key] = [translations.ngettext(*text, 1), translations.ngettext(*text, 2)]
        else:
            table[key] = translations.gettext(text)
    return json.dumps(table, ensure_ascii=False)
