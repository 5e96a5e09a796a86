# Custom auth, laid out as LiteLLM's custom-auth docs show it: an async function in
# custom_auth.py, named in config.yaml as
#   general_settings:
#     custom_auth: custom_auth.user_api_key_auth
from fastapi import Request

from litellm.proxy._types import UserAPIKeyAuth


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    if api_key == "sk-admin":
        return UserAPIKeyAuth(api_key=api_key, user_role="proxy_admin")
    if api_key == "sk-good":
        return UserAPIKeyAuth(api_key=api_key, user_id="u1")
    if api_key == "sk-from-path" and request.url.path.endswith("/chat/completions"):
        return UserAPIKeyAuth(api_key=api_key, user_id="u2")
    raise Exception("bad key")
