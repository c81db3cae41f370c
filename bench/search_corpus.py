"""Generate a realistic benchmark corpus straight into a database (bulk Core inserts, no ORM).

    .venv/bin/python bench/search_corpus.py --entries 100000 --database sqlite:////tmp/corpus.db
    .venv/bin/python bench/search_corpus.py --entries 20000 --database postgresql://postgres@127.0.0.1/bench_x --repo /tmp/before

Vocabulary: the 30,000 most frequent French words of `wordfreq` with their real frequencies
(stop words included, as in French text), mixed with the médiation numérique domain words below
(about 12 % of body words, 40 % of title words). Fixed seed: the same corpus on every run.
Five editions × ten workshops, 200 tags (Zipf popularity), the six kinds, ~3 % archived; ~20 %
of entries have 2 to 4 revisions spread over four years (recent changes page); half the actions
have a follow-up row; ~5 % of entries of 2022-2025 descend from an entry of the previous edition
(lineage link + carry). The schema comes from the measured checkout's migrations (`flask db
upgrade` in --repo) and rows are filled by reflecting its tables, so an older checkout works too.
When the checkout has `flask entries render`, it fills the rendered bodies (timed separately);
with `flask entries recount`, the entry tallies.
The search index is not touched: run `flask search reindex` afterwards.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

DOMAIN_WORDS = """
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
WORDS = DOMAIN_WORDS  # the name older scripts imported
TAG_SEEDS = """rgpd parentalité-numérique école inclusion accessibilité cybersécurité données logiciels-libres
pix france-services aidants-connect seniors jeunesse famille tiers-lieux médiathèques réseau territoire
formation financement gouvernance communs documentation évaluation diagnostic accueil posture
écrans réseaux-sociaux harcèlement désinformation citoyenneté emploi santé handicap illectronisme
mutualisation coopération animation pédagogie vulgarisation""".split()
KINDS = ["valeur", "savoir", "pratique", "prerequis", "moyen", "action"]
YEARS = [2021, 2022, 2023, 2024, 2025]
GENERAL_SIZE = 30_000
DOMAIN_SHARE_BODY = 0.12
DOMAIN_SHARE_TITLE = 0.40
DECISIONS = ["a_decider", "reconduit", "reformule", "realise", "abandonne"]
ACTION_STATUSES = ["proposee", "en_cours", "realisee", "abandonnee"]
WORD_RE = re.compile(r"[a-zà-öø-ÿœæ]+(?:['-][a-zà-öø-ÿœæ]+)*")


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def french_vocabulary(size: int = GENERAL_SIZE) -> tuple[list[str], list[float]]:
    """The `size` most frequent French words (letters only) and their frequencies (wordfreq)."""
    from wordfreq import top_n_list, word_frequency

    words, freqs = [], []
    for word in top_n_list("fr", int(size * 1.15)):
        if WORD_RE.fullmatch(word) and (len(word) > 1 or word in ("à", "a", "y", "ô")):
            words.append(word)
            freqs.append(word_frequency(word, "fr"))
            if len(words) == size:
                break
    return words, freqs


class Writer:
    """French-looking text with real word frequencies and a fixed seed."""

    def __init__(self, seed: int = 2023):
        self.rng = random.Random(seed)
        general, freqs = french_vocabulary()
        total = sum(freqs)
        domain = DOMAIN_WORDS[:]
        self.rng.shuffle(domain)
        zipf = [1.0 / (rank + 1) ** 0.9 for rank in range(len(domain))]
        zipf_total = sum(zipf)
        self.words = general + domain
        self.general_size = len(general)

        def cum(share: float) -> list[float]:
            weights = [f * (1 - share) / total for f in freqs] + [z * share / zipf_total for z in zipf]
            return list(_accumulate(weights))

        self.body_cum, self.title_cum = cum(DOMAIN_SHARE_BODY), cum(DOMAIN_SHARE_TITLE)

    def sentence(self, lo: int, hi: int, title: bool = False) -> str:
        words = self.rng.choices(self.words, cum_weights=self.title_cum if title else self.body_cum,
                                 k=self.rng.randint(lo, hi))
        text = " ".join(words)
        return text[0].upper() + text[1:]

    def title(self) -> str:
        return self.sentence(3, 8, title=True)[:200]

    def body(self) -> str:
        paragraphs = [". ".join(self.sentence(6, 16) for _ in range(self.rng.randint(2, 5))) + "."]
        if self.rng.random() < 0.25:  # some Markdown, so that rendering has work
            paragraphs.append("\n".join(f"- {self.sentence(3, 8)}" for _ in range(self.rng.randint(2, 4))))
        if self.rng.random() < 0.3:
            paragraphs.append(". ".join(self.sentence(6, 16) for _ in range(self.rng.randint(1, 3))) + ".")
        return "\n\n".join(paragraphs)


def tag_names(writer: Writer) -> list[str]:
    rng = writer.rng
    names = [t.replace("-", " ") for t in TAG_SEEDS]
    mid = writer.words[300:6000]
    while len(names) < 200:
        pool = DOMAIN_WORDS if rng.random() < 0.6 else mid
        name = f"{rng.choice(DOMAIN_WORDS)} {rng.choice(pool)}".replace("-", " ")
        if name not in names:
            names.append(name)
    return names


SLUG_SCRIPT = """
import json, sys
from commons import text
tag = getattr(text, "tag_slug", text.slugify)
data = json.load(sys.stdin)
print(json.dumps({"tags": [tag(n) for n in data["tags"]], "slugs": [text.slugify(n)[:60] for n in data["slugs"]]}))
"""


def checkout_slugs(repo: Path, env: dict, tags: list[str], titles: list[str]) -> tuple[list[str], list[str]]:
    """Slugs as the measured checkout computes them (an edit that resubmits the tags finds them)."""
    result = subprocess.run([sys.executable, "-c", SLUG_SCRIPT], cwd=repo, env=env, capture_output=True, text=True,
                            input=json.dumps({"tags": tags, "slugs": titles}), check=True)
    data = json.loads(result.stdout)
    return data["tags"], data["slugs"]


class Filler:
    """Rows shaped for the reflected table: unknown keys dropped, NOT NULL columns without default filled."""

    def __init__(self, table):
        import sqlalchemy as sa

        self.table = table
        self.names = {c.name for c in table.columns}
        self.required = {}
        for c in table.columns:
            if c.nullable or c.primary_key or c.server_default is not None:
                continue
            t = c.type
            if isinstance(t, sa.Boolean):
                value = False
            elif isinstance(t, sa.Integer | sa.Numeric):
                value = 0
            elif isinstance(t, sa.DateTime | sa.Date):
                value = datetime(2025, 6, 1)
            else:
                value = ""
            self.required[c.name] = value

    def __call__(self, rows: list[dict]) -> list[dict]:
        out = []
        for row in rows:
            clean = {k: v for k, v in row.items() if k in self.names}
            for k, v in self.required.items():
                clean.setdefault(k, v)
            out.append(clean)
        return out


def generate(database_url: str, entries: int, seed: int = 2023, repo: Path = ROOT, env: dict | None = None,
             quiet: bool = False) -> dict:
    """Migrate the database with `repo`'s migrations, insert the corpus, render bodies if `repo` can."""
    import sqlalchemy as sa
    from common import child_env, flask, has_flask_command

    repo = Path(repo).resolve()
    if env is None:
        work = Path("/tmp/commons-bench-corpus")
        env = child_env(repo, database_url, work)
    info: dict = {"entries": entries, "database": database_url.split("://")[0], "repo": str(repo)}
    started = time.perf_counter()
    flask(repo, env, "db", "upgrade")
    info["migrate_seconds"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    writer = Writer(seed)
    rng = writer.rng
    info["vocabulary"] = len(writer.words)
    now = datetime(2025, 6, 1)
    url = database_url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    with warnings.catch_warnings():  # expression indexes (lower(email)) are not needed to fill rows
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        meta.reflect(engine)
    T = meta.tables
    fill = {name: Filler(table) for name, table in T.items()}

    names = tag_names(writer)
    workshop_titles = [writer.title() for _ in range(len(YEARS) * 10)]
    tag_slugs, workshop_slugs = checkout_slugs(repo, env, names, workshop_titles)
    counts = {"revisions": 0, "links": 0, "followups": 0, "carries": 0, "tag_links": 0}
    with engine.begin() as conn:
        structure_ids = []
        if "structures" in T:
            conn.execute(sa.insert(T["structures"]), fill["structures"]([
                {"slug": f"structure-{i}", "name": f"Structure {i}", "description": "", "place": "Landes"}
                for i in range(1, 11)]))
            structure_ids = [r[0] for r in conn.execute(sa.select(T["structures"].c.id))]
        conn.execute(sa.insert(T["editions"]), fill["editions"]([{
            "slug": f"nec-sud-ouest-{year}", "name": f"NEC Sud-Ouest {year}", "year": year, "place": "Ondres",
            "venue": "", "description": writer.body(), "is_illustrative": True, "created_at": now, "updated_at": now,
        } for year in YEARS]))
        editions = dict(conn.execute(sa.select(T["editions"].c.year, T["editions"].c.id)).all())
        rows = []
        for e, year in enumerate(YEARS):
            for i in range(10):
                n = e * 10 + i
                rows.append({"edition_id": editions[year], "slug": f"{workshop_slugs[n]}-{i}",
                             "title": workshop_titles[n], "format": "atelier", "room": f"Salle {i % 4 + 1}",
                             "axis": "", "description": writer.body(), "report": "", "created_at": now,
                             "updated_at": now, "starts_at": datetime(year, 6, 7, 9 + i % 8),
                             "ends_at": datetime(year, 6, 7, 10 + i % 8)})
        conn.execute(sa.insert(T["workshops"]), fill["workshops"](rows))
        workshops = conn.execute(sa.select(T["workshops"].c.id, T["workshops"].c.edition_id)).all()
        conn.execute(sa.insert(T["tags"]), fill["tags"]([{"slug": s, "name": n} for s, n in zip(tag_slugs, names,
                                                                                                 strict=True)]))
        tag_rows = conn.execute(sa.select(T["tags"].c.id, T["tags"].c.name).order_by(T["tags"].c.id)).all()
    tag_ids = [r[0] for r in tag_rows]
    tag_name = dict(tag_rows)
    tag_cum = list(_accumulate(1.0 / (rank + 1) ** 1.1 for rank in range(len(tag_ids))))
    year_of = {v: k for k, v in editions.items()}
    by_year_kind: dict[tuple[int, str], list[int]] = {}
    carried: set[tuple[int, int]] = set()
    batch = 5000
    for start in range(0, entries, batch):
        rows, revisions, links, lineage, carries, followups = [], [], [], [], [], []
        with engine.begin() as conn:
            next_id = (conn.execute(sa.select(sa.func.max(T["entries"].c.id))).scalar() or 0) + 1
            for n in range(start, min(entries, start + batch)):
                entry_id = next_id + n - start
                workshop_id, edition_id = rng.choice(workshops)
                year = year_of[edition_id]
                kind = rng.choice(KINDS)
                title, body = writer.title(), writer.body()
                at = now - timedelta(minutes=rng.randint(60 * 24 * 30, 60 * 24 * 365 * 4))
                entry_tag_ids = sorted(set(rng.choices(tag_ids, cum_weights=tag_cum, k=rng.randint(1, 4))))
                tags_text = "\n".join(tag_name[t] for t in entry_tag_ids)
                versions = 1 if rng.random() < 0.8 else rng.randint(2, 4)
                moments = sorted(at + timedelta(minutes=rng.randint(0, int((now - at).total_seconds() // 60)))
                                 for _ in range(versions - 1))
                text_title, text_body = title, body
                for number, moment in enumerate([at, *moments], start=1):
                    if number > 1:
                        text_body = text_body + "\n\n" + writer.sentence(6, 14) + "."
                        if rng.random() < 0.3:
                            text_title = writer.title()
                    revisions.append({"entry_id": entry_id, "number": number, "created_at": moment,
                                      "summary": "Création" if number == 1 else writer.sentence(2, 6)[:300],
                                      "kind": kind, "title": text_title, "body": text_body, "tags_text": tags_text,
                                      "workshop_id": workshop_id})
                updated = moments[-1] if moments else at
                rows.append({"id": entry_id, "kind": kind, "title": text_title, "body": text_body,
                             "status": "archivee" if rng.random() < 0.03 else "publiee",
                             "edition_id": edition_id, "workshop_id": workshop_id, "position": 0,
                             "revision_number": versions, "created_at": at, "updated_at": updated})
                links.extend({"entry_id": entry_id, "tag_id": t} for t in entry_tag_ids)
                previous = by_year_kind.get((year - 1, kind))
                if previous and rng.random() < 0.05 and "lineage_links" in T:
                    source = rng.choice(previous)
                    decision = rng.choice(DECISIONS)
                    lineage.append({"source_entry_id": source, "target_entry_id": entry_id, "decision": decision,
                                    "reason": "", "evidence": "", "created_at": at,
                                    "decided_at": None if decision == "a_decider" else at})
                    if (source, edition_id) not in carried and "lineage_carries" in T:
                        carried.add((source, edition_id))
                        carries.append({"source_entry_id": source, "edition_id": edition_id, "created_at": at})
                if kind == "action" and rng.random() < 0.5 and "lineage_action_followups" in T:
                    followups.append({"entry_id": entry_id, "status": rng.choice(ACTION_STATUSES),
                                      "owner_structure_id": rng.choice(structure_ids) if structure_ids else None,
                                      "note": writer.sentence(4, 12), "version": 0, "updated_at": updated})
                by_year_kind.setdefault((year, kind), []).append(entry_id)
            conn.execute(sa.insert(T["entries"]), fill["entries"](rows))
            conn.execute(sa.insert(T["revisions"]), fill["revisions"](revisions))
            conn.execute(sa.insert(T["entry_tags"]), fill["entry_tags"](links))
            for name, values in (("lineage_links", lineage), ("lineage_carries", carries),
                                 ("lineage_action_followups", followups)):
                if values:
                    conn.execute(sa.insert(T[name]), fill[name](values))
            counts["revisions"] += len(revisions)
            counts["links"] += len(lineage)
            counts["carries"] += len(carries)
            counts["followups"] += len(followups)
            counts["tag_links"] += len(links)
        if not quiet:
            print(f"\r{min(entries, start + batch)}/{entries} fiches", end="", file=sys.stderr, flush=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('entries', 'id'), "
                                 "(SELECT coalesce(max(id), 1) FROM entries))"))
            conn.execute(sa.text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    if not quiet:
        print(file=sys.stderr)
    info.update(counts, tags=len(tag_ids), workshops=len(workshops), editions=len(YEARS),
                seconds=round(time.perf_counter() - started, 2), tag_slugs=tag_slugs,
                columns={"entries": sorted(T["entries"].columns.keys())})
    if has_flask_command(repo, env, "entries", "render"):
        started = time.perf_counter()
        flask(repo, env, "entries", "render")
        info["render_seconds"] = round(time.perf_counter() - started, 2)
    else:
        info["render_seconds"] = None  # this checkout renders bodies on each view
    if has_flask_command(repo, env, "entries", "recount"):
        # Rows inserted below the ORM: the tallies the home page counts from are built from them.
        flask(repo, env, "entries", "recount")
    settle(url)
    return info


def settle(database_url: str) -> None:
    """Leave the corpus as a running database would be: rendering the bodies rewrote every entry,
    and a PostgreSQL table full of dead rows, without a visibility map, runs its counts and
    index-only scans 2–3 times slower. Production servers run autovacuum; this machine's server
    has it off (`SHOW autovacuum`), so the corpus is vacuumed and analysed once, here."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("VACUUM (ANALYZE)"))
        else:
            conn.execute(sa.text("ANALYZE"))
            conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--database", default="sqlite:////tmp/commons-search-corpus.db")
    parser.add_argument("--repo", default=str(ROOT), help="checkout whose migrations build the schema")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()
    info = generate(args.database, args.entries, args.seed, repo=Path(args.repo))
    print(f"{info['entries']} fiches, {info['revisions']} versions, {info['tags']} étiquettes, "
          f"{info['workshops']} ateliers, {info['followups']} suivis, {info['links']} filiations "
          f"en {info['seconds']:.1f} s (migration {info['migrate_seconds']} s, rendu {info['render_seconds']} s)")


if __name__ == "__main__":
    main()
