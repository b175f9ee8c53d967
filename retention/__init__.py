"""retention — see ARCHITECTURE.md; not yet implemented beyond this package marker."""
