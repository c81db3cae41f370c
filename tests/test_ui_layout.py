"""Phone layout: at 375px no page may scroll sideways.

Wide content belongs in a deliberate scroll region (`.table-scroll`), never in the page itself;
a page that scrolls sideways hides its right edge and makes every line hard to read on a phone.
"""
import pytest
import sqlalchemy as sa

from commons.accounts.models import Role
from commons.extensions import db
from commons.feedback.models import FeedbackAnswer

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}

W2023 = "/editions/nec-sud-ouest-2023/ateliers/les-communs-de-la-mediation-numerique"
W2024 = "/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique"

PUBLIC_PAGES = [
    "/",
    "/editions",
    "/editions/nec-sud-ouest-2023",
    W2023,
    W2024,
    W2023 + "/synthese",
    W2023 + "/synthese/v/1",
    W2023 + "/synthese/diff?de=1&a=1",
    "/editions/nec-sud-ouest-2023/ateliers/passerelles-mediation-numerique-ecole",  # its shared resources
    "/natures",
    "/natures/valeur",
    "/etiquettes",
    "/modifications",
    "/etiquettes/accueil",
    "/recherche?q=mediation",
    "/recherche?q=zzzqqqxx",
    "/editions/comparer",
    "/editions/nec-sud-ouest-2023/comparer/nec-sud-ouest-2024",
    "/actions/suivi",
    "/connexion",
    "/inscription",
    "/mot-de-passe/oubli",
    "/confidentialite",
    "/nulle-part",
]

SIGNED_IN_PAGES = [
    "/compte/sessions",
    "/compte",
    "/compte/supprimer",
    "/admin/demandes",
    "/admin/invitations",
    "/admin/liens",
    "/admin/comptes",
    "/admin/journal",
    "/fiches/nouvelle",
    "/editions/nouvelle",
    "/editions/nec-sud-ouest-2024/programme",
    "/editions/nec-sud-ouest-2024/programme/les-communs-de-la-mediation-numerique/modifier",
    W2024 + "/decisions",
    W2024 + "/reprise",
    W2023 + "/synthese/brouillon",
    W2024 + "/ressources",
    "/editions/nec-sud-ouest-2023/ateliers/passerelles-mediation-numerique-ecole/ressources",
]

ENTRY_SUFFIXES = ["", "/historique", "/diff?de=1&a=1", "/modifier", "/filiation"]


def sideways_overflow(page) -> int:
    """How many pixels the document is wider than the viewport (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def overflowing(page, live_server, paths) -> dict[str, int]:
    found = {}
    for path in paths:
        page.goto(live_server + path)
        if (extra := sideways_overflow(page)) > 0:
            found[path] = extra
    return found


def test_public_pages_fit_a_phone(page, live_server, demo):
    page.set_viewport_size(PHONE)
    assert overflowing(page, live_server, PUBLIC_PAGES) == {}


def test_signed_in_pages_fit_a_phone(page, live_server, demo, browser_login):
    page.set_viewport_size(PHONE)
    admin = browser_login(page, Role.ADMIN)
    page.goto(live_server + W2023)
    page.get_by_role("link", name="Accueil inconditionnel").first.click()
    entry_path = page.url.removeprefix(live_server)
    paths = [entry_path + suffix for suffix in ENTRY_SUFFIXES] + SIGNED_IN_PAGES + [f"/admin/comptes/{admin.id}"]
    assert overflowing(page, live_server, paths) == {}


def test_form_with_errors_fits_a_phone(page, live_server, demo, browser_login):
    page.set_viewport_size(PHONE)
    browser_login(page, Role.CONTRIBUTOR)
    page.goto(live_server + "/fiches/nouvelle")
    page.get_by_role("button", name="Créer la fiche").click()
    page.get_by_role("alert").wait_for()
    assert sideways_overflow(page) <= 0


def test_wide_tables_scroll_inside_their_region(page, live_server, demo):
    """The comparison table is wider than a phone: its region scrolls, the page does not."""
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/editions/nec-sud-ouest-2023/comparer/nec-sud-ouest-2024")
    region = page.locator(".table-scroll").first
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    assert sideways_overflow(page) <= 0


def test_header_stays_compact_on_a_phone(page, live_server, demo, browser_login):
    """Brand, navigation, tools and search fit in well under a third of the first screen."""
    page.set_viewport_size(PHONE)
    browser_login(page, Role.ADMIN)
    page.goto(live_server + "/")
    header_height = page.locator(".site-header").evaluate("el => el.getBoundingClientRect().height")
    assert header_height < 260
    sign_out = page.get_by_role("button", name="Se déconnecter")
    assert sign_out.bounding_box()["height"] >= 44


def test_feedback_pages_fit_a_phone(page, live_server, feedback_pages, browser_login):
    page.set_viewport_size(PHONE)
    assert overflowing(page, live_server, [feedback_pages["answer"], feedback_pages["results"]]) == {}
    browser_login(page, Role.ADMIN)
    assert overflowing(page, live_server, [feedback_pages["manage"], feedback_pages["results"]]) == {}


def test_a_participant_answers_the_questionnaire_on_a_phone(page, live_server, feedback_pages):
    """360 px, no account: the scales are radio groups named by their question; one answer only."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server + feedback_pages["answer"])
    page.get_by_role("group", name="Dans l'ensemble, êtes-vous satisfait·e de cette édition ?") \
        .get_by_role("radio", name="Très satisfait·e").check()
    page.get_by_role("group", name="Êtes-vous satisfait·e de l'organisation ?").get_by_label("Satisfait·e", exact=True) \
        .check()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    # Two questions left unanswered: the form comes back, says which, keeps the choices made.
    page.get_by_role("alert").wait_for()
    assert "Êtes-vous satisfait·e du contenu ?" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("radio", name="Très satisfait·e").first.is_checked()
    page.get_by_role("group", name="Êtes-vous satisfait·e du contenu ?").get_by_label("Peu satisfait·e").check()
    page.get_by_role("group", name="Viendriez-vous à la prochaine édition ?").get_by_label("Peut-être").check()
    page.get_by_label("Un commentaire, une suggestion ?").fill("Des ateliers en petits groupes, merci !")
    page.get_by_label("J'accepte que mon commentaire soit publié").check()
    assert sideways_overflow(page) <= 0
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_role("heading", name="Merci pour votre réponse").wait_for()
    assert sideways_overflow(page) <= 0
    page.goto(live_server + feedback_pages["answer"])  # the same browser, again: thanked, no form
    assert page.get_by_role("button", name="Envoyer mes réponses").count() == 0
    db.session.expire_all()
    saved = db.session.scalar(sa.select(FeedbackAnswer).where(FeedbackAnswer.browser_hash.not_like("navigateur-%")))
    assert (saved.overall, saved.organisation, saved.content, saved.come_again, saved.is_publishable) == (
        "tres_satisfait", "satisfait", "peu_satisfait", "peut_etre", True)
