"""The NEC Sud-Ouest 2023 demo: faithful to the report, without personal names, idempotent."""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from commons.demo import loader
from commons.demo.loader import DEMO_2023, DemoDataError, load_demo, load_edition_data, read_data
from commons.editions.models import Edition, GuidingQuestion, Structure, Workshop, WorkshopFormat
from commons.entries.models import Entry, Revision, Tag
from commons.extensions import db
from commons.kinds import EntryKind
from commons.syntheses.models import Synthesis, SynthesisVersion

SLUG = "nec-sud-ouest-2023"

# Every surname the report gives (speakers, facilitators, the mayor): none may reach the demo.
REPORT_SURNAMES = [
    "Belin", "Becard", "Pechaud", "Mainpin", "Borrut", "De Luze", "Joseph-Alexandre", "Lasarte", "Tato",
    "Teheri", "Nguyen", "Fortinon", "Patriarche", "Naquet", "Martinez", "Lagrave", "Dessinges", "Galumbo",
    "Duniaud", "Dessinet", "Meynot", "Briand", "Brun", "Tanne", "Nizon", "Daudigeos", "Gomez",
    "Lagaronne", "Laoue", "Plano", "Verbeke",
]
REPORT_FIRST_NAMES = [
    "Eva", "Richard", "Vincent", "Fernand", "Sacha", "Alix", "Eric", "Marc-Antoine", "Charlène", "Françoise",
    "Anna", "Xavier", "Nicolas", "Amélie", "Amalia", "Renaud", "Catherine", "Caroline", "Anne", "Hubert",
    "Bertrand", "Cyrielle", "Laurine", "Camille", "Garlan", "Garlann", "Julien", "Laureen", "Laure",
    "Sandrine", "Véronique", "Fabrice",
]


def edition_2023() -> Edition:
    return db.session.scalar(sa.select(Edition).where(Edition.slug == SLUG))


def entries_2023(**filters) -> list[Entry]:
    query = sa.select(Entry).join(Entry.edition).where(Edition.slug == SLUG).filter_by(**filters)
    return db.session.scalars(query.order_by(Entry.position, Entry.id)).all()


def workshop(slug: str) -> Workshop:
    return db.session.scalar(sa.select(Workshop).join(Workshop.edition)
                             .where(Edition.slug == SLUG, Workshop.slug == slug))


def table_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in db.metadata.sorted_tables}


# --- faithful to the report ---------------------------------------------------------------------

def test_counts_per_kind_match_the_report(demo):
    counts = {kind: len(entries_2023(kind=kind)) for kind in EntryKind}
    assert counts == {
        EntryKind.VALEUR: 9, EntryKind.SAVOIR: 6, EntryKind.PRATIQUE: 7,
        EntryKind.PREREQUIS: 5, EntryKind.MOYEN: 4, EntryKind.ACTION: 5,
    }
    top_level = [e for e in entries_2023(kind=EntryKind.VALEUR) if e.parent_id is None]
    assert len(top_level) == 7


def test_sub_items_hang_under_their_parent_in_order(demo):
    parent = entries_2023(title="Transmettre des savoirs, des compétences")[0]
    assert [(c.title, c.position, c.kind) for c in parent.children] == [
        ("Vulgariser", 0, EntryKind.VALEUR),
        ("Travailler en réseaux : entraide, partage et solidarité", 1, EntryKind.VALEUR),
    ]
    assert all(c.workshop_id == parent.workshop_id for c in parent.children)
    # No other entry has sub-items: "Bases informatiques" keeps its domains in its text.
    assert [e.title for e in entries_2023() if e.children] == ["Transmettre des savoirs, des compétences"]


def test_exact_titles_and_order_from_the_report(demo):
    values = [e.title for e in entries_2023(kind=EntryKind.VALEUR, parent_id=None)]
    assert values == [
        "Écoute et bienveillance", "Accueil inconditionnel",
        "Favoriser l'inclusion sociale via l'inclusion numérique",
        "Accompagner à l'autonomie et l'encapacitation", "Posture de neutralité",
        "Transmettre des savoirs, des compétences",
        "Veille professionnelle : curiosité, étendre sa culture numérique",
    ]
    knowledge = [e.title for e in entries_2023(kind=EntryKind.SAVOIR)]
    assert knowledge == [
        "Bases informatiques", "Connaissance du territoire : les acteurs, les partenaires et institutions",
        "Pédagogie", "Capacité d'adaptation", "Connaître ses propres limites", "Savoir diagnostiquer un usager",
    ]
    assert [e.title for e in entries_2023(kind=EntryKind.PRATIQUE)][-1] == "Diagnostiquer"
    assert [e.title for e in entries_2023(kind=EntryKind.PREREQUIS)][0] == "Favoriser la connaissance entre les acteurs"
    assert "Mobiliser les EPCI" in [e.title for e in entries_2023(kind=EntryKind.MOYEN)]
    assert [e.title for e in entries_2023(kind=EntryKind.ACTION)][-1] == (
        "S'appuyer sur les fédérations et associations de parents d'élèves")


def test_bases_informatiques_lists_its_domains_and_is_tagged(demo):
    entry = entries_2023(title="Bases informatiques")[0]
    for domain in ("gestion des terminaux", "logiciels", "imprimante 3D", "RGPD", "cybersécurité", "netiquette"):
        assert domain.lower() in entry.body.lower()
    assert {"rgpd", "cybersecurite"} <= {t.slug for t in entry.tags}


def test_outcomes_belong_to_the_right_workshops(demo):
    communs = workshop("les-communs-de-la-mediation-numerique")
    school = workshop("passerelles-mediation-numerique-ecole")
    assert {e.kind for e in communs.entries} == {EntryKind.VALEUR, EntryKind.SAVOIR, EntryKind.PRATIQUE}
    assert {e.kind for e in school.entries} == {EntryKind.PREREQUIS, EntryKind.MOYEN, EntryKind.ACTION}
    assert len(communs.entries) == 22 and len(school.entries) == 14
    assert all("école" in e.tag_names for e in school.entries)


def test_guiding_questions_and_their_kinds(demo):
    school = workshop("passerelles-mediation-numerique-ecole")
    assert [(q.text, q.kind) for q in school.questions] == [
        ("Quels prérequis ?", EntryKind.PREREQUIS), ("Quels moyens ?", EntryKind.MOYEN),
        ("Quelles actions ?", EntryKind.ACTION),
    ]
    communs = workshop("les-communs-de-la-mediation-numerique")
    assert [(q.text, q.kind) for q in communs.questions] == [
        ("Les communs de la médiation numérique : les valeurs", EntryKind.VALEUR),
        ("Les communs de la médiation numérique : les savoirs", EntryKind.SAVOIR),
        ("Les communs de la médiation numérique : les pratiques", EntryKind.PRATIQUE),
    ]
    assert "trois sous-groupes" in school.report
    assert "questionnaire" in workshop("mobiliser-les-parents-parentalite-numerique").report


def test_programme_has_every_session_with_slot_room_and_format(demo):
    edition = edition_2023()
    assert (edition.name, edition.place, edition.venue) == ("NEC Sud-Ouest 2023", "Ondres (Landes)", "Espace Capranie")
    assert (str(edition.starts_on), str(edition.ends_on)) == ("2023-06-06", "2023-06-07")
    assert [s.slug for s in edition.organisers] == ["alpi", "la-fibre64"]
    assert "115 participants" in edition.description and "71 structures" in edition.description
    assert "Les points à conserver" in edition.description
    sessions = {w.slug: w for w in edition.workshops}
    assert len(sessions) == 12
    formats = [w.format for w in edition.workshops]
    assert formats.count(WorkshopFormat.ATELIER) == 6 and formats.count(WorkshopFormat.MASTERCLASS) == 2
    assert {WorkshopFormat.TABLE_RONDE, WorkshopFormat.DEMONSTRATION, WorkshopFormat.PLENIERE,
            WorkshopFormat.CONVIVIAL} <= set(formats)
    communs = sessions["les-communs-de-la-mediation-numerique"]
    # The programme list wins over the detail page (10h): see the file's notes.
    assert (communs.starts_at, communs.ends_at, communs.room) == (
        datetime(2023, 6, 7, 10, 15), datetime(2023, 6, 7, 11, 45), "Espace 1")
    masterclass = sessions["masterclass-c-est-quoi-la-mediation-numerique"]
    assert (masterclass.starts_at, masterclass.ends_at, masterclass.room) == (
        datetime(2023, 6, 7, 9, 0), datetime(2023, 6, 7, 10, 0), "Grande scène")
    pix = sessions["demonstration-univers-pix"]
    assert (pix.starts_at, pix.ends_at) == (datetime(2023, 6, 6, 17, 30), None)
    assert {w.room for w in edition.workshops} == {"Grande scène", "Espace 1", "Espace 2", ""}
    assert {w.axis for w in edition.workshops} == {
        "", "La transformation numérique des territoires", "Le numérique dans la sphère éducative",
        "Les nouveaux enjeux de la médiation numérique",
    }
    table_ronde = sessions["table-ronde-sud-ouest-terre-d-inclusion-numerique"]
    assert {s.slug for s in table_ronde.structures} == {
        "prefecture-des-landes", "sous-prefecture-des-pyrenees-atlantiques", "departement-des-landes",
        "departement-des-pyrenees-atlantiques", "anct", "la-fibre64", "alpi",
    }
    assert [s.name for s in sessions["passerelles-mediation-numerique-ecole"].structures] == [
        "Communauté de communes Nord Est Béarn", "Réseau Cyberbase Lacq-Orthez", "Éducation nationale (DSDEN)"]


def test_each_entry_has_one_import_revision(demo):
    revisions = db.session.scalars(sa.select(Revision).join(Revision.entry).join(Entry.edition)
                                   .where(Edition.slug == SLUG)).all()
    assert len(revisions) == 36
    assert {(r.number, r.author_id, r.summary) for r in revisions} == {(1, None, "Import du bilan NEC Sud-Ouest 2023")}
    assert {r.created_at for r in revisions} == {datetime(2023, 6, 30, 10, 0)}
    assert {e.created_by_id for e in entries_2023()} == {None}


def test_loaded_demo_agrees_with_its_tallies(demo):
    """The home page's counts and recent changes' number of revisions come from the tallies."""
    from commons.entries.tallies import recount

    with db.engine.begin() as conn:
        assert recount(conn) is True


def test_data_file_holds_no_personal_name():
    text = DEMO_2023.read_text(encoding="utf-8")
    for name in REPORT_SURNAMES + REPORT_FIRST_NAMES:
        assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.IGNORECASE), name


def test_database_holds_no_personal_name_after_loading(demo):
    texts = []
    for model, columns in ((Edition, ("name", "description")), (Workshop, ("title", "description", "report")),
                           (Structure, ("name", "description")), (Entry, ("title", "body")),
                           (GuidingQuestion, ("text",)), (Tag, ("name",)), (Synthesis, ("intro", "conclusion")),
                           (SynthesisVersion, ("intro", "conclusion"))):
        for row in db.session.scalars(sa.select(model)):
            texts.extend(getattr(row, c) for c in columns)
    blob = "\n".join(texts)
    for name in REPORT_SURNAMES:
        assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", blob, re.IGNORECASE), name


def test_the_two_workshops_with_outcomes_have_a_published_synthesis(demo, client):
    versions = db.session.scalars(sa.select(SynthesisVersion).join(Synthesis).join(Workshop)
                                  .order_by(Workshop.slug)).all()
    assert [(v.synthesis.workshop.slug, v.number, v.published_by_id) for v in versions] == [
        ("les-communs-de-la-mediation-numerique", 1, None), ("passerelles-mediation-numerique-ecole", 1, None)]
    communs, passerelles = versions
    assert [s["title"] for s in communs.sections] == [EntryKind.VALEUR.plural, EntryKind.SAVOIR.plural,
                                                      EntryKind.PRATIQUE.plural]
    outcomes = db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
        Entry.workshop_id == communs.synthesis.workshop_id))
    assert sum(len(s["items"]) for s in communs.sections) == outcomes == 22  # 20 and 2 sub-items
    assert "stratégie numérique 2023-2027" in passerelles.conclusion
    page = client.get("/editions/nec-sud-ouest-2023/ateliers/passerelles-mediation-numerique-ecole/synthese")
    assert page.status_code == 200 and "Rapprocher les fablabs et les écoles" in page.get_data(as_text=True)


# --- idempotence and validation -----------------------------------------------------------------------

def test_second_load_changes_nothing(app):
    assert load_demo() is True
    db.session.commit()
    before = table_counts()
    assert load_demo() is False
    db.session.commit()
    assert table_counts() == before


def test_edited_demo_entry_survives_a_reload(demo):
    entry = entries_2023(title="Pédagogie")[0]
    entry.body = "Texte enrichi par une médiatrice."
    db.session.commit()
    assert load_demo() is False
    db.session.commit()
    db.session.refresh(entry)
    assert entry.body == "Texte enrichi par une médiatrice."


@pytest.fixture
def data():
    return copy.deepcopy(read_data(DEMO_2023))


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["workshops"][6]["entries"][2].update(kind="opinion"),
     "workshops[6] « passerelles-mediation-numerique-ecole ».entries[2] « Créer un environnement de confiance »"),
    (lambda d: d["workshops"][1]["structures"].append("inconnue"), "structure « inconnue » inconnue"),
    (lambda d: d["workshops"][0].update(format="conference"), "format « conference » inconnu"),
    (lambda d: d["workshops"][0].update(start="25:00"), "heure « 25:00 » invalide"),
    (lambda d: d["workshops"][2].update(end="09:00"), "la fin doit suivre le début"),
    (lambda d: d["workshops"][0].update(day="2023-06-09"), "jour hors des dates"),
    (lambda d: d["workshops"][11]["entries"][5]["children"][0].update(title=" "), "Le titre est obligatoire"),
    (lambda d: d["workshops"][0].update(tittle="x"), "champ(s) inconnu(s) : tittle"),
    (lambda d: d["workshops"].append(copy.deepcopy(d["workshops"][0])), "identifiant en double"),
    (lambda d: d["workshops"][3].update(axis="Un axe"), "axe « Un axe » absent"),
    (lambda d: d["workshops"][6]["questions"][0].update(kind="quoi"), "nature « quoi » inconnue"),
])
def test_bad_data_fails_loudly_and_writes_nothing(app, data, mutate, expected):
    mutate(data)
    with pytest.raises(DemoDataError) as error:
        load_edition_data(data, summary="x", created_at=datetime(2023, 6, 30), source="essai.json")
    assert expected in str(error.value)
    assert str(error.value).startswith("essai.json : ")
    db.session.rollback()
    assert table_counts()["editions"] == 0 and table_counts()["structures"] == 0


def test_unreadable_file_is_reported(tmp_path):
    bad = tmp_path / "casse.json"
    bad.write_text("{ pas du json", encoding="utf-8")
    with pytest.raises(DemoDataError, match="casse.json : JSON illisible"):
        read_data(bad)


def test_notes_explain_the_choices():
    notes = " ".join(json.loads(DEMO_2023.read_text(encoding="utf-8"))["notes"])
    assert "10h15–11h45" in notes and "Aucun nom de personne" in notes


# --- command line ------------------------------------------------------------------------------------

def test_cli_load_then_already_loaded(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Édition « NEC Sud-Ouest 2023 » chargée : 12 sessions, 36 fiches." in result.output
    assert edition_2023() is not None
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "déjà chargées" in result.output
    result = runner.invoke(args=["demo", "status"])
    assert result.exit_code == 0
    assert "NEC Sud-Ouest 2023 (nec-sud-ouest-2023) : 12 sessions, 36 fiches." in result.output


def test_cli_if_empty_leaves_a_used_database_alone(runner, make_edition):
    make_edition(2030, slug="autre-evenement", name="Autre événement")
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "non chargées" in result.output
    assert edition_2023() is None


def test_cli_if_empty_loads_an_empty_database(runner):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert edition_2023() is not None


def test_cli_fails_with_a_clear_message_on_bad_data(runner, tmp_path, monkeypatch):
    data = json.loads(DEMO_2023.read_text(encoding="utf-8"))
    data["workshops"][0]["format"] = "conference"
    bad = tmp_path / "nec-sud-ouest-2023.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(loader, "DEMO_2023", bad)
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "Données de démonstration invalides" in result.output and "conference" in result.output
    assert edition_2023() is None


def test_cli_status_on_an_empty_database(runner):
    result = runner.invoke(args=["demo", "status"])
    assert result.exit_code == 0 and "Aucune édition" in result.output
