"""segdsl: customer segments as declarative rules, compiled to SQL and evaluated."""

__version__ = "0.1.0"
