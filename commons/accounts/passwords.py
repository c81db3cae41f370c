"""Password hashing and the rules a new password must meet.

Hashing: scrypt, werkzeug's default for `generate_password_hash` (N=2**15, r=8, p=1), written
out here so that a hash made with other parameters, or by another method (an old `pbkdf2:`
hash), is recognised and replaced at the next successful sign-in.

Rules (French messages): at least 12 characters; not one of the most common passwords; not
containing the email address or the part before its "@".
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from commons.errors import ServiceError

SCRYPT = "scrypt:32768:8:1"
HASH_METHOD = SCRYPT
PASSWORD_MIN = 12
# A shorter local part ("jo@…") would forbid too many good passwords to protect anything.
LOCAL_PART_MIN = 3
FRENCH_LIST = Path(__file__).with_name("common_passwords_fr.txt")
_TRAILING = re.compile(r"[\d\W_]+$")


class PasswordError(ServiceError):
    """A password refused by the rules; the message is French."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return not password_hash.startswith(HASH_METHOD + "$")


_dummy_hashes: dict[str, str] = {}


def burn_hash_time(password: str) -> None:
    """The work of checking a password, for an address no account has: the answer then takes as
    long as for a known one (a hash made once per method, with the method real hashes use)."""
    dummy = _dummy_hashes.get(HASH_METHOD)
    if dummy is None:
        dummy = _dummy_hashes[HASH_METHOD] = hash_password("no account has this password")
    check_password_hash(dummy, password)


@cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords (from leaked password sets), plus a short French
    list shipped beside this file: zxcvbn's is mostly English."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    french = [line.strip() for line in FRENCH_LIST.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    return frozenset(word.lower() for word in (*FREQUENCY_LISTS["passwords"], *french))


def is_common(password: str) -> bool:
    """A listed password, also when only digits or symbols were added at its end
    ("motdepasse2024!" is "motdepasse")."""
    lowered = password.lower()
    stem = _TRAILING.sub("", lowered)
    listed = common_passwords()
    return lowered in listed or (len(stem) >= 4 and stem in listed)


def check_password_rules(password: str, email: str) -> None:
    """Raise PasswordError (field "password") when `password` may not be chosen by `email`'s owner."""
    if len(password) < PASSWORD_MIN:
        raise PasswordError(_("Le mot de passe doit compter au moins %(min)d caractères.", min=PASSWORD_MIN),
                            "password")
    if is_common(password):
        raise PasswordError(_("Ce mot de passe fait partie des plus courants : choisissez-en un autre, par "
                              "exemple quelques mots sans rapport entre eux."), "password")
    lowered, email = password.lower(), email.lower()
    local = email.split("@", 1)[0]
    if email in lowered or (len(local) >= LOCAL_PART_MIN and local in lowered):
        raise PasswordError(_("Le mot de passe ne doit contenir ni votre adresse électronique ni sa partie "
                              "avant « @ »."), "password")
