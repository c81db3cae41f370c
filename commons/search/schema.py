"""The index schema. Bump SCHEMA_VERSION whenever a field or an analyzer changes: every
index folder records the version it was built with and a mismatch triggers a rebuild."""
from __future__ import annotations

from whoosh import columns, fields

from commons.search.analysis import french_analyzer

SCHEMA_VERSION = 10  # 10: facet columns hold distinct values + references (facets.py)

# Facet fields: one value per document, also kept in a column of distinct values and one
# reference per document, which facets.py reads as one array per segment instead of walking
# posting lists. `tag` has several values per document (facets.py reads its postings once
# per segment and keeps the result beside the segment).
SINGLE_FACETS = ("type", "kind", "edition", "workshop", "status")
FACETS = SINGLE_FACETS + ("tag",)


def _facet_column() -> columns.RefBytesColumn:
    return columns.RefBytesColumn()


def build_schema() -> fields.Schema:
    french = french_analyzer()
    return fields.Schema(
        key=fields.ID(stored=True, unique=True),  # "entry:12"
        type=fields.ID(stored=True, sortable=_facet_column()),
        doc_id=fields.STORED(),
        # Matching runs on stems; the stored original text feeds highlighting, which
        # re-analyses it and marks the original character ranges: whole words, never stems.
        title=fields.TEXT(analyzer=french, stored=True, field_boost=4.0, sortable=False),
        tag_text=fields.TEXT(analyzer=french, field_boost=2.5, phrase=False),
        body=fields.TEXT(analyzer=french, stored=True),
        kind=fields.ID(stored=True, sortable=_facet_column()),
        edition=fields.ID(stored=True, sortable=_facet_column()),  # edition slug
        year=fields.ID(stored=True),
        edition_name=fields.STORED(),
        workshop=fields.ID(stored=True, sortable=_facet_column()),  # "edition-slug/workshop-slug"
        workshop_slug=fields.ID(),
        workshop_title=fields.STORED(),
        tag=fields.KEYWORD(stored=True, lowercase=False, scorable=False),  # tag slugs, space separated
        status=fields.ID(stored=True, sortable=_facet_column()),
        # The outcome a document belongs to across editions: "entry:<smallest id of its
        # lineage>", "workshop:<slug>" (a copied programme keeps its slugs), or its own key.
        # `grouped` marks the documents that may share one, so collapsing reads few of them.
        lineage=fields.ID(stored=True),
        grouped=fields.ID(),
        # Sorting only: a column, not a DATETIME field, which would index several range terms
        # per document that no query here uses.
        date=fields.STORED(),
        sort_date=fields.COLUMN(columns.NumericColumn("q", default=0)),
        # Collapsing reads numbers, not stored fields: the lineage key's number for grouped
        # documents (0 for the others), and the edition's year.
        outcome=fields.COLUMN(columns.NumericColumn("q", default=0)),
        year_number=fields.COLUMN(columns.NumericColumn("i", default=0)),
    )


FIELD_NAMES = tuple(build_schema().names())
