"""Phone layout: at 375px no page may scroll sideways.

Wide content belongs in a deliberate scroll region (`.table-scroll`), never in the page itself;
a page that scrolls sideways hides its right edge and makes every line hard to read on a phone.
"""
import pytest

from commons.accounts.models import Role

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
