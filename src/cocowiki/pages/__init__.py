"""The build: from the index and the module tree to verified Markdown pages.

* :func:`build_wiki` builds a wiki (index, plan, pages, verification, manifest, viewer)
  and returns a :class:`BuildResult`;
* :mod:`.artifacts` holds the versioned artifact models (dossier, research, notebook,
  section) and :mod:`.footprints` the research lookups and their replay
  (:func:`execute`), which ``cw verify`` reuses;
* :func:`run_build_command` is what ``cw build`` calls.

See ``docs/cocowiki/pages.md`` for the artifacts, the page anatomy and the manifest.
"""

from __future__ import annotations

from .artifacts import (
    SCHEMA_VERSION,
    Citation,
    ComponentDossier,
    ModuleNotebook,
    PageSectionArtifact,
    ResearchArtifact,
    ResearchQuestionArtifact,
    SectionsArtifact,
    load_artifact,
)
from .builder import BuildConfig, BuildError, BuildResult, PageReport, build_wiki
from .command import run_build_command
from .footprints import Explorer, Footprint, execute
from .manifest import MANIFEST_NAME, MANIFEST_VERSION
from .verification import citation_problem, verify_pages

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "SCHEMA_VERSION",
    "BuildConfig",
    "BuildError",
    "BuildResult",
    "Citation",
    "ComponentDossier",
    "Explorer",
    "Footprint",
    "ModuleNotebook",
    "PageReport",
    "PageSectionArtifact",
    "ResearchArtifact",
    "ResearchQuestionArtifact",
    "SectionsArtifact",
    "build_wiki",
    "citation_problem",
    "execute",
    "load_artifact",
    "run_build_command",
    "verify_pages",
]
