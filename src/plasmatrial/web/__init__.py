"""The response review workbench: a FastAPI application on SQLite or PostgreSQL (decision 1000).

Started with ``plasmatrial serve``; :func:`plasmatrial.web.app.create_app` builds it. Needs the
``web`` extra (``pip install 'plasmatrial[web]'``).
"""
