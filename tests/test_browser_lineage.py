"""The whole flow in Chromium: create the 2024 edition, carry the 2023 "communs" values, take one
decision of every kind, then read the comparison and an entry's lineage."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from commons.accounts.models import Role
from commons.demo.loader import DEMO_2023, IMPORT_SUMMARY_2023, IMPORTED_AT_2023, load_edition_file
from commons.extensions import db

pytestmark = pytest.mark.browser

COMMONS_2024 = "/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique"
SCHOOL_2024 = "/editions/nec-sud-ouest-2024/ateliers/passerelles-mediation-numerique-ecole"


@pytest.fixture
def only_2023(app):
    load_edition_file(DEMO_2023, summary=IMPORT_SUMMARY_2023, created_at=IMPORTED_AT_2023)
    db.session.commit()


def card(page, title):
    return page.locator("li.decision-card", has=page.get_by_role("link", name=title, exact=True))


def open_and_fill(page, title, summary, label, text, button):
    item = card(page, title)
    item.locator("summary", has_text=summary).click()
    item.get_by_label(label).fill(text)
    item.get_by_role("button", name=button).click()
    expect(page.locator(".flash-success")).to_contain_text("Décision enregistrée")


def test_carry_decide_compare_and_read_lineage(page, live_server, browser_login, only_2023, make_entry):
    browser_login(page, Role.ADMIN)

    # 1. The admin creates the 2024 edition, copying the 2023 programme.
    page.goto(f"{live_server}/editions/nouvelle")
    page.get_by_label("Nom").fill("NEC Sud-Ouest 2024")
    page.get_by_label("Année").fill("2024")
    page.get_by_label("Premier jour").fill("2024-06-04")
    page.get_by_label("Dernier jour").fill("2024-06-05")
    page.get_by_label("Reprendre le programme de").select_option(label="NEC Sud-Ouest 2023")
    page.get_by_role("button", name="Créer l'édition").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme de NEC Sud-Ouest 2024")
    workshop_link = page.locator("main").get_by_role("link", name="Les communs de la médiation numérique", exact=True)
    expect(workshop_link).to_be_visible()

    # 2. Carry the values of the 2023 "communs" workshop.
    page.goto(f"{live_server}{COMMONS_2024}/reprise")
    page.get_by_label("Une seule nature").check()
    page.get_by_label("Nature", exact=True).select_option("valeur")
    page.get_by_role("button", name="Reprendre").click()
    expect(page.locator(".flash-success")).to_contain_text("9 fiche(s) reprise(s)")
    # Carrying one of them again is refused, with the reason.
    page.goto(f"{live_server}{COMMONS_2024}/reprise")
    expect(page.get_by_label("Accueil inconditionnel")).to_be_disabled()

    # 3. One decision of every kind.
    page.goto(f"{live_server}{COMMONS_2024}/decisions")
    for title in ("Accueil inconditionnel", "Transmettre des savoirs, des compétences", "Vulgariser"):
        card(page, title).get_by_role("button", name="Reconduire").click()
        expect(page.locator(".flash-success")).to_contain_text("reconduit")
    open_and_fill(page, "Favoriser l'inclusion sociale via l'inclusion numérique", "Reformuler",
                  "Nouvelle formulation", "Favoriser l'inclusion sociale par l'inclusion numérique",
                  "Enregistrer la reformulation")
    open_and_fill(page, "Veille professionnelle : curiosité, étendre sa culture numérique", "Reformuler",
                  "Nouvelle formulation", "Curiosité et veille professionnelle", "Enregistrer la reformulation")
    open_and_fill(page, "Accompagner à l'autonomie et l'encapacitation", "Scinder", "Une formulation par ligne",
                  "Accompagner vers l'autonomie\nFavoriser le pouvoir d'agir", "Scinder la fiche")
    open_and_fill(page, "Travailler en réseaux : entraide, partage et solidarité", "Abandonner",
                  "Raison de l'abandon", "Relève des pratiques : rejoint « Échanger, faire réseau ».",
                  "Abandonner la fiche")
    page.get_by_label("Écoute et bienveillance (Valeur)").check()
    page.get_by_label("Posture de neutralité (Valeur)").check()
    page.get_by_label("Formulation de la fiche fusionnée").fill("Écoute bienveillante et posture de neutralité")
    page.get_by_role("button", name="Fusionner").click()
    expect(page.locator(".flash-success")).to_contain_text("Fiches fusionnées")
    expect(page.locator("li.decision-card", has_text="À décider")).to_have_count(0)

    # An action of the school workshop, hand-picked, then realised.
    page.goto(f"{live_server}{SCHOOL_2024}/reprise")
    page.get_by_label("Demi-journée CnFS : présenter les actions").check()
    page.get_by_role("button", name="Reprendre").click()
    expect(page.locator(".flash-success")).to_contain_text("1 fiche(s) reprise(s)")
    open_and_fill(page, "Demi-journée CnFS : présenter les actions", "Marquer réalisée",
                  "Ce qui montre que l'action est réalisée", "Demi-journée tenue en mars 2024",
                  "Enregistrer la réalisation")

    # A new outcome of 2024.
    import sqlalchemy as sa

    from commons.editions.models import Workshop

    workshop = db.session.scalar(sa.select(Workshop).where(Workshop.slug == "les-communs-de-la-mediation-numerique",
                                                           Workshop.edition.has(slug="nec-sud-ouest-2024")))
    make_entry(workshop.edition, "Sobriété numérique", workshop=workshop)
    page.goto(f"{live_server}{COMMONS_2024}/decisions")
    page.get_by_role("button", name="Déclarer nouvelle « Sobriété numérique »").click()
    expect(page.locator(".flash-success")).to_contain_text("déclarée nouvelle")

    # 4. The comparison page counts every decision.
    page.goto(f"{live_server}/editions/comparer")
    page.get_by_role("button", name="Comparer").click()
    expect(page).to_have_url(re.compile(r"/editions/nec-sud-ouest-2023/comparer/nec-sud-ouest-2024$"))
    values = page.locator("table.compare-counts tr", has=page.get_by_role("rowheader", name="Valeurs"))
    expect(values.locator("td")).to_have_text(["3", "2", "2", "1", "1", "0", "0", "1", "0"])
    actions = page.locator("table.compare-counts tr", has=page.get_by_role("rowheader", name="Actions"))
    expect(actions.locator("td").nth(5)).to_have_text("1")
    expect(page.locator(".diff ins").first).to_be_visible()

    # 5. The lineage of one entry: from 2023 to its two 2024 parts.
    page.get_by_role("link", name="Accompagner à l'autonomie et l'encapacitation").first.click()
    page.goto(page.url + "/filiation")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Filiation de « Accompagner à l'autonomie")
    timeline = page.locator(".lineage-timeline")
    expect(timeline).to_contain_text("NEC Sud-Ouest 2023")
    expect(timeline.get_by_role("link", name="Favoriser le pouvoir d'agir")).to_be_visible()
    expect(timeline.locator(".decision-scinde")).to_have_count(2)
    expect(page.locator("table.data")).to_contain_text("scindé en")
