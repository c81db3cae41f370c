"""The illustrative NEC Sud-Ouest 2024 edition (lineage demo). Filled in by the lineage work."""


def load_2024() -> bool:
    """Load the 2024 demo on top of 2023; return True when something was added."""
    return False
