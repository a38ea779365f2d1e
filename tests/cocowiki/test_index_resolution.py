"""Imports of a repository's own code resolve to its files: Rust paths through modules
and ``pub use``, Go module paths, TS path aliases, Python relative imports; and a
changed ``tsconfig.json`` or ``go.mod`` re-resolves on an incremental index."""

from __future__ import annotations

from pathlib import Path

from cocowiki.index import IndexConfig, IndexResult, index_repository


def _write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def _index(root: Path) -> IndexResult:
    return index_repository(root, root / ".cocowiki", IndexConfig(use_git=False))


def _targets(result: IndexResult, path: str) -> dict[str, str | None]:
    return {
        r.target_name: r.target_path
        for r in result.references
        if r.kind == "import" and r.path == path
    }


def test_rust_paths_follow_mods_and_pub_use(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "demo"\n',
            "src/lib.rs": "mod loom;\nmod io;\n",
            "src/loom/mod.rs": "mod std;\npub(crate) use self::std::*;\n",
            "src/loom/std/mod.rs": (
                "mod mutex;\npub(crate) mod sync {\n"
                "    pub(crate) use std::sync::Arc;\n"
                "    pub(crate) use crate::loom::std::mutex::Mutex;\n}\n"
            ),
            "src/loom/std/mutex.rs": "pub(crate) struct Mutex;\n",
            "src/io/mod.rs": "mod util;\n",
            "src/io/util.rs": (
                "use crate::loom::sync::Mutex;\nuse crate::loom::sync::Arc;\n"
                "use super::super::loom::std::mutex;\n"
            ),
        },
    )
    targets = _targets(_index(tmp_path), "src/io/util.rs")
    assert targets == {
        "crate::loom::sync::Mutex": "src/loom/std/mutex.rs",
        "crate::loom::sync::Arc": "src/loom/std/mod.rs",  # re-exported from std: its module
        "super::super::loom::std::mutex": "src/loom/std/mutex.rs",
    }


def test_go_module_imports_resolve_and_follow_go_mod(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "go.mod": "module example.com/app\n\ngo 1.21\n",
            "main.go": 'package app\n\nimport "example.com/app/shapes"\n\nvar C = shapes.New()\n',
            "shapes/shapes.go": "package shapes\n\nfunc New() int { return helper() }\n",
            "shapes/helper.go": "package shapes\n\nfunc helper() int { return 1 }\n",
        },
    )
    assert _targets(_index(tmp_path), "main.go") == {"example.com/app/shapes": "shapes/shapes.go"}
    (tmp_path / "go.mod").write_text("module example.com/renamed\n")
    assert _targets(_index(tmp_path), "main.go") == {"example.com/app/shapes": None}


def test_ts_aliases_resolve_and_a_changed_tsconfig_re_resolves(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "tsconfig.base.json": '{"compilerOptions": {"baseUrl": ".", "paths": {}}}',
            "tsconfig.json": (
                '// the app\n{"extends": "./tsconfig.base.json",\n'
                ' "compilerOptions": {"paths": {"@/*": ["src/*"],}}}\n'
            ),
            "src/lib/api.ts": "export function api(): number { return 1; }\n",
            "src/app.ts": (
                'import { api } from "@/lib/api";\nimport { other } from "./other.js";\n'
                'import x from "lib";\nexport const v = api() + other();\n'
            ),
            "src/other.ts": "export function other(): number { return 2; }\n",
            "src/lib/index.ts": "export default 3;\n",
        },
    )
    first = _index(tmp_path)
    assert _targets(first, "src/app.ts") == {
        "@/lib/api": "src/lib/api.ts",
        "./other.js": "src/other.ts",
        "lib": None,
    }
    (tmp_path / "tsconfig.json").write_text(
        '{"compilerOptions": {"baseUrl": "src", "paths": {"~/*": ["lib/*"]}}}'
    )
    second = _index(tmp_path)
    assert second.files_parsed > 0
    assert _targets(second, "src/app.ts") == {
        "@/lib/api": None,
        "./other.js": "src/other.ts",
        "lib": "src/lib/index.ts",
    }


def test_python_relative_and_src_layout_imports(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "src/pkg/__init__.py": "from .core import run\n",
            "src/pkg/core.py": "def run() -> None: ...\n",
            "src/pkg/sub/__init__.py": "",
            "src/pkg/sub/mod.py": (
                "from ..core import run\nfrom . import sibling\nimport pkg.core\n"
            ),
            "src/pkg/sub/sibling.py": "",
        },
    )
    assert _targets(_index(tmp_path), "src/pkg/sub/mod.py") == {
        "..core": "src/pkg/core.py",
        ".": "src/pkg/sub/sibling.py",
        "pkg.core": "src/pkg/core.py",
    }


_WORKSPACE = {
    "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
    "crates/my-core/Cargo.toml": '[package]\nname = "my-core"\nversion = "0.1.0"\n',
    "crates/my-core/src/lib.rs": "pub mod sync;\npub use sync::Mutex;\n",
    "crates/my-core/src/sync/mod.rs": (
        "mod mutex;\ncfg_sync! {\n    pub use self::mutex::Mutex;\n}\n"
    ),
    "crates/my-core/src/sync/mutex.rs": (
        "pub struct Mutex;\n\nimpl Mutex {\n    pub fn new() -> Mutex { Mutex }\n}\n"
    ),
    "crates/my-core/tests/locking.rs": (
        "use my_core::sync::Mutex;\n\n#[test]\nfn locks() {\n"
        "    let _m = my_core::sync::Mutex::new();\n}\n"
    ),
    "crates/my-core/examples/hello.rs": (
        "use ::my_core::Mutex;\nuse serde::Serialize;\n\n"
        "fn main() {\n    let _m: my_core::sync::Mutex = Mutex::new();\n}\n"
    ),
    "crates/app/Cargo.toml": (
        '[package]\nname = "app"\n\n[lib]\nname = "app_lib"\npath = "src/app.rs"\n\n'
        '[dependencies]\nmy-core = { path = "../my-core" }\n'
    ),
    "crates/app/src/app.rs": "use my_core::sync;\n\npub fn run() -> sync::Mutex {\n"
    "    my_core::sync::Mutex::new()\n}\n",
    "crates/app/tests/renamed.rs": (
        "use std as my_core;\n\nfn t() {\n    let _ = my_core::sync::Mutex::new(());\n}\n"
    ),
    "crates/app/benches/bench.rs": "use app_lib::run;\n\nfn main() {\n    app_lib::run();\n}\n",
}


def _calls(result: IndexResult, path: str) -> dict[str, str | None]:
    return {
        f"{r.qualifier}::{r.target_name}": r.target_path
        for r in result.references
        if r.kind in ("call", "type_use") and r.path == path and r.qualifier
    }


def test_rust_crate_names_resolve_across_a_workspace(tmp_path: Path) -> None:
    _write(tmp_path, _WORKSPACE)
    result = _index(tmp_path)
    mutex = "crates/my-core/src/sync/mutex.rs"
    assert _targets(result, "crates/my-core/tests/locking.rs") == {"my_core::sync::Mutex": mutex}
    assert _calls(result, "crates/my-core/tests/locking.rs") == {"my_core::sync::Mutex::new": mutex}
    assert _targets(result, "crates/my-core/examples/hello.rs") == {
        "::my_core::Mutex": mutex,  # through ``pub use`` in lib.rs and sync/mod.rs
        "serde::Serialize": None,  # a crate outside the repository
    }
    assert _calls(result, "crates/my-core/examples/hello.rs") == {
        "my_core::sync::Mutex": mutex,
        "Mutex::new": mutex,
    }
    assert _targets(result, "crates/app/src/app.rs") == {
        "my_core::sync": "crates/my-core/src/sync/mod.rs"
    }
    assert _calls(result, "crates/app/src/app.rs") == {
        "sync::Mutex": mutex,
        "my_core::sync::Mutex::new": mutex,
    }
    assert _calls(result, "crates/app/tests/renamed.rs") == {"my_core::sync::Mutex::new": None}
    # a ``[lib] name`` over the package's name
    assert _targets(result, "crates/app/benches/bench.rs") == {
        "app_lib::run": "crates/app/src/app.rs"
    }
    assert _calls(result, "crates/app/benches/bench.rs") == {
        "app_lib::run": "crates/app/src/app.rs"
    }


def test_a_renamed_crate_re_resolves_incrementally(tmp_path: Path) -> None:
    _write(tmp_path, _WORKSPACE)
    _index(tmp_path)
    manifest = tmp_path / "crates/my-core/Cargo.toml"
    manifest.write_text(
        '[package]\nname = "my-core"\nversion = "0.2.0"\n[dependencies]\nlog = "0.4"\n'
    )
    unchanged = _index(tmp_path)
    assert unchanged.files_parsed == 0  # the crates did not change: nothing to re-resolve
    test = tmp_path / "crates/my-core/tests/locking.rs"
    test.write_text(test.read_text().replace("let _m", "let _mutex"))
    edited = _index(tmp_path)  # one file re-parsed, resolved against the catalog
    assert edited.files_parsed == 1
    assert _calls(edited, "crates/my-core/tests/locking.rs") == {
        "my_core::sync::Mutex::new": "crates/my-core/src/sync/mutex.rs"
    }
    manifest.write_text('[package]\nname = "core-two"\n')
    renamed = _index(tmp_path)
    assert renamed.files_parsed > 0
    assert _targets(renamed, "crates/my-core/tests/locking.rs") == {"my_core::sync::Mutex": None}
    manifest.write_text('[package]\nname = "core-two"\n[lib]\nname = "my_core"\n')
    back = _index(tmp_path)
    assert _targets(back, "crates/my-core/tests/locking.rs") == {
        "my_core::sync::Mutex": "crates/my-core/src/sync/mutex.rs"
    }
