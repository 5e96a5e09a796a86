# Hiding models from the listings, with the hook LiteLLM's CustomLogger documents for it
# (`async_filter_listed_models`: the names to keep, decided per name).
from litellm.integrations.custom_logger import CustomLogger


class HideCoffee(CustomLogger):
    async def async_filter_listed_models(self, user_api_key_dict, model_names):
        return [name for name in model_names if name != "coffee-model"]


class Malformed(CustomLogger):
    async def async_filter_listed_models(self, user_api_key_dict, model_names):
        return "gpt-4o"


hide_coffee = HideCoffee()
malformed = Malformed()
