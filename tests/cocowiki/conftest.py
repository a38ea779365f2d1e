"""Shared fixtures for the cocowiki index tests: fixture repositories indexed once each."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cocowiki.index import IndexConfig, IndexResult, index_repository

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], IndexResult]:
    """Index a copy of ``fixtures/<language>`` (not a git checkout) once per session."""
    cache: dict[str, IndexResult] = {}

    def index(language: str) -> IndexResult:
        if language not in cache:
            root = tmp_path_factory.mktemp(language)
            repo = root / "repo"
            shutil.copytree(FIXTURES / language, repo)
            cache[language] = index_repository(repo, root / "out", IndexConfig(use_git=False))
        return cache[language]

    return index
