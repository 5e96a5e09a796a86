# Streaming hooks that raise, as LiteLLM's call-hooks docs show them raising: an iterator
# hook that refuses a stream at its first chunk or in its middle (an HTTPException, or any
# other exception), and a per-chunk hook that refuses once the text so far has a phrase.
# Each also notes the failures its async_post_call_failure_hook sees, one JSON line each
# in the file CORELANE_TEST_LOG names.
import json
import os

from fastapi import HTTPException

from litellm.integrations.custom_logger import CustomLogger


class FailureNotes(CustomLogger):
    async def async_post_call_failure_hook(
        self, request_data, original_exception, user_api_key_dict, traceback_str=None
    ):
        path = os.environ.get("CORELANE_TEST_LOG")
        if path:
            with open(path, "a") as f:
                f.write(json.dumps({"text": request_data["messages"][0]["content"]}) + "\n")


class IteratorRefusals(FailureNotes):
    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data):
        text = request_data["messages"][0]["content"]
        n = 0
        async for chunk in response:
            n += 1
            if text == "refuse at once" and n == 1:
                raise HTTPException(status_code=403, detail={"error": "refused at once"})
            if text == "fail at once" and n == 1:
                raise ValueError("failed at once")
            if text == "refuse midway" and n == 3:
                raise HTTPException(status_code=403, detail={"error": "refused midway"})
            if text == "fail midway" and n == 3:
                raise ValueError("failed midway")
            yield chunk


class ChunkRefusal(FailureNotes):
    async def async_post_call_streaming_hook(self, user_api_key_dict, response):
        if "from the" in response:
            raise HTTPException(status_code=400, detail={"error": "chunk refused"})
        return None


class ChunkFailure(FailureNotes):
    async def async_post_call_streaming_hook(self, user_api_key_dict, response):
        if "from the" in response:
            raise ValueError("chunk failed")
        return None


iterator_refusals = IteratorRefusals()
chunk_refusal = ChunkRefusal()
chunk_failure = ChunkFailure()
