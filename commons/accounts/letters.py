"""The texts of the mails accounts send: plain French, one function per occasion."""
from __future__ import annotations

from flask_babel import gettext as _

from commons.accounts.mail import Mail

SIGNATURE = "\n\n-- \nLes communs de la médiation numérique"


def _mail(to: str, subject: str, body: str) -> Mail:
    return Mail(to=to, subject=subject, body=body + SIGNATURE)


def set_password(to: str, link: str) -> Mail:
    return _mail(to, _("Votre compte : choisissez votre mot de passe"), _(
        "Bonjour,\n\nVotre compte sur les communs de la médiation numérique est ouvert. Choisissez votre mot de "
        "passe en ouvrant ce lien (valable 7 jours, une seule fois) :\n\n%(link)s\n\nSi vous n'avez rien "
        "demandé, ignorez ce message.", link=link))


def invitation(to: str, link: str, role: str) -> Mail:
    return _mail(to, _("Invitation à contribuer aux communs de la médiation numérique"), _(
        "Bonjour,\n\nVous êtes invité·e à rejoindre les communs de la médiation numérique (rôle : %(role)s). "
        "Pour créer votre compte, ouvrez ce lien (valable 7 jours, une seule fois) :\n\n%(link)s\n\nSi vous ne "
        "vous attendiez pas à cette invitation, ignorez ce message.", role=role, link=link))


def reset_password(to: str, link: str) -> Mail:
    return _mail(to, _("Réinitialiser votre mot de passe"), _(
        "Bonjour,\n\nQuelqu'un (vous, sans doute) a demandé à réinitialiser le mot de passe de votre compte. Pour "
        "en choisir un nouveau, ouvrez ce lien (valable 1 heure, une seule fois) :\n\n%(link)s\n\nSi vous n'avez "
        "rien demandé, ignorez ce message : votre mot de passe reste le même.", link=link))


def confirm_email(to: str, link: str) -> Mail:
    return _mail(to, _("Confirmez votre nouvelle adresse électronique"), _(
        "Bonjour,\n\nPour que cette adresse devienne celle de votre compte, ouvrez ce lien (valable 24 heures, "
        "une seule fois) :\n\n%(link)s\n\nSi vous n'avez rien demandé, ignorez ce message.", link=link))


def email_changed(to: str) -> Mail:
    return _mail(to, _("L'adresse de votre compte a changé"), _(
        "Bonjour,\n\nL'adresse électronique de votre compte vient d'être remplacée par une autre : ce message est "
        "le dernier envoyé à celle-ci. Si vous n'êtes pas à l'origine de ce changement, répondez à ce message ou "
        "contactez l'équipe d'administration."))


def signup_with_known_address(to: str, reset_link: str) -> Mail:
    return _mail(to, _("Une demande de compte avec votre adresse"), _(
        "Bonjour,\n\nQuelqu'un a demandé un compte avec votre adresse électronique, qui en a déjà un (ou une "
        "demande en attente). Rien n'a été créé. Si c'était vous et que vous avez oublié votre mot de passe : "
        "%(link)s\n\nSinon, ignorez ce message.", link=reset_link))


def join_refused(to: str, message: str) -> Mail:
    return _mail(to, _("Votre demande de compte"), _(
        "Bonjour,\n\nVotre demande de compte sur les communs de la médiation numérique n'a pas été acceptée. "
        "Le message de l'équipe d'administration :\n\n%(message)s", message=message))
