"""The code's layout, checked: each domain imports only the ones below it, one writer per rule.

A newcomer should find each thing in its own package, and the next features (syntheses,
accounts, live capture, open data) build on editions and entries: these tests keep the chain
from growing a cycle or a shortcut without anyone deciding it.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "commons"
TEMPLATES = ROOT / "templates"

# The kernel: modules every domain may use, which import no domain themselves.
KERNEL = {"commons", "commons.config", "commons.database", "commons.errors", "commons.extensions", "commons.forms",
          "commons.kinds", "commons.models", "commons.pagecache", "commons.pagestore", "commons.paging", "commons.panels", "commons.text", "commons.validation",
          "commons.web"}
# What each domain may import besides the kernel (the chain accounts ← editions ← entries ← lineage).
ALLOWED = {
    "accounts": set(),
    "editions": {"accounts"},
    "entries": {"accounts", "editions"},
    "lineage": {"accounts", "editions", "entries"},
    "syntheses": {"accounts", "editions", "entries", "lineage"},
    # Search reads the others' models through its document registry (lineages: one result
    # per outcome); nobody imports search.
    "search": {"accounts", "editions", "entries", "lineage"},
    # Participants' feedback on an edition: it knows the edition and who opened it, nothing else.
    "feedback": {"accounts", "editions"},
    "api": {"accounts", "editions", "entries", "lineage", "search"},
    # A workshop's links and documents: they hang on workshops, nothing below knows them.
    "resources": {"accounts", "editions"},
    "demo": {"accounts", "editions", "entries", "lineage", "resources", "syntheses"},
}
# create_app wires every package; nothing else in the kernel may know a domain.
WIRING = {"commons"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: Path, module: str) -> set[str]:
    """Every commons module imported anywhere in the file, function-level imports included."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "commons" or name.startswith("commons.")}


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_each_domain_imports_only_the_domains_below_it():
    modules = _modules()
    wrong = []
    for module, path in sorted(modules.items()):
        own = _domain(module)
        for imported in sorted(_imports(path, module)):
            target = _domain(imported)
            if target is None or target == own:
                continue
            if own is None and module not in WIRING:
                wrong.append(f"{module} (kernel) imports {imported}")
            elif own is not None and target not in ALLOWED[own]:
                wrong.append(f"{module} ({own}) imports {imported} ({target})")
    assert wrong == []


def test_the_import_check_sees_a_forbidden_import(tmp_path):
    # The check above must be able to fail: a module of editions importing entries is caught.
    path = tmp_path / "x.py"
    path.write_text("def f():\n    from commons.entries.models import Entry\n")
    assert _domain(sorted(_imports(path, "commons.editions.x"))[0]) == "entries"
    assert "entries" not in ALLOWED["editions"]


def test_the_kernel_list_is_the_top_level_modules():
    top_level = {m for m in _modules() if m.count(".") <= 1 and _domain(m) is None}
    assert top_level == KERNEL


# --- one writer, one place ------------------------------------------------------------------------

def _sources(exclude: set[str] = frozenset()) -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text() for p in PACKAGE.rglob("*.py")
            if str(p.relative_to(ROOT)) not in exclude}


def test_only_entries_services_makes_revisions():
    makers = [path for path, text in _sources().items() if re.search(r"(?<!class )\bRevision\(", text)]
    assert makers == ["commons/entries/services.py"]


def test_no_view_commits_or_rolls_back():
    """The request's unit of work (commons.database.end_request) commits once, or rolls back."""
    offenders = [path for path, text in _sources({"commons/database.py", "commons/web.py"}).items()
                 if re.search(r"session\.(commit|rollback)\(", text) and "/search/" not in path]
    assert offenders == []


def test_control_characters_are_checked_in_one_place():
    # The query parser only cleans a search (nothing stored), the validation module refuses.
    checkers = [path for path, text in _sources({"commons/validation.py", "commons/search/query.py"}).items()
                if re.search(r'category\(.*\)\s*(==|!=|in)\s*"C|\\x00|ord\(c\) < 32', text)]
    assert checkers == []


def test_one_slug_function_for_tags():
    definers = [path for path, text in _sources().items() if re.search(r"^def (tag_slug|slugify|fold)\(", text, re.M)]
    assert definers == ["commons/text.py"]


# --- templates hold no rules ----------------------------------------------------------------------

TEMPLATE_RULES = [
    (r"\.value\s*==|==\s*'[a-z_]+'\s*%\}", "compares an enum's value: use its property"),
    (r"role\.value|current_user\.role", "checks a role: use can(...)"),
    (r"ignore missing", "includes an optional partial: use a panel"),
    (r"url_rules|view_functions", "asks which routes exist"),
    (r"entry_lineage\(|\.query\b", "runs a query"),
]


@pytest.mark.parametrize("pattern, why", TEMPLATE_RULES)
def test_templates_hold_no_rules(pattern, why):
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {why}" for path in sorted(TEMPLATES.rglob("*.html"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(pattern, line)]
    assert found == []


# --- size -----------------------------------------------------------------------------------------

FUNCTION_LINES_MAX = 40
# Longer on purpose, each with its reason.
LONG_ON_PURPOSE = {
    # One flat list of checks, one per field of the data file, each naming the item at fault.
    ("commons/demo/loader.py", "validate"),
}


def test_no_function_is_longer_than_40_lines():
    long = []
    for path, text in _sources().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES_MAX and (path, node.name) not in LONG_ON_PURPOSE:
                    long.append(f"{path}:{node.lineno} {node.name} ({length} lines)")
    assert long == []
