"""Browsing pages: home, editions, programme, workshop, kinds and tags (published entries only)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from html import unescape

import pytest
import sqlalchemy as sa

from commons.editions.models import Edition, Workshop
from commons.entries.models import Entry, EntryStatus
from commons.extensions import db
from commons.kinds import EntryKind

EDITION = "/editions/nec-sud-ouest-2023"
COMMUNS = EDITION + "/ateliers/les-communs-de-la-mediation-numerique"
SCHOOL = EDITION + "/ateliers/passerelles-mediation-numerique-ecole"


def html_of(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def h1s(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)]


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def entry_by_title(title: str) -> Entry:
    return db.session.scalar(sa.select(Entry).where(Entry.title == title))


def archive(title: str) -> Entry:
    entry = entry_by_title(title)
    entry.status = EntryStatus.ARCHIVED
    db.session.commit()
    return entry


@pytest.fixture
def report(app):
    """Only the 2023 edition, as the report gives it: the illustrative 2024 demo (lineage) would
    change the counts these tests pin down."""
    from commons.demo.loader import DEMO_2023, IMPORT_SUMMARY_2023, IMPORTED_AT_2023, load_edition_file
    from tests.conftest import load_once_then_copy

    load_once_then_copy("report", lambda: load_edition_file(DEMO_2023, summary=IMPORT_SUMMARY_2023,
                                                            created_at=IMPORTED_AT_2023))


@contextmanager
def count_queries():
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


# --- every page: one h1, a title, French, nothing inline -----------------------------------------------

@pytest.mark.parametrize("url, heading, title", [
    ("/", "Les communs de la médiation numérique", "Accueil"),
    ("/editions", "Les éditions", "Éditions"),
    (EDITION, "NEC Sud-Ouest 2023", "NEC Sud-Ouest 2023"),
    (COMMUNS, "Les communs de la médiation numérique", "Les communs de la médiation numérique · NEC Sud-Ouest 2023"),
    ("/natures", "Les six natures de fiches", "Natures"),
    ("/natures/valeur", "Valeurs", "Valeurs"),
    ("/etiquettes", "Étiquettes", "Étiquettes"),
    ("/etiquettes/ecole", "Étiquette « école »", "#école"),
])
def test_pages_have_one_heading_a_title_and_nothing_inline(client, report, url, heading, title):
    html = html_of(client, url)
    assert h1s(html) == [heading]
    assert title_of(html).startswith(title + " · ")
    assert '<html lang="fr">' in html
    assert " style=" not in html and "<script" not in html
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html


@pytest.mark.parametrize("url, message", [
    ("/editions/nec-2099", "Aucune édition ne porte l'identifiant « nec-2099 »."),
    (EDITION + "/ateliers/inexistant", "Cet atelier n'existe pas dans l'édition « nec-sud-ouest-2023 »."),
    ("/editions/autre/ateliers/les-communs-de-la-mediation-numerique", "Cet atelier n'existe pas"),
    ("/natures/opinion", "La nature « opinion » n'existe pas."),
    ("/etiquettes/inconnue", "Aucune fiche ne porte l'étiquette « inconnue »."),
])
def test_missing_things_get_a_french_404(client, report, url, message):
    html = unescape(html_of(client, url, 404))
    assert "Page introuvable" in html and message in html


# --- home ----------------------------------------------------------------------------------------------

def test_home_shows_editions_kinds_with_counts_and_latest_changes(client, report):
    html = html_of(client, "/")
    assert 'href="/editions/nec-sud-ouest-2023"' in html and "6 et 7 juin 2023" in html
    for kind, count in [("valeur", 9), ("savoir", 6), ("pratique", 7), ("prerequis", 5), ("moyen", 4), ("action", 5)]:
        card = rf'href="/natures/{kind}">[^<]+</a></h3>\s*<p class="meta">.*?{count} fiches'
        assert re.search(card, html, re.S), kind
    changes = html.split("Dernières modifications", 1)[1]
    assert changes.count("<li>") == 10
    assert "Import" in changes and "Import du bilan NEC Sud-Ouest 2023" in changes and "30 juin 2023" in changes


def test_home_names_the_author_of_a_web_edit(client, report, contributor):
    from commons.entries.services import revise_entry

    entry = entry_by_title("Pédagogie")
    revise_entry(entry, base_revision=1, author=contributor, kind=entry.kind, title=entry.title,
                 body="Adapter son discours au public.", tags=entry.tag_names, workshop=entry.workshop,
                 summary="Précision")
    db.session.commit()
    changes = html_of(client, "/").split("Dernières modifications", 1)[1]
    first = changes.split("</li>", 1)[0]
    assert "Pédagogie" in first and f"par {contributor.name}" in first and "Précision" in first


def test_home_on_an_empty_database(client):
    html = html_of(client, "/")
    assert "Aucune édition pour l'instant." in html and "0 fiche" in html


# --- editions and programme ----------------------------------------------------------------------------

def test_edition_programme_by_day_then_time(client, report):
    html = html_of(client, EDITION)
    tuesday, wednesday = html.index("mardi 6 juin 2023"), html.index("mercredi 7 juin 2023")
    order = [
        "Accueil et ouverture du NEC", "Transformation numérique des territoires",
        "L&#39;accès alternatif aux ressources numériques", "Le Sud-Ouest : terre d&#39;inclusion numérique",
        "Comment accompagner les familles", "Quelles passerelles entre la médiation numérique et l&#39;école ?",
        "Comment mobiliser les parents", "L&#39;univers Pix", "Clôture de la journée",
        "C&#39;est quoi la médiation numérique ?", "De la stratégie locale d&#39;inclusion numérique",
        "Les communs de la médiation numérique</a>",
    ]
    positions = [html.index(title) for title in order]
    assert positions == sorted(positions)
    assert tuesday < positions[0] and positions[8] < wednesday < positions[9]
    assert "10h15 – 11h45" in html and "9h – 10h" in html and "17h30" in html
    session = html[html.index("Le Sud-Ouest : terre"):html.index("Comment accompagner les familles")]
    for text in ("Table ronde", "Grande scène", "Axe : La transformation numérique des territoires",
                 "Préfecture des Landes", "ANCT"):
        assert text in session
    assert "Alpi — Agence landaise pour l'informatique" in unescape(html)
    assert "La Fibre64" in html and "115 participants issus de 71 structures" in html
    assert "banner-illustrative" not in html


def test_edition_page_flags_illustrative_data(client, make_edition):
    make_edition(2024, is_illustrative=True)
    html = html_of(client, "/editions/nec-sud-ouest-2024")
    assert "banner-illustrative" in html and "Données illustratives." in html
    assert "Le programme de cette édition n'est pas encore renseigné." in unescape(html)


def test_editions_list(client, report, make_edition):
    make_edition(2024, place="Pau", is_illustrative=True)
    html = html_of(client, "/editions")
    assert html.index("NEC Sud-Ouest 2024") < html.index("NEC Sud-Ouest 2023")
    assert "36 fiches" in html and "Données illustratives" in html
    assert re.search(r'href="/editions"\s+aria-current="page"', html)


# --- workshop --------------------------------------------------------------------------------------------

def test_workshop_page_groups_outcomes_by_kind_with_sub_items_nested(client, report):
    html = html_of(client, COMMUNS)
    valeurs, savoirs, pratiques = (html.index(f'id="nature-{k}"') for k in ("valeur", "savoir", "pratique"))
    assert valeurs < savoirs < pratiques
    parent = entry_by_title("Transmettre des savoirs, des compétences")
    block = html[html.index(f'/fiches/{parent.id}"'):html.index("Veille professionnelle")]
    assert '<ul class="subitems">' in block and "Vulgariser" in block and "Travailler en réseaux" in block
    assert "Conseillers numériques France Services des Landes et des Pyrénées-Atlantiques" in html
    assert "Les communs de la médiation numérique : les savoirs" in html
    assert "10h15 – 11h45" in html and "Espace 1" in html
    assert "mercredi 7 juin 2023" in html
    for title in ("Bases informatiques", "Connaissance du territoire : les acteurs, les partenaires et institutions",
                  "Diagnostiquer"):
        assert f'href="/fiches/{entry_by_title(title).id}"' in html


def test_workshop_page_shows_questions_report_and_resources(client, report):
    html = html_of(client, SCHOOL)
    for text in ("Quels prérequis ?", "Quels moyens ?", "Quelles actions ?", "trois sous-groupes",
                 "la déclinaison landaise de la stratégie", "Réseau Cyberbase Lacq-Orthez"):
        assert text in html
    assert html.index('id="nature-prerequis"') < html.index('id="nature-moyen"') < html.index('id="nature-action"')


def test_anonymous_visitors_are_invited_to_sign_in(client, report):
    html = html_of(client, COMMUNS)
    assert "/fiches/nouvelle" not in html
    assert "Connectez-vous" in html and "/connexion?next=" in html


def test_signed_in_users_get_links_to_add_an_entry_here(contributor_client, report):
    workshop_id = db.session.scalar(
        sa.select(Workshop.id).where(Workshop.slug == "passerelles-mediation-numerique-ecole"))
    html = html_of(contributor_client, SCHOOL)
    assert f'href="/fiches/nouvelle?workshop={workshop_id}"' in html
    assert f'href="/fiches/nouvelle?workshop={workshop_id}&amp;kind=moyen"' in html


def test_workshop_without_outcomes(client, workshop):
    html = html_of(client, f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}")
    assert "Aucune fiche n'est encore rattachée à cet atelier." in unescape(html)


# --- only published entries ----------------------------------------------------------------------------

def test_archived_entries_are_not_listed_anywhere(client, report):
    entry = archive("Accueil inconditionnel")
    link = f'href="/fiches/{entry.id}"'
    for url in ("/", COMMUNS, "/natures/valeur", "/etiquettes/accueil"):
        assert link not in html_of(client, url), url
    assert "8 fiches" in html_of(client, "/natures/valeur")


def test_sub_item_of_an_archived_parent_is_still_listed(client, report):
    archive("Transmettre des savoirs, des compétences")
    html = html_of(client, COMMUNS)
    assert "Transmettre des savoirs" not in html
    assert f'href="/fiches/{entry_by_title("Vulgariser").id}"' in html


# --- kinds ------------------------------------------------------------------------------------------------

def test_kinds_page_explains_the_six_kinds_with_counts(client, report):
    html = html_of(client, "/natures")
    for kind in EntryKind:
        assert f'href="/natures/{kind.value}"' in html
        assert kind.description.replace("'", "&#39;") in html
    assert re.search(r'/natures/moyen">Moyens</a></h2>\s*<p class="meta">.*?4 fiches', html, re.S)


def test_kind_page_groups_entries_by_edition_and_workshop(client, report, make_edition, make_workshop, make_entry):
    other = make_edition(2024, name="NEC Sud-Ouest 2024")
    atelier = make_workshop(other, "Atelier de suivi", slug="atelier-de-suivi")
    make_entry(other, "Accueil inconditionnel, suite", EntryKind.VALEUR, workshop=atelier)
    make_entry(other, "Une valeur sans atelier", EntryKind.VALEUR)
    make_entry(other, "Une action", EntryKind.ACTION, workshop=atelier)
    html = html_of(client, "/natures/valeur")
    assert "11 fiches" in html
    assert html.index("NEC Sud-Ouest 2024") < html.index("Atelier de suivi") < html.index("Hors atelier") \
        < html.index("NEC Sud-Ouest 2023") < html.index("Les communs de la médiation numérique")
    assert "Une action" not in html and "Pédagogie" not in html
    assert EntryKind.VALEUR.description.replace("'", "&#39;") in html
    vulgariser = html.index("Vulgariser")
    assert html.rfind('<ul class="subitems">', 0, vulgariser) > html.index("Transmettre des savoirs")


# --- tags -------------------------------------------------------------------------------------------------

def test_tags_page_lists_tags_with_counts(client, report):
    html = html_of(client, "/etiquettes")
    assert re.search(r'href="/etiquettes/ecole">#école</a> <span class="count">\(14 fiches\)', html)
    assert re.search(r'href="/etiquettes/rgpd">#RGPD</a> <span class="count">\(1 fiche\)', html)
    assert html.index("#accompagnement") < html.index("#école") < html.index("#veille")


def test_tag_page_lists_the_entries_with_that_tag(client, report):
    html = html_of(client, "/etiquettes/reseau")
    for title in ("Travailler en réseaux : entraide, partage et solidarité", "Échanger, faire réseau",
                  "S&#39;appuyer sur les réseaux d&#39;inclusion numérique"):
        assert title in html
    assert "4 fiches" in html and "Vulgariser" not in html
    # Within a workshop, kinds come in their fixed order: valeur, savoir, pratique.
    assert (html.index("Travailler en réseaux") < html.index("Connaissance du territoire")
            < html.index("Échanger, faire"))
    assert 'class="kind kind-action"' in html and 'class="kind kind-valeur"' in html


@pytest.mark.parametrize("asked", ["Parentalit%C3%A9%20num%C3%A9rique", "parentalite%20%20numerique",
                                   "PARENTALITE-NUMERIQUE"])
def test_tag_addresses_are_normalised(client, report, asked):
    response = client.get(f"/etiquettes/{asked}")
    assert response.status_code == 301
    assert response.headers["Location"] == "/etiquettes/parentalite-numerique"
    html = html_of(client, "/etiquettes/parentalite-numerique")
    assert "S&#39;appuyer sur les fédérations et associations de parents d&#39;élèves" in html


def test_tag_with_no_letter_is_a_404(client, report):
    assert client.get("/etiquettes/%20--%20").status_code == 404


# --- cost does not grow with the data -------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/editions", EDITION, COMMUNS, "/natures", "/natures/valeur",
                                 "/etiquettes", "/etiquettes/posture"])
def test_listing_pages_do_not_query_per_entry(app, client, report, make_workshop, make_entry, url):
    app.config["PAGE_CACHE_MB"] = 0  # the cost of rendering, not of serving a kept page
    html_of(client, url)  # warm up
    with count_queries() as before:
        html_of(client, url)
    edition = db.session.scalar(sa.select(Edition).where(Edition.slug == "nec-sud-ouest-2023"))
    communs = db.session.scalar(sa.select(Workshop).where(Workshop.slug == "les-communs-de-la-mediation-numerique"))
    for i in range(6):
        extra = make_workshop(edition, f"Atelier supplémentaire {i}", slug=f"atelier-supplementaire-{i}")
        for target in (extra, communs):
            parent = make_entry(edition, f"Valeur {i} de {target.slug}", EntryKind.VALEUR, workshop=target,
                                tags=[f"étiquette {i}", "posture"])
            make_entry(edition, f"Sous-valeur {i} de {target.slug}", EntryKind.VALEUR, workshop=target,
                       parent=parent, tags=["posture"])
    db.session.expire_all()
    with count_queries() as after:
        html_of(client, url)
    assert len(after) == len(before), after


def test_full_demo_renders_every_edition_and_workshop(client, demo):
    """The whole demo (2023 report and the illustrative 2024 edition) browses without error."""
    editions = db.session.scalars(sa.select(Edition)).all()
    assert {e.slug for e in editions} >= {"nec-sud-ouest-2023"}
    for edition in editions:
        html = html_of(client, f"/editions/{edition.slug}")
        assert ("banner-illustrative" in html) == edition.is_illustrative
        for workshop in edition.workshops:
            html_of(client, f"/editions/{edition.slug}/ateliers/{workshop.slug}")
    for url in ("/", "/editions", "/natures", "/etiquettes", *(f"/natures/{k.value}" for k in EntryKind)):
        html_of(client, url)
