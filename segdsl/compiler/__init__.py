"""Checked project → SQL through sqlglot's expression builders (not built yet)."""
