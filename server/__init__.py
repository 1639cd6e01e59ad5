"""A static-only web server for the Leukolens page in web/: `python -m server`."""
from server.app import create_app

__all__ = ["create_app"]
