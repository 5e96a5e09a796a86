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
    if api_key == "sk-gpt-4o-only":
        # The body is there to read, as on LiteLLM (it reads it before calling this).
        body = await request.json()
        if body.get("model") == "gpt-4o":
            return UserAPIKeyAuth(api_key=api_key, user_id="u3")
        raise Exception(f"this key may not call {body.get('model')}")
    raise Exception("bad key")
