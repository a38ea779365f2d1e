"""Turning names into targets: imports to files, and calls, bases and types to components.

Resolution runs over the whole repository after every file is extracted (or taken from
the cache), because a name in one file may be defined in any other. It is name-based, not
type-based, so each answer carries a confidence:

* imports resolve by the language's own rules: Python module paths (relative and absolute,
  ``__init__.py`` packages), JS/TS relative specifiers and ``tsconfig``/``jsconfig`` path
  aliases (:mod:`.tsconfig`) with extension and ``index`` lookup, Rust paths through
  modules and ``pub use`` re-exports (:mod:`.rust_paths`), from the crate itself or from
  a library crate of the repository by its name (:mod:`.cargo`), Go import paths under
  the ``go.mod`` module, Java packages and classes, C# namespaces, C/C++ ``#include``
  (relative to the including file first, then anywhere in the repository). An import that reaches
  a file has confidence 1.0 (0.9 when found by path suffix only, less when ambiguous).
* every other reference resolves through the scope of its file, in tiers:
  ``self``/``this`` members of the enclosing type and names defined in the same file (0.9);
  names bound by an import, or visible through a wildcard import, the same Go/Java
  package, a C# ``using`` or a C ``#include`` (0.8); a name defined exactly once in the
  repository, in the same language family (0.5). When a tier has ``n`` candidates the
  nearest by path wins with the tier's confidence divided by ``n``; a name with more than
  eight candidates repository-wide stays unresolved (confidence 0).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .languages import FAMILIES, HEADER_EXTENSIONS
from .model import (
    CALLABLE_KINDS,
    TYPE_KINDS,
    Component,
    ComponentKind,
    FileExtraction,
    Reference,
    ReferenceKind,
)
from .naming import rust_crate_root
from .resolution_inputs import ResolutionInputs
from .rust_paths import CRATE_HEADS, RustPaths, RustUse

SAME_FILE = 0.9
IMPORTED = 0.8
UNIQUE = 0.5
MAX_CANDIDATES = 8

_SELF_WORDS = frozenset({"self", "this", "cls", "Self", "base"})
#: What a call may resolve to (a class or struct: a constructor call).
CALL_TARGET_KINDS = CALLABLE_KINDS | {ComponentKind.CLASS, ComponentKind.STRUCT}
_INHERIT_KINDS = TYPE_KINDS
_CONTAINER_KINDS = TYPE_KINDS | {ComponentKind.IMPL}
_BASE_KINDS = frozenset({ReferenceKind.INHERIT, ReferenceKind.IMPL})
_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs")
_SEPARATORS = {"rust": "::", "c": "::"}
#: Families where a bare name inside a method may be a member of the method's type.
_IMPLICIT_THIS = frozenset({"java", "csharp", "c"})


@dataclass(slots=True)
class Binding:
    """What an imported local name stands for: files, and a symbol in them (or the module)."""

    paths: tuple[str, ...]
    member: str | None = None


@dataclass(slots=True)
class FileScope:
    """The names a file sees besides its own: bindings and wildcard-visible files."""

    bindings: dict[str, Binding] = field(default_factory=dict)
    visible: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target; ``confidence`` 0 means unresolved."""

    component: str | None
    path: str | None
    confidence: float


UNRESOLVED = Target(None, None, 0.0)


@dataclass(frozen=True, slots=True)
class Found:
    """Files an import reaches, with the confidence and the symbol still to look up in them."""

    paths: list[str]
    confidence: float
    member: str | None


NOT_FOUND = Found([], 0.0, None)


class Resolver:
    """Indexes of the whole repository, and the resolution of every reference against them."""

    def __init__(
        self, extractions: Sequence[FileExtraction], inputs: ResolutionInputs | None = None
    ) -> None:
        self.extractions = extractions
        self.inputs = inputs or ResolutionInputs()
        self.family: dict[str, str] = {}
        self.module_of: dict[str, Component] = {}
        self.by_id: dict[str, Component] = {}
        self.file_names: dict[str, dict[str, list[Component]]] = {}
        self.by_name: dict[tuple[str, str], list[Component]] = defaultdict(list)
        self.callables: dict[tuple[str, str], list[Component]] = defaultdict(list)
        self.types: dict[tuple[str, str], list[Component]] = defaultdict(list)
        self.by_qualified: dict[tuple[str, str], list[Component]] = defaultdict(list)
        self.module_files: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.python_suffix: dict[str, list[str]] = defaultdict(list)
        self.paths: set[str] = set()
        self.by_basename: dict[str, list[str]] = defaultdict(list)
        self.scopes: dict[str, FileScope] = {}
        #: Each Rust file's imports as written (``use`` and ``mod name;``), for re-exports.
        self.rust_imports: dict[str, Sequence[Reference]] = {}
        self.rust_uses: dict[str, list[RustUse]] = {}
        self.rust = self._rust_paths()
        #: Resolved base types (``inherit``/``impl`` targets) per type, filled while resolving.
        self.bases: dict[str, list[str]] = defaultdict(list)
        for extraction in extractions:
            self._index(extraction)

    # -- indexes ----------------------------------------------------------------------

    def _index(self, extraction: FileExtraction) -> None:
        source = extraction.file
        path = source.path
        family = self._index_path(path, source.language)
        names: dict[str, list[Component]] = defaultdict(list)
        for component in extraction.components:
            self.by_id[component.id] = component
            if component.parent_id is None:
                self.module_of[path] = component
                continue
            names[component.name].append(component)
            self.by_name[(family, component.name)].append(component)
            if component.kind in CALL_TARGET_KINDS:
                self.callables[(family, component.name)].append(component)
            if component.kind in TYPE_KINDS:
                self.types[(family, component.name)].append(component)
            self.by_qualified[(family, component.qualified_name)].append(component)
            if component.kind is ComponentKind.MODULE:  # C# and C++ namespaces, inline mods
                self.module_files[(family, component.qualified_name)].append(path)
        self.file_names[path] = names
        if family == "rust":
            self.rust_imports[path] = [
                ref for ref in extraction.references if ref.kind is ReferenceKind.IMPORT
            ]
        module = self.module_of.get(path)
        if module is not None:
            self.module_files[(family, module.qualified_name)].append(path)

    def _index_path(self, path: str, language: str) -> str:
        """Index what the path and language of a file tell (its family, returned)."""
        family = FAMILIES.get(language, language)
        self.paths.add(path)
        self.by_basename[posixpath.basename(path)].append(path)
        self.family[path] = family
        if family == "python":
            stem = path.rsplit(".", 1)[0]
            parts = stem.split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for start in range(len(parts)):
                self.python_suffix[".".join(parts[start:])].append(path)
        return family

    # -- entry ------------------------------------------------------------------------

    def resolve(self, known: Mapping[str, Sequence[Reference]] | None = None) -> list[Reference]:
        """All references of all files with their targets filled in, in a stable order
        (the catalog's: by file, then :func:`_catalog_order`).

        Imports first (all files), so that a symbol re-exported by a package
        (``from .circle import Circle`` in ``__init__.py``) can be followed to its
        definition; then every other reference. ``known`` holds, for files whose
        resolution cannot have changed (:func:`reusable_resolution`), their references as
        resolved before, in the catalog's order: those are kept as they are, and of
        those files only the imports (the scopes other files are resolved in) and the
        bases of types are resolved again, in order, since a later file's ``self.x``
        may be looked up through them.
        """
        known = known or {}
        imports: dict[str, list[Reference]] = {}
        for extraction in self.extractions:
            path = extraction.file.path
            written = self._scope(path, extraction.references)
            if path not in known:
                imports[path] = written
        resolved = {
            path: [self._follow_reexport(ref) for ref in refs] for path, refs in imports.items()
        }
        by_file: dict[str, Sequence[Reference]] = {}
        for extraction in self.extractions:
            path = extraction.file.path
            family = self.family[path]
            scope = self.scopes[path]
            self._implicit_scope(path, family, scope)
            before = known.get(path)
            if before is not None:
                by_file[path] = before
                for ref in extraction.references:
                    if ref.kind in _BASE_KINDS:
                        self._name(as_written(ref), family, scope)
                continue
            by_file[path] = self._names(extraction, resolved[path])
        return [ref for path in sorted(by_file) for ref in by_file[path]]

    def _scope(self, path: str, references: Iterable[Reference]) -> list[Reference]:
        """Make the scope of a file from its imports (among its ``references``); the
        imports resolved (without following re-exports, which needs every scope)."""
        scope = FileScope()
        self.scopes[path] = scope
        family = self.family[path]
        return [
            self._import(as_written(ref), family, scope)
            for ref in references
            if ref.kind is ReferenceKind.IMPORT
        ]

    def _names(self, extraction: FileExtraction, imports: list[Reference]) -> list[Reference]:
        """A file's references resolved, in the catalog's order: its ``imports`` (resolved
        already) and every other reference, resolved now in the file's scope."""
        path = extraction.file.path
        family = self.family[path]
        scope = self.scopes[path]
        refs = list(imports)
        for ref in extraction.references:
            if ref.kind is not ReferenceKind.IMPORT:
                refs.append(self._name(as_written(ref), family, scope))
        refs.sort(key=_catalog_order)
        return refs

    def _follow_reexport(self, ref: Reference) -> Reference:
        """Point an import of a re-exported symbol at the symbol's definition."""
        member = ref.member
        if member in (None, "*", "default") or ref.target_path is None:
            return ref
        module = self.module_of.get(ref.target_path)
        if module is None or ref.target_id != module.id:
            return ref
        found = self._chase((ref.target_path,), member)
        if not found:
            return ref
        return _targeted(ref, found[0].id, found[0].path, ref.confidence)

    def _chase(self, paths: Sequence[str], member: str, depth: int = 0) -> list[Component]:
        """Components named ``member`` in ``paths``, following re-exports a few levels."""
        found = [c for path in paths for c in self.file_names.get(path, {}).get(member, [])]
        if found or depth >= 3:
            return found
        for path in paths:
            scope = self.scopes.get(path)
            binding = scope.bindings.get(member) if scope is not None else None
            if binding is not None and binding.paths:
                found = self._chase(binding.paths, binding.member or member, depth + 1)
                if found:
                    return found
        return []

    # -- imports ----------------------------------------------------------------------

    def _import(self, ref: Reference, family: str, scope: FileScope) -> Reference:
        finder = getattr(self, f"_import_{family}", None)
        found: Found = finder(ref) if finder is not None else NOT_FOUND
        paths = sorted(set(found.paths))
        confidence = found.confidence
        if not paths:
            local = ref.alias or _default_alias(ref, family)
            if local and ref.member != "*":
                scope.bindings.setdefault(local, Binding(()))
            return ref
        member = found.member
        first = self.module_of.get(paths[0])
        package = first.name if first is not None else ""
        target_path = paths[0] if len(paths) == 1 else _representative(paths, package)
        module = self.module_of.get(target_path)
        target_id = module.id if module is not None else None
        if member == "*":
            scope.visible.extend(paths)
        elif member is not None and member != "default":
            symbol = self._member(paths, member, family)
            if symbol is not None:
                target_id, target_path = symbol.id, symbol.path
        local = ref.alias or (ref.member if ref.member not in (None, "*", "default") else None)
        if family == "python" and local is None and "." in ref.target_name:
            # ``import a.b`` binds ``a``; ``a.b.f()`` is looked up through ``a.b`` itself
            scope.bindings[ref.target_name] = Binding(tuple(paths))
            head = ref.target_name.split(".", 1)[0]
            scope.bindings.setdefault(head, Binding(tuple(self._python_absolute(head, None).paths)))
        else:
            if local is None:
                local = _default_alias(ref, family, self.module_of.get(paths[0]))
            if local and member != "*":
                kept = member if member != "default" else None
                scope.bindings[local] = Binding(tuple(paths), kept)
        return _targeted(ref, target_id, target_path, confidence)

    def _member(self, paths: Sequence[str], member: str, family: str) -> Component | None:
        for path in paths:
            for component in self.file_names.get(path, {}).get(member, []):
                parent = self.by_id.get(component.parent_id or "")
                if parent is not None and parent.parent_id is None:
                    return component  # a top-level symbol first
            candidates = self.file_names.get(path, {}).get(member, [])
            if candidates:
                return candidates[0]
        return None

    def _import_python(self, ref: Reference) -> Found:
        spec = ref.target_name
        member = ref.member
        if spec.startswith("."):
            level = len(spec) - len(spec.lstrip("."))
            directory = posixpath.dirname(ref.path)
            for _ in range(level - 1):
                directory = posixpath.dirname(directory)
            rest = spec[level:].replace(".", "/")
            base = posixpath.join(directory, rest) if rest else directory
            if member and member != "*":
                submodule = self._python_file(posixpath.join(base, member))
                if submodule:
                    return Found([submodule], 1.0, None)
            module = self._python_file(base)
            return Found([module], 1.0, member) if module else NOT_FOUND
        if member and member != "*":
            found = self._python_absolute(f"{spec}.{member}", None)
            if found.paths:
                return found
        return self._python_absolute(spec, member)

    def _python_file(self, base: str) -> str | None:
        base = posixpath.normpath(base) if base else "."
        for candidate in (
            f"{base}.py",
            f"{base}.pyi",
            f"{base}/__init__.py",
            f"{base}/__init__.pyi",
        ):
            if candidate.removeprefix("./") in self.paths:
                return candidate.removeprefix("./")
        return None

    def _python_absolute(self, dotted: str, member: str | None) -> Found:
        exact = self.module_files.get(("python", dotted), [])
        if exact:
            return Found([_nearest(exact, "")], 1.0 if len(exact) == 1 else 0.9, member)
        by_suffix = self.python_suffix.get(dotted, [])
        if len(by_suffix) == 1:
            return Found(list(by_suffix), 0.9, member)
        if by_suffix:
            shortest = min(by_suffix, key=lambda path: (path.count("/"), path))
            return Found([shortest], 0.5, member)
        return NOT_FOUND

    def _import_js(self, ref: Reference) -> Found:
        spec = ref.target_name
        if spec.startswith("."):
            bases = [posixpath.normpath(posixpath.join(posixpath.dirname(ref.path), spec))]
        else:
            aliases = self.inputs.aliases(ref.path)
            bases = aliases.candidates(spec) if aliases is not None else []
        for base in bases:
            found = self._js_file(base)
            if found is not None:
                return Found([found], 1.0, ref.member)
        return NOT_FOUND

    def _js_file(self, base: str) -> str | None:
        """The file a specifier's path names: itself, with an extension (a ``.js``
        written for its ``.ts`` source), or a folder's ``index``."""
        candidates = [base]
        if base.endswith((".js", ".jsx", ".mjs", ".cjs")):
            stem = base.rsplit(".", 1)[0]
            candidates += [stem + ".ts", stem + ".tsx", stem + ".d.ts"]
        candidates += [base + extension for extension in _JS_EXTENSIONS]
        candidates += [f"{base}/index{extension}" for extension in _JS_EXTENSIONS]
        return next((candidate for candidate in candidates if candidate in self.paths), None)

    def _import_rust(self, ref: Reference) -> Found:
        module = self._rust_module_of(ref.source_id)
        if module is None:
            return NOT_FOUND
        found = self.rust.find(ref.target_name, module, rust_crate_root(ref.path))
        if found is None:
            return NOT_FOUND
        member = found.member if found.member is not None else ref.member
        return Found(list(found.files[:1]), 1.0 if found.exact else 0.9, member)

    def _rust_paths(self) -> RustPaths:
        return RustPaths(
            self._rust_module_files, self._rust_uses, self._rust_defines, self.inputs.crate
        )

    def _names_no_binding(self, qualifier: str, scope: FileScope) -> bool:
        """Whether a path's head is not a name the file binds to something outside the
        repository (``use std as tokio;`` hides the crate)."""
        binding = scope.bindings.get(qualifier.removeprefix("::").split("::", 1)[0])
        return qualifier.startswith("::") or binding is None or bool(binding.paths)

    def _rust_crate_path(self, ref: Reference, kinds: frozenset[ComponentKind]) -> Target | None:
        """``tokio::spawn()``, ``tokio::sync::Mutex::new()``, ``mycrate::Config``: a path
        from a library crate of the repository, walked through that crate's modules to
        the item (or the type whose member it is)."""
        qualifier = ref.qualifier or ""
        root = rust_crate_root(ref.path)
        if not self.rust.names_crate(qualifier, root):
            return None
        module = self._rust_module_of(ref.source_id)
        place = self.rust.find(qualifier, module, root) if module is not None else None
        if place is None:
            return None
        if place.member is None:
            candidates = self._chase(place.files, ref.target_name)
        else:
            holders = [c for c in self._chase(place.files, place.member) if c.kind in TYPE_KINDS]
            candidates = [
                member
                for holder in holders
                for member in self.by_qualified.get(
                    ("rust", f"{holder.qualified_name}::{ref.target_name}"), []
                )
            ]
        return _pick(_filter(candidates, kinds, "rust"), IMPORTED, ref.path)

    def _rust_module_of(self, component_id: str) -> tuple[str, ...] | None:
        """The module (file or inline ``mod``) a component is written in, as segments."""
        component = self.by_id.get(component_id)
        while component is not None and component.kind is not ComponentKind.MODULE:
            component = self.by_id.get(component.parent_id or "")
        return tuple(component.qualified_name.split("::")) if component is not None else None

    def _rust_module_files(self, root: str, module: str) -> list[str]:
        files = self.module_files.get(("rust", module), [])
        return [path for path in files if rust_crate_root(path) == root]

    def _rust_uses(self, path: str) -> list[RustUse]:
        uses = self.rust_uses.get(path)
        if uses is None:
            uses = []
            for ref in self.rust_imports.get(path, ()):
                module = self._rust_module_of(ref.source_id)
                if module is not None:
                    bound = ref.alias or ref.target_name.rsplit("::", 1)[-1]
                    name = None if ref.member == "*" else bound
                    uses.append(RustUse(module, name, ref.target_name))
            self.rust_uses[path] = uses
        return uses

    def _rust_defines(self, path: str, module: str, name: str) -> bool:
        """Whether ``path`` defines ``name`` directly in ``module`` (not in a type or fn)."""
        parents = (
            self.by_id.get(component.parent_id or "")
            for component in self.file_names.get(path, {}).get(name, [])
        )
        return any(
            parent is not None
            and parent.kind is ComponentKind.MODULE
            and parent.qualified_name == module
            for parent in parents
        )

    def _import_go(self, ref: Reference) -> Found:
        files = self.module_files.get(("go", ref.target_name), [])
        return Found(list(files), 1.0, None) if files else NOT_FOUND

    def _import_java(self, ref: Reference) -> Found:
        target = ref.target_name
        types = [c for c in self.by_qualified.get(("java", target), []) if c.kind in TYPE_KINDS]
        if types:
            member = ref.member if ref.member not in (None, "*") else types[0].name
            return Found([types[0].path], 1.0, member)
        files = self.module_files.get(("java", target), [])
        return Found(list(files), 1.0, ref.member) if files else NOT_FOUND

    def _import_csharp(self, ref: Reference) -> Found:
        target = ref.target_name
        files = self.module_files.get(("csharp", target), [])
        if files:
            return Found(list(files), 1.0, ref.member)
        types = [c for c in self.by_qualified.get(("csharp", target), []) if c.kind in TYPE_KINDS]
        if types:
            member = "*" if ref.member == "*" else types[0].name
            return Found([types[0].path], 1.0, member)
        return NOT_FOUND

    def _import_c(self, ref: Reference) -> Found:
        target = ref.target_name
        if ref.qualifier != "system":
            local = posixpath.normpath(posixpath.join(posixpath.dirname(ref.path), target))
            if local in self.paths:
                return Found([local], 1.0, "*")
        suffix = "/" + target
        basename = posixpath.basename(target)
        matches = [
            path
            for path in self.by_basename.get(basename, [])
            if path == target or path.endswith(suffix)
        ]
        if not matches:
            return NOT_FOUND
        best = _nearest(matches, ref.path)
        confidence = 0.9 if len(matches) == 1 else 0.6
        if ref.qualifier == "system":
            confidence = min(confidence, 0.7)
        return Found([best], confidence, "*")

    def _implicit_scope(self, path: str, family: str, scope: FileScope) -> None:
        """Files whose names a file sees without importing them (same package/namespace)."""
        module = self.module_of.get(path)
        if module is None:
            return
        if family in ("go", "java") and module.qualified_name:
            scope.visible.extend(
                other
                for other in self.module_files.get((family, module.qualified_name), [])
                if other != path
            )
        elif family == "csharp":
            for component in self.file_names.get(path, {}).values():
                for item in component:
                    if item.kind is ComponentKind.MODULE:
                        scope.visible.extend(
                            other
                            for other in self.module_files.get((family, item.qualified_name), [])
                            if other != path
                        )

    # -- names ------------------------------------------------------------------------

    def _name(self, ref: Reference, family: str, scope: FileScope) -> Reference:
        kinds = CALL_TARGET_KINDS if ref.kind is ReferenceKind.CALL else _INHERIT_KINDS
        target = self._lookup(ref, family, scope, kinds)
        if target.confidence <= 0:
            return ref
        if family == "c" and target.path is not None and _is_header(target.path):
            target = self._definition_of(target, family)
        if ref.kind in (ReferenceKind.INHERIT, ReferenceKind.IMPL) and target.component:
            self.bases[ref.source_id].append(target.component)
        return _targeted(ref, target.component, target.path, target.confidence)

    def _definition_of(self, target: Target, family: str) -> Target:
        """A C/C++ prototype's definition in a source file, when there is exactly one."""
        declared = self.by_id.get(target.component or "")
        if declared is None or declared.kind not in CALLABLE_KINDS:
            return target
        definitions = [
            c
            for c in self.by_qualified.get((family, declared.qualified_name), [])
            if c.kind is declared.kind and not _is_header(c.path)
        ]
        if len(definitions) != 1:
            return target
        return Target(definitions[0].id, definitions[0].path, target.confidence)

    def _lookup(
        self, ref: Reference, family: str, scope: FileScope, kinds: frozenset[ComponentKind]
    ) -> Target:
        name = ref.target_name
        qualifier = ref.qualifier
        sep = _SEPARATORS.get(family, ".")
        if qualifier in _SELF_WORDS:
            found = self._member_of_container(ref, sep)
            if found is not None:
                confidence = SAME_FILE if found.path == ref.path else IMPORTED
                return Target(found.id, found.path, confidence)
        elif qualifier and qualifier != "?":
            found_target = None
            if family == "rust" and self._names_no_binding(qualifier, scope):
                found_target = self._rust_crate_path(ref, kinds)
            if found_target is None:
                found_target = self._qualified(ref, family, scope, sep)
            if found_target is not None:
                return found_target
        if qualifier is None and family in _IMPLICIT_THIS and ref.kind is ReferenceKind.CALL:
            member = self._member_of_container(ref, sep)
            if member is not None:
                confidence = SAME_FILE if member.path == ref.path else IMPORTED
                return Target(member.id, member.path, confidence)
        if qualifier is None:
            local = self._same_file(ref, family, kinds)
            if local is not None:
                return local
            binding = scope.bindings.get(name)
            if binding is not None and not binding.paths:
                return UNRESOLVED  # the name comes from outside the repository
            if binding is not None:
                candidates = self._chase(binding.paths, binding.member or name)
                target = _pick(_filter(candidates, kinds, family), IMPORTED, ref.path)
                if target is not None:
                    return target
            if scope.visible:
                candidates = [
                    c for path in scope.visible for c in self.file_names.get(path, {}).get(name, [])
                ]
                target = _pick(_filter(candidates, kinds, family), IMPORTED, ref.path)
                if target is not None:
                    return target
        index = self.callables if kinds is CALL_TARGET_KINDS else self.types
        everywhere = index.get((family, name), [])
        if len(everywhere) > 4 * MAX_CANDIDATES:
            return UNRESOLVED  # too common a name to guess from
        candidates = _filter(everywhere, kinds, family)
        if qualifier == "?" or qualifier in _SELF_WORDS:
            candidates = [
                c
                for c in candidates
                if c.kind is not ComponentKind.FUNCTION or family in ("go", "c")
            ]
        if 0 < len(candidates) <= MAX_CANDIDATES:
            target = _pick(candidates, UNIQUE, ref.path)
            if target is not None:
                return target
        return UNRESOLVED

    def _same_file(
        self, ref: Reference, family: str, kinds: frozenset[ComponentKind]
    ) -> Target | None:
        candidates = _filter(
            self.file_names.get(ref.path, {}).get(ref.target_name, []), kinds, family
        )
        if not candidates:
            return None
        owner = self.by_id.get(ref.source_id)
        container = self._container(owner)
        siblings = [c for c in candidates if container is not None and c.parent_id == container.id]
        if siblings:
            return _pick(siblings, SAME_FILE, ref.path)
        top = [
            c
            for c in candidates
            if self.by_id.get(c.parent_id or "") is self.module_of.get(ref.path)
        ]
        if family == "python":
            candidates = [c for c in candidates if c.kind is not ComponentKind.METHOD]
        return _pick(top or candidates, SAME_FILE, ref.path)

    def _container(self, component: Component | None) -> Component | None:
        while component is not None and component.kind not in _CONTAINER_KINDS:
            if component.parent_id is None:
                return None
            component = self.by_id.get(component.parent_id)
        return component

    def _member_of_container(self, ref: Reference, sep: str) -> Component | None:
        """``self.name``: a member of the enclosing type, or of one of its base types.

        The enclosing type is the owner's ancestor, or for a method defined outside its
        type (C++ ``void Shape::f()``, Go methods in another file of the package) the type
        named by the method's qualified name.
        """
        owner = self.by_id.get(ref.source_id)
        family = self.family[ref.path]
        container = self._container(owner)
        if container is None and owner is not None and owner.kind is ComponentKind.METHOD:
            prefix = owner.qualified_name.rsplit(sep, 1)[0]
            holders = [
                c for c in self.by_qualified.get((family, prefix), []) if c.kind in TYPE_KINDS
            ]
            container = holders[0] if holders else None
        if container is None:
            return None
        for component in self.file_names.get(ref.path, {}).get(ref.target_name, []):
            if component.parent_id == container.id:
                return component
        seen: set[str] = set()
        pending = [container]
        while pending and len(seen) < 16:
            holder = pending.pop(0)
            if holder.id in seen:
                continue
            seen.add(holder.id)
            key = f"{holder.qualified_name}{sep}{ref.target_name}"
            found = self.by_qualified.get((family, key), [])
            if found:
                same = [c for c in found if c.path == ref.path]
                return (same or found)[0]
            pending.extend(
                self.by_id[base] for base in self.bases.get(holder.id, []) if base in self.by_id
            )
        return None

    def _qualified(self, ref: Reference, family: str, scope: FileScope, sep: str) -> Target | None:
        """``module.name()``, ``Type::name()``, ``alias.name`` through bindings or types."""
        assert ref.qualifier is not None
        qualifier = ref.qualifier.replace("::", ".")
        parts = qualifier.split(".")
        for cut in range(len(parts), 0, -1):
            binding = scope.bindings.get(".".join(parts[:cut]))
            if binding is None and sep == "::":
                binding = scope.bindings.get("::".join(parts[:cut]))
            if binding is None:
                continue
            if not binding.paths:
                return UNRESOLVED  # bound to something outside the repository
            rest = parts[cut:]
            owner_name = rest[-1] if rest else binding.member
            for path in binding.paths:
                for component in self.file_names.get(path, {}).get(ref.target_name, []):
                    if owner_name is None or self._is_member_of(component, owner_name, sep):
                        return Target(component.id, component.path, IMPORTED)
            return None
        type_name = parts[-1]
        if type_name in _SELF_WORDS:
            return None
        exact = self.by_qualified.get((family, f"{ref.qualifier}{sep}{ref.target_name}"), [])
        if exact:
            visible = {ref.path, *scope.visible}
            near = [c for c in exact if c.path in visible]
            if near:
                tier = SAME_FILE if near[0].path == ref.path else IMPORTED
                return _pick(near, tier, ref.path)
            return _pick(exact, UNIQUE, ref.path)
        local_types = self.file_names.get(ref.path, {}).get(type_name, [])
        for holder in local_types:
            if holder.kind in TYPE_KINDS:
                for component in self.by_qualified.get(
                    (family, f"{holder.qualified_name}{sep}{ref.target_name}"), []
                ):
                    confidence = SAME_FILE if component.path == ref.path else IMPORTED
                    return Target(component.id, component.path, confidence)
        types = self.types.get((family, type_name), [])
        members = [
            component
            for holder in types
            for component in self.by_qualified.get(
                (family, f"{holder.qualified_name}{sep}{ref.target_name}"), []
            )
        ]
        if members:
            visible = set(scope.visible)
            scoped = [c for c in members if c.path in visible]
            if scoped:
                return _pick(scoped, IMPORTED, ref.path)
            return _pick(members, UNIQUE, ref.path)
        return None

    def _is_member_of(self, component: Component, owner_name: str, sep: str) -> bool:
        qualified = component.qualified_name
        return qualified.endswith(f"{sep}{owner_name}{sep}{component.name}") or (
            qualified == f"{owner_name}{sep}{component.name}"
        )


def names_own_code(target_name: str) -> bool:
    """Whether an import's name can only mean code of the repository: a relative path
    (``./x``, ``..pkg``) or a Rust path from the crate itself (``crate::``, ``self::``,
    ``super::``, ``$crate::``), resolved or not."""
    return target_name.startswith((".", *CRATE_HEADS))


def _catalog_order(ref: Reference) -> tuple[str, int, str, str, str]:
    return (ref.path, ref.line, ref.kind, ref.target_name, ref.source_id)


def as_written(ref: Reference) -> Reference:
    """The reference without a target (a cached file's references are stored resolved)."""
    if ref.target_id is None and ref.target_path is None and ref.confidence == 0.0:
        return ref
    return _targeted(ref, None, None, 0.0)


def resolution_interface(extraction: FileExtraction) -> Hashable:
    """What other files' resolution reads of a file: its components' identities and
    their order by line (the tie-break between same-named candidates), and its imports
    and bases as written (scopes and base types). Lines, counts, calls and type uses are
    left out: an edit that changes only those changes nothing for other files.

    Imports and bases are compared in the catalog's order (by line, then name), which is
    the order the catalog keeps them in: a just-parsed file has them in source order,
    which for several on one line (``class A(B, C)``) the catalog does not keep.
    """
    components = extraction.components
    return (
        extraction.file.path,
        extraction.file.language,
        tuple((c.id, c.kind, c.name, c.qualified_name, c.parent_id) for c in components),
        tuple(c.id for c in sorted(components, key=lambda c: (c.start_line, c.id))),
        tuple(
            (r.kind, r.target_name, r.source_id, r.qualifier, r.alias, r.member)
            for r in sorted(extraction.references, key=_catalog_order)
            if r.kind is ReferenceKind.IMPORT or r.kind in _BASE_KINDS
        ),
    )


def reusable_resolution(
    extractions: Sequence[FileExtraction],
    fresh: Iterable[str],
    before: Mapping[str, FileExtraction],
) -> dict[str, Sequence[Reference]]:
    """The resolved references of the files not in ``fresh``, when they cannot resolve
    differently from ``before`` (the previous catalog's extractions, references resolved):
    the same files, and each re-parsed file has the :func:`resolution_interface` it had.
    Otherwise nothing, and everything is resolved again."""
    if {x.file.path for x in extractions} != set(before):
        return {}
    changed = set(fresh)
    for extraction in extractions:
        path = extraction.file.path
        if path in changed:
            previous = before[path]
            if resolution_interface(extraction) != resolution_interface(previous):
                return {}
    return {path: x.references for path, x in before.items() if path not in changed}


def _targeted(
    ref: Reference, target_id: str | None, target_path: str | None, confidence: float
) -> Reference:
    """The reference with its target (faster than ``dataclasses.replace`` at this volume)."""
    return Reference(
        ref.kind,
        ref.source_id,
        ref.target_name,
        ref.path,
        ref.line,
        ref.qualifier,
        ref.alias,
        ref.member,
        ref.count,
        target_id,
        target_path,
        confidence,
    )


def _default_alias(ref: Reference, family: str, module: Component | None = None) -> str | None:
    """The name an import binds when it does not say (``import os`` binds ``os``)."""
    if ref.member not in (None, "*", "default"):
        return ref.member
    target = ref.target_name
    if family == "python":
        return target.split(".", 1)[0] if not target.startswith(".") else None
    if family == "go":
        if module is not None and module.name:
            return module.name
        return target.rstrip("/").rsplit("/", 1)[-1]
    if family == "rust":
        return target.rsplit("::", 1)[-1]
    if family in ("java", "csharp"):
        return target.rsplit(".", 1)[-1]
    return None


def _filter(
    candidates: Iterable[Component], kinds: frozenset[ComponentKind], family: str
) -> list[Component]:
    """Candidates of the wanted kinds; a C declaration and its definition count once."""
    wanted = [c for c in candidates if c.kind in kinds]
    if len(wanted) > 1 and any(c.kind in TYPE_KINDS for c in wanted):
        types = {c.id for c in wanted if c.kind in TYPE_KINDS}
        wanted = [c for c in wanted if not _is_constructor(c, types)]
    if family != "c" or len(wanted) < 2:
        return wanted
    best: dict[str, Component] = {}
    for component in wanted:
        current = best.get(component.qualified_name)
        if current is None or (_is_header(current.path) and not _is_header(component.path)):
            best[component.qualified_name] = component
    return list(best.values())


def _is_constructor(component: Component, types: set[str]) -> bool:
    """A method named like the type it is declared in (Java/C#/C++ constructors)."""
    return (
        component.kind is ComponentKind.METHOD
        and component.parent_id in types
        and (
            component.parent_id.rsplit("#", 1)[-1].rsplit(".", 1)[-1].rsplit("::", 1)[-1]
            == component.name
        )
    )


def _is_header(path: str) -> bool:
    return posixpath.splitext(path)[1].lower() in HEADER_EXTENSIONS


def _pick(candidates: Sequence[Component], tier: float, near: str) -> Target | None:
    """The nearest candidate by path, with the tier's confidence shared among them."""
    if not candidates:
        return None
    if len(candidates) == 1:
        only = candidates[0]
        return Target(only.id, only.path, tier)
    unique = {c.id: c for c in candidates}
    best = min(unique.values(), key=lambda c: (_distance(c.path, near), c.path, c.start_line, c.id))
    confidence = tier if len(unique) == 1 else round(tier / len(unique), 3)
    return Target(best.id, best.path, confidence)


def _distance(path: str, near: str) -> int:
    """Directory steps between two files (0 in the same directory)."""
    a = path.split("/")[:-1]
    b = near.split("/")[:-1]
    common = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        common += 1
    return (len(a) - common) + (len(b) - common)


def _representative(paths: Sequence[str], package: str) -> str:
    """The file standing for a package of several (a Go package, a C# namespace): the one
    named after the package or its folder, or ``doc.go``, else the first that is not a
    test. A file, so that pages can tell which part of the repository the import reaches
    (a folder belongs to no page)."""

    def rank(path: str) -> tuple[int, str]:
        folder, name = posixpath.split(path)
        stem = name.rsplit(".", 1)[0]
        if stem in (package, posixpath.basename(folder)) or name == "doc.go":
            return 0, path
        return (2 if stem.endswith(("_test", "Test", "Tests")) else 1), path

    return min(paths, key=rank)


def _nearest(paths: Sequence[str], near: str) -> str:
    return min(paths, key=lambda path: (_distance(path, near), path))


def resolve(
    extractions: Sequence[FileExtraction],
    known: Mapping[str, Sequence[Reference]] | None = None,
    inputs: ResolutionInputs | None = None,
) -> list[Reference]:
    """Resolve every reference of a repository's extractions (see the module docstring);
    ``known``: resolved references to keep (:func:`reusable_resolution`); ``inputs``: the
    repository's configs (path aliases)."""
    return Resolver(extractions, inputs).resolve(known)
