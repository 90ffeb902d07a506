"""The public front door: the routes a reporter's browser calls, and their pages.

``app.create_app(settings)`` assembles everything a public request needs (the composition
root); ``routes.ROUTES`` is the one table of routes that both the Chalice app
(``functions/app.py``) and the local server (``jubao.wsgi``) serve.
"""
