from chorus_contracts.chaozcode.v2 import query_pb2 as _query_pb2
from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SourceFile(_message.Message):
    __slots__ = ("path", "content")
    PATH_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    path: str
    content: str
    def __init__(self, path: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class AnalyzeCodebaseRequest(_message.Message):
    __slots__ = ("files", "language", "depth")
    FILES_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[SourceFile]
    language: str
    depth: str
    def __init__(self, files: _Optional[_Iterable[_Union[SourceFile, _Mapping]]] = ..., language: _Optional[str] = ..., depth: _Optional[str] = ...) -> None: ...

class CodebaseSummary(_message.Message):
    __slots__ = ("total_files", "total_lines", "languages", "primary_language")
    class LanguagesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    TOTAL_FILES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LINES_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    total_files: int
    total_lines: int
    languages: _containers.ScalarMap[str, float]
    primary_language: str
    def __init__(self, total_files: _Optional[int] = ..., total_lines: _Optional[int] = ..., languages: _Optional[_Mapping[str, float]] = ..., primary_language: _Optional[str] = ...) -> None: ...

class CodebaseStructure(_message.Message):
    __slots__ = ("components", "hooks", "utils", "tests")
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    HOOKS_FIELD_NUMBER: _ClassVar[int]
    UTILS_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    components: int
    hooks: int
    utils: int
    tests: int
    def __init__(self, components: _Optional[int] = ..., hooks: _Optional[int] = ..., utils: _Optional[int] = ..., tests: _Optional[int] = ...) -> None: ...

class Dependency(_message.Message):
    __slots__ = ("name", "version", "ecosystem", "manifest", "kind")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    ecosystem: str
    manifest: str
    kind: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., ecosystem: _Optional[str] = ..., manifest: _Optional[str] = ..., kind: _Optional[str] = ...) -> None: ...

class Suggestion(_message.Message):
    __slots__ = ("source", "message", "path")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    source: str
    message: str
    path: str
    def __init__(self, source: _Optional[str] = ..., message: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class AnalyzeCodebaseResponse(_message.Message):
    __slots__ = ("summary", "structure", "dependencies", "suggestions", "parse_problems")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    STRUCTURE_FIELD_NUMBER: _ClassVar[int]
    DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    PARSE_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    summary: CodebaseSummary
    structure: CodebaseStructure
    dependencies: _containers.RepeatedCompositeFieldContainer[Dependency]
    suggestions: _containers.RepeatedCompositeFieldContainer[Suggestion]
    parse_problems: _containers.RepeatedCompositeFieldContainer[ParseProblem]
    def __init__(self, summary: _Optional[_Union[CodebaseSummary, _Mapping]] = ..., structure: _Optional[_Union[CodebaseStructure, _Mapping]] = ..., dependencies: _Optional[_Iterable[_Union[Dependency, _Mapping]]] = ..., suggestions: _Optional[_Iterable[_Union[Suggestion, _Mapping]]] = ..., parse_problems: _Optional[_Iterable[_Union[ParseProblem, _Mapping]]] = ...) -> None: ...

class ParseProblem(_message.Message):
    __slots__ = ("path", "message")
    PATH_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    path: str
    message: str
    def __init__(self, path: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class GenerateCodeRequest(_message.Message):
    __slots__ = ("task", "context", "language", "style", "model")
    TASK_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    task: str
    context: _containers.RepeatedCompositeFieldContainer[SourceFile]
    language: str
    style: _struct_pb2.Struct
    model: str
    def __init__(self, task: _Optional[str] = ..., context: _Optional[_Iterable[_Union[SourceFile, _Mapping]]] = ..., language: _Optional[str] = ..., style: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class GenerateCodeResponse(_message.Message):
    __slots__ = ("language", "code", "explanation", "model", "usage")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    language: str
    code: str
    explanation: str
    model: str
    usage: _query_pb2.TokenUsage
    def __init__(self, language: _Optional[str] = ..., code: _Optional[str] = ..., explanation: _Optional[str] = ..., model: _Optional[str] = ..., usage: _Optional[_Union[_query_pb2.TokenUsage, _Mapping]] = ...) -> None: ...

class ReviewCodeRequest(_message.Message):
    __slots__ = ("code", "language", "focus", "model")
    CODE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    FOCUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    code: str
    language: str
    focus: _containers.RepeatedScalarFieldContainer[str]
    model: str
    def __init__(self, code: _Optional[str] = ..., language: _Optional[str] = ..., focus: _Optional[_Iterable[str]] = ..., model: _Optional[str] = ...) -> None: ...

class ReviewIssue(_message.Message):
    __slots__ = ("source", "category", "severity", "line", "column", "rule", "message", "suggestion")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_FIELD_NUMBER: _ClassVar[int]
    source: str
    category: str
    severity: str
    line: int
    column: int
    rule: str
    message: str
    suggestion: str
    def __init__(self, source: _Optional[str] = ..., category: _Optional[str] = ..., severity: _Optional[str] = ..., line: _Optional[int] = ..., column: _Optional[int] = ..., rule: _Optional[str] = ..., message: _Optional[str] = ..., suggestion: _Optional[str] = ...) -> None: ...

class ReviewCodeResponse(_message.Message):
    __slots__ = ("language", "summary", "issues", "analyzers", "model", "usage")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    ANALYZERS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    language: str
    summary: str
    issues: _containers.RepeatedCompositeFieldContainer[ReviewIssue]
    analyzers: _containers.RepeatedScalarFieldContainer[str]
    model: str
    usage: _query_pb2.TokenUsage
    def __init__(self, language: _Optional[str] = ..., summary: _Optional[str] = ..., issues: _Optional[_Iterable[_Union[ReviewIssue, _Mapping]]] = ..., analyzers: _Optional[_Iterable[str]] = ..., model: _Optional[str] = ..., usage: _Optional[_Union[_query_pb2.TokenUsage, _Mapping]] = ...) -> None: ...

class FixCodeRequest(_message.Message):
    __slots__ = ("code", "error", "context", "language", "model")
    CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    code: str
    error: str
    context: str
    language: str
    model: str
    def __init__(self, code: _Optional[str] = ..., error: _Optional[str] = ..., context: _Optional[str] = ..., language: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class FixCodeResponse(_message.Message):
    __slots__ = ("fixed_code", "explanation", "changes", "model", "usage")
    FIXED_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    fixed_code: str
    explanation: str
    changes: _containers.RepeatedScalarFieldContainer[str]
    model: str
    usage: _query_pb2.TokenUsage
    def __init__(self, fixed_code: _Optional[str] = ..., explanation: _Optional[str] = ..., changes: _Optional[_Iterable[str]] = ..., model: _Optional[str] = ..., usage: _Optional[_Union[_query_pb2.TokenUsage, _Mapping]] = ...) -> None: ...
