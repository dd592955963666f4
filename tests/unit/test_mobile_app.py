"""The customers' phone app is static files served by the gateway under `/m/` (no build step), outside
the OpenAPI document, under the same Content-Security-Policy as the console (no inline script or style)."""
from __future__ import annotations

import re

from gateway.mobile import MOBILE_DIR


def test_the_app_and_its_modules_are_served_with_the_consoles_policy(app):
    page = app.simulate_get("/m/")
    assert page.status_code == 200 and '<script type="module" src="/m/js/app.js">' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    script = app.simulate_get("/m/js/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert app.simulate_get("/m/../gateway/app.py").status_code == 404
    paths = app.simulate_get("/openapi.json").json["paths"]
    assert not [path for path in paths if path.startswith("/m/")]


def test_no_inline_script_or_style_and_every_module_it_imports_exists():
    html = (MOBILE_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "style=" not in html and "<style" not in html
    for script in (MOBILE_DIR / "js").glob("*.js"):
        for target in re.findall(r'from "\./([\w.]+)"', script.read_text()):
            assert (MOBILE_DIR / "js" / target).exists(), (script.name, target)
