"""LiteLLM's `CustomGuardrail`: a `CustomLogger` with a name, the events it runs on
(`event_hook`, the config's `mode`) and `default_on`, and LiteLLM's rule for when it runs
(`should_run_guardrail`)."""

from litellm.integrations.custom_logger import CustomLogger
from litellm.types.guardrails import GuardrailEventHooks


class CustomGuardrail(CustomLogger):
    def __init__(
        self,
        guardrail_name=None,
        supported_event_hooks=None,
        event_hook=None,
        default_on=False,
        **kwargs,
    ):
        self.guardrail_name = guardrail_name
        self.supported_event_hooks = supported_event_hooks
        self.event_hook = event_hook
        self.default_on = default_on
        super().__init__(**kwargs)

    def get_guardrail_from_metadata(self, data):
        if "guardrails" in data:
            return data["guardrails"]
        for meta_key in ("metadata", "litellm_metadata"):
            meta = data.get(meta_key) or {}
            if isinstance(meta, dict) and "guardrails" in meta:
                return meta.get("guardrails") or []
        return []

    def _guardrail_is_in_requested_guardrails(self, requested):
        for entry in requested:
            if isinstance(entry, dict) and self.guardrail_name in entry:
                return True
            if isinstance(entry, str) and entry == self.guardrail_name:
                return True
        return False

    def _event_hook_is_event_type(self, event_type):
        if self.event_hook is None:
            return True
        if isinstance(self.event_hook, list):
            return event_type.value in self.event_hook
        return self.event_hook == event_type.value

    def should_run_guardrail(self, data, event_type: GuardrailEventHooks) -> bool:
        requested = self.get_guardrail_from_metadata(data)
        if self.default_on is True:
            return self._event_hook_is_event_type(event_type)
        if (
            self.event_hook
            and not self._guardrail_is_in_requested_guardrails(requested)
            and event_type.value != "logging_only"
        ):
            return False
        return self._event_hook_is_event_type(event_type)
