"""Where tools may read and write: paths resolve under the data root and the client's roots, or are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.paths import AllowedRoots, PathNotAllowedError, resolve_under_roots, roots_from_uris


@pytest.fixture
def roots(tmp_path: Path) -> AllowedRoots:
    data = tmp_path / "data"
    extra = tmp_path / "client"
    data.mkdir()
    extra.mkdir()
    return AllowedRoots(data.resolve(), (extra.resolve(),))


def test_relative_paths_resolve_under_the_data_root(roots: AllowedRoots) -> None:
    assert resolve_under_roots("sample_data", roots) == roots.data_root / "sample_data"
    assert resolve_under_roots("a/../b", roots) == roots.data_root / "b"
    assert resolve_under_roots(".", roots) == roots.data_root


def test_absolute_paths_inside_any_root_are_accepted(roots: AllowedRoots) -> None:
    inside = roots.client_roots[0] / "project"
    assert resolve_under_roots(str(inside), roots) == inside


@pytest.mark.parametrize("path", ["..", "../elsewhere", "/etc", "/", "a/../../x", "~"])
def test_paths_outside_are_refused_with_the_field_and_the_roots(roots: AllowedRoots, path: str) -> None:
    with pytest.raises(PathNotAllowedError) as info:
        resolve_under_roots(path, roots, field="output_dir")
    message = str(info.value)
    assert "output_dir=" in message and str(roots.data_root) in message


def test_a_symlink_leading_outside_is_refused(roots: AllowedRoots, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (roots.data_root / "link").symlink_to(outside)
    with pytest.raises(PathNotAllowedError):
        resolve_under_roots("link/sample_data", roots)


def test_a_sibling_with_a_common_prefix_is_outside(roots: AllowedRoots) -> None:
    sibling = Path(str(roots.data_root) + "-evil")
    with pytest.raises(PathNotAllowedError):
        resolve_under_roots(str(sibling), roots)


def test_empty_and_nul_paths_are_refused(roots: AllowedRoots) -> None:
    for bad in ("", "  ", "a\x00b"):
        with pytest.raises(PathNotAllowedError):
            resolve_under_roots(bad, roots)


def test_file_uris_become_roots(tmp_path: Path) -> None:
    uris = [f"file://{tmp_path}/a%20b", "https://example.com/x", "file://otherhost/x", f"file://localhost{tmp_path}"]
    assert roots_from_uris(uris) == ((tmp_path / "a b").resolve(), tmp_path.resolve())
    accented = tmp_path / "Geteilter Ordner ü é"
    assert roots_from_uris([accented.as_uri()]) == (accented.resolve(),)  # as clients send it: percent-encoded


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(["..", ".", "a", "b", "link", "/", "~", "data", "client"]), max_size=6))
def test_any_accepted_path_lies_inside_a_root(roots: AllowedRoots, parts: list[str]) -> None:
    link = roots.data_root / "link"
    if not link.exists():
        link.symlink_to(roots.data_root.parent)
    text = os.path.join(*parts) if parts else "."
    try:
        resolved = resolve_under_roots(text, roots)
    except PathNotAllowedError:
        return
    assert any(resolved == root or resolved.is_relative_to(root) for root in roots.all)
    assert resolved == resolved.resolve()
