"""Sign-in timing (issue 9): does a wrong password for a known email answer as slowly as any
password for an unknown one? If not, timing tells an attacker which emails have an account.

    .venv/bin/python bench/accounts_timing.py              # 50 of each, SQLite in a temporary folder
    .venv/bin/python bench/accounts_timing.py --attempts 200 --database-url postgresql://…/db

Builds the app in-process on a fresh migrated database (production hashing: scrypt), signs one
account up, then POSTs /connexion alternately with that email and a wrong password and with
unknown emails (throttling set out of the way), and prints both medians and their ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _post(client, email: str) -> float:
    start = time.perf_counter()
    response = client.post("/connexion", data={"email": email, "password": "pas-le-bon-mot-de-passe"})
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 422:
        raise SystemExit(f"réponse inattendue {response.status_code} pour {email}")
    return elapsed


def measure(database_url: str, attempts: int, work: str) -> tuple[list[float], list[float]]:
    from flask_migrate import upgrade

    from commons import create_app
    from commons.accounts.services import create_user
    from commons.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url,
                      "COMMONS_INDEX_DIR": f"{work}/index", "WTF_CSRF_ENABLED": False, "SEARCH_APPLIER": "inline",
                      "THROTTLE_ACCOUNT_LIMIT": 10**9, "THROTTLE_ADDRESS_LIMIT": 10**9})
    with app.app_context():
        upgrade()
        create_user("mesuree@example.org", "trois-galets-sous-la-dune")
        db.session.commit()
        client = app.test_client()
        _post(client, "echauffement@example.org")  # the dummy hash is made on first use
        known, unknown = [], []
        for n in range(attempts):
            known.append(_post(client, "mesuree@example.org"))
            unknown.append(_post(client, f"inconnue-{n}@example.org"))
        db.session.remove()
        db.engine.dispose()
    return known, unknown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=50)
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        known, unknown = measure(args.database_url or f"sqlite:///{work}/timing.db", args.attempts, work)
    known_ms, unknown_ms = statistics.median(known), statistics.median(unknown)
    print(f"known email, wrong password : median {known_ms:.1f} ms over {len(known)}")
    print(f"unknown email               : median {unknown_ms:.1f} ms over {len(unknown)}")
    print(f"ratio unknown / known       : {unknown_ms / known_ms:.3f}")


if __name__ == "__main__":
    main()
