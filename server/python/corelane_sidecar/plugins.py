"""Loading plugins as LiteLLM's proxy loads them, and finding which hooks each overrides.

`litellm_settings.callbacks: custom_callbacks.proxy_handler_instance` names an object in
`custom_callbacks.py` beside the config file (LiteLLM's `get_instance_fn`: the last dotted
part is the attribute, the rest the module path under the config's directory, the module
executed afresh for each reference). `guardrails:` entries whose `guardrail` is such a path
name a class, made with `guardrail_name`, `event_hook` (the mode), `default_on` and the
entry's other parameters. `general_settings.custom_auth` names an async function.
"""

import importlib
import importlib.util
import inspect
import os
import sys

# The hooks corelane can call, by the name a plugin overrides.
HOOKS = (
    "async_pre_call_hook",
    "async_moderation_hook",
    "async_post_call_success_hook",
    "async_post_call_failure_hook",
    "async_post_call_streaming_hook",
    "async_post_call_streaming_iterator_hook",
    "async_log_success_event",
    "async_log_failure_event",
    "log_success_event",
    "log_failure_event",
    "async_filter_listed_models",
    "async_post_call_response_headers_hook",
    "async_logging_hook",
)


# Hooks of LiteLLM's CustomLogger and CustomGuardrail corelane does not call: a plugin that
# overrides one is named in a warning at start.
NOT_CALLED = (
    "async_pre_routing_hook",
    "async_pre_request_hook",
    "async_filter_deployments",
    "async_pre_call_check",
    "pre_call_check",
    "async_pre_call_deployment_hook",
    "async_post_call_success_deployment_hook",
    "async_post_call_failure_deployment_hook",
    "async_post_call_streaming_deployment_hook",
    "async_get_chat_completion_prompt",
    "get_chat_completion_prompt",
    "async_log_pre_api_call",
    "log_pre_api_call",
    "log_post_api_call",
    "async_log_stream_event",
    "log_stream_event",
    "async_log_input_event",
    "log_input_event",
    "logging_hook",
    "log_success_fallback_event",
    "log_failure_fallback_event",
    "log_model_group_rate_limit_error",
    "async_dataset_hook",
    "async_log_audit_log_event",
    "async_log_batch_line_items",
    "async_post_mcp_tool_call_hook",
    "async_should_run_agentic_loop",
    "async_run_agentic_loop",
    "async_should_run_chat_completion_agentic_loop",
    "async_run_chat_completion_agentic_loop",
    "async_pre_call_hook_on_messages",
    "apply_guardrail",
)


class Plugin:
    """A loaded plugin: its name in the config, its object, and what kind it is."""

    def __init__(self, name, kind, obj, guardrail=None, timeout=10.0):
        self.name = name
        self.kind = kind  # "callback", "guardrail" or "custom_auth"
        self.obj = obj
        # Seconds each of its hooks may take (`--plugin-timeout [NAME=]SECONDS`).
        self.timeout = timeout
        self.guardrail = guardrail or {}
        self.hooks = overridden_hooks(obj, kind) if kind != "custom_auth" else []
        self.not_called = overridden_hooks(obj, kind, NOT_CALLED) if kind != "custom_auth" else []

    def describe(self):
        return {
            "name": self.name,
            "timeout": self.timeout,
            "kind": self.kind,
            "class": type(self.obj).__name__ if self.kind != "custom_auth" else None,
            "hooks": self.hooks,
            "not_called": self.not_called,
            "guardrail": self.guardrail,
        }


def get_instance(value, config_dir):
    """What `value` (`module.attribute`, the module a path under `config_dir`) names."""
    parts = value.split(".")
    if len(parts) < 2:
        raise ImportError(f"{value!r} is not `module.attribute`")
    module_name, attribute = ".".join(parts[:-1]), parts[-1]
    path = os.path.join(config_dir, *module_name.split(".")) + ".py"
    if os.path.isfile(path):
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ImportError(f"Could not import {attribute} from {module_name}") from None


def base_classes():
    from litellm.integrations.custom_guardrail import CustomGuardrail
    from litellm.integrations.custom_logger import CustomLogger

    return CustomLogger, CustomGuardrail


# Hooks LiteLLM 1.108.7 calls on a callback only when its own class defines them
# (`"async_pre_call_hook" in vars(cls)`): inherited from a parent class, they never run.
LEAF_ONLY = ("async_pre_call_hook", "async_post_call_streaming_iterator_hook")


def overridden_hooks(obj, kind="callback", names=HOOKS):
    """Of `names`, the hooks `obj`'s class defines itself or inherits from anything but
    LiteLLM's bases: the ones worth a call (the bases' are no-ops)."""
    custom_logger, custom_guardrail = base_classes()
    found = []
    for name in names:
        if kind == "callback" and name in LEAF_ONLY and name not in vars(type(obj)):
            continue
        attr = getattr(type(obj), name, None)
        if attr is None:
            continue
        base = getattr(custom_logger, name, None)
        guard_base = getattr(custom_guardrail, name, None)
        if attr is not base and attr is not guard_base:
            found.append(name)
    return found


def load(spec):
    """The plugins `spec` names, in LiteLLM's order (callbacks, then guardrails), and the
    custom auth function; errors are raised with the name of what failed."""
    config_dir = spec["config_dir"]
    if config_dir not in sys.path:
        sys.path.insert(0, config_dir)
    custom_logger, custom_guardrail = base_classes()
    default = float(spec.get("timeout", 10.0))
    timeouts = spec.get("timeouts") or {}

    def timeout(name):
        return float(timeouts.get(name, default))

    plugins = []
    for name in spec.get("callbacks", []):
        obj = load_one(name, config_dir)
        if inspect.isclass(obj):
            raise TypeError(
                f"litellm_settings.callbacks: {name} is a class; name an instance of it"
            )
        if not isinstance(obj, custom_logger):
            raise TypeError(f"litellm_settings.callbacks: {name} is not a CustomLogger")
        plugins.append(Plugin(name, "callback", obj, timeout=timeout(name)))
    for entry in spec.get("guardrails", []):
        name = entry["guardrail_name"]
        params = dict(entry.get("litellm_params") or {})
        path = params.pop("guardrail")
        mode = params.pop("mode", None)
        default_on = params.pop("default_on", False)
        cls = load_one(path, config_dir)
        if not (inspect.isclass(cls) and issubclass(cls, custom_guardrail)):
            raise TypeError(f"guardrails: {path} is not a CustomGuardrail class")
        obj = cls(guardrail_name=name, event_hook=mode, default_on=default_on, **params)
        plugins.append(
            Plugin(
                name,
                "guardrail",
                obj,
                {"mode": mode, "default_on": bool(default_on)},
                timeout=timeout(name),
            )
        )
    auth = None
    if spec.get("custom_auth"):
        fn = load_one(spec["custom_auth"], config_dir)
        if not callable(fn):
            raise TypeError(f"general_settings.custom_auth: {spec['custom_auth']} is not a function")
        auth = Plugin(spec["custom_auth"], "custom_auth", fn, timeout=timeout(spec["custom_auth"]))
    return plugins, auth


def load_one(value, config_dir):
    try:
        return get_instance(value, config_dir)
    except Exception as e:
        raise ImportError(f"loading {value}: {type(e).__name__}: {e}") from e
