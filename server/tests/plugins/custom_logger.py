# A logger, laid out as LiteLLM's "Custom Callback Class [Async]" docs show it: it reads the
# request's model, messages, user, metadata and cost and the response's usage. Here each
# success and failure is written as a JSON line to the file CORELANE_TEST_LOG names.
import json
import os

import litellm
from litellm.integrations.custom_logger import CustomLogger


class MyCustomHandler(CustomLogger):
    def log(self, record):
        with open(os.environ["CORELANE_TEST_LOG"], "a") as f:
            f.write(json.dumps(record, default=str) + "\n")

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        litellm_params = kwargs.get("litellm_params", {})
        metadata = litellm_params.get("metadata", {})
        slo = kwargs["standard_logging_object"]
        self.log(
            {
                "event": "success",
                "stream": kwargs.get("stream"),
                "model": kwargs.get("model"),
                "messages": kwargs.get("messages"),
                "user": kwargs.get("user"),
                "key": metadata.get("user_api_key_hash"),
                "cost": litellm.completion_cost(completion_response=response_obj),
                "usage": dict(response_obj["usage"]),
                "content": response_obj["choices"][0]["message"]["content"]
                if response_obj["choices"]
                else None,
                "duration": (end_time - start_time).total_seconds(),
                "slo": {k: slo[k] for k in ("call_type", "status", "model_group", "total_tokens", "response_cost", "litellm_call_id")},
            }
        )

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        slo = kwargs["standard_logging_object"]
        self.log(
            {
                "event": "failure",
                "model": kwargs.get("model"),
                "messages": kwargs.get("messages"),
                "exception": str(kwargs.get("exception")),
                "status": slo["status"],
                "call_type": slo["call_type"],
                "key": slo["metadata"].get("user_api_key_hash"),
            }
        )

    # LiteLLM calls the sync form, in a thread, for the proxy's own refusals.
    def log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self.log({"event": "sync_failure", "model": kwargs.get("model")})


proxy_handler_instance = MyCustomHandler()
