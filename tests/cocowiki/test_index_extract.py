"""Language rules that the fixture repositories do not show, on small inline sources."""

from __future__ import annotations

from cocowiki.index.extract import FileContext, extract_file
from cocowiki.index.extract.base import clean_comment, clean_signature
from cocowiki.index.model import FileExtraction


def extract(language: str, path: str, source: str, module: str = "") -> FileExtraction:
    context = FileContext(path=path, language=language, module_name=module)
    return extract_file(context, source.encode())


def visibility(extraction: FileExtraction) -> dict[str, str]:
    return {c.id: str(c.visibility) for c in extraction.components if c.parent_id}


def test_python_all_decides_visibility() -> None:
    source = (
        '__all__ = ["shown", "_forced"]\n\n'
        "def shown(): ...\ndef hidden(): ...\ndef _forced(): ...\n"
    )
    assert visibility(extract("python", "m.py", source, "m")) == {
        "m.py#shown": "public",
        "m.py#hidden": "private",
        "m.py#_forced": "public",
    }


def test_python_nested_functions_are_not_components() -> None:
    source = "def outer():\n    def inner():\n        helper()\n    return inner\n"
    extraction = extract("python", "m.py", source, "m")
    assert [c.id for c in extraction.components] == ["m.py", "m.py#outer"]
    assert [(r.source_id, r.target_name) for r in extraction.references] == [
        ("m.py#outer", "helper")
    ]


def test_repeated_references_are_counted() -> None:
    source = "def f():\n    g()\n    g()\n    g()\n"
    (ref,) = extract("python", "m.py", source, "m").references
    assert (ref.target_name, ref.line, ref.count) == ("g", 2, 3)


def test_overloads_get_distinct_stable_ids() -> None:
    source = "class A {\n  void f(int x) {}\n  void f(String s) {}\n}\n"
    ids = [c.id for c in extract("java", "A.java", source).components]
    assert ids == ["A.java", "A.java#A", "A.java#A.f", "A.java#A.f~2"]


def test_rust_visibility_rules() -> None:
    source = (
        "pub fn a() {}\npub(crate) fn b() {}\nfn c() {}\npub(super) struct D;\n"
        "trait T { fn m(&self); }\n"
    )
    assert visibility(extract("rust", "src/x.rs", source, "crate::x")) == {
        "src/x.rs#a": "public",
        "src/x.rs#b": "internal",
        "src/x.rs#c": "private",
        "src/x.rs#D": "internal",
        "src/x.rs#T": "private",
        "src/x.rs#T::m": "private",
    }


def test_go_exported_names() -> None:
    source = "package p\n\nfunc Exported() {}\nfunc local() {}\n"
    assert visibility(extract("go", "p/p.go", source, "m/p")) == {
        "p/p.go#Exported": "public",
        "p/p.go#local": "package",
    }


def test_csharp_defaults_and_xml_docs() -> None:
    source = (
        'class C\n{\n    /// <summary>Adds <see cref="Int32"/> values.</summary>\n'
        '    /// <param name="a">first</param>\n    int Add(int a) => a;\n'
        "    protected internal void P() {}\n}\n"
    )
    extraction = extract("csharp", "C.cs", source)
    assert visibility(extraction) == {
        "C.cs#C": "internal",
        "C.cs#C.Add": "private",
        "C.cs#C.P": "protected",
    }
    add = next(c for c in extraction.components if c.name == "Add")
    assert add.doc == "Adds Int32 values.\na: first"


def test_cpp_access_sections_and_anonymous_namespace() -> None:
    source = (
        "namespace {\nint hidden() { return 0; }\n}\n"
        "struct S {\n  int a();\nprivate:\n  int b();\n};\n"
        "class K {\n  int c();\npublic:\n  int d();\nprotected:\n  int e();\n};\n"
        "static int local() { return 1; }\n"
    )
    assert visibility(extract("cpp", "x.cpp", source, "x")) == {
        "x.cpp#hidden": "private",
        "x.cpp#S": "public",
        "x.cpp#S::a": "public",
        "x.cpp#S::b": "private",
        "x.cpp#K": "public",
        "x.cpp#K::c": "private",
        "x.cpp#K::d": "public",
        "x.cpp#K::e": "protected",
        "x.cpp#local": "private",
    }


def test_typescript_exports_and_members() -> None:
    source = (
        "function a() {}\nfunction b() {}\nexport { a };\n"
        "export class K {\n  private p() {}\n  protected q() {}\n  #r() {}\n  s() {}\n}\n"
        "const callback = () => { function inner() {} };\n"
    )
    assert visibility(extract("typescript", "m.ts", source, "m")) == {
        "m.ts#a": "public",
        "m.ts#b": "private",
        "m.ts#K": "public",
        "m.ts#K.p": "private",
        "m.ts#K.q": "protected",
        "m.ts#K.#r": "private",
        "m.ts#K.s": "public",
        "m.ts#callback": "private",
    }


def test_commonjs_exports_are_public() -> None:
    source = (
        "function a() {}\nfunction b() {}\nexports.c = function () {};\nmodule.exports = { a };\n"
    )
    assert visibility(extract("javascript", "m.js", source, "m")) == {
        "m.js#a": "public",
        "m.js#b": "private",
    }


def test_comment_cleaning() -> None:
    assert clean_comment("/**\n * First.\n *\n * Second.\n */") == "First.\n\nSecond."
    assert clean_comment("/// one\n/// two") == "one\ntwo"
    assert clean_comment("//! crate doc") == "crate doc"
    assert clean_comment("# hash\n# comment") == "hash\ncomment"


def test_signature_cleaning() -> None:
    assert clean_signature("fn f(\n    a: i32,\n) -> i32 {") == "fn f( a: i32, ) -> i32"
    assert clean_signature("def f(x):") == "def f(x)"
    assert len(clean_signature("x" * 1000)) == 300
