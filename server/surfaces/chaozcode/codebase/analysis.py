"""Codebase analysis: a pure function of the files sent, deterministic, nothing executed.

- Languages come from file extensions; lines are `str.splitlines()`; each
  language's share is of the lines (of the files when there are no lines).
- A file's role (test, hook, component, util; one at most, in that order):
  JavaScript and TypeScript files are parsed with tree-sitter (syntax_js.py)
  and their role comes from what they declare: JSX-returning PascalCase
  functions and React classes, exported use<Name> hooks, describe/it/test
  calls, exported plain functions. Python files are parsed with `ast`
  (`python_role`): pytest-collected test functions and classes, or a module of
  public plain functions (a util). Test file names (test_*.py, *.test.ts,
  __tests__/) are a second signal for tests. Other languages keep the path
  conventions: .vue/.svelte files are components, utils/ and lib/ folders utils.
- Dependencies come from the manifests (manifests.py), parsed by their
  formats' own parsers.
- A Python syntax error is a parse problem, and function lengths feed the
  suggestions. A JavaScript or TypeScript
  syntax error is a parse problem too; the file keeps the role of what parsed.
  Their named functions' lengths (from the tree) feed the suggestions too.
- `basic` stops at counts and dependencies; `standard` adds the deterministic
  suggestions; `deep` is `standard` plus the model's (added by the caller:
  this module never calls a model).
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from server.surfaces.chaozcode.codebase.manifests import Dependency, ManifestError, is_manifest, parse_manifest
from server.surfaces.chaozcode.codebase.syntax_js import grammar_of, read_script

DEPTHS = ("basic", "standard", "deep")
LONG_FILE_LINES = 500
LONG_FUNCTION_LINES = 80

_LANGUAGES = {
    ".py": "python", ".pyi": "python", ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".css": "css", ".scss": "scss", ".sass": "scss", ".less": "less", ".html": "html", ".htm": "html",
    ".json": "json", ".md": "markdown", ".mdx": "markdown", ".go": "go", ".rs": "rust", ".java": "java",
    ".kt": "kotlin", ".swift": "swift", ".rb": "ruby", ".php": "php", ".cs": "csharp", ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".sh": "shell", ".bash": "shell", ".sql": "sql",
    ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".xml": "xml", ".vue": "vue", ".svelte": "svelte",
    ".txt": "text", ".mod": "go-mod",
}  # fmt: skip
_COMPONENT_EXTENSIONS = (".vue", ".svelte")  # single-file components by their format
_TEST_NAME = re.compile(r"test_.+\.py|.+_test\.(py|go)|.+\.(test|spec)\.[cm]?[jt]sx?|.+Test\.(java|kt)")
_TEST_DIRS = {"tests", "test", "__tests__", "spec", "specs"}
_UTIL_DIRS = {"utils", "util", "lib", "helpers", "helper"}
_UTIL_NAMES = {"utils", "util", "helpers", "helper"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    content: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    source: str  # "analysis" or "model"
    message: str
    path: str = ""


@dataclass(frozen=True, slots=True)
class ParseProblem:
    path: str
    message: str


@dataclass
class Analysis:
    total_files: int
    total_lines: int
    languages: dict[str, float]  # percent of the lines
    primary_language: str
    components: int = 0
    hooks: int = 0
    utils: int = 0
    tests: int = 0
    dependencies: list[Dependency] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    parse_problems: list[ParseProblem] = field(default_factory=list)


def language_of(path: str) -> str:
    name = posixpath.basename(path)
    if name == "go.mod":
        return "go-mod"
    return _LANGUAGES.get(posixpath.splitext(name)[1].lower(), "other")


def is_test_path(path: str) -> bool:
    folders = set(posixpath.dirname(path).lower().split("/"))
    return _TEST_NAME.fullmatch(posixpath.basename(path)) is not None or bool(folders & _TEST_DIRS)


def path_role(path: str) -> str:
    """'test', 'component', 'util' or '' by the path's conventions (languages without a syntax reader)."""
    folders = set(posixpath.dirname(path).lower().split("/"))
    stem, extension = posixpath.splitext(posixpath.basename(path))
    if is_test_path(path):
        return "test"
    if extension.lower() in _COMPONENT_EXTENSIONS:
        return "component"
    if folders & _UTIL_DIRS or stem.split(".")[0].lower() in _UTIL_NAMES:
        return "util"
    return ""


def analyze(files: Sequence[SourceFile], language: str = "", depth: str = "standard") -> Analysis:
    """The analysis of `files` at `depth` (the model's suggestions excepted)."""
    if depth not in DEPTHS:
        raise ValueError(f"depth must be one of {', '.join(DEPTHS)}")
    lines: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    per_file: dict[str, int] = {}
    script_problems: list[ParseProblem] = []
    long_functions: list[Suggestion] = []
    for source in files:
        file_language = language_of(source.path)
        n = len(source.content.splitlines())
        per_file[source.path] = n
        lines[file_language] += n
        counts[file_language] += 1
        if grammar_of(source.path):
            facts = read_script(source.path, source.content)
            roles["test" if is_test_path(source.path) else facts.role] += 1
            if facts.syntax_error:
                script_problems.append(ParseProblem(source.path, facts.syntax_error))
            long_functions.extend(
                _long_function(source.path, d.name, d.lines) for d in facts.definitions if d.lines > LONG_FUNCTION_LINES
            )
        elif file_language == "python":
            try:
                tree = ast.parse(source.content, filename=source.path)
            except (SyntaxError, ValueError) as exc:
                script_problems.append(ParseProblem(source.path, f"Python syntax error: {exc}"))
                roles["test" if is_test_path(source.path) else ""] += 1
                continue
            roles["test" if is_test_path(source.path) else python_role(tree)] += 1
            long_functions.extend(_long_functions(source.path, tree))
        else:
            roles[path_role(source.path)] += 1
    total_lines = sum(lines.values())
    weights = lines if total_lines else counts
    whole = sum(weights.values()) or 1
    shares = {lang: round(100 * n / whole, 1) for lang, n in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))}
    primary = language or next(iter(shares), "")
    analysis = Analysis(
        len(files),
        total_lines,
        shares,
        primary,
        components=roles["component"],
        hooks=roles["hook"],
        utils=roles["util"],
        tests=roles["test"],
    )
    for source in files:
        if is_manifest(source.path):
            try:
                analysis.dependencies.extend(parse_manifest(source.path, source.content))
            except ManifestError as exc:
                analysis.parse_problems.append(ParseProblem(source.path, str(exc)))
    analysis.parse_problems.extend(script_problems)
    if depth != "basic":
        analysis.suggestions = _suggestions(analysis, per_file, long_functions)
    return analysis


# What the top level of a module of plain helpers may hold: its functions, imports,
# constants, a docstring, `if TYPE_CHECKING:`.
_HELPER_MODULE_STATEMENTS = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.Expr, ast.If,
)  # fmt: skip


def python_role(tree: ast.Module) -> str:
    """'test' when pytest would collect it (top-level test_* functions, Test* classes);
    'util' when its top level is public plain functions (undecorated, none a `main`)
    beside imports, constants and a docstring, with no classes and no `__main__` block;
    else ''."""
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    if any(f.name.startswith("test") for f in functions) or any(c.name.startswith("Test") for c in classes):
        return "test"
    if classes or any(isinstance(n, ast.If) and _is_main_guard(n) for n in tree.body):
        return ""
    if not all(isinstance(n, _HELPER_MODULE_STATEMENTS) for n in tree.body):
        return ""
    public = [f for f in functions if not f.name.startswith("_")]
    if public and not any(f.decorator_list or f.name == "main" for f in public):
        return "util"
    return ""


def _is_main_guard(node: ast.If) -> bool:
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _long_functions(path: str, tree: ast.AST) -> list[Suggestion]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
            length = node.end_lineno - node.lineno + 1
            if length > LONG_FUNCTION_LINES:
                found.append(_long_function(path, node.name, length))
    return found


def _long_function(path: str, name: str, length: int) -> Suggestion:
    return Suggestion("analysis", f"Function '{name}' is {length} lines long: split it up", path)


def _suggestions(analysis: Analysis, per_file: dict[str, int], long_functions: list[Suggestion]) -> list[Suggestion]:
    suggestions: list[Suggestion] = []
    code_files = analysis.total_files - analysis.tests
    if analysis.tests == 0 and code_files > 0:
        suggestions.append(Suggestion("analysis", "No test files found: add tests for the main code paths"))
    for path, n in per_file.items():
        if n > LONG_FILE_LINES:
            suggestions.append(Suggestion("analysis", f"{n} lines: consider splitting this file", path))
    suggestions.extend(long_functions)
    for dep in analysis.dependencies:
        if not dep.version or dep.version in ("*", "latest"):
            suggestions.append(
                Suggestion("analysis", f"Dependency '{dep.name}' has no version constraint: pin it", dep.manifest)
            )
    for problem in analysis.parse_problems:
        suggestions.append(Suggestion("analysis", f"Fix the parse error: {problem.message}", problem.path))
    return suggestions
