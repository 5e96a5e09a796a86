"""corelane's stand-in for `litellm`, used by the sidecar only where LiteLLM is not
installed: the module paths and class names plugins import (`CustomLogger`,
`CustomGuardrail`, `UserAPIKeyAuth`, `DualCache`, ...), with LiteLLM's behaviour where the
proxy relies on it. Where `litellm` is installed, its own classes are used instead.
"""

__version__ = "corelane-shim"

from litellm.exceptions import (  # noqa: E402,F401
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    BudgetExceededError,
    ContentPolicyViolationError,
    ContextWindowExceededError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    Timeout,
    UnprocessableEntityError,
    UnsupportedParamsError,
)


def completion_cost(completion_response=None, **_):
    """The cost corelane computed for a logged response (its `_hidden_params`)."""
    hidden = getattr(completion_response, "_hidden_params", None) or {}
    return float(hidden.get("response_cost") or 0.0)
