"""Generate a search benchmark corpus straight into a database (bulk inserts, no ORM).

    .venv/bin/python bench/search_corpus.py --entries 100000 --database sqlite:////tmp/corpus.db

Five editions, ten workshops each, 200 tags, the six kinds; French-looking titles and bodies
drawn from the vocabulary of the médiation numérique (Zipf-like word frequencies, stop
words in between so that sentences read like French). The schema comes from the Alembic
migrations, so the corpus is what `flask db upgrade` would build. The search index is not
touched: run `flask search reindex` (or bench/search_bench.py) afterwards.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = """
médiation numérique médiateur médiatrice accompagnement accompagner accompagnée inclusion inclusive
parentalité parents famille familles enfants adolescents jeunes seniors aidants usagers habitants public
publics école écoles collège lycée enseignants élèves éducation pédagogie pédagogique apprentissage
autonomie démarches administratives accès droits accueil inconditionnel écoute bienveillance posture
confiance respect valeurs valeur savoirs savoir compétences pratiques pratique prérequis moyens actions
action tiers-lieu médiathèque bibliothèque espace public numérique fablab association structure
structures réseau réseaux partenaires partenariat territoire territoires rural quartier commune
département région formation formations formateur atelier ateliers animation animer diagnostic
évaluation financement subvention convention mutualisation coopération gouvernance communs partage
contribution documentation ressources outils outil logiciel logiciels libres données personnelles
rgpd sécurité cybersécurité vulnérabilité fracture illectronisme illettrisme handicap accessibilité
smartphone tablette ordinateur internet connexion réseaux-sociaux écrans exposition harcèlement
information désinformation citoyenneté esprit critique culture veille vulgariser transmettre
entraide solidarité bénévoles bénévolat professionnels professionnalisation métier métiers emploi
insertion recherche d'emploi santé services France-Services conseiller conseillers Pix certification
parcours orientation rencontre rencontres échanges coordination hub labellisation reconnaissance
langage commun objectifs connaissance mutuelle calendrier dispositif dispositifs relais leviers
""".split()
STOP = "le la les de des du un une et à au aux en pour avec sur dans par qui que ce ses leurs nos".split()
TAG_SEEDS = """rgpd parentalité-numérique école inclusion accessibilité cybersécurité données logiciels-libres
pix france-services aidants-connect seniors jeunesse famille tiers-lieux médiathèques réseau territoire
formation financement gouvernance communs documentation évaluation diagnostic accueil posture
écrans réseaux-sociaux harcèlement désinformation citoyenneté emploi santé handicap illectronisme
mutualisation coopération animation pédagogie vulgarisation""".split()
KINDS = ["valeur", "savoir", "pratique", "prerequis", "moyen", "action"]
YEARS = [2021, 2022, 2023, 2024, 2025]


def _zipf_weights(n: int) -> list[float]:
    return [1.0 / (rank + 1) ** 0.9 for rank in range(n)]


class Writer:
    """Random French-looking text with a fixed seed (the corpus is the same on every run)."""

    def __init__(self, seed: int = 2023):
        self.rng = random.Random(seed)
        words = WORDS[:]
        self.rng.shuffle(words)
        self.words = words
        self.cum = list(_accumulate(_zipf_weights(len(words))))

    def word(self) -> str:
        return self.rng.choices(self.words, cum_weights=self.cum, k=1)[0]

    def sentence(self, lo: int, hi: int) -> str:
        out = []
        for i in range(self.rng.randint(lo, hi)):
            if i and self.rng.random() < 0.35:
                out.append(self.rng.choice(STOP))
            out.append(self.word())
        text = " ".join(out).replace("-", " ")
        return text[0].upper() + text[1:]

    def body(self) -> str:
        return ". ".join(self.sentence(6, 16) for _ in range(self.rng.randint(2, 6))) + "."


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def tag_names(rng: random.Random) -> list[str]:
    names = [t.replace("-", " ") for t in TAG_SEEDS]
    while len(names) < 200:
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)}".replace("-", " ")
        if name not in names:
            names.append(name)
    return names


def generate(database_url: str, entries: int, seed: int = 2023, quiet: bool = False) -> dict:
    """Build the schema and insert the corpus. Returns counts and timings."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from commons import create_app
    from commons.editions.models import Edition, Workshop
    from commons.entries.models import Entry, Revision, Tag, entry_tags
    from commons.extensions import db
    from commons.text import slugify

    started = time.perf_counter()
    instance = Path(os.environ.get("COMMONS_INSTANCE_PATH") or "/tmp/commons-bench-instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                      "COMMONS_INDEX_DIR": str(instance / "unused-index"), "SEARCH_APPLY_AFTER_COMMIT": False})
    writer = Writer(seed)
    rng = writer.rng
    now = datetime(2025, 6, 1)
    with app.app_context():
        upgrade()
        conn_engine = db.engine
        with conn_engine.begin() as conn:
            for year in YEARS:
                conn.execute(sa.insert(Edition.__table__), [{
                    "slug": f"nec-sud-ouest-{year}", "name": f"NEC Sud-Ouest {year}", "year": year,
                    "place": "Ondres", "venue": "", "description": writer.body(), "is_illustrative": True,
                    "created_at": now, "updated_at": now,
                }])
            editions = dict(conn.execute(sa.select(Edition.year, Edition.id)).all())
            workshop_rows = []
            for year, edition_id in editions.items():
                for i in range(10):
                    title = writer.sentence(3, 7)
                    workshop_rows.append({
                        "edition_id": edition_id, "slug": f"{slugify(title)[:60]}-{i}", "title": title,
                        "format": "atelier", "room": "Espace 1", "axis": "", "description": writer.body(),
                        "report": "", "created_at": now, "updated_at": now,
                        "starts_at": datetime(year, 6, 7, 10), "ends_at": datetime(year, 6, 7, 12),
                    })
            conn.execute(sa.insert(Workshop.__table__), workshop_rows)
            workshops = conn.execute(sa.select(Workshop.id, Workshop.edition_id)).all()
            names = tag_names(rng)
            conn.execute(sa.insert(Tag.__table__), [{"slug": slugify(n), "name": n} for n in names])
            tag_ids = [row[0] for row in conn.execute(sa.select(Tag.id).order_by(Tag.id))]
        tag_cum = list(_accumulate(_zipf_weights(len(tag_ids))))
        batch = 5000
        for start in range(0, entries, batch):
            rows, revisions, links = [], [], []
            with conn_engine.begin() as conn:
                next_id = (conn.execute(sa.select(sa.func.max(Entry.id))).scalar() or 0) + 1
                for n in range(start, min(entries, start + batch)):
                    entry_id = next_id + n - start
                    workshop_id, edition_id = rng.choice(workshops)
                    kind = rng.choice(KINDS)
                    title = writer.sentence(3, 8)
                    body = writer.body()
                    at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 4))
                    rows.append({"id": entry_id, "kind": kind, "title": title[:200], "body": body,
                                 "status": "archivee" if rng.random() < 0.03 else "publiee",
                                 "edition_id": edition_id, "workshop_id": workshop_id, "position": 0,
                                 "revision_number": 1, "created_at": at, "updated_at": at})
                    revisions.append({"entry_id": entry_id, "number": 1, "created_at": at, "summary": "Création",
                                      "kind": kind, "title": title[:200], "body": body, "tags_text": "",
                                      "workshop_id": workshop_id})
                    for tag_id in set(rng.choices(tag_ids, cum_weights=tag_cum, k=rng.randint(1, 4))):
                        links.append({"entry_id": entry_id, "tag_id": tag_id})
                conn.execute(sa.insert(Entry.__table__), rows)
                conn.execute(sa.insert(Revision.__table__), revisions)
                conn.execute(sa.insert(entry_tags), links)
            if not quiet:
                print(f"\r{min(entries, start + batch)}/{entries} fiches", end="", file=sys.stderr, flush=True)
        if conn_engine.dialect.name == "postgresql":
            with conn_engine.begin() as conn:
                conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('entries', 'id'), (SELECT max(id) FROM entries))"))
        db.engine.dispose()
    if not quiet:
        print(file=sys.stderr)
    return {"entries": entries, "tags": len(tag_ids), "workshops": len(workshops), "editions": len(YEARS),
            "seconds": time.perf_counter() - started, "vocabulary": WORDS, "tag_names": names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--database", default="sqlite:////tmp/commons-search-corpus.db")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()
    info = generate(args.database, args.entries, args.seed)
    print(f"{info['entries']} fiches, {info['tags']} étiquettes, {info['workshops']} ateliers, "
          f"{info['editions']} éditions en {info['seconds']:.1f} s")


if __name__ == "__main__":
    main()
