# A hook that rejects requests: raising HTTPException gives the client its status and
# detail, any other exception a 500, and a returned string rejects the request too.
from fastapi import HTTPException

from litellm.integrations.custom_logger import CustomLogger


class RejectingHandler(CustomLogger):
    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        text = " ".join(
            m.get("content", "") for m in data.get("messages", []) if isinstance(m.get("content"), str)
        )
        if "forbidden" in text:
            raise HTTPException(status_code=400, detail={"error": "Violated content safety policy"})
        if "not entitled" in text:
            raise HTTPException(status_code=403, detail="not entitled to this model")
        if "bad words" in text:
            raise ValueError("bad words are not allowed")
        if "reject me" in text:
            return "This is an invalid response"
        # Changed in place, returned as None: the change still counts.
        data["messages"].append({"role": "system", "content": "checked"})


proxy_handler_instance = RejectingHandler()
