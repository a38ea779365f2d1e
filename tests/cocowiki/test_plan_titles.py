"""The root's title is the project's name from its manifest, for every language that
has one: Cargo, Python, npm, Go, Maven, Gradle, C# solutions and projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_helpers import write_files

from cocowiki.plan.titles import project_name

_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.example</groupId><artifactId>parent-pom</artifactId></parent>
  <artifactId>shapes-core</artifactId>
  {name}
</project>
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"Cargo.toml": '[package]\nname = "mycrate"\n'}, "mycrate"),
        ({"pyproject.toml": '[project]\nname = "mypkg"\n'}, "mypkg"),
        ({"go.mod": "module github.com/spf13/cobra/v2\n"}, "cobra"),
        ({"pom.xml": _POM.format(name="<name>Shapes Core</name>")}, "Shapes Core"),
        ({"pom.xml": _POM.format(name="")}, "shapes-core"),
        ({"pom.xml": _POM.format(name="<name>${project.artifactId}</name>")}, "shapes-core"),
        (
            {"settings.gradle.kts": 'rootProject.name = "kotlin-app"\ninclude("lib")\n'},
            "kotlin-app",
        ),
        ({"settings.gradle": "rootProject.name = 'groovy-app'\n"}, "groovy-app"),
        ({"Shapes.sln": "", "src/Shapes.Tests/Shapes.Tests.csproj": "<Project/>"}, "Shapes"),
        ({"src/Geometry.sln": ""}, "Geometry"),
        (
            {
                "App.csproj": (
                    "<Project><PropertyGroup><AssemblyName>Shapes.App</AssemblyName>"
                    "</PropertyGroup></Project>"
                )
            },
            "Shapes.App",
        ),
        ({"Tool.csproj": "<Project><PropertyGroup/></Project>"}, "Tool"),
        ({"pom.xml": "<project><artifactId>broken"}, "repo"),  # unreadable: the folder
        ({"README.md": "# nothing to name it\n"}, "repo"),
    ],
)
def test_project_name_from_the_manifest(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    repo = write_files(tmp_path / "repo", files)
    assert project_name(repo) == expected
