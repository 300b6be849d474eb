from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Platform(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLATFORM_UNSPECIFIED: _ClassVar[Platform]
    PLATFORM_NEON: _ClassVar[Platform]
    PLATFORM_NOTION: _ClassVar[Platform]
    PLATFORM_GITHUB: _ClassVar[Platform]
    PLATFORM_DRIVE: _ClassVar[Platform]
    PLATFORM_CLOUDFLARE: _ClassVar[Platform]
    PLATFORM_LOCAL: _ClassVar[Platform]

class TodoStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TODO_STATUS_UNSPECIFIED: _ClassVar[TodoStatus]
    TODO_STATUS_PENDING: _ClassVar[TodoStatus]
    TODO_STATUS_IN_PROGRESS: _ClassVar[TodoStatus]
    TODO_STATUS_COMPLETED: _ClassVar[TodoStatus]
PLATFORM_UNSPECIFIED: Platform
PLATFORM_NEON: Platform
PLATFORM_NOTION: Platform
PLATFORM_GITHUB: Platform
PLATFORM_DRIVE: Platform
PLATFORM_CLOUDFLARE: Platform
PLATFORM_LOCAL: Platform
TODO_STATUS_UNSPECIFIED: TodoStatus
TODO_STATUS_PENDING: TodoStatus
TODO_STATUS_IN_PROGRESS: TodoStatus
TODO_STATUS_COMPLETED: TodoStatus

class GetHealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PlatformEndpoints(_message.Message):
    __slots__ = ("neon", "notion", "github", "drive", "cloudflare", "local")
    NEON_FIELD_NUMBER: _ClassVar[int]
    NOTION_FIELD_NUMBER: _ClassVar[int]
    GITHUB_FIELD_NUMBER: _ClassVar[int]
    DRIVE_FIELD_NUMBER: _ClassVar[int]
    CLOUDFLARE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    neon: str
    notion: str
    github: str
    drive: str
    cloudflare: str
    local: str
    def __init__(self, neon: _Optional[str] = ..., notion: _Optional[str] = ..., github: _Optional[str] = ..., drive: _Optional[str] = ..., cloudflare: _Optional[str] = ..., local: _Optional[str] = ...) -> None: ...

class ResourceEndpoints(_message.Message):
    __slots__ = ("project", "session", "topic", "todos", "orchestrate", "status")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    TODOS_FIELD_NUMBER: _ClassVar[int]
    ORCHESTRATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    project: str
    session: str
    topic: str
    todos: str
    orchestrate: str
    status: str
    def __init__(self, project: _Optional[str] = ..., session: _Optional[str] = ..., topic: _Optional[str] = ..., todos: _Optional[str] = ..., orchestrate: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class Endpoints(_message.Message):
    __slots__ = ("platforms", "resources")
    PLATFORMS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    platforms: PlatformEndpoints
    resources: ResourceEndpoints
    def __init__(self, platforms: _Optional[_Union[PlatformEndpoints, _Mapping]] = ..., resources: _Optional[_Union[ResourceEndpoints, _Mapping]] = ...) -> None: ...

class GetHealthResponse(_message.Message):
    __slots__ = ("service", "status", "version", "architecture", "platforms", "resources", "endpoints")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ARCHITECTURE_FIELD_NUMBER: _ClassVar[int]
    PLATFORMS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    service: str
    status: str
    version: str
    architecture: str
    platforms: _containers.RepeatedScalarFieldContainer[str]
    resources: _containers.RepeatedScalarFieldContainer[str]
    endpoints: Endpoints
    def __init__(self, service: _Optional[str] = ..., status: _Optional[str] = ..., version: _Optional[str] = ..., architecture: _Optional[str] = ..., platforms: _Optional[_Iterable[str]] = ..., resources: _Optional[_Iterable[str]] = ..., endpoints: _Optional[_Union[Endpoints, _Mapping]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ProjectCounts(_message.Message):
    __slots__ = ("total", "synced")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    SYNCED_FIELD_NUMBER: _ClassVar[int]
    total: int
    synced: int
    def __init__(self, total: _Optional[int] = ..., synced: _Optional[int] = ...) -> None: ...

class SessionCounts(_message.Message):
    __slots__ = ("total", "active")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    total: int
    active: int
    def __init__(self, total: _Optional[int] = ..., active: _Optional[int] = ...) -> None: ...

class TopicCounts(_message.Message):
    __slots__ = ("categories", "total_conversations")
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    categories: int
    total_conversations: int
    def __init__(self, categories: _Optional[int] = ..., total_conversations: _Optional[int] = ...) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("service", "version", "timestamp", "projects", "sessions", "topics")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    service: str
    version: str
    timestamp: str
    projects: ProjectCounts
    sessions: SessionCounts
    topics: TopicCounts
    def __init__(self, service: _Optional[str] = ..., version: _Optional[str] = ..., timestamp: _Optional[str] = ..., projects: _Optional[_Union[ProjectCounts, _Mapping]] = ..., sessions: _Optional[_Union[SessionCounts, _Mapping]] = ..., topics: _Optional[_Union[TopicCounts, _Mapping]] = ...) -> None: ...

class Todo(_message.Message):
    __slots__ = ("content", "status", "active_form", "added_by", "added_at")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FORM_FIELD_NUMBER: _ClassVar[int]
    ADDED_BY_FIELD_NUMBER: _ClassVar[int]
    ADDED_AT_FIELD_NUMBER: _ClassVar[int]
    content: str
    status: TodoStatus
    active_form: str
    added_by: str
    added_at: str
    def __init__(self, content: _Optional[str] = ..., status: _Optional[_Union[TodoStatus, str]] = ..., active_form: _Optional[str] = ..., added_by: _Optional[str] = ..., added_at: _Optional[str] = ...) -> None: ...

class TodoInput(_message.Message):
    __slots__ = ("content", "status", "active_form")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FORM_FIELD_NUMBER: _ClassVar[int]
    content: str
    status: TodoStatus
    active_form: str
    def __init__(self, content: _Optional[str] = ..., status: _Optional[_Union[TodoStatus, str]] = ..., active_form: _Optional[str] = ...) -> None: ...

class ProjectSummary(_message.Message):
    __slots__ = ("id", "name", "last_sync", "files_worked", "consolidated_todos")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_FIELD_NUMBER: _ClassVar[int]
    FILES_WORKED_FIELD_NUMBER: _ClassVar[int]
    CONSOLIDATED_TODOS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    last_sync: str
    files_worked: _containers.RepeatedScalarFieldContainer[str]
    consolidated_todos: _containers.RepeatedCompositeFieldContainer[Todo]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., last_sync: _Optional[str] = ..., files_worked: _Optional[_Iterable[str]] = ..., consolidated_todos: _Optional[_Iterable[_Union[Todo, _Mapping]]] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ("limit", "offset")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListProjectsResponse(_message.Message):
    __slots__ = ("projects", "total", "timestamp")
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[ProjectSummary]
    total: int
    timestamp: str
    def __init__(self, projects: _Optional[_Iterable[_Union[ProjectSummary, _Mapping]]] = ..., total: _Optional[int] = ..., timestamp: _Optional[str] = ...) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class ProjectDetail(_message.Message):
    __slots__ = ("id", "name", "last_sync", "files_worked", "consolidated_todos", "from_github", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_FIELD_NUMBER: _ClassVar[int]
    FILES_WORKED_FIELD_NUMBER: _ClassVar[int]
    CONSOLIDATED_TODOS_FIELD_NUMBER: _ClassVar[int]
    FROM_GITHUB_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    last_sync: str
    files_worked: _containers.RepeatedScalarFieldContainer[str]
    consolidated_todos: _containers.RepeatedCompositeFieldContainer[Todo]
    from_github: bool
    metadata: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., last_sync: _Optional[str] = ..., files_worked: _Optional[_Iterable[str]] = ..., consolidated_todos: _Optional[_Iterable[_Union[Todo, _Mapping]]] = ..., from_github: _Optional[bool] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: ProjectDetail
    def __init__(self, project: _Optional[_Union[ProjectDetail, _Mapping]] = ...) -> None: ...

class CreateProjectRequest(_message.Message):
    __slots__ = ("id", "name", "metadata", "files_worked")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    FILES_WORKED_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    metadata: _struct_pb2.Struct
    files_worked: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., files_worked: _Optional[_Iterable[str]] = ...) -> None: ...

class CreatedProject(_message.Message):
    __slots__ = ("id", "name", "last_sync", "synced_to_github")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_FIELD_NUMBER: _ClassVar[int]
    SYNCED_TO_GITHUB_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    last_sync: str
    synced_to_github: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., last_sync: _Optional[str] = ..., synced_to_github: _Optional[bool] = ...) -> None: ...

class CreateProjectResponse(_message.Message):
    __slots__ = ("success", "created", "project", "services_registered")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SERVICES_REGISTERED_FIELD_NUMBER: _ClassVar[int]
    success: bool
    created: bool
    project: CreatedProject
    services_registered: bool
    def __init__(self, success: _Optional[bool] = ..., created: _Optional[bool] = ..., project: _Optional[_Union[CreatedProject, _Mapping]] = ..., services_registered: _Optional[bool] = ...) -> None: ...

class UpdateProjectRequest(_message.Message):
    __slots__ = ("project_id", "metadata", "files_worked", "name")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    FILES_WORKED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    metadata: _struct_pb2.Struct
    files_worked: _containers.RepeatedScalarFieldContainer[str]
    name: str
    def __init__(self, project_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., files_worked: _Optional[_Iterable[str]] = ..., name: _Optional[str] = ...) -> None: ...

class UpdateProjectResponse(_message.Message):
    __slots__ = ("success", "project")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    success: bool
    project: ProjectDetail
    def __init__(self, success: _Optional[bool] = ..., project: _Optional[_Union[ProjectDetail, _Mapping]] = ...) -> None: ...

class DeleteProjectRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class DeleteProjectResponse(_message.Message):
    __slots__ = ("success", "deleted", "note")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    deleted: str
    note: str
    def __init__(self, success: _Optional[bool] = ..., deleted: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class SessionSummary(_message.Message):
    __slots__ = ("session_id", "project_id", "ai_platform", "active", "last_activity")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AI_PLATFORM_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    project_id: str
    ai_platform: str
    active: bool
    last_activity: str
    def __init__(self, session_id: _Optional[str] = ..., project_id: _Optional[str] = ..., ai_platform: _Optional[str] = ..., active: _Optional[bool] = ..., last_activity: _Optional[str] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("limit", "offset")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "total", "active", "timestamp")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[SessionSummary]
    total: int
    active: int
    timestamp: str
    def __init__(self, sessions: _Optional[_Iterable[_Union[SessionSummary, _Mapping]]] = ..., total: _Optional[int] = ..., active: _Optional[int] = ..., timestamp: _Optional[str] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetSessionResponse(_message.Message):
    __slots__ = ("session_id", "project_id", "ai_platform", "active", "created", "last_activity", "machine_id", "metadata", "ended")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AI_PLATFORM_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    MACHINE_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    project_id: str
    ai_platform: str
    active: bool
    created: str
    last_activity: str
    machine_id: str
    metadata: _struct_pb2.Struct
    ended: str
    def __init__(self, session_id: _Optional[str] = ..., project_id: _Optional[str] = ..., ai_platform: _Optional[str] = ..., active: _Optional[bool] = ..., created: _Optional[str] = ..., last_activity: _Optional[str] = ..., machine_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., ended: _Optional[str] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("id", "project_id", "ai_platform", "machine_id", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AI_PLATFORM_FIELD_NUMBER: _ClassVar[int]
    MACHINE_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    ai_platform: str
    machine_id: str
    metadata: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., ai_platform: _Optional[str] = ..., machine_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreatedSession(_message.Message):
    __slots__ = ("id", "project_id", "ai_platform", "created", "active")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AI_PLATFORM_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    ai_platform: str
    created: str
    active: bool
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., ai_platform: _Optional[str] = ..., created: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class CreateSessionResponse(_message.Message):
    __slots__ = ("success", "session")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    success: bool
    session: CreatedSession
    def __init__(self, success: _Optional[bool] = ..., session: _Optional[_Union[CreatedSession, _Mapping]] = ...) -> None: ...

class UpdateSessionRequest(_message.Message):
    __slots__ = ("session_id", "active", "metadata")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    active: bool
    metadata: _struct_pb2.Struct
    def __init__(self, session_id: _Optional[str] = ..., active: _Optional[bool] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UpdateSessionResponse(_message.Message):
    __slots__ = ("success", "session_id", "updated", "note")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    session_id: str
    updated: str
    note: str
    def __init__(self, success: _Optional[bool] = ..., session_id: _Optional[str] = ..., updated: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class DeleteSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class DeleteSessionResponse(_message.Message):
    __slots__ = ("success", "session_id", "ended")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    success: bool
    session_id: str
    ended: str
    def __init__(self, success: _Optional[bool] = ..., session_id: _Optional[str] = ..., ended: _Optional[str] = ...) -> None: ...

class TopicSummary(_message.Message):
    __slots__ = ("category", "count", "avg_confidence", "last_updated")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AVG_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATED_FIELD_NUMBER: _ClassVar[int]
    category: str
    count: int
    avg_confidence: float
    last_updated: str
    def __init__(self, category: _Optional[str] = ..., count: _Optional[int] = ..., avg_confidence: _Optional[float] = ..., last_updated: _Optional[str] = ...) -> None: ...

class ListTopicsRequest(_message.Message):
    __slots__ = ("limit", "offset")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListTopicsResponse(_message.Message):
    __slots__ = ("topics", "total", "timestamp")
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedCompositeFieldContainer[TopicSummary]
    total: int
    timestamp: str
    def __init__(self, topics: _Optional[_Iterable[_Union[TopicSummary, _Mapping]]] = ..., total: _Optional[int] = ..., timestamp: _Optional[str] = ...) -> None: ...

class Conversation(_message.Message):
    __slots__ = ("id", "file", "category", "subcategories", "confidence", "categorized", "content_preview")
    ID_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SUBCATEGORIES_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    CATEGORIZED_FIELD_NUMBER: _ClassVar[int]
    CONTENT_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    id: str
    file: str
    category: str
    subcategories: _containers.RepeatedScalarFieldContainer[str]
    confidence: float
    categorized: str
    content_preview: str
    def __init__(self, id: _Optional[str] = ..., file: _Optional[str] = ..., category: _Optional[str] = ..., subcategories: _Optional[_Iterable[str]] = ..., confidence: _Optional[float] = ..., categorized: _Optional[str] = ..., content_preview: _Optional[str] = ...) -> None: ...

class GetTopicRequest(_message.Message):
    __slots__ = ("category", "limit", "offset")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    category: str
    limit: int
    offset: int
    def __init__(self, category: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class GetTopicResponse(_message.Message):
    __slots__ = ("category", "conversations", "count")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    category: str
    conversations: _containers.RepeatedCompositeFieldContainer[Conversation]
    count: int
    def __init__(self, category: _Optional[str] = ..., conversations: _Optional[_Iterable[_Union[Conversation, _Mapping]]] = ..., count: _Optional[int] = ...) -> None: ...

class CreateTopicRequest(_message.Message):
    __slots__ = ("id", "content", "file", "category", "subcategories", "confidence")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SUBCATEGORIES_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    file: str
    category: str
    subcategories: _containers.RepeatedScalarFieldContainer[str]
    confidence: float
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., file: _Optional[str] = ..., category: _Optional[str] = ..., subcategories: _Optional[_Iterable[str]] = ..., confidence: _Optional[float] = ...) -> None: ...

class CategorizedConversation(_message.Message):
    __slots__ = ("id", "category", "subcategories", "confidence", "categorized")
    ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SUBCATEGORIES_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    CATEGORIZED_FIELD_NUMBER: _ClassVar[int]
    id: str
    category: str
    subcategories: _containers.RepeatedScalarFieldContainer[str]
    confidence: float
    categorized: str
    def __init__(self, id: _Optional[str] = ..., category: _Optional[str] = ..., subcategories: _Optional[_Iterable[str]] = ..., confidence: _Optional[float] = ..., categorized: _Optional[str] = ...) -> None: ...

class CreateTopicResponse(_message.Message):
    __slots__ = ("success", "conversation")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    success: bool
    conversation: CategorizedConversation
    def __init__(self, success: _Optional[bool] = ..., conversation: _Optional[_Union[CategorizedConversation, _Mapping]] = ...) -> None: ...

class ProjectTodoSummary(_message.Message):
    __slots__ = ("project_id", "todo_count", "last_sync", "sessions", "pending_todos", "in_progress_todos", "completed_todos")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TODO_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    PENDING_TODOS_FIELD_NUMBER: _ClassVar[int]
    IN_PROGRESS_TODOS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_TODOS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    todo_count: int
    last_sync: str
    sessions: int
    pending_todos: int
    in_progress_todos: int
    completed_todos: int
    def __init__(self, project_id: _Optional[str] = ..., todo_count: _Optional[int] = ..., last_sync: _Optional[str] = ..., sessions: _Optional[int] = ..., pending_todos: _Optional[int] = ..., in_progress_todos: _Optional[int] = ..., completed_todos: _Optional[int] = ...) -> None: ...

class ListTodosRequest(_message.Message):
    __slots__ = ("limit", "offset")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListTodosResponse(_message.Message):
    __slots__ = ("projects", "total", "timestamp")
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[ProjectTodoSummary]
    total: int
    timestamp: str
    def __init__(self, projects: _Optional[_Iterable[_Union[ProjectTodoSummary, _Mapping]]] = ..., total: _Optional[int] = ..., timestamp: _Optional[str] = ...) -> None: ...

class GetTodosRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class GetTodosResponse(_message.Message):
    __slots__ = ("project_id", "todos", "last_sync", "sessions")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TODOS_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    todos: _containers.RepeatedCompositeFieldContainer[Todo]
    last_sync: str
    sessions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., todos: _Optional[_Iterable[_Union[Todo, _Mapping]]] = ..., last_sync: _Optional[str] = ..., sessions: _Optional[_Iterable[str]] = ...) -> None: ...

class ReplaceTodosRequest(_message.Message):
    __slots__ = ("project_id", "todos", "session_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TODOS_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    todos: _containers.RepeatedCompositeFieldContainer[TodoInput]
    session_id: str
    def __init__(self, project_id: _Optional[str] = ..., todos: _Optional[_Iterable[_Union[TodoInput, _Mapping]]] = ..., session_id: _Optional[str] = ...) -> None: ...

class ReplaceTodosResponse(_message.Message):
    __slots__ = ("success", "project_id", "todos", "last_sync", "github_synced")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TODOS_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_FIELD_NUMBER: _ClassVar[int]
    GITHUB_SYNCED_FIELD_NUMBER: _ClassVar[int]
    success: bool
    project_id: str
    todos: _containers.RepeatedCompositeFieldContainer[Todo]
    last_sync: str
    github_synced: bool
    def __init__(self, success: _Optional[bool] = ..., project_id: _Optional[str] = ..., todos: _Optional[_Iterable[_Union[Todo, _Mapping]]] = ..., last_sync: _Optional[str] = ..., github_synced: _Optional[bool] = ...) -> None: ...

class SyncTodosRequest(_message.Message):
    __slots__ = ("project_id", "session_id", "todos")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TODOS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    session_id: str
    todos: _containers.RepeatedCompositeFieldContainer[TodoInput]
    def __init__(self, project_id: _Optional[str] = ..., session_id: _Optional[str] = ..., todos: _Optional[_Iterable[_Union[TodoInput, _Mapping]]] = ...) -> None: ...

class SyncTodosResponse(_message.Message):
    __slots__ = ("success", "project_id", "session_id", "todos", "total_todos", "added", "updated", "last_sync")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TODOS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TODOS_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_FIELD_NUMBER: _ClassVar[int]
    success: bool
    project_id: str
    session_id: str
    todos: _containers.RepeatedCompositeFieldContainer[Todo]
    total_todos: int
    added: int
    updated: int
    last_sync: str
    def __init__(self, success: _Optional[bool] = ..., project_id: _Optional[str] = ..., session_id: _Optional[str] = ..., todos: _Optional[_Iterable[_Union[Todo, _Mapping]]] = ..., total_todos: _Optional[int] = ..., added: _Optional[int] = ..., updated: _Optional[int] = ..., last_sync: _Optional[str] = ...) -> None: ...

class OrchestrateRequest(_message.Message):
    __slots__ = ("payload",)
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    payload: _struct_pb2.Value
    def __init__(self, payload: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class OrchestrateResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, sessions: _Optional[_Iterable[str]] = ...) -> None: ...

class SyncPlatformRequest(_message.Message):
    __slots__ = ("platform", "payload")
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    platform: Platform
    payload: _struct_pb2.Value
    def __init__(self, platform: _Optional[_Union[Platform, str]] = ..., payload: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class SyncPlatformResponse(_message.Message):
    __slots__ = ("platform",)
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    platform: str
    def __init__(self, platform: _Optional[str] = ...) -> None: ...
