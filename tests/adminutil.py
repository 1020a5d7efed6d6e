"""Helpers for driving the admin like a browser: read a rendered form's fields (with the
inline management forms) so a POST carries what the page would send."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.urls import reverse


class _FormFields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, object] = {}
        self.selects: list[int] = []  # number of <option>s of each <select>
        self._select: str | None = None
        self._options = 0
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
                return
            self.data[name] = a.get("value") or ""
        elif tag == "select":
            self._select, self._options = name, 0
            if name:
                self.data.setdefault(name, "")
        elif tag == "option" and self._select is not None:
            self._options += 1
            if "selected" in a and self._select:
                self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.selects.append(self._options)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data[self._textarea] = self._text.strip("\n")
            self._textarea = None


def parse_form(html: str) -> _FormFields:
    parser = _FormFields()
    parser.feed(html)
    return parser


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def form_data(client, url: str, **fields) -> dict[str, object]:
    """The fields the rendered page would POST (inline templates left out), with
    `fields` filled in; a value of None removes a field."""
    response = client.get(url)
    assert response.status_code == 200, url
    data = {
        k: v
        for k, v in parse_form(response.content.decode()).data.items()
        if "__prefix__" not in k and k != "csrfmiddlewaretoken" and not k.startswith("_")
    }
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def field_errors(response, field: str) -> list[str]:
    """The messages the admin form shows for `field` (None: the form's own errors)."""
    form = response.context["adminform"].form
    return [str(m) for m in form.errors.get(field or "__all__", [])]


def visible_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())
