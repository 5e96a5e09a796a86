"""LiteLLM's exception classes (the names plugins test with `isinstance`), each with the
HTTP status LiteLLM gives it."""


class _LiteLLMError(Exception):
    status_code = 500

    def __init__(self, message="", model=None, llm_provider=None, **kwargs):
        super().__init__(message)
        self.message = message
        self.model = model
        self.llm_provider = llm_provider
        for name, value in kwargs.items():
            setattr(self, name, value)


def _error(name, status, base=_LiteLLMError):
    return type(name, (base,), {"status_code": status})


BadRequestError = _error("BadRequestError", 400)
ContextWindowExceededError = _error("ContextWindowExceededError", 400, BadRequestError)
ContentPolicyViolationError = _error("ContentPolicyViolationError", 400, BadRequestError)
UnsupportedParamsError = _error("UnsupportedParamsError", 400, BadRequestError)
AuthenticationError = _error("AuthenticationError", 401)
PermissionDeniedError = _error("PermissionDeniedError", 403)
NotFoundError = _error("NotFoundError", 404)
Timeout = _error("Timeout", 408)
UnprocessableEntityError = _error("UnprocessableEntityError", 422)
RateLimitError = _error("RateLimitError", 429)
InternalServerError = _error("InternalServerError", 500)
APIError = _error("APIError", 500)
APIConnectionError = _error("APIConnectionError", 500)
BadGatewayError = _error("BadGatewayError", 502)
ServiceUnavailableError = _error("ServiceUnavailableError", 503)
BudgetExceededError = _error("BudgetExceededError", 400)
