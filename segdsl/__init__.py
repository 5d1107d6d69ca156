"""segdsl: customer segments as declarative rules, compiled to SQL and evaluated.

`segdsl.load(path)` opens a rules project (SPEC §7). The API is imported on first use, so that
`segdsl --version` starts without loading the parser or DuckDB.
"""

__version__ = "0.1.0"
__all__ = ["load", "Project", "UsageError", "__version__"]


def __getattr__(name: str):
    if name in ("load", "Project", "UsageError", "CheckResult"):
        from segdsl import api

        return getattr(api, name)
    raise AttributeError(f"module 'segdsl' has no attribute {name!r}")
