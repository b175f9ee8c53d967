"""The application shell: settings, CLI, wiring. No domain logic here."""

__version__ = "0.1.0"
