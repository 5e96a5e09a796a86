"""LiteLLM's `UserAPIKeyAuth` (the caller's key as hooks receive it), `LitellmUserRoles`
and `ProxyException`."""

import enum


class LitellmUserRoles(str, enum.Enum):
    PROXY_ADMIN = "proxy_admin"
    PROXY_ADMIN_VIEW_ONLY = "proxy_admin_viewer"
    ORG_ADMIN = "org_admin"
    INTERNAL_USER = "internal_user"
    INTERNAL_USER_VIEW_ONLY = "internal_user_viewer"
    TEAM = "team"
    CUSTOMER = "customer"


# The fields hooks read most, with LiteLLM's defaults; any other keyword is kept too.
_DEFAULTS = {
    "token": None,
    "key_name": None,
    "key_alias": None,
    "spend": 0.0,
    "max_budget": None,
    "expires": None,
    "models": [],
    "aliases": {},
    "config": {},
    "user_id": None,
    "team_id": None,
    "max_parallel_requests": None,
    "metadata": {},
    "tpm_limit": None,
    "rpm_limit": None,
    "budget_duration": None,
    "budget_reset_at": None,
    "allowed_cache_controls": [],
    "permissions": {},
    "model_spend": {},
    "model_max_budget": {},
    "blocked": None,
    "org_id": None,
    "team_spend": None,
    "team_alias": None,
    "team_tpm_limit": None,
    "team_rpm_limit": None,
    "team_max_budget": None,
    "team_models": [],
    "team_blocked": False,
    "team_metadata": None,
    "end_user_id": None,
    "api_key": None,
    "user_role": None,
    "user_email": None,
    "request_route": None,
    "parent_otel_span": None,
}


class UserAPIKeyAuth:
    def __init__(self, **fields):
        for name, default in _DEFAULTS.items():
            value = fields.pop(name, default)
            setattr(self, name, value.copy() if isinstance(value, (list, dict)) else value)
        for name, value in fields.items():
            setattr(self, name, value)

    def model_dump(self, **_):
        return dict(vars(self))

    dict = model_dump

    def __repr__(self):
        return f"UserAPIKeyAuth({self.model_dump()!r})"


class ProxyException(Exception):
    def __init__(self, message, type, param, code, openai_code=None, headers=None):
        self.message = str(message)
        self.type = type
        self.param = param
        self.code = str(code)
        self.status_code = int(code) if str(code).isdigit() else 500
        self.headers = headers or {}
        super().__init__(self.message)

    def to_dict(self):
        return {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
