"""Kind and tag pages hand over to the search, where long lists can be filtered and paged."""
import re
from html import unescape


def follow_search_link(client, path):
    page = client.get(path).get_data(as_text=True)
    href = re.search(r'<a href="(/recherche\?[^"]+)">Filtrer et trier', page).group(1)
    return client.get(unescape(href)).get_data(as_text=True)


def test_kind_page_links_to_the_same_entries_in_search(client, demo):
    results = follow_search_link(client, "/natures/prerequis")
    assert "5 résultats" in results
    assert "Créer un environnement de confiance" in results
    assert "Accueil inconditionnel" not in results  # a valeur, not a prérequis


def test_tag_page_links_to_the_tag_filter(client, demo):
    results = follow_search_link(client, "/etiquettes/ecole")
    assert "Rapprocher les Fablab et les écoles" in results or "Rapprocher les fablabs et les écoles" in results
    assert "Accueil inconditionnel" not in results
