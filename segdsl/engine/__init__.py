"""Engines that evaluate compiled projects; DuckDB (embedded) is the default."""
