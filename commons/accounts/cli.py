"""`flask --app wsgi users create EMAIL --role ROLE`."""
from __future__ import annotations

import sys

import click
from flask_babel import gettext as _

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
