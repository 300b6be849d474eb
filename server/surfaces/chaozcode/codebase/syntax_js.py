"""JavaScript and TypeScript files read from their syntax trees (tree-sitter), never their paths.

What a file declares at its top level decides its role:
- component: a function, arrow function or class with a PascalCase name whose
  body holds JSX, or a class extending (React.)Component / PureComponent;
- hook: an exported function named use<Name>;
- test: top-level describe / it / test / suite calls (describe.each(...)(...) too);
- exports: plain functions the module exports (ES `export`, `export { a }`,
  `export default a`, CommonJS `module.exports` / `exports.a`).
Every named function (declarations, methods, functions bound to a variable, at
any depth) is listed with its length in lines.
tree-sitter recovers from syntax errors, so a broken file still yields what
parses, plus the first error's position.

Parsers are built on first use and reused, one per grammar and thread (a
Parser holds its parse state; callers run the analysis in worker threads).
Languages and queries are immutable and shared.
"""

from __future__ import annotations

import bisect
import posixpath
import re
import threading
from dataclasses import dataclass, field
from functools import cache

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Query, QueryCursor

_GRAMMARS = {
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
}  # fmt: skip
_LANGUAGE_NAMES = {"typescript": "TypeScript", "tsx": "TypeScript", "javascript": "JavaScript"}
_PASCAL_CASE = re.compile(r"[A-Z][A-Za-z0-9]*")
_HOOK_NAME = re.compile(r"use[A-Z0-9]\w*")
_COMPONENT_BASE = re.compile(r"extends\s+(?:React\s*\.\s*)?(?:Pure)?Component\b")
_TEST_CALLS = frozenset({"describe", "it", "test", "suite"})
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})
_CLASSES = frozenset({"class_declaration", "abstract_class_declaration", "class"})


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    lines: int


@dataclass
class ScriptFacts:
    components: list[str] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)  # exported use<Name> functions
    functions: list[str] = field(default_factory=list)  # exported plain functions
    has_test_calls: bool = False
    definitions: list[Definition] = field(default_factory=list)  # named functions, in source order
    syntax_error: str = ""  # "TypeScript syntax error at line L, column C" (the first); "" when it parsed

    @property
    def role(self) -> str:
        """'test', 'hook', 'component', 'util' or '' (one role, in that order)."""
        if self.has_test_calls:
            return "test"
        if self.hooks:
            return "hook"
        if self.components:
            return "component"
        return "util" if self.functions else ""


def grammar_of(path: str) -> str:
    """The grammar that parses `path` ('' when it is not JavaScript or TypeScript)."""
    return _GRAMMARS.get(posixpath.splitext(path)[1].lower(), "")


@cache
def _language(grammar: str) -> Language:
    if grammar == "typescript":
        return Language(tree_sitter_typescript.language_typescript())
    if grammar == "tsx":
        return Language(tree_sitter_typescript.language_tsx())
    return Language(tree_sitter_javascript.language())


_PARSERS = threading.local()


def _parser(grammar: str) -> Parser:
    parsers: dict[str, Parser] = _PARSERS.__dict__.setdefault("by_grammar", {})
    parser = parsers.get(grammar)
    if parser is None:
        parser = parsers[grammar] = Parser(_language(grammar))
    return parser


@cache
def _jsx_query(grammar: str) -> Query | None:
    # Plain .ts has no JSX (`<T>x` is a type assertion there): its grammar has no JSX nodes.
    if grammar == "typescript":
        return None
    return Query(_language(grammar), "[(jsx_element) (jsx_self_closing_element)] @jsx")


@cache
def _definitions_query(grammar: str) -> Query:
    return Query(
        _language(grammar),
        """[(function_declaration name: (_) @name)
            (generator_function_declaration name: (_) @name)
            (method_definition name: (_) @name)
            (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)])
           ] @definition""",
    )


def read_script(path: str, content: str) -> ScriptFacts:
    """What `content` (a JavaScript or TypeScript file named `path`) declares."""
    grammar = grammar_of(path)
    if not grammar:
        raise ValueError(f"not a JavaScript or TypeScript file: {path}")
    source = content.encode("utf-8", "surrogatepass")
    tree = _parser(grammar).parse(source)
    root = tree.root_node
    query = _jsx_query(grammar)
    jsx_starts: list[int] = []
    if query is not None:
        jsx_starts = sorted(node.start_byte for node in QueryCursor(query).captures(root).get("jsx", []))
    facts = _Reader(jsx_starts).read(root)
    for _, captured in QueryCursor(_definitions_query(grammar)).matches(root):
        node, name = captured["definition"][0], captured["name"][0]
        facts.definitions.append(Definition(_text(name), node.end_point.row - node.start_point.row + 1))
    if root.has_error:
        facts.syntax_error = f"{_LANGUAGE_NAMES[grammar]} syntax error at {_first_error(root)}"
    return facts


class _Reader:
    def __init__(self, jsx_starts: list[int]) -> None:
        self._jsx_starts = jsx_starts
        self.facts = ScriptFacts()
        self._functions: set[str] = set()  # top-level plain functions, by name
        self._exported: set[str] = set()  # names exported

    def read(self, root: Node) -> ScriptFacts:
        for statement in root.named_children:
            self._statement(statement)
        facts = self.facts
        for name in sorted(self._functions & self._exported):
            if _HOOK_NAME.fullmatch(name):
                facts.hooks.append(name)
            elif name not in facts.components:
                facts.functions.append(name)
        return facts

    def _statement(self, node: Node) -> None:
        kind = node.type
        if kind == "export_statement":
            self._export(node)
        elif kind in ("function_declaration", "generator_function_declaration"):
            self._function(node.child_by_field_name("name"), node)
        elif kind in ("lexical_declaration", "variable_declaration"):
            self._variables(node)
        elif kind in _CLASSES:
            self._class(node)
        elif kind == "expression_statement" and node.named_child_count:
            self._expression(node.named_children[0])

    def _export(self, node: Node) -> None:
        declaration = node.child_by_field_name("declaration")
        if declaration is not None:
            self._statement(declaration)
            self._exported.update(_declared_names(declaration))
            return
        value = node.child_by_field_name("value")  # export default <expression>
        if value is not None:
            if value.type == "identifier":
                self._exported.add(_text(value))
            elif value.type in _CLASSES:
                self._class(value)
            return
        for clause in node.named_children:
            if clause.type == "export_clause":
                for specifier in clause.named_children:
                    name = specifier.child_by_field_name("name")
                    if name is not None:
                        self._exported.add(_text(name))

    def _function(self, name: Node | None, body: Node) -> None:
        if name is None:
            return
        text = _text(name)
        if _PASCAL_CASE.fullmatch(text) and self._holds_jsx(body):
            self.facts.components.append(text)
        self._functions.add(text)

    def _variables(self, node: Node) -> None:
        for declarator in node.named_children:
            if declarator.type != "variable_declarator":
                continue
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if name is None or value is None or name.type != "identifier":
                continue
            if value.type in _FUNCTION_VALUES:
                self._function(name, value)
            elif value.type in _CLASSES:
                self._class(value, name)
            elif value.type == "call_expression" and _PASCAL_CASE.fullmatch(_text(name)) and self._holds_jsx(value):
                self.facts.components.append(_text(name))  # memo(() => <X/>), forwardRef(...)

    def _class(self, node: Node, name: Node | None = None) -> None:
        name = name or node.child_by_field_name("name")
        if name is None or not _PASCAL_CASE.fullmatch(_text(name)):
            return
        heritage = next((c for c in node.named_children if c.type == "class_heritage"), None)
        extends_component = heritage is not None and _COMPONENT_BASE.match(_text(heritage)) is not None
        if extends_component or self._holds_jsx(node):
            self.facts.components.append(_text(name))

    def _expression(self, node: Node) -> None:
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            while callee is not None and callee.type in ("call_expression", "member_expression"):
                field_name = "function" if callee.type == "call_expression" else "object"
                callee = callee.child_by_field_name(field_name)
            if callee is not None and callee.type == "identifier" and _text(callee) in _TEST_CALLS:
                self.facts.has_test_calls = True
        elif node.type == "assignment_expression":
            self._commonjs_export(node)

    def _commonjs_export(self, node: Node) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or left.type != "member_expression":
            return
        target = _text(left).replace(" ", "")
        if target != "module.exports" and not target.startswith(("exports.", "module.exports.")):
            return
        if right.type in _FUNCTION_VALUES:
            name = target.rsplit(".", 1)[-1]
            self._functions.add(name)
            self._exported.add(name)
        elif right.type == "identifier":
            self._exported.add(_text(right))
        elif right.type == "object":
            for entry in right.named_children:
                if entry.type == "shorthand_property_identifier":
                    self._exported.add(_text(entry))
                elif entry.type == "pair":
                    key, value = entry.child_by_field_name("key"), entry.child_by_field_name("value")
                    if value is not None and value.type == "identifier":
                        self._exported.add(_text(value))
                    elif key is not None and value is not None and value.type in _FUNCTION_VALUES:
                        self._functions.add(_text(key))
                        self._exported.add(_text(key))
                elif entry.type == "method_definition" and (key := entry.child_by_field_name("name")) is not None:
                    self._functions.add(_text(key))
                    self._exported.add(_text(key))

    def _holds_jsx(self, node: Node) -> bool:
        at = bisect.bisect_left(self._jsx_starts, node.start_byte)
        return at < len(self._jsx_starts) and self._jsx_starts[at] < node.end_byte


def _declared_names(declaration: Node) -> list[str]:
    if declaration.type in ("lexical_declaration", "variable_declaration"):
        names = (d.child_by_field_name("name") for d in declaration.named_children if d.type == "variable_declarator")
        return [_text(n) for n in names if n is not None and n.type == "identifier"]
    name = declaration.child_by_field_name("name")
    return [_text(name)] if name is not None else []


def _first_error(root: Node) -> str:
    """Where the first ERROR or MISSING node starts (descending only into subtrees that hold one)."""
    node = root
    while True:
        child = next((c for c in node.children if c.is_error or c.is_missing or c.has_error), None)
        if child is None or child.is_error or child.is_missing:
            break
        node = child
    at = (child or node).start_point
    return f"line {at.row + 1}, column {at.column + 1}"


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
