"""The security headers come from a plain ASGI middleware (decision 1009): on pages, redirects,
errors and static files; no CSP on FastAPI's /docs (Swagger UI loads from a CDN)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from plasmatrial.web.app import CSP, SECURITY_HEADERS


def test_every_kind_of_response_carries_the_headers(sqlite_app: FastAPI) -> None:
    client = TestClient(sqlite_app)
    responses = {
        "page": client.get("/login"),
        "redirect": client.get("/studies", follow_redirects=False),
        "not found": client.get("/no/such/page"),
        "static": client.get("/static/htmx.min.js"),
        "api 401": client.get("/api/studies/1/queue"),
    }
    assert responses["redirect"].status_code == 303
    assert responses["not found"].status_code == 404
    assert responses["api 401"].status_code == 401
    for what, r in responses.items():
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value, (what, name)
        assert r.headers.get("content-security-policy") == CSP, what
        assert r.headers.get_list("x-frame-options") == ["DENY"], what  # set once


def test_docs_have_no_csp(sqlite_app: FastAPI) -> None:
    r = TestClient(sqlite_app).get("/docs")
    assert r.status_code == 200
    assert "content-security-policy" not in r.headers
    assert r.headers["x-frame-options"] == "DENY"
