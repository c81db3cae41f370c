"""`flask --app wsgi users create EMAIL --role ROLE`, `flask --app wsgi users prune-audit`."""
from __future__ import annotations

import sys
from datetime import timedelta

import click
from flask import current_app
from flask_babel import gettext as _

from commons.accounts import audit, clock, throttle
from commons.accounts.models import Role
from commons.accounts.services import AccountError, create_user
from commons.database import unit_of_work

users_cli = click.Group("users", help="Gérer les comptes.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Confirmez le mot de passe")
    # Scripts pipe the password: take the first line of standard input.
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CONTRIBUTOR.value,
              show_default=True, help="Rôle du compte.")
@click.option("--name", "display_name", default="", help="Nom affiché.")
def create(email: str, role: str, display_name: str) -> None:
    """Créer un compte ; le mot de passe est demandé (ou lu sur l'entrée standard)."""
    password = _read_password()
    try:
        with unit_of_work():
            user = create_user(email, password, Role(role), display_name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_("Compte créé : %(email)s (%(role)s)", email=user.email, role=user.role.value))


@users_cli.command("prune-audit")
def prune_audit() -> None:
    """Supprimer les événements du journal plus anciens que AUDIT_RETENTION_DAYS (et les compteurs
    de tentatives de connexion périmés)."""
    config = current_app.config
    now = clock.now()
    with unit_of_work():
        removed = audit.prune(now, int(config["AUDIT_RETENTION_DAYS"]))
    store = throttle.store_for(current_app.extensions, config)
    counters = store.prune(now, timedelta(seconds=config["THROTTLE_WINDOW_SECONDS"]))
    click.echo(_("Journal : %(n)s événement(s) de plus de %(days)s jours supprimé(s) ; %(c)s compteur(s) de "
                 "connexion périmé(s).", n=removed, days=config["AUDIT_RETENTION_DAYS"], c=counters))
