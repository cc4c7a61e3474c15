"""Every component example (templates/components/*/examples.json) renders, is valid HTML, has no axe
violations in Chromium, and every component is documented."""
import json
from pathlib import Path

import pytest

from .html_check import nu_problems

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = sorted(p for p in (ROOT / "templates/components").iterdir() if p.is_dir())
EXAMPLES = [(c.name, e) for c in COMPONENTS for e in json.loads((c / "examples.json").read_text(encoding="utf-8"))]
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/css/kiosk.css"></head><body><main id="main"><h1>{title}</h1>
<form method="post" action="/">{body}</form></main></body></html>"""


def render(app, component: str, example: dict) -> str:
    source = (f'{{% from "components/{component}/macro.html" import {example["macro"]} %}}'
              f'{{{{ {example["macro"]}(**params) }}}}')
    with app.test_request_context():
        body = app.jinja_env.from_string(source).render(params=example["params"])
    title = f"{component}: {example['name']}"
    # a heading inside the example is the page's own heading: keep one h1 per page
    if "<h1" in body:
        return PAGE.replace("<h1>{title}</h1>", "").format(title=title, body=body)
    return PAGE.format(title=title, body=body)


def test_every_component_is_documented():
    for component in COMPONENTS:
        assert (component / "macro.html").exists() and (component / "README.md").exists(), component.name
        assert json.loads((component / "examples.json").read_text()), f"{component.name} has no examples"


@pytest.mark.parametrize("component, example", EXAMPLES, ids=[f"{c}-{e['name']}" for c, e in EXAMPLES])
def test_example_renders_its_text(app, component, example):
    html = render(app, component, example)
    for key in ("text", "legend", "label"):
        if key in example["params"]:
            assert example["params"][key] in html


def test_examples_are_valid_html(app, tmp_path):
    pages = {f"{component}-{i}": render(app, component, example) for i, (component, example) in enumerate(EXAMPLES)}
    problems = nu_problems(pages, tmp_path)
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_examples_have_no_axe_violations(app, browser, live_kiosk):
    from .test_accessibility import AXE, TAGS

    context = browser.new_context(viewport={"width": 1080, "height": 1920}, bypass_csp=True)
    page = context.new_page()
    page.goto(live_kiosk.url + "/help")  # same origin, so the stylesheet link resolves
    problems = []
    for component, example in EXAMPLES:
        page.set_content(render(app, component, example))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        problems += [f"{component}/{example['name']}: {v['id']}: {v['help']}" for v in result["violations"]]
    context.close()
    assert not problems, "\n".join(problems)
