"""The docs stand alone in a clone: every relative link points at a file of this repository."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    "README.md",
    "CONTRIBUTING.md",
    "examples/README.md",
    *(str(path.relative_to(ROOT)) for path in sorted((ROOT / "docs").glob("*.md"))),
]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("document", DOCUMENTS)
def test_relative_links_stay_inside_the_repository_and_resolve(document: str) -> None:
    path = ROOT / document
    for target in LINK.findall(path.read_text()):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor of the same page
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{document}: {target} is outside the repository"
        assert resolved.exists(), f"{document}: {target} does not exist"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_links_to_a_section_find_its_heading(document: str) -> None:
    path = ROOT / document
    for target in LINK.findall(path.read_text()):
        if re.match(r"^[a-z]+:", target) or "#" not in target:
            continue
        page, anchor = target.split("#", 1)
        linked = (path.parent / page).resolve() if page else path
        assert anchor in _anchors(linked.read_text()), f"{document}: no section for {target}"


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, - for spaces."""
    headings = re.findall(r"^#{1,6} (.+)$", markdown, re.M)
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings
    }


def test_the_readme_links_nowhere_but_this_repository_and_the_local_server() -> None:
    # A link to a web page of the repository would show another version than the clone's.
    readme = (ROOT / "README.md").read_text()
    for target in LINK.findall(readme) + re.findall(r"<(https?://[^>]+)>", readme):
        if re.match(r"^[a-z]+:", target):
            assert re.match(r"^https?://(127\.0\.0\.1|localhost)[:/]", target), target


def test_the_readme_names_no_file_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme
    assert "shared/" not in readme
