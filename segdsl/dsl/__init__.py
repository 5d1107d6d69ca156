"""The rule language: grammar, YAML source positions, parser, AST, checker, diagnostics."""
