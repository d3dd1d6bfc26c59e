"""HTTP conventions every service shares: auth and scope, problems, paging, health.

Service code imports from here, not from the submodules.
"""

from shared.http.app import create_service_app
from shared.http.auth import (
    Caller,
    TokenVerifier,
    current_principal,
    install_auth,
    issue_token,
    require_roles,
)
from shared.http.health import ReadinessCheck, health_router
from shared.http.metrics import metrics_router
from shared.http.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorCodec,
    Page,
    PageRequest,
    page_request,
)
from shared.http.problems import (
    COMMAND_RESPONSES,
    COMMON_RESPONSES,
    PROBLEM_MEDIA_TYPE,
    PROBLEM_RESPONSES,
    READ_RESPONSES,
    Conflict,
    FieldError,
    Forbidden,
    NotAcceptable,
    NotFound,
    Problem,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    install_problem_handlers,
)
from shared.scope import ListScope, Principal, Role

__all__ = [
    "COMMAND_RESPONSES",
    "COMMON_RESPONSES",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_RESPONSES",
    "READ_RESPONSES",
    "Caller",
    "Conflict",
    "CursorCodec",
    "FieldError",
    "Forbidden",
    "ListScope",
    "NotAcceptable",
    "NotFound",
    "Page",
    "PageRequest",
    "Principal",
    "Problem",
    "ReadinessCheck",
    "Role",
    "ServiceUnavailable",
    "TokenVerifier",
    "Unauthorized",
    "Unprocessable",
    "create_service_app",
    "current_principal",
    "health_router",
    "install_auth",
    "install_problem_handlers",
    "issue_token",
    "metrics_router",
    "page_request",
    "require_roles",
]
