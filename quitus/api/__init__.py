"""The HTTP API and web pages (FastAPI): ``create_app`` builds them; ``quitus serve`` runs them."""

from quitus.api.app import create_app

__all__ = ["create_app"]
